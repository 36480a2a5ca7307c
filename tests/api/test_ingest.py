"""Ingestion over HTTP: POST/PATCH/DELETE /products and the job endpoints, with a real worker."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from api_test_helpers import image_bytes, settle
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from encoder import Encoder
from indexer import EdgeStore, Settings, index_entries
from indexer.catalog import CatalogEntry
from settings.api import ApiSettings
from workers import build_context, set_context
from workers.worker import make_worker


@pytest.fixture
def store(tmp_path: Path, encoder: Encoder, catalog_entries: list[CatalogEntry]) -> Iterator[EdgeStore]:
    store = EdgeStore(tmp_path / "data")
    index_entries(encoder, store, catalog_entries[:10])
    yield store
    store.close()


@pytest.fixture
def app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encoder: Encoder,
    store: EdgeStore,
    redis_client: redis.Redis,
    api_settings: ApiSettings,
) -> Iterator[Flask]:
    monkeypatch.setenv("VITRINE_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("VITRINE_JOB_RETRIES", "1")
    monkeypatch.setenv("VITRINE_RETRY_BACKOFF", "0")
    app = create_app(
        Settings(data_dir=tmp_path / "data"),
        api_settings=api_settings,
        encoder=encoder,
        store=store,
        redis=redis_client,
    )
    app.testing = True
    yield app
    settle(app)


@pytest.fixture
def drain(app: Flask, redis_client: redis.Redis) -> Iterator[Callable[[], None]]:
    """Work the queue once, as the serving process's embedded worker would."""
    from workers import QueueSettings

    st = app.extensions["vitrine"]
    context = build_context(
        st.settings,
        QueueSettings.from_env(),
        index=st.live,
        connection=redis_client,
        fetch=lambda url: (_ for _ in ()).throw(OSError("no network in tests")),
    )
    yield lambda: make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    set_context(None)


@pytest.fixture
def auth(token: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, str]]:
    return lambda *scopes: {"Authorization": f"Bearer {token(*scopes)['access_token']}"}


def _photo(catalog_dir: Path, product_id: str) -> str:
    return base64.b64encode(_photo_path(catalog_dir, product_id).read_bytes()).decode()


def _photo_path(catalog_dir: Path, product_id: str) -> Path:
    path = catalog_dir / "images" / f"{product_id}.jpg"
    assert path.is_file(), f"the sample catalog has no photo {path.name}"
    return path


def test_submit_index_and_find(
    client: FlaskClient,
    auth: Callable[..., dict[str, str]],
    drain: Callable[[], None],
    catalog_dir: Path,
    store: EdgeStore,
) -> None:
    headers = auth("ingest", "search")
    products = [
        {
            "id": "N1",
            "title": "Navy Linen Shirt",
            "gender": "Men",
            "colour": "Navy Blue",
            "price": 39.5,
            "image_base64": _photo(catalog_dir, "10000"),
        },
        {
            "id": "N2",
            "title": "Party Sequin Dress",
            "gender": "Women",
            "image_base64": _photo(catalog_dir, "10001"),
        },
    ]
    response = client.post("/api/v1/products", json=products, headers=headers)
    assert response.status_code == 202, response.json
    body = response.json
    assert body["accepted"] == 2 and body["jobs"][0]["product_ids"] == ["N1", "N2"]
    job_id = body["jobs"][0]["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json["status"] == "queued"
    drain()
    status = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert status["status"] == "finished" and status["result"]["products"] == {
        "N1": "indexed",
        "N2": "indexed",
    }
    assert store.count() == 12
    product = client.get("/api/v1/products/N1", headers=headers).json["product"]
    assert product["title"] == "Navy Linen Shirt" and product["price"] == 39.5
    assert product["image"] == "/api/v1/products/N1/image"  # the server path stays private
    with client.get(product["image"], headers=headers) as photo:  # the upload, re-encoded, is served
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    stored = store.get(["N2"])[0].payload
    assert "occasion" not in stored and stored["occasion_predicted"]  # tagged, marked as predicted

    # multipart: a product part and an image file part
    response = client.post(
        "/api/v1/products",
        headers=headers,
        content_type="multipart/form-data",
        data={
            "product": '{"id": "N3", "title": "Canvas Sneakers"}',
            "image": (_photo_path(catalog_dir, "10003").open("rb"), "shoe.jpg"),
        },
    )
    assert response.status_code == 202, response.json
    drain()
    assert store.count() == 13


def _bad(*, image_base64: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"id": "B1", "title": "Bad", **fields}
    if image_base64 is not None:
        body["image_base64"] = image_base64
    return body


GOOD_PNG = base64.b64encode(image_bytes("PNG")).decode()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (_bad(), 400, "exactly one of image_url, image_base64"),
        (_bad(image_base64=GOOD_PNG, image_url="https://cdn.example/x.jpg"), 400, "exactly one"),
        (_bad(image_base64=GOOD_PNG, image="/etc/passwd"), 400, "send the photo as image_url"),
        (_bad(image_base64="%%%not base64%%%"), 400, "not valid base64"),
        (_bad(image_base64=base64.b64encode(b"GIF89a....").decode()), 415, "JPEG, PNG or WEBP"),
        (_bad(image_base64=base64.b64encode(image_bytes("PNG")[:60]).decode()), 400, "could not be decoded"),
        (_bad(image_url="file:///etc/passwd"), 400, "http(s) URL"),
        (_bad(image_base64=GOOD_PNG, id="../../etc"), 400, "without '/'"),
        (_bad(image_base64=GOOD_PNG, price="cheap"), 400, "price must be a number"),
        (_bad(image_base64=GOOD_PNG, sizes=["S"]), 400, "unknown field(s) sizes"),
        ({"title": "No id", "image_base64": GOOD_PNG}, 400, "missing id"),
        ([], 400, "between 1 and 1000"),
        ([_bad(image_base64=GOOD_PNG)] * 2, 400, "same product id twice"),
        ([_bad(image_base64=GOOD_PNG, id=str(i)) for i in range(1001)], 400, "between 1 and 1000"),
        ("just a string", 400, "a product is a JSON object"),
    ],
)
def test_bad_submissions_change_nothing(
    client: FlaskClient,
    auth: Callable[..., dict[str, str]],
    store: EdgeStore,
    redis_client: redis.Redis,
    body: Any,
    status: int,
    message: str,
) -> None:
    response = client.post("/api/v1/products", json=body, headers=auth("ingest"))
    assert response.status_code == status, response.json
    assert message in response.json["message"]
    assert response.json["error"]
    from rq import Queue

    assert Queue("vitrine-ingest", connection=redis_client).count == 0
    assert store.count() == 10


def test_auth_and_content_type(client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    body = _bad(image_base64=GOOD_PNG)
    assert client.post("/api/v1/products", json=body).status_code == 401
    assert client.post("/api/v1/products", json=body, headers=auth("search")).status_code == 403
    response = client.post(
        "/api/v1/products",
        data="id=1",
        headers=auth("ingest"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert client.get("/api/v1/jobs", headers=auth("ingest")).status_code == 403
    assert client.get("/api/v1/jobs/nope", headers=auth("ingest")).status_code == 404


def test_failed_jobs_show_reasons_and_retry(
    client: FlaskClient,
    auth: Callable[..., dict[str, str]],
    drain: Callable[[], None],
) -> None:
    headers = auth("ingest", "admin")
    response = client.post(
        "/api/v1/products",
        headers=headers,
        json={"id": "U1", "title": "Unreachable", "image_url": "https://cdn.example/u1.jpg"},
    )
    job_id = response.json["jobs"][0]["id"]
    drain()
    status = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert status["status"] == "failed"
    assert "U1: cannot fetch image https://cdn.example/u1.jpg: no network in tests" in status["reason"]
    listing = client.get("/api/v1/jobs", headers=headers).json
    assert listing["counts"]["failed"] == 1 and listing["failed"][0]["id"] == job_id
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=headers).status_code == 202
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json["status"] == "queued"
    assert client.post("/api/v1/jobs/other/retry", headers=headers).status_code == 404


def test_patch_changes_payload_only(
    client: FlaskClient,
    auth: Callable[..., dict[str, str]],
    store: EdgeStore,
    catalog_entries: list[CatalogEntry],
) -> None:
    pid = catalog_entries[0].product.id
    headers = auth("ingest")
    before = store.get([pid], with_vectors=True)[0]
    response = client.patch(
        f"/api/v1/products/{pid}", json={"price": 19.99, "stock": 3, "occasion": "Party"}, headers=headers
    )
    assert response.status_code == 200, response.json
    after = store.get([pid], with_vectors=True)[0]
    assert (after.payload["price"], after.payload["stock"], after.payload["occasion"]) == (19.99, 3, "Party")
    np.testing.assert_array_equal(before.image, after.image)
    np.testing.assert_array_equal(before.text, after.text)
    for body, message in [
        ({"title": "x"}, "new POST /products"),
        ({"price": -1}, "non-negative"),
        ({"stock": 1.5}, "whole number"),
        ({}, "some of"),
        ({"price": float("inf")}, "finite"),
    ]:
        response = client.patch(f"/api/v1/products/{pid}", json=body, headers=headers)
        assert response.status_code == 400 and message in response.json["message"], (body, response.json)
    assert client.patch("/api/v1/products/missing", json={"price": 1}, headers=headers).status_code == 404
    assert store.get([pid])[0].payload["price"] == 19.99


def test_delete_also_cancels_a_queued_ingestion(
    client: FlaskClient,
    auth: Callable[..., dict[str, str]],
    drain: Callable[[], None],
    store: EdgeStore,
    catalog_entries: list[CatalogEntry],
    catalog_dir: Path,
) -> None:
    pid = catalog_entries[1].product.id
    headers = auth("ingest", "search")
    queued = client.post(
        "/api/v1/products",
        headers=headers,
        json={"id": pid, "title": "New version", "image_base64": _photo(catalog_dir, pid)},
    )
    assert client.delete(f"/api/v1/products/{pid}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/products/{pid}", headers=headers).status_code == 404
    drain()  # the older submission must not bring the product back
    job = client.get(f"/api/v1/jobs/{queued.json['jobs'][0]['id']}", headers=headers).json
    assert job["status"] == "finished" and job["result"]["products"] == {pid: "superseded"}
    assert store.get([pid]) == []
    assert client.delete(f"/api/v1/products/{pid}", headers=headers).status_code == 404


def test_a_client_sees_only_its_own_jobs_and_admins_see_all(
    client: FlaskClient, auth: Callable[..., dict[str, str]], catalog_dir: Path
) -> None:
    owner, other, admin = auth("ingest"), auth("ingest"), auth("ingest", "admin")
    body = {"id": "OWN1", "title": "Mine", "image_base64": _photo(catalog_dir, "10000")}
    job_id = client.post("/api/v1/products", json=body, headers=owner).json["jobs"][0]["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=owner).status_code == 200
    assert client.get(f"/api/v1/jobs/{job_id}", headers=other).status_code == 404  # for them, none
    assert client.get(f"/api/v1/jobs/{job_id}", headers=admin).json["product_ids"] == ["OWN1"]

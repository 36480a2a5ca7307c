"""POST /api/v1/search: text, uploads, filters, facets, pages, sorting."""

from __future__ import annotations

import io

import pytest
from api_test_helpers import image_bytes
from flask.testing import FlaskClient
from PIL import Image

from indexer import EdgeStore, parse_filters


def test_text_search_returns_ranked_products_with_breakdown_and_timings(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", json={"text": "blue shirt", "k": 5})
    assert response.status_code == 200, response.json
    body = response.json
    assert len(body["results"]) == 5
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    first = body["results"][0]
    assert {"s_image", "s_text", "alpha", "weights"} <= set(first["breakdown"])
    assert first["product"]["title"]
    assert {"encode_ms", "candidates_ms", "rerank_ms", "facets_ms", "total_ms"} <= set(body["timings"])
    assert body["page"] == {"k": 5, "offset": 0, "returned": 5, "next_offset": 5,
                            "total_matching": body["page"]["total_matching"]}


def test_facets_count_the_matching_set(client: FlaskClient, indexed_store: EdgeStore) -> None:
    response = client.post("/api/v1/search", json={"text": "shoes", "filters": {"gender": "men"}})
    assert response.status_code == 200, response.json
    body = response.json
    spec = parse_filters({"gender": "Men"})
    assert body["filters"] == {"gender": ["Men"]}
    assert body["facets"]["gender"] == {"Men": indexed_store.count(spec)}
    assert body["page"]["total_matching"] == indexed_store.count(spec)
    assert sum(body["facets"]["season"].values()) == indexed_store.count(spec)
    assert all(r["product"]["gender"] == "Men" for r in body["results"])


def test_multipart_upload_with_text_is_a_hybrid_search(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(image_bytes("JPEG")), "photo.jpg"), "text": "red top", "alpha": "0.3",
            "k": "3"}
    response = client.post("/api/v1/search", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    body = response.json
    assert len(body["results"]) == 3
    assert body["results"][0]["breakdown"]["alpha"] == 0.3


def test_image_only_upload_uses_alpha_one(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(image_bytes("WEBP")), "x.bin")}
    response = client.post("/api/v1/search", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["breakdown"]["alpha"] == 1.0


def test_pages_are_stable(client: FlaskClient) -> None:
    def ids(k: int, offset: int) -> list[str]:
        response = client.post("/api/v1/search", json={"text": "watch", "k": k, "offset": offset})
        assert response.status_code == 200, response.json
        return [r["id"] for r in response.json["results"]]

    assert ids(5, 0) + ids(5, 5) == ids(10, 0)


def test_sort_newest_reorders_the_relevant_matches(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", json={"text": "shirt", "k": 20, "sort": "newest"})
    assert response.status_code == 200, response.json
    years = [r["product"].get("year") for r in response.json["results"]]
    known = [y for y in years if y is not None]
    assert known == sorted(known, reverse=True)
    assert years[: len(known)] == known  # unknown years last


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ({"text": "x", "alpha": 1.5}, "bad_request", "alpha"),
        ({"text": "x", "alpha": -0.1}, "bad_request", "alpha"),
        ({"text": "x", "k": 0}, "bad_request", "k must be between"),
        ({"text": "x", "k": 101}, "bad_request", "k must be between"),
        ({"text": "x", "k": "5"}, "bad_request", "k must be"),
        ({"text": "x", "k": True}, "bad_request", "k must be"),
        ({"text": "x", "k": 2.5}, "bad_request", "k must be"),
        ({"text": "x", "offset": -1}, "bad_request", "offset"),
        ({"text": "x", "filters": {"colour_name": "Red"}}, "invalid_filter", "filterable fields are"),
        ({"text": "x", "filters": {"colour": "Chartreuse"}}, "invalid_filter", "valid values"),
        ({"text": "x", "filters": {"price": {"gte": 50, "lte": 10}}}, "invalid_filter", "empty"),
        ({"text": "x", "filters": ["colour"]}, "bad_request", "filters must be"),
        ({"text": "x", "sort": "cheapest"}, "bad_request", "sort must be one of"),
        ({"text": "x", "colour": "Red"}, "bad_request", "unknown field"),
        ({"image": "aGVsbG8="}, "bad_request", "multipart file"),
        ({"text": 5}, "bad_request", "text must be a string"),
        ({"text": "   "}, "bad_request", "needs text"),
        ({}, "bad_request", "needs text"),
        ({"text": "x" * 501}, "bad_request", "longer than"),
    ],
)
def test_bad_json_fields_are_400_with_a_message(client: FlaskClient, body: dict, code: str,
                                                needle: str) -> None:
    response = client.post("/api/v1/search", json=body)
    assert response.status_code == 400, response.json
    assert response.json["error"] == code
    assert needle in response.json["message"]


@pytest.mark.parametrize("raw", [b'{"text": "x", "alpha": NaN}', b'{"text": "x", "alpha": Infinity}',
                                 b'{"text": "x", "k": 1e999}'])
def test_non_finite_numbers_are_refused(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/v1/search", data=raw, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"] == "bad_request"


@pytest.mark.parametrize("raw", [
    b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe", b"[" * 50_000,
    b'{"text": "x", "filters": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
    b'{"text": "\\ud800 shirt"}',  # a lone surrogate
])
def test_malformed_json_bodies_are_400(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/v1/search", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json) == {"error", "message"}


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", data="text=shirt", content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"


def _upload(client: FlaskClient, payload: bytes, name: str = "photo.jpg", **fields: str):  # type: ignore[no-untyped-def]
    data: dict = {"image": (io.BytesIO(payload), name), **fields}
    return client.post("/api/v1/search", data=data, content_type="multipart/form-data")


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 Mpx in a few kB
    return out.getvalue()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 400, "bad_request"),  # PNG magic, garbage inside
        (image_bytes("JPEG", (200, 200))[:300], 400, "bad_request"),  # truncated JPEG
        (image_bytes("GIF"), 415, "unsupported_media_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "unsupported_media_type"),
        (b"<html><script>alert(1)</script></html>", 415, "unsupported_media_type"),
        (b"", 400, "bad_request"),
    ],
)
def test_bad_uploads_are_refused(client: FlaskClient, indexed_store: EdgeStore, payload: bytes,
                                 status: int, code: str) -> None:
    before = indexed_store.count()
    response = _upload(client, payload)
    assert response.status_code == status, response.json
    assert response.json["error"] == code
    assert indexed_store.count() == before


def test_decompression_bomb_is_refused(client: FlaskClient) -> None:
    payload = _bomb()
    assert len(payload) < 100_000
    response = _upload(client, payload, name="bomb.png")
    assert response.status_code == 400, response.json
    # Refused for its pixel count before decoding (Pillow's warning, made an error by the acceptance).
    assert response.json["message"] == (
        "the image could not be decoded: Image size (100000000 pixels) exceeds limit of "
        f"{Image.MAX_IMAGE_PIXELS} pixels, could be decompression bomb DOS attack."
    )


def test_polyglot_jpeg_with_a_trailing_payload_is_reencoded(client: FlaskClient) -> None:
    # A valid JPEG with an HTML/ZIP tail: it is used as a picture; the tail never goes further.
    payload = image_bytes("JPEG") + b"PK\x03\x04<html><script>alert(1)</script></html>"
    response = _upload(client, payload, name="x.html")
    assert response.status_code == 200, response.json


def test_oversize_upload_is_413(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(max_upload_bytes=2_000).test_client()
    response = _upload(client, image_bytes("PNG", (300, 300), "blue") + b"\x00" * 3000)
    assert response.status_code == 413, response.json
    assert response.json["error"] == "payload_too_large"


def test_oversize_json_body_is_413(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", data=b'{"text": "' + b"x" * 100_000 + b'"}',
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


def test_oversize_multipart_body_is_413_json(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(max_upload_bytes=1_000).test_client()
    response = _upload(client, b"\xff\xd8\xff" + b"\x00" * 200_000)
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_both_upload_and_url_is_400(client: FlaskClient) -> None:
    response = _upload(client, image_bytes(), image_url="https://example.com/a.jpg")
    assert response.status_code == 400
    assert "not both" in response.json["message"]


def test_an_empty_file_input_is_no_image(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(b""), ""), "text": "red shirt"}
    response = client.post("/api/v1/search", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["breakdown"]["alpha"] == 0.0


def test_sorted_pages_end_at_the_sort_pool(client: FlaskClient) -> None:
    body = client.post("/api/v1/search", json={"text": "shoes", "k": 50, "offset": 50, "sort": "newest"}).json
    assert body["page"]["next_offset"] is None
    response = client.post("/api/v1/search", json={"text": "shoes", "k": 10, "offset": 95, "sort": "newest"})
    assert response.status_code == 400
    assert "most relevant" in response.json["message"]

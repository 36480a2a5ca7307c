"""GET /products/{id}/image serves only photos in the media dir or in a folder a catalog import
registered, never whatever path a product's payload names (issue 20, item 3): a payload
pointing at /etc/passwd, a ``..`` path, a link out of a registered folder or one of its
subfolders is a 404 whose text names no server path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from api_test_helpers import SECRET, settle
from flask.testing import FlaskClient

from api.app import create_app
from encoder import Encoder
from indexer import EdgeStore, Settings
from indexer.catalog import CatalogEntry
from indexer.image_dirs import register_image_dirs
from settings.api import ApiSettings


@pytest.fixture
def served(
    indexed_data_dir: Path, encoder: Encoder, tmp_path: Path, redis_client: redis.Redis, redis_url: str,
    catalog_entries: list[CatalogEntry], monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[FlaskClient, EdgeStore, Path]]:
    """An app over a copy of the indexed store (whose import registered the catalog's folder),
    a media dir of its own, and the id of a product whose payload the test rewrites."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    media = tmp_path / "media"
    media.mkdir()
    monkeypatch.setenv("VITRINE_MEDIA_DIR", str(media))
    store = EdgeStore(data_dir)
    app = create_app(Settings(data_dir=data_dir), encoder=encoder, store=store, redis=redis_client,
                     api_settings=ApiSettings(redis_url=redis_url, jwt_secret=SECRET))
    try:
        yield app.test_client(), store, Path(catalog_entries[0].product.image)
        settle(app)
    finally:
        store.close()


def _image_at(client: FlaskClient, store: EdgeStore, product_id: str, source: str) -> tuple[int, bytes]:
    store.set_payload(product_id, {"image": source})
    response = client.get(f"/api/v1/products/{product_id}/image")
    data = response.data
    response.close()
    return response.status_code, data


def test_the_imported_catalog_photo_is_served_in_place(
    served: tuple[FlaskClient, EdgeStore, Path], catalog_entries: list[CatalogEntry],
) -> None:
    client, store, photo = served
    status, data = _image_at(client, store, catalog_entries[0].product.id, str(photo))
    assert status == 200
    assert data == photo.read_bytes()


@pytest.mark.parametrize("source", [
    "/etc/passwd",
    "/etc/hostname",
    "../../../../../../../../etc/passwd",
    "CATALOG/../../../../../../../etc/passwd",
    "CATALOG/../styles.csv",  # beside the photos, in the catalog folder itself
])
def test_a_payload_path_outside_the_registered_folders_is_404(
    served: tuple[FlaskClient, EdgeStore, Path], catalog_entries: list[CatalogEntry], source: str,
) -> None:
    client, store, photo = served
    source = source.replace("CATALOG", str(photo.parent))
    product_id = catalog_entries[0].product.id
    store.set_payload(product_id, {"image": source})
    response = client.get(f"/api/v1/products/{product_id}/image")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "/etc" not in body and str(photo.parent) not in body and "root:" not in body
    response.close()


def test_links_and_subfolders_of_a_registered_folder_are_refused(
    served: tuple[FlaskClient, EdgeStore, Path], catalog_entries: list[CatalogEntry], tmp_path: Path,
) -> None:
    client, store, photo = served
    product_id = catalog_entries[0].product.id
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_jpeg = outside / "secret.jpg"
    shutil.copyfile(photo, secret_jpeg)  # a real JPEG, so only the folder check can refuse it
    shop = tmp_path / "shop"
    (shop / "nested").mkdir(parents=True)
    shutil.copyfile(photo, shop / "ok.jpg")
    shutil.copyfile(photo, shop / "nested" / "deeper.jpg")
    (shop / "link.jpg").symlink_to(secret_jpeg)
    (shop / "passwd.jpg").symlink_to("/etc/passwd")
    register_image_dirs(store.data_dir, [str(shop / "ok.jpg")])  # as `vitrine index` would
    assert _image_at(client, store, product_id, str(shop / "ok.jpg"))[0] == 200  # registry re-read
    assert _image_at(client, store, product_id, str(shop / "link.jpg"))[0] == 404
    assert _image_at(client, store, product_id, str(shop / "passwd.jpg"))[0] == 404
    assert _image_at(client, store, product_id, str(shop / "nested" / "deeper.jpg"))[0] == 404
    assert _image_at(client, store, product_id, str(secret_jpeg))[0] == 404


def test_photos_in_the_media_dir_are_served(
    served: tuple[FlaskClient, EdgeStore, Path], catalog_entries: list[CatalogEntry], tmp_path: Path,
) -> None:
    client, store, photo = served
    stored = tmp_path / "media" / "0123abcd.jpg"
    shutil.copyfile(photo, stored)
    status, data = _image_at(client, store, catalog_entries[0].product.id, str(stored))
    assert status == 200 and data == photo.read_bytes()
    # Not a file of the media dir through a ``..`` that starts there.
    escape = str(tmp_path / "media" / ".." / "outside.jpg")
    shutil.copyfile(photo, tmp_path / "outside.jpg")
    status, _ = _image_at(client, store, catalog_entries[0].product.id, escape)
    assert status == 404

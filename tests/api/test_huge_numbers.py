"""Huge numbers in filters are a 400 naming the field, and no 5xx body carries exception text
(issue 20, item 6)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import redis
from api_test_helpers import SECRET, settle
from flask.testing import FlaskClient

from api.app import create_app
from encoder import Encoder
from indexer import Settings
from indexer.store.host import StoreHost
from indexer.store.remote import RemoteStore
from settings.api import ApiSettings

HUGE = 99999999999999999999999


@pytest.mark.parametrize(("filters", "field"), [
    ({"year": [HUGE]}, "year"),
    ({"year": [-HUGE]}, "year"),
    ({"year": {"gte": HUGE}}, "year"),
    ({"price": {"lte": 10**400}}, "price"),  # beyond what a float holds: OverflowError in float()
])
@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/shopper/search"])
def test_a_huge_number_in_a_filter_is_a_400_naming_the_field(
    client: FlaskClient, filters: dict[str, object], field: str, path: str
) -> None:
    response = client.post(path, json={"text": "watch", "filters": filters})
    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_filter"
    assert f"filter {field}" in response.json["message"]


def test_a_5xx_body_never_carries_exception_text(
    indexed_data_dir: Path, encoder: Encoder, tmp_path: Path, redis_client: redis.Redis, redis_url: str
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    socket_dir = Path(tempfile.mkdtemp(prefix="vh-"))
    host = StoreHost(data_dir, socket_dir / "store.sock")
    host.start()
    remote = RemoteStore(host.socket_path)
    try:
        app = create_app(Settings(), api_settings=ApiSettings(redis_url=redis_url, jwt_secret=SECRET),
                         encoder=encoder, store=remote, redis=redis_client)
        client = app.test_client()
        host.close()  # the store goes away under the app
        response = client.post("/api/v1/search", json={"text": "red shoes", "k": 2})
        assert response.status_code == 503
        message = response.json["message"]
        assert "Error" not in message and str(socket_dir) not in message and "store.sock" not in message
        assert message.startswith("the vector store is unavailable")
        settle(app)
    finally:
        host.close()
        remote.close()
        shutil.rmtree(socket_dir, ignore_errors=True)

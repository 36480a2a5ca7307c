"""Admission control: when every slot is busy, heavy requests are shed at once with 503 + Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


def test_full_server_sheds_with_retry_after(make_app: Callable[..., Flask]) -> None:
    app = make_app(max_in_flight=1, anonymous_in_flight=1, admission_wait_s=0.01)
    client = app.test_client()
    admission = app.extensions["vitrine.admission"]
    assert client.post("/api/v1/search", json={"text": "shirt"}).status_code == 200
    assert admission.enter(anonymous=True)  # someone else holds the only anonymous slot
    try:
        response = client.post("/api/v1/search", json={"text": "shirt"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json["error"] == "overloaded"
        # probes and light reads are never shed
        assert client.get("/health").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
        metrics = client.get("/metrics").get_data(as_text=True)
        assert 'vitrine_shed_total{endpoint="search.search"} 1.0' in metrics
    finally:
        admission.leave(anonymous=True)
    assert client.post("/api/v1/search", json={"text": "shirt"}).status_code == 200
    assert 'vitrine_in_flight 0.0' in client.get("/metrics").get_data(as_text=True)


def test_anonymous_callers_never_take_a_storefronts_slot(
    make_app: Callable[..., Flask], token: Callable[..., dict[str, Any]]
) -> None:
    app = make_app(max_in_flight=1, anonymous_in_flight=2, admission_wait_s=0.01)
    client = app.test_client()
    admission = app.extensions["vitrine.admission"]
    bearer = {"Authorization": f"Bearer {token('search')['access_token']}"}
    assert admission.enter(anonymous=True) and admission.enter(anonymous=True)  # anonymous pool full
    try:
        anonymous = client.post("/api/v1/search", json={"text": "shirt"})
        assert anonymous.status_code == 503 and "without a token" in anonymous.json["message"]
        assert client.post("/api/v1/search", json={"text": "shirt"}, headers=bearer).status_code == 200
        # a token that does not verify is nobody's: it waits with the anonymous callers
        forged = {"Authorization": "Bearer x.y.z"}
        assert client.post("/api/v1/search", json={"text": "shirt"}, headers=forged).status_code == 503
    finally:
        admission.leave(anonymous=True)
        admission.leave(anonymous=True)

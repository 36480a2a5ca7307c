"""Admission control: when every slot is busy, heavy requests are shed at once with 503 + Retry-After."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def test_full_server_sheds_with_retry_after(make_app: Callable[..., Flask]) -> None:
    app = make_app(max_in_flight=1, admission_wait_s=0.01)
    client = app.test_client()
    admission = app.extensions["vitrine.admission"]
    assert client.post("/api/v1/search", json={"text": "shirt"}).status_code == 200
    assert admission.enter()  # someone else holds the only slot
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
        admission.leave()
    assert client.post("/api/v1/search", json={"text": "shirt"}).status_code == 200
    assert 'vitrine_in_flight 0.0' in client.get("/metrics").get_data(as_text=True)

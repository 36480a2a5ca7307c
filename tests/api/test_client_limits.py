"""Per-client rate limits: a storefront backend gets its own limit, set from the command line
or the admin API, enforced for its tokens; other clients keep the conservative default."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from api.client_limits import ClientLimits
from api.clients import create_client, list_clients, parse_rate_limit, set_rate_limit
from cli.main import cli


def _bearer(client: FlaskClient, client_id: str, secret: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"client_id": client_id, "client_secret": secret})
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}  # type: ignore[index]


def _until_limited(client: FlaskClient, headers: dict[str, str], most: int) -> int:
    """How many requests pass before the first 429 (at most ``most``)."""
    for passed in range(most):
        response = client.get("/api/v1/products/10003", headers=headers)
        if response.status_code == 429:
            return passed
        assert response.status_code == 200, response.json
    return most


def test_a_client_with_its_own_limit_gets_it_and_others_keep_the_default(
    make_app: Callable[..., Flask], redis_client: redis.Redis
) -> None:
    client = make_app(rate_limit="3/minute").test_client()
    backend = create_client(redis_client, ("search",), "storefront backend", parse_rate_limit("8/minute"))
    plain = create_client(redis_client, ("search",), "someone else")
    backend_headers, plain_headers = _bearer(client, *backend), _bearer(client, *plain)
    assert _until_limited(client, backend_headers, 20) == 8
    assert _until_limited(client, plain_headers, 20) == 3
    limited = client.get("/api/v1/products/10003", headers=backend_headers)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_a_changed_limit_applies_once_the_cache_expires(
    make_app: Callable[..., Flask], redis_client: redis.Redis
) -> None:
    app = make_app(rate_limit="2/minute")
    app.extensions["vitrine_client_limits"] = ClientLimits(ttl_s=0)  # read Redis on every request
    client = app.test_client()
    client_id, secret = create_client(redis_client, ("search",))
    headers = _bearer(client, client_id, secret)
    assert _until_limited(client, headers, 10) == 2
    assert set_rate_limit(redis_client, client_id, parse_rate_limit("5/minute"))
    # The new limit is its own window: five more pass.
    assert _until_limited(client, headers, 10) == 5
    assert not set_rate_limit(redis_client, "vc_nobody", "5/minute")


def test_admin_api_creates_and_lists_clients_with_their_limits(
    client: FlaskClient, token: Callable[..., dict[str, Any]]
) -> None:
    headers = {"Authorization": f"Bearer {token('admin')['access_token']}"}
    made = client.post("/api/v1/admin/clients", headers=headers,
                       json={"scopes": ["search"], "name": "shop", "rate_limit": "6000 per minute"})
    assert made.status_code == 201 and made.json["rate_limit"] == "6000/minute"
    listed = {c["client_id"]: c for c in client.get("/api/v1/admin/clients", headers=headers).json["clients"]}
    assert listed[made.json["client_id"]]["rate_limit"] == "6000/minute"
    bad = client.post("/api/v1/admin/clients", headers=headers,
                      json={"scopes": ["search"], "rate_limit": "lots"})
    assert bad.status_code == 400 and "6000/minute" in bad.json["message"]


@pytest.mark.parametrize("text", ["lots", "0/minute", "1/second;2/minute", "5/fortnight"])
def test_bad_limits_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="6000/minute"):
        parse_rate_limit(text)


def test_cli_sets_shows_and_changes_a_clients_limit(redis_url: str, redis_client: redis.Redis) -> None:
    env = {"VITRINE_REDIS_URL": redis_url}

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env=env)
        return result.exit_code, result.output

    code, out = run("clients", "create", "--name", "shop", "--rate-limit", "6000/minute", "--json")
    assert code == 0, out
    client_id = json.loads(out)["client_id"]
    code, out = run("clients", "list")
    assert code == 0 and client_id in out and "6000/minute" in out
    code, out = run("clients", "update", client_id, "--rate-limit", "50/second")
    assert code == 0 and "50/second" in out
    assert [c["rate_limit"] for c in list_clients(redis_client)] == ["50/second"]
    code, out = run("clients", "update", client_id, "--rate-limit", "default")
    assert code == 0 and [c["rate_limit"] for c in list_clients(redis_client)] == [""]
    code, out = run("clients", "create", "--rate-limit", "fast")
    assert code == 2 and "6000/minute" in out
    code, out = run("clients", "update", "vc_nobody", "--rate-limit", "1/second")
    assert code == 1 and "no client 'vc_nobody'" in out

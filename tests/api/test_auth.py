"""Client credentials, tokens, scopes, refresh and revocation."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import redis
from api_test_helpers import SECRET
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from api.clients import verify_client
from cli.main import cli

SEARCH = {"text": "shirt", "k": 2}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_exchange_and_authenticated_search(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("search")
    assert set(pair) >= {"access_token", "refresh_token", "expires_in"}
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(pair["access_token"]))
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("body", [
    {"client_id": "vc_unknown", "client_secret": "nope"},
    {"client_id": "", "client_secret": ""},
])
def test_bad_credentials_are_401(client: FlaskClient, body: dict) -> None:
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code in (400, 401)
    assert response.json["error"] in ("unauthorized", "bad_request")


def test_wrong_secret_is_401(client: FlaskClient, new_client: Callable[..., tuple[str, str]]) -> None:
    client_id, secret = new_client("search")
    response = client.post("/api/v1/auth/token", json={"client_id": client_id, "client_secret": secret + "x"})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_secrets_are_stored_hashed(redis_client: Any, new_client: Callable[..., tuple[str, str]]) -> None:
    client_id, secret = new_client("search")
    stored = b"".join(redis_client.hvals(f"vitrine:client:{client_id}"))
    assert secret.encode() not in stored
    assert verify_client(redis_client, client_id, secret) is not None


def test_no_token_is_401_when_anonymous_search_is_off(make_app: Callable[..., Flask]) -> None:
    client = make_app(anonymous_search=False).test_client()
    response = client.post("/api/v1/search", json=SEARCH)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def _forge(claims: dict[str, Any], secret: str = SECRET, alg: str = "HS256") -> str:
    now = int(time.time())
    base = {"iss": "vitrine", "sub": "vc_x", "iat": now, "nbf": now, "exp": now + 60, "jti": "j",
            "typ": "access", "scope": "search"}
    return jwt.encode({**base, **claims}, secret, algorithm=alg)


@pytest.mark.parametrize("token_value", [
    _forge({"exp": int(time.time()) - 10, "iat": int(time.time()) - 100, "nbf": int(time.time()) - 100}),
    _forge({}, secret="another-secret-" + "y" * 40),
    _forge({"iss": "someone-else"}),
    "not.a.jwt",
    jwt.encode({"sub": "vc_x", "typ": "access", "scope": "search"}, "", algorithm="none"),
])
def test_expired_forged_and_malformed_tokens_are_401(client: FlaskClient, token_value: str) -> None:
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(token_value))
    assert response.status_code == 401, response.json
    assert response.json["error"] == "unauthorized"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer  ", "token abc"])
def test_malformed_authorization_header_is_401(client: FlaskClient, header: str) -> None:
    response = client.post("/api/v1/search", json=SEARCH, headers={"Authorization": header})
    assert response.status_code == 401


def test_wrong_scope_is_403(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("ingest")
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(pair["access_token"]))
    assert response.status_code == 403
    assert "search" in response.json["message"]


def test_refresh_token_is_not_an_access_token(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("search")
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(pair["refresh_token"]))
    assert response.status_code == 401
    assert "refresh" in response.json["message"]


def test_access_token_is_not_a_refresh_token(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("search")
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert response.status_code == 401


def test_refresh_rotates_and_is_single_use(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("search")
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200, first.json
    assert first.headers["Cache-Control"] == "no-store"
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(first.json["access_token"]))
    assert response.status_code == 200


def test_revoked_tokens_are_refused(client: FlaskClient, token: Callable[..., dict]) -> None:
    pair = token("search")
    response = client.post("/api/v1/auth/revoke", json={"refresh_token": pair["refresh_token"]},
                           headers=bearer(pair["access_token"]))
    assert response.status_code == 200, response.json
    assert response.json == {"revoked": 2}
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(pair["access_token"]))
    assert response.status_code == 401
    assert "revoked" in response.json["message"]
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 401


def test_revoke_without_token_is_401(client: FlaskClient) -> None:
    assert client.post("/api/v1/auth/revoke").status_code == 401


def test_token_endpoint_needs_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", data="client_id=a&client_secret=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_cli_creates_a_client_that_can_get_a_token(client: FlaskClient, redis_client: Any, redis_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITRINE_REDIS_URL", redis_url)
    result = CliRunner().invoke(cli, ["clients", "create", "--scopes", "search,admin", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert set(created) == {"client_id", "client_secret"}
    response = client.post("/api/v1/auth/token", json=created)
    assert response.status_code == 200
    assert response.json["scope"] == "search admin"


def test_cli_lists_and_deletes_clients(
    redis_client: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_REDIS_URL", redis_url)
    runner = CliRunner()
    created = json.loads(runner.invoke(cli, ["clients", "create", "--name", "shop", "--json"]).output)
    listed = json.loads(runner.invoke(cli, ["clients", "list", "--json"]).output)
    rows = [(c["client_id"], c["scopes"], c["name"]) for c in listed]
    assert rows == [(created["client_id"], "search", "shop")]
    assert created["client_secret"] not in json.dumps(listed)
    assert runner.invoke(cli, ["clients", "delete", created["client_id"]]).exit_code == 0
    assert verify_client(redis_client, created["client_id"], created["client_secret"]) is None
    assert runner.invoke(cli, ["clients", "delete", created["client_id"]]).exit_code != 0


def test_cli_refuses_unknown_scopes(
    redis_client: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_REDIS_URL", redis_url)
    result = CliRunner().invoke(cli, ["clients", "create", "--scopes", "search,root"])
    assert result.exit_code != 0
    assert "search, ingest, admin" in result.output


def test_exact_search_needs_the_admin_scope(client: FlaskClient, token: Callable[..., dict]) -> None:
    body = {**SEARCH, "exact": True}
    assert client.post("/api/v1/search", json=body).status_code == 403
    search_only = bearer(token("search")["access_token"])
    assert client.post("/api/v1/search", json=body, headers=search_only).status_code == 403
    admin = bearer(token("search", "admin")["access_token"])
    assert client.post("/api/v1/search", json=body, headers=admin).status_code == 200


def test_a_valid_token_still_searches_while_redis_is_down(
    make_app: Callable[..., Flask], token: Callable[..., dict]
) -> None:
    access = token("search")["access_token"]  # issued while Redis is up
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    client = make_app(redis=dead, redis_url="redis://127.0.0.1:1/0").test_client()
    response = client.post("/api/v1/search", json=SEARCH, headers=bearer(access))
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("raw", [b"{", b"[" * 50_000, b"[]", b'{"client_id": 1, "client_secret": "x"}'])
def test_malformed_token_requests_are_400(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"

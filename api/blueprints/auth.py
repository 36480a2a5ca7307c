"""POST /auth/token, /auth/refresh and /auth/revoke (client credentials -> JWT pair)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import Blueprint, jsonify, request

from api.auth import principal
from api.bodies import json_body
from api.clients import get_client, verify_client
from api.context import state
from api.errors import BadRequest, ServiceUnavailable, Unauthorized, UnsupportedMediaType
from api.tokens import Claims, TokenError, use_once
from api.tokens import revoke as revoke_token

bp = Blueprint("auth", __name__)
T = TypeVar("T")


def _json(*required: str, optional: tuple[str, ...] = ()) -> dict[str, str]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body (Content-Type: application/json)")
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    allowed = set(required) | set(optional)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name]:
            raise BadRequest(f"{name} is required and must be a string")
    for name in optional:
        if name in body and not isinstance(body[name], str):
            raise BadRequest(f"{name} must be a string")
    return body


def _redis(fn: Callable[[redis.Redis], T]) -> T:
    """Auth state lives in Redis: without it, tokens cannot be issued or revoked safely."""
    st = state()
    try:
        return fn(st.redis)
    except redis.RedisError as e:
        st.metrics.redis_errors.labels(operation="auth").inc()
        raise ServiceUnavailable("authentication storage is unavailable; try again shortly") from e


def _no_store(body: dict[str, Any]) -> Any:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/auth/token")
def token() -> Any:
    """Exchange client credentials for an access and a refresh token."""
    body = _json("client_id", "client_secret")
    client = _redis(lambda r: verify_client(r, body["client_id"], body["client_secret"]))
    if client is None:
        raise Unauthorized("unknown client or wrong secret")
    return _no_store(state().tokens.issue(client.client_id, client.scopes))


@bp.post("/auth/refresh")
def refresh() -> Any:
    """Trade a refresh token (single use) for a new pair; the client's current scopes apply."""
    body = _json("refresh_token")
    st = state()
    try:
        claims = st.tokens.decode(body["refresh_token"], "refresh")
    except TokenError as e:
        raise Unauthorized(str(e)) from e
    if not _redis(lambda r: use_once(r, claims)):
        raise Unauthorized("the refresh token has been used or revoked")
    client = _redis(lambda r: get_client(r, claims.subject))
    if client is None:
        raise Unauthorized("the client no longer exists")
    return _no_store(st.tokens.issue(client.client_id, client.scopes))


@bp.post("/auth/revoke")
def revoke() -> Any:
    """Revoke the calling access token and, if given, a refresh token of the same client."""
    who = principal()
    if who.anonymous or who.jti is None or who.expires_at is None:
        raise Unauthorized("revoking needs the bearer access token to revoke")
    body = _json(optional=("refresh_token",)) if request.content_length else {}
    st = state()
    refresh_claims = None
    if body.get("refresh_token"):
        try:
            refresh_claims = st.tokens.decode(body["refresh_token"], "refresh")
        except TokenError as e:
            raise BadRequest(f"refresh_token: {e}") from e
        if refresh_claims.subject != who.subject:
            raise BadRequest("refresh_token belongs to another client")
    access = Claims(who.subject or "", who.scopes, "access", who.jti, who.expires_at)
    _redis(lambda r: revoke_token(r, access))
    if refresh_claims is not None:
        _redis(lambda r: revoke_token(r, refresh_claims))
    return _no_store({"revoked": 2 if refresh_claims else 1})

"""Storefront clients: ids, secrets (stored hashed) and scopes, kept in Redis.

Secrets are 256 random bits made here, never chosen by people, so a salted SHA-256
is as strong as a slow password hash against guessing, and keeps token exchange fast.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import redis
from limits import parse_many

SCOPES = ("search", "ingest", "admin")
KEY = "vitrine:client:{}"


@dataclass(frozen=True)
class Client:
    client_id: str
    scopes: tuple[str, ...]


def parse_scopes(text: str) -> tuple[str, ...]:
    """``"search,ingest"`` -> ("search", "ingest").

    Raises:
        ValueError: an unknown or missing scope (the message lists the valid ones).
    """
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes must be a comma-separated subset of {', '.join(SCOPES)}; got {text!r}")
    return scopes


def parse_rate_limit(text: str) -> str:
    """A client's own limit, ``"6000/minute"`` (or any one limit flask-limiter reads, such as
    ``"100 per second"``), normalised; ``""`` means the server's default (VITRINE_RATE_LIMIT).

    Raises:
        ValueError: text that is not exactly one rate limit.
    """
    text = text.strip()
    if not text:
        return ""
    try:
        items = parse_many(text)
    except ValueError as e:
        raise ValueError(f"a rate limit looks like 6000/minute or 100/second; got {text!r}") from e
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(f"give one rate limit such as 6000/minute; got {text!r}")
    unit = items[0].GRANULARITY.name
    return f"{items[0].amount}/{items[0].multiples} {unit}" if items[0].multiples > 1 else (
        f"{items[0].amount}/{unit}")


def _hash(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def create_client(r: redis.Redis, scopes: tuple[str, ...], name: str = "",
                  rate_limit: str = "") -> tuple[str, str]:
    """Register a client; returns ``(client_id, client_secret)``. The secret is not stored.
    ``rate_limit``: this client's own limit (checked by ``parse_rate_limit``), "" for the default."""
    client_id = "vc_" + secrets.token_urlsafe(12)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    r.hset(KEY.format(client_id), mapping={
        "secret_sha256": _hash(secret, salt),
        "salt": salt,
        "scopes": ",".join(scopes),
        "name": name,
        "created": str(int(time.time())),
        "rate_limit": rate_limit,
    })
    return client_id, secret


def set_rate_limit(r: redis.Redis, client_id: str, rate_limit: str) -> bool:
    """Give a client its own limit ("" = the server's default); False if there is no such client."""
    key = KEY.format(client_id)
    if not client_id or len(client_id) > 100 or not r.exists(key):
        return False
    r.hset(key, "rate_limit", rate_limit)
    return True


def client_rate_limit(r: redis.Redis, client_id: str) -> str:
    """The client's own limit, "" when it has none (or does not exist)."""
    value = r.hget(KEY.format(client_id), "rate_limit")
    return value.decode() if value else ""


def get_client(r: redis.Redis, client_id: str) -> Client | None:
    """The client, or None if it does not exist (or was deleted)."""
    if not client_id or len(client_id) > 100:
        return None
    scopes = r.hget(KEY.format(client_id), "scopes")
    if scopes is None:
        return None
    return Client(client_id, tuple(s for s in scopes.decode().split(",") if s))


def verify_client(r: redis.Redis, client_id: str, secret: str) -> Client | None:
    """The client if ``secret`` is its secret, else None (same answer for unknown ids)."""
    if not client_id or len(client_id) > 100 or len(secret) > 200:
        return None
    stored = r.hmget(KEY.format(client_id), ["secret_sha256", "salt", "scopes"])
    if stored[0] is None or stored[1] is None:
        # Hash anyway so an unknown id costs what a known one does (no timing oracle).
        _hash(secret, "0" * 32)
        return None
    if not hmac.compare_digest(_hash(secret, stored[1].decode()), stored[0].decode()):
        return None
    return Client(client_id, tuple(s for s in (stored[2] or b"").decode().split(",") if s))


def delete_client(r: redis.Redis, client_id: str) -> bool:
    """Remove a client; its refresh tokens stop working at their next use."""
    return bool(r.delete(KEY.format(client_id)))


def list_clients(r: redis.Redis) -> list[dict[str, str]]:
    """Every client's id, scopes, name, creation time and own rate limit ("" = the default);
    never a secret or its hash."""
    out = []
    for key in r.scan_iter(KEY.format("*")):
        data = r.hmget(key, ["scopes", "name", "created", "rate_limit"])
        client_id = key.decode().removeprefix(KEY.format(""))
        out.append({"client_id": client_id, "scopes": (data[0] or b"").decode(),
                    "name": (data[1] or b"").decode(), "created": (data[2] or b"").decode(),
                    "rate_limit": (data[3] or b"").decode()})
    return sorted(out, key=lambda c: (c["created"], c["client_id"]))

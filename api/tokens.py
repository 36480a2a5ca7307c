"""JWT access and refresh tokens (HS256), and the Redis blocklist of revoked ones.

An access token is short-lived and carries the client's scopes; a refresh token
lives longer, carries no scopes, is single-use (each refresh revokes it and issues
a new pair) and is refused wherever an access token is expected.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt
import redis

from errors import VitrineError

ISSUER = "vitrine"
ALGORITHM = "HS256"
BLOCK_KEY = "vitrine:revoked:{}"
TokenType = Literal["access", "refresh"]


class TokenError(VitrineError):
    """A token that is malformed, badly signed, expired, or of the wrong type."""


@dataclass(frozen=True)
class Claims:
    subject: str
    scopes: tuple[str, ...]
    type: TokenType
    jti: str
    expires_at: int


class TokenIssuer:
    """Signs and checks tokens with one secret."""

    def __init__(self, secret: str, access_ttl_s: int, refresh_ttl_s: int) -> None:
        self._secret = secret
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    def issue(self, subject: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """A new access + refresh pair, as the token endpoint returns it."""
        return {
            "access_token": self._encode(subject, "access", self.access_ttl_s, scopes),
            "refresh_token": self._encode(subject, "refresh", self.refresh_ttl_s, ()),
            "token_type": "Bearer",
            "expires_in": self.access_ttl_s,
            "scope": " ".join(scopes),
        }

    def _encode(self, subject: str, kind: TokenType, ttl_s: int, scopes: tuple[str, ...]) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER, "sub": subject, "iat": now, "nbf": now, "exp": now + ttl_s,
            "jti": secrets.token_urlsafe(16), "typ": kind,
        }
        if kind == "access":
            claims["scope"] = " ".join(scopes)
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, expected: TokenType) -> Claims:
        """Check signature, expiry, issuer and type.

        Raises:
            TokenError: with a message a client developer can act on.
        """
        if len(token) > 4096:
            raise TokenError("the token is too long")
        try:
            data = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "iss"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise TokenError("the token has expired") from e
        except jwt.InvalidTokenError as e:
            raise TokenError("the token is invalid") from e
        kind = data.get("typ")
        if kind != expected:
            raise TokenError(f"a {kind} token was given where a {expected} token is required")
        scopes = tuple(str(data.get("scope", "")).split()) if kind == "access" else ()
        return Claims(str(data["sub"]), scopes, kind, str(data["jti"]), int(data["exp"]))


def revoke(r: redis.Redis, claims: Claims) -> None:
    """Block a token until it would have expired anyway."""
    ttl = max(1, claims.expires_at - int(time.time()))
    r.set(BLOCK_KEY.format(claims.jti), b"1", ex=ttl)


def is_revoked(r: redis.Redis, jti: str) -> bool:
    return bool(r.exists(BLOCK_KEY.format(jti)))


def use_once(r: redis.Redis, claims: Claims) -> bool:
    """Revoke a refresh token atomically; False if it was already used or revoked, so two
    concurrent refreshes with one token cannot both succeed."""
    ttl = max(1, claims.expires_at - int(time.time()))
    return bool(r.set(BLOCK_KEY.format(claims.jti), b"1", ex=ttl, nx=True))

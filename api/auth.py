"""Who is calling: the bearer token of a request, scope checks, and the rate-limit key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from api.client_limits import client_limits
from api.context import state
from api.errors import Forbidden, Unauthorized
from api.tokens import TokenError, is_revoked

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """The caller: a client (token subject) with scopes, or anonymous."""

    subject: str | None
    scopes: tuple[str, ...]
    jti: str | None = None
    expires_at: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.subject is None


ANONYMOUS = Principal(None, ())


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``, None when there is no such header.

    Raises:
        Unauthorized: an Authorization header that is not a bearer token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <access token>'")
    return token.strip()


def _resolve() -> Principal:
    token = bearer_token()
    if token is None:
        return ANONYMOUS
    st = state()
    try:
        claims = st.tokens.decode(token, "access")
    except TokenError as e:
        raise Unauthorized(str(e)) from e
    # With Redis down the blocklist cannot be read; access tokens are short-lived, so
    # search keeps working (fail open) and /ready reports the degraded mode.
    if st.guard.call("blocklist", lambda r: is_revoked(r, claims.jti), False):
        raise Unauthorized("the token has been revoked")
    return Principal(claims.subject, claims.scopes, claims.jti, claims.expires_at)


def principal() -> Principal:
    """The caller of this request (computed once per request).

    Raises:
        Unauthorized: a token was sent and it is not a valid, unrevoked access token.
    """
    if "vitrine_principal" not in g:
        try:
            g.vitrine_principal = _resolve()
        except Unauthorized as e:
            g.vitrine_principal = e
    found = g.vitrine_principal
    if isinstance(found, Unauthorized):
        raise found
    return found


def rate_limit_key() -> str:
    """Per client when authenticated, per IP otherwise (bad tokens count against the IP)."""
    try:
        who = principal()
    except Unauthorized:
        who = ANONYMOUS
    if who.subject is not None:
        return f"client:{who.subject}"
    return f"ip:{request.remote_addr or 'unknown'}"


def current_limit() -> str:
    """The limit string for this request: anonymous callers get the lower one, a client with
    its own limit (``vitrine clients update --rate-limit``) that one."""
    st = state()
    try:
        who = principal()
    except Unauthorized:
        who = ANONYMOUS
    if who.subject is None:
        return st.api.anonymous_rate_limit
    return client_limits().limit(st.redis, who.subject, st.api.rate_limit)


def require_scope(scope: str, *, anonymous_ok: bool = False) -> Callable[[F], F]:
    """Refuse callers without ``scope`` (401 without a token, 403 with the wrong scope).

    ``anonymous_ok``: callers without a token pass when anonymous search is enabled.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = principal()
            if who.anonymous:
                if anonymous_ok and state().api.anonymous_search:
                    return view(*args, **kwargs)
                raise Unauthorized("this endpoint needs a bearer access token; get one at /api/v1/auth/token")
            if scope not in who.scopes:
                raise Forbidden(f"this endpoint needs the {scope!r} scope; the token has "
                                f"{', '.join(who.scopes) or 'none'}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

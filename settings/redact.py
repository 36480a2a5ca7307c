"""Connection URLs as they may be shown: in messages, logs and `vitrine doctor` output."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def masked_url(url: str) -> str:
    """``url`` with its password (``redis://:secret@host``, ``redis://user:secret@host``)
    replaced by ``***``; the user, host, port and database stay, as they help find the fault."""
    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:  # an unparsable port, say: show nothing after the scheme
        return url.split("://", 1)[0] + "://***"
    if not password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc))

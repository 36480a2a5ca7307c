"""The merchandising error: a malformed event, rule or experiment (a QueryError, so the API
answers 400 with the message, like every other malformed request)."""

from __future__ import annotations

from indexer.errors import QueryError


class MerchError(QueryError):
    """An event, rule or experiment a caller sent is invalid; the message says what is valid."""

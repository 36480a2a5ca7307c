"""Errors the HTTP layer raises, and the one handler that turns every error into JSON.

    ApiError                    (each carries ``status_code`` and a short ``code``)
     +-- BadRequest             malformed body or parameter (400)
     +-- Unauthorized           missing, expired, revoked or wrong kind of token (401)
     +-- Forbidden              a valid token without the scope the endpoint needs (403)
     +-- PayloadTooLarge        an upload or fetched image over the cap (413)
     +-- UnsupportedMediaType   a body or image type the endpoint does not take (415)
     +-- ServiceUnavailable     Redis or the store is down for an operation that needs it (503)

Errors from the search core (``indexer.errors``) carry their own ``status_code``;
the handler maps them to codes here so that the core needs no HTTP knowledge.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from encoder import EncoderError, ImageDecodeError
from errors import VitrineError
from indexer.errors import (
    BadImage,
    FetchFailed,
    FilterError,
    ImageTooLarge,
    IndexerError,
    ModelMismatchError,
    NotFoundError,
    QueryError,
    StoreError,
    UnsafeUrl,
    UnsupportedImage,
)

log = logging.getLogger(__name__)


class ApiError(VitrineError):
    """Base class: an error with an HTTP status and a machine-readable code."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="vitrine"'})


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"


# Most specific first: ModelMismatchError is a StoreError.
_CORE_CODES: list[tuple[type[Exception], str, int]] = [
    (FilterError, "invalid_filter", 400),
    # The search service checks requests once for every caller, in the words of a bad request.
    (QueryError, "bad_request", 400),
    (UnsafeUrl, "unsafe_url", 400),
    (FetchFailed, "fetch_failed", 422),
    (ImageTooLarge, "payload_too_large", 413),
    (UnsupportedImage, "unsupported_media_type", 415),
    (BadImage, "bad_request", 400),
    (NotFoundError, "not_found", 404),
    (ModelMismatchError, "model_mismatch", 409),
    (StoreError, "store_unavailable", 503),
    (IndexerError, "internal_error", 500),
    (ImageDecodeError, "invalid_image", 400),
    (EncoderError, "encoder_error", 500),
]


_SERVER_SIDE = {
    "store_unavailable": "the vector store is unavailable; retry shortly (the cause is logged)",
    "encoder_error": "the model failed to encode the query (the cause is logged)",
    "internal_error": "the server failed to answer; this is logged",
}


def _server_side(code: str) -> str:
    return _SERVER_SIDE.get(code, _SERVER_SIDE["internal_error"])


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """The JSON body every error uses: ``{"error": code, "message": ...}``."""
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register_error_handlers(app: Flask) -> None:
    """Make every error, expected or not, a JSON response with the right status."""

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Response:
        return error_response(e.status_code, e.code, e.message, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        status = e.code or 500
        message = e.description or e.name
        if status == 413:
            message = "the request body is larger than this API accepts"
        headers = {}
        if status == 405 and e.get_response().headers.get("Allow"):
            headers["Allow"] = e.get_response().headers["Allow"]
        return error_response(status, _snake(e.name), message, headers)

    @app.errorhandler(Exception)
    def _any_error(e: Exception) -> Response:
        for kind, code, status in _CORE_CODES:
            if isinstance(e, kind):
                if status >= 500:
                    # What failed inside stays in the log: exception text can name hosts,
                    # paths and internals, so a 5xx body says only what kind of failure it was.
                    log.error("%s: %s", code, e, exc_info=e)
                    return error_response(status, code, _server_side(code))
                # Messages of core errors are written for the caller (they name valid values).
                return error_response(status, code, str(e).replace("<bytes>", "the image"))
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return error_response(500, "internal_error", "the server failed to answer; this is logged")

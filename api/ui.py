"""The web UI: plain HTML, CSS and ES modules from ``api/static``, no build step, no CDN.

GET /            the storefront search page
GET /admin       the admin dashboard
GET /assets/...  the scripts, styles and icons (everything the pages load)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, send_from_directory

STATIC = Path(__file__).parent / "static"
ASSET_MAX_AGE_S = 300  # short: assets are not fingerprinted, and a deploy should show quickly

bp = Blueprint("ui", __name__, static_folder=str(STATIC), static_url_path="/assets")
bp.get_send_file_max_age = lambda filename: ASSET_MAX_AGE_S  # type: ignore[method-assign]


def _page(name: str) -> Any:
    response = send_from_directory(STATIC, name, mimetype="text/html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def index() -> Any:
    return _page("index.html")


@bp.get("/admin")
def admin() -> Any:
    return _page("admin.html")


@bp.get("/favicon.ico")
def favicon() -> Any:
    return send_from_directory(STATIC, "icon.svg", mimetype="image/svg+xml", max_age=ASSET_MAX_AGE_S)

"""Ingestion over HTTP: POST/PATCH/DELETE /products and the job endpoints; the embedded worker.

POST   /api/v1/products              one product or a list (<= 1000), 202 with job ids
GET    /api/v1/jobs/{id}             {"status": queued|started|finished|failed, ...}
GET    /api/v1/jobs                  counts, and failed jobs with reasons (admin)
POST   /api/v1/jobs/{id}/retry       re-queue a failed job (admin)
PATCH  /api/v1/products/{id}         price, stock, occasion: payload only, no re-embedding
DELETE /api/v1/products/{id}         remove the product
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import math
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from api.auth import principal, require_scope
from api.context import state
from api.errors import BadRequest, ServiceUnavailable, UnsupportedMediaType
from api.params import parse_json
from encoder import MAX_PIXELS
from indexer import NotFoundError, Product
from indexer.catalog import build_product
from indexer.errors import MediaError
from indexer.media import accept_image
from indexer.schema import PRODUCT_FIELDS, bool_twins
from workers import Ingestion, QueueSettings, build_context, start_thread_worker
from workers.jobs import remove_product

log = logging.getLogger(__name__)
bp = Blueprint("ingest", __name__)

EXTENSION = "vitrine.ingestion"
MAX_PRODUCTS = 1000
MAX_ID = 100
PATCHABLE = {"price", "stock", "in_stock", "availability", "occasion"}
AVAILABILITY = {"in stock": True, "out of stock": False, "preorder": True, "backorder": True}
IMAGE_FIELDS = ("image_url", "image_base64")


def ingestion() -> Ingestion:
    """The app's producer side of the queue (built on first use)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = Ingestion(state().redis, QueueSettings.from_env(collection=state().settings.collection))
        current_app.extensions[EXTENSION] = found
    return found


def _store_image(data: bytes, media_dir: Path) -> str:
    """Check an uploaded image, re-encode it (dropping anything that rode along), store it
    under its content hash, and return the name the worker will read."""
    image = accept_image(data, state().api.max_upload_bytes, MAX_PIXELS)
    name = f"{image.digest[:40]}.jpg"
    target = media_dir / name
    if not target.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        image.image.save(buffer, format="JPEG", quality=92)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
    return name


def _product(raw: Any, where: str, upload: bytes | None, media_dir: Path) -> Product:
    if not isinstance(raw, dict):
        raise BadRequest(f"{where}: a product is a JSON object")
    fields = dict(raw)
    sources = [k for k in IMAGE_FIELDS if fields.get(k) is not None] + (["image file"] if upload else [])
    if "image" in fields:
        raise BadRequest(f"{where}: send the photo as image_url, image_base64 or a multipart image file")
    if len(sources) != 1:
        raise BadRequest(f"{where}: give exactly one of image_url, image_base64 or an image file part")
    url = fields.pop("image_url", None)
    encoded = fields.pop("image_base64", None)
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2048:
            raise BadRequest(f"{where}: image_url must be an http(s) URL of at most 2048 characters")
        image = url
    else:
        if upload is None:
            if not isinstance(encoded, str):
                raise BadRequest(f"{where}: image_base64 must be a base64 string")
            try:
                upload = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest(f"{where}: image_base64 is not valid base64") from None
        try:
            image = _store_image(upload, media_dir)
        except MediaError as e:
            e.args = (f"{where}: {e}",)
            raise
    product_id = fields.get("id")
    if isinstance(product_id, str | int) and not isinstance(product_id, bool):
        text = str(product_id)
        if len(text) > MAX_ID or not text.isprintable() or "/" in text:
            raise BadRequest(f"{where}: id must be at most {MAX_ID} printable characters without '/'")
    try:
        return build_product({**fields, "image": image}, image_root=None)
    except ValueError as e:
        raise BadRequest(f"{where}: {e}") from None


def _items(body: Any) -> list[Any]:
    """The products of a body: ``{"products": [...]}`` (the documented shape), or a bare list or a
    single product object (the first versions of the API, still accepted)."""
    if isinstance(body, dict) and "products" in body and "id" not in body:
        extra = sorted(set(body) - {"products"})
        if extra:
            raise BadRequest(f"unknown field(s) {', '.join(extra)}; send {{\"products\": [...]}}")
        if not isinstance(body["products"], list):
            raise BadRequest('"products" must be a list of products')
        return list(body["products"])
    return body if isinstance(body, list) else [body]


@bp.post("/products")
# A product with its photo as a multipart upload, as its own documented operation (see /search/photo).
@bp.post("/products/upload")
@require_scope("ingest")
def submit_products() -> Any:
    """Queue one product or a list for ingestion; every product is validated first, and one
    invalid product rejects the request (nothing is queued)."""
    media_dir = ingestion().settings.media_dir
    upload = None
    if request.mimetype == "multipart/form-data":
        part = request.form.get("product")
        file = request.files.get("image")
        if part is None or file is None:
            raise BadRequest("a multipart submission has a 'product' JSON part and an 'image' file part")
        body: Any = parse_json(part, "the product part")
        upload = file.read()
    elif request.mimetype == "application/json":
        body = parse_json(request.get_data(), "the body")
    else:
        raise UnsupportedMediaType("send application/json, or multipart/form-data with an image file")
    items = _items(body)
    if not items or len(items) > MAX_PRODUCTS:
        raise BadRequest(f"send between 1 and {MAX_PRODUCTS} products")
    if upload is not None and len(items) != 1:
        raise BadRequest("a multipart submission carries exactly one product")
    products = [_product(raw, f"product {i}", upload, media_dir) for i, raw in enumerate(items)]
    ids = [p.id for p in products]
    if len(set(ids)) != len(ids):
        raise BadRequest("a request may not carry the same product id twice")
    try:
        jobs = ingestion().enqueue_many(products, owner=principal().subject)
    except Exception as e:  # Redis down: nothing was acknowledged, so the client may retry
        log.error("enqueueing failed: %s", e)
        raise ServiceUnavailable("the ingestion queue is unavailable; retry shortly") from e
    body = {
        "accepted": len(products),
        "jobs": [{"id": j.id, "product_ids": [pid for pid, _ in j.args[0]]} for j in jobs],
    }
    return jsonify(body), 202


@bp.get("/jobs/<job_id>")
@require_scope("ingest")
def job(job_id: str) -> Any:
    """What became of an ingestion job, with the reason when it failed: a client sees the jobs
    it submitted, an admin every job."""
    if len(job_id) > 200 or not job_id.isprintable():
        raise BadRequest("not a job id")
    who = principal()
    status = ingestion().job_status(job_id, owner=None if "admin" in who.scopes else who.subject)
    if status is None:
        raise NotFoundError(f"no job with id {job_id!r}")
    return jsonify(status)


@bp.get("/jobs")
@require_scope("admin")
def jobs() -> Any:
    """Queue counts and the failed jobs with their reasons."""
    limit = request.args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise BadRequest("limit must be a whole number from 1 to 1000")
    return jsonify({"counts": ingestion().counts(), "failed": ingestion().failed(int(limit))})


@bp.post("/jobs/<job_id>/retry")
@require_scope("admin")
def retry(job_id: str) -> Any:
    if not ingestion().retry(job_id):
        raise NotFoundError(f"{job_id!r} is not in the failed registry")
    return jsonify({"id": job_id, "status": "queued"}), 202


def _stored(product_id: str) -> None:
    if len(product_id) > MAX_ID or not product_id.isprintable():
        raise BadRequest(f"a product id is at most {MAX_ID} printable characters")
    if not state().view().store.get([product_id]):
        raise NotFoundError(f"no product with id {product_id!r}")


def _availability(body: dict[str, Any]) -> dict[str, Any]:
    """``in_stock`` (true/false) or a Merchant Center ``availability`` word; either wins over
    what ``stock`` implies."""
    if "in_stock" in body:
        if not isinstance(body["in_stock"], bool):
            raise BadRequest("in_stock must be true or false")
        return {"in_stock": body["in_stock"]}
    if "availability" in body:
        word = body["availability"]
        key = word.strip().lower().replace("_", " ") if isinstance(word, str) else None
        if key not in AVAILABILITY:
            raise BadRequest(f"availability must be one of: {', '.join(AVAILABILITY)}")
        return {"in_stock": AVAILABILITY[key]}
    return {}


@bp.patch("/products/<product_id>")
@require_scope("ingest")
def patch_product(product_id: str) -> Any:
    """Change price, stock or occasion without re-embedding."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send application/json")
    body = parse_json(request.get_data(), "the body")
    if not isinstance(body, dict) or not body:
        raise BadRequest(f"send an object with some of: {', '.join(sorted(PATCHABLE))}")
    unknown = sorted(set(body) - PATCHABLE)
    if unknown:
        fixed = sorted(set(unknown) & set(PRODUCT_FIELDS))
        hint = f" ({', '.join(fixed)} change with a new POST /products)" if fixed else ""
        raise BadRequest(
            f"cannot patch {', '.join(unknown)}{hint}; patchable: {', '.join(sorted(PATCHABLE))}"
        )
    values: dict[str, Any] = {}
    if "price" in body:
        price = body["price"]
        if (
            isinstance(price, bool)
            or not isinstance(price, int | float)
            or not math.isfinite(price)
            or price < 0
        ):
            raise BadRequest("price must be a finite, non-negative number")
        values["price"] = float(price)
    if "stock" in body:
        stock = body["stock"]
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            raise BadRequest("stock must be a whole number >= 0")
        values["stock"] = stock
        values["in_stock"] = stock > 0
    values.update(_availability(body))
    if "occasion" in body:
        occasion = body["occasion"]
        if not isinstance(occasion, str) or not occasion.strip() or len(occasion) > 100:
            raise BadRequest("occasion must be non-empty text of at most 100 characters")
        values["occasion"] = occasion.strip()
    _stored(product_id)
    store = state().view().store
    store.set_payload(product_id, {**values, **bool_twins(values)})
    return jsonify({"id": product_id, "updated": sorted(values)})


@bp.delete("/products/<product_id>")
@require_scope("ingest")
def delete_product(product_id: str) -> Any:
    """Remove a product; an ingestion of it still waiting in the queue is cancelled too."""
    _stored(product_id)
    submissions = ingestion().submissions
    # Now, not queued (the product is gone when the 204 is sent), through the feeds' deletion.
    remove_product(submissions, state().view().store, product_id, submissions.tombstone(product_id).seq)
    return "", 204


def start_embedded_workers(app: Flask, count: int | None = None) -> None:
    """Run ingestion workers inside this serving process.

    The embedded store belongs to the serving processes (to the one process, or to the store
    host that ``vitrine serve --workers N`` starts), so with it each API process works the
    queue, sharing its loaded model and live index. With a Qdrant server, run
    ``vitrine worker`` processes instead.
    """
    st = app.extensions["vitrine"]
    queue_settings = QueueSettings.from_env(collection=st.settings.collection)
    count = queue_settings.embedded_workers if count is None else count
    if st.settings.qdrant_url or count <= 0:
        return
    context = build_context(st.settings, queue_settings, index=st.live, connection=st.redis)
    for _ in range(count):
        start_thread_worker(context)
    log.info("%d embedded ingestion worker(s) started", count)

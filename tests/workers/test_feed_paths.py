"""A synced feed cannot publish files from the server's disk (issue 20, item 3): feed image
paths are refused by the worker, failure reasons name no server path (so they cannot tell
whether a file exists), and catalog photos reach the media dir only from inside the catalog
folder being imported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.catalog import CatalogEntry
from workers import Ingestion, WorkerContext
from workers.sync import sync_feed
from workers.worker import make_worker

HEADER = "id\ttitle\timage_link\tprice\tcolor\tgender\tproduct_type\tcustom_label_0\n"


def _feed(tmp_path: Path, images: dict[str, str]) -> Path:
    rows = "".join(f"{pid}\tThing {pid}\t{image}\t9.99 USD\tRed\tfemale\tApparel\t\n"
                   for pid, image in images.items())
    path = tmp_path / "feed.tsv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_feed_image_paths_are_refused_without_revealing_the_disk(
    context: WorkerContext, ingestion: Ingestion, catalog_entries: list[CatalogEntry], tmp_path: Path,
) -> None:
    real_photo = catalog_entries[0].product.image  # a real JPEG on this server's disk
    relative = os.path.relpath(real_photo, context.media_dir)  # ../../... from the media dir
    images = {
        "ABS": real_photo,
        "DOTS": relative,
        "SHADOW": "/etc/shadow",
        "NOPE": "/nonexistent/secret.jpg",
        "NESTED": "sub/../../x.jpg",
    }
    sync_feed(context.redis, str(_feed(tmp_path, images)), context.queue_settings)
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert context.store.count() == 0  # none of them was indexed (so none can be served)
    # Each product's failure is recorded with one reason for all: no server path (not even the
    # feed's), nothing about whether the file exists.
    failing = {f["product_id"]: f["reason"] for f in ingestion.failing()}
    assert set(failing) == set(images)
    refused = "the image must be an http(s) URL or the name of an uploaded image"
    assert set(failing.values()) == {refused}
    # The feed's products went as one job; its failure text says the same, and no path either.
    jobs = ingestion.failed()
    assert len(jobs) == 1
    reason = jobs[0]["reason"]
    assert reason.startswith(f"{len(images)} of {len(images)} products failed: ")
    assert all(f"{product_id}: {refused}" in reason for product_id in images)
    for path in (*images.values(), str(context.media_dir)):
        assert path not in reason


def test_catalog_photos_enter_the_media_dir_only_from_inside_the_catalog(
    catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    from indexer.media_files import LocalImageRefused, import_catalog_image

    catalog = tmp_path / "catalog"
    (catalog / "images").mkdir(parents=True)
    media = tmp_path / "media"
    photo = Path(catalog_entries[0].product.image)
    inside = catalog / "images" / "a.jpg"
    inside.write_bytes(photo.read_bytes())
    name = import_catalog_image(inside, catalog, media)
    assert (media / name).read_bytes() == photo.read_bytes() and len(name) == len("0" * 40 + ".jpg")
    assert import_catalog_image(inside, catalog, media) == name  # by content hash: stored once
    # A link inside the catalog that points out of it, and a path that walks out, are refused.
    (catalog / "images" / "link.jpg").symlink_to(photo)
    for path in (catalog / "images" / "link.jpg", catalog / "images" / ".." / ".." / "elsewhere.jpg", photo):
        with pytest.raises(LocalImageRefused) as refused:
            import_catalog_image(path, catalog, media)
        assert str(tmp_path) not in str(refused.value) and str(photo.parent) not in str(refused.value)
    assert sorted(p.name for p in media.iterdir()) == [name]

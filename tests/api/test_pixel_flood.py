"""Small files with huge pixel counts are refused before decoding, and large JPEGs decode at a
reduced scale (issue 20, item 5)."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from PIL import Image, ImageFile, JpegImagePlugin

from indexer.media import QUERY_MAX_PIXELS, accept_image


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_a_pixel_flood_is_refused_before_it_is_decoded(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    flood = _png(6300, 6300)  # 39.7 megapixels in a few tens of KB
    assert len(flood) < 100_000
    # Pillow's real decoder, watched: refused from the header means it never ran on the flood
    # (a full decode takes about half a second; a timing would depend on the machine's load).
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def watched(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched)
    response = client.post("/api/v1/search", data={"image": (io.BytesIO(flood), "flood.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400, response.json
    message = response.json["message"]
    assert "6300x6300 pixels" in message and f"{QUERY_MAX_PIXELS:,}" in message
    assert (6300, 6300) not in decoded


def test_a_phone_sized_photo_is_still_accepted(client: FlaskClient) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), "navy").save(out, "JPEG", quality=80)
    response = client.post("/api/v1/search", data={"image": (io.BytesIO(out.getvalue()), "p.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json


def test_large_jpegs_decode_at_a_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((4000, 3000)).convert("RGB").save(out, "JPEG", quality=85)
    data = out.getvalue()
    # The real draft mode, watched: the size the JPEG decoder was set to decode at (what makes
    # a big upload cheap; a timing would depend on the machine's load).
    drafted: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def watched(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None):  # type: ignore[no-untyped-def]
        found = real_draft(self, mode, size)
        drafted.append(self.size)
        return found

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", watched)
    assert accept_image(data, len(data)).image.size == (1024, 768)
    assert drafted == [(2000, 1500)]  # decoded at 1/2 scale, the closest above MAX_SIDE

"""Merchant Center XML: RSS 2.0 (``<item>``) and Atom (``<entry>``) with the ``g:`` namespace,
read as the same rows as the TSV/CSV form (column name -> text).

Only an item's direct children are columns (``g:shipping`` and ``g:tax`` hold sub-elements of
their own and are skipped); in Atom the ``link`` is its ``href`` attribute. Entity expansion is
bounded by the expat library (2.4+ refuses "billion laughs" documents).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from errors import VitrineError

ITEMS = {"item", "entry"}


class FeedXmlError(VitrineError):
    """The XML cannot be read as a feed."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _row(element: ET.Element) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if len(child):  # a nested group (shipping, tax): not a column
            continue
        value = (child.text or "").strip() or child.get("href") or ""
        if name in row and name in ("additional_image_link",):
            row[name] += "," + value
        elif name not in row or not row[name]:
            row[name] = value
    return row


def xml_rows(text: str, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each item as (its position, column -> text).

    Raises:
        FeedXmlError: not well-formed XML, or no item/entry elements.
    """
    found = 0
    try:
        for _, element in ET.iterparse(io.StringIO(text), events=("end",)):
            if _local(element.tag) in ITEMS:
                found += 1
                yield found, _row(element)
                element.clear()
    except ET.ParseError as e:
        raise FeedXmlError(f"{source}: not well-formed XML ({e})") from None
    if not found:
        raise FeedXmlError(f"{source}: an XML feed needs <item> (RSS 2.0) or <entry> (Atom) elements")

"""The table `vitrine sync` ends with, on a slice of the real dropshipping feed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import SHARED_FEEDS

FEED = SHARED_FEEDS / "merchant-center-dropship.tsv"
pytestmark = pytest.mark.skipif(not FEED.is_file(), reason="the shared feeds are not on this machine")


def _slice(tmp_path: Path) -> Path:
    """The first 40 rows, then the first row again (a duplicate) and a row with a bad price."""
    with FEED.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        rows = [row for _, row in zip(range(40), reader, strict=False)]
        fields = reader.fieldnames or []
    bad = {**rows[1], "id": "BAD-PRICE", "price": "call us"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, delimiter="\t")
    writer.writeheader()
    writer.writerows([*rows, rows[0], bad])
    path = tmp_path / "slice.tsv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_sync_ends_with_the_feed_report(tmp_path: Path, redis_url: str, connection: redis.Redis) -> None:
    feed = _slice(tmp_path)
    result = CliRunner().invoke(cli, ["sync", str(feed)], env={"VITRINE_REDIS_URL": redis_url},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output

    def count(name: str) -> str:
        found = re.search(rf"^  {name}\s+(.+)$", result.output, re.M)
        assert found, (name, result.output)
        return found.group(1)

    assert (count("rows read"), count("products"), count("new"), count("rejected"),
            count("duplicate ids"), count("currencies")) == ("42", "40", "40", "1", "1", "NGN (40)")
    assert re.search(r"rejected: line \d+: price 'call us' is not a number \(id BAD-PRICE\)", result.output)
    assert re.search(r"duplicates: line \d+: id \d+ repeats an earlier row", result.output)
    again = CliRunner().invoke(cli, ["sync", str(feed)], env={"VITRINE_REDIS_URL": redis_url})
    assert "still queued" in again.output and re.search(r"^  still queued\s+40$", again.output, re.M)

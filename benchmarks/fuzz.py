"""Coverage-guided fuzzing (atheris / libFuzzer) of the untrusted-input paths, bounded in time.

    python -m benchmarks.fuzz --seconds 60 [--json OUT]          # every target, one process each
    python -m benchmarks.fuzz --target image --seconds 60         # one target in this process

Targets:
- ``image``: bytes -> ``encoder.load_image`` (what uploads and fetched images go through).
  The only acceptable failure is ``ImageDecodeError``.
- ``filters``: bytes -> JSON -> ``indexer.parse_filters``, and text -> ``parse_cli_filters``.
  The only acceptable failure is ``FilterError``.
- ``search``: bytes as the body of ``POST /api/v1/search`` (JSON) through the Flask app with a
  small model and store. Any 5xx, or an exception escaping the app, is a crash.

A crash stops the target and leaves libFuzzer's ``crash-*`` reproducer in the working
directory. Reported per target: runs, seconds, crashes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.results import write_json

TARGETS = ("image", "filters", "search")
OURS = ["encoder", "indexer", "api", "workers"]  # instrument our code only: torch would take minutes
REPO = Path(__file__).resolve().parents[1]


def _image_seeds(corpus: Path) -> None:
    from PIL import Image

    for fmt in ("PNG", "JPEG", "WEBP", "GIF"):
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), "red").save(buf, fmt)
        (corpus / f"seed.{fmt.lower()}").write_bytes(buf.getvalue())
        (corpus / f"truncated.{fmt.lower()}").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


def _filter_seeds(corpus: Path) -> None:
    seeds = [
        {"occasion": "Casual"},
        {"colour": ["Black", "Navy Blue"]},
        {"price": {"gte": 10, "lte": 50}},
        {"year": [2011, 2012]},
        {"brand": "x"},
        {"price": {"gte": 1e309}},
    ]
    for i, seed in enumerate(seeds):
        (corpus / f"seed{i}.json").write_text(json.dumps(seed))


def _search_seeds(corpus: Path) -> None:
    seeds = [
        {"text": "black watch"},
        {"text": "red", "alpha": 0.3, "k": 5, "filters": {"occasion": "Casual"}},
        {"text": "x", "offset": 10, "sort": "price_asc"},
        {"image_url": "http://127.0.0.1/x.jpg"},
    ]
    for i, seed in enumerate(seeds):
        (corpus / f"seed{i}.json").write_text(json.dumps(seed))


def _fuzz_image() -> None:
    import atheris

    with atheris.instrument_imports(include=OURS):
        from encoder.errors import ImageDecodeError
        from encoder.images import load_image

    def one(data: bytes) -> None:
        with contextlib.suppress(ImageDecodeError):
            load_image(data)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


def _fuzz_filters() -> None:
    import atheris

    with atheris.instrument_imports(include=OURS):
        from indexer.errors import FilterError
        from indexer.filters import parse_cli_filters, parse_filters

    def one(data: bytes) -> None:
        try:
            raw = json.loads(data)
        except (ValueError, RecursionError):
            raw = None
        with contextlib.suppress(FilterError):
            parse_filters(raw)
        with contextlib.suppress(FilterError):
            parse_cli_filters(data.decode("utf-8", "replace").split("\n"))

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


def _fuzz_search() -> None:
    import atheris
    import redis

    with atheris.instrument_imports(include=OURS):
        from api.app import create_app
        from settings.api import ApiSettings
    from indexer import EdgeStore, Settings, index_entries, read_catalog
    from tests.conftest import make_tiny_model

    tmp = Path(tempfile.mkdtemp())
    from encoder import Encoder

    encoder = Encoder.load(str(make_tiny_model(tmp / "model")), device="cpu")
    store = EdgeStore(tmp / "data")
    catalog = REPO.parent / "shared" / "catalog"
    index_entries(encoder, store, read_catalog(catalog).entries[:50])
    url = "redis://127.0.0.1:6379/11"
    app = create_app(
        Settings(data_dir=tmp / "data"),
        api_settings=ApiSettings(
            redis_url=url,
            jwt_secret="f" * 40,
            rate_limit="1000000/minute",
            anonymous_rate_limit="1000000/minute",
        ),
        encoder=encoder,
        store=store,
        redis=redis.Redis.from_url(url),
    )
    client = app.test_client()

    def one(data: bytes) -> None:
        response = client.post("/api/v1/search", data=data, content_type="application/json")
        if response.status_code >= 500:
            raise RuntimeError(
                f"{response.status_code} for body {data[:200]!r}: {response.get_data()[:300]!r}"
            )

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


def run_target(target: str, seconds: int) -> dict:
    """Run one target in a child process for ``seconds``; parse libFuzzer's summary."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        {"image": _image_seeds, "filters": _filter_seeds, "search": _search_seeds}[target](corpus)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.fuzz",
                "--target",
                target,
                "--",
                f"-max_total_time={seconds}",
                "-rss_limit_mb=4096",
                "-timeout=20",
                "-print_final_stats=1",
                str(corpus),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
    output = proc.stdout + proc.stderr
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", output)
    crashed = proc.returncode != 0
    return {
        "target": target,
        "seconds": seconds,
        "runs": int(runs.group(1)) if runs else None,
        "crashes": int(crashed),
        "detail": output[-1500:] if crashed else "",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", choices=TARGETS, help="fuzz one target in this process")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args, rest = parser.parse_known_args(argv)
    if args.target:
        sys.argv = [sys.argv[0], *[a for a in rest if a != "--"]]
        {"image": _fuzz_image, "filters": _fuzz_filters, "search": _fuzz_search}[args.target]()
        return []
    results = [run_target(t, args.seconds) for t in TARGETS]
    print("| target | seconds | runs | crashes |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['target']} | {r['seconds']} | {r['runs']} | {r['crashes']} |")
        if r["crashes"]:
            print(r["detail"])
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()

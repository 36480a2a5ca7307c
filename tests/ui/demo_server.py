"""Serve the app over a small catalog slice indexed with a tiny random model, for looking at
the UI by hand or measuring it with Lighthouse (no trained model needed).

    .venv/bin/python tests/ui/demo_server.py [--port 8765] [--products 240] [--dir /tmp/vitrine-ui]

VITRINE_REDIS_URL (default: database 14 of 127.0.0.1:6379) holds its shoppers and analytics;
an admin client is created and printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The packages first (never tests/<name> folders of the same name), then the tests' conftest.
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest import _catalog_path, make_tiny_model  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from api.app import create_app  # noqa: E402
from api.clients import create_client  # noqa: E402
from api.redis_guard import connect  # noqa: E402
from encoder import Encoder  # noqa: E402
from indexer import EdgeStore, Settings, index_entries, read_catalog  # noqa: E402
from indexer.image_dirs import register_image_dirs  # noqa: E402
from settings.api import ApiSettings  # noqa: E402

# A tool run by hand (not a test): any Redis, database 14 of the local one by default.
REDIS_URL = os.environ.get("VITRINE_REDIS_URL", "redis://127.0.0.1:6379/14")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--products", type=int, default=240)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/vitrine-ui"))
    args = parser.parse_args()
    model = args.dir / "tiny-model"
    if not (model / "open_clip_config.json").is_file():
        make_tiny_model(model)
    encoder = Encoder.load(str(model), device="cpu")
    store = EdgeStore(args.dir / "data")
    entries = read_catalog(_catalog_path()).entries[: args.products]
    index_entries(encoder, store, entries)  # idempotent
    register_image_dirs(args.dir / "data", (e.product.image for e in entries))
    client_id, secret = create_client(connect(REDIS_URL), ("search", "ingest", "admin"), "demo admin")
    print(f"admin client: {client_id} {secret}", flush=True)
    settings = ApiSettings(redis_url=REDIS_URL, jwt_secret="demo-" + "x" * 40,
                           rate_limit="100000/minute", anonymous_rate_limit="100000/minute")
    app = create_app(Settings(data_dir=args.dir / "data"), api_settings=settings, encoder=encoder,
                     store=store)
    print(f"serving on http://127.0.0.1:{args.port}/ (admin: /admin)", flush=True)
    make_server("127.0.0.1", args.port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()

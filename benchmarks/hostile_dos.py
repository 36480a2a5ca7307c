"""The attacks of issue 20 for ``benchmarks.hostile``: each is sent to the app and judged by
what a user would notice. Run through ``python -m benchmarks.hostile``.

- slow body: six clients declare 60,000-byte bodies and send a byte a second (real sockets,
  werkzeug's threaded server) while a storefront with a token searches;
- slow image host: ``image_url`` on a host that sends one byte a second;
- cache poison: a query in bold mathematical letters before the plain one;
- feed path: products whose image is a server path, through a real worker;
- profile flood: shopper searches without a cookie;
- pixel flood: a 6300x6300 PNG of a few KB;
- huge ints: a 23-digit year and a 10**400 price in filters;
- cross-origin form: a shopper change posted as a form from another site.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis
from PIL import Image

Case = dict[str, Any]


def _case(kind: str, name: str, status: int | None, held: bool, note: str = "") -> Case:
    return {"kind": kind, "case": name, "status": status, "crash": None, "held": held, "note": note}


def _post(base: str, body: dict[str, Any], headers: dict[str, str] | None = None,
          timeout: float = 30) -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}/api/v1/search", json.dumps(body).encode(),
                                     {"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read() or b"null")


class DripHandler(http.server.BaseHTTPRequestHandler):
    """Promises a 100,000-byte PNG and sends one byte a second (until the client goes); the
    tests' slow image host too."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"\x89")
                self.wfile.flush()
                time.sleep(1.0)
        except OSError:
            return

    def log_message(self, *args: object) -> None:
        pass


def _slow_body(base: str, bearer: dict[str, str]) -> list[Case]:
    host, port = base.removeprefix("http://").split(":")
    socks = []
    for _ in range(6):
        s = socket.create_connection((host, int(port)), timeout=20)
        s.sendall(b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 60000\r\n\r\n{")
        socks.append(s)
    started = time.monotonic()
    time.sleep(1.0)
    victim, _ = _post(base, {"text": "red dress", "k": 3}, bearer)
    statuses = []
    for s in socks:
        try:
            while time.monotonic() - started < 15:
                s.settimeout(1.0)
                try:
                    data = s.recv(4096)
                except TimeoutError:
                    s.sendall(b" ")
                    continue
                statuses.append(int(data.split(b" ", 2)[1]) if data else None)
                break
        except OSError:
            statuses.append(None)
        finally:
            s.close()
    took = time.monotonic() - started
    return [
        _case("dos", "slow body: token search during 6 slow bodies", victim, victim == 200),
        _case("dos", "slow body: the slow bodies", statuses[0] if len(set(statuses)) == 1 else None,
              statuses == [408] * 6, f"statuses {statuses}, all answered within {took:.1f} s"),
    ]


def _slow_image(base: str, bearer: dict[str, str], drip_url: str) -> list[Case]:
    # As many as the anonymous slots (VITRINE_ANON_IN_FLIGHT, 2): one more would be shed (503).
    results: list[int] = []
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: results.append(_post(base, {"image_url": drip_url})[0]))
               for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    victim, _ = _post(base, {"text": "black shoes", "k": 3}, bearer)
    for t in threads:
        t.join(timeout=30)
    took = time.monotonic() - started
    return [
        _case("dos", "slow image host: token search during 2 dripping fetches", victim, victim == 200),
        _case("dos", "slow image host: the dripping fetches", max(results, default=None),
              results == [422, 422] and took < 6, f"statuses {sorted(results)} within {took:.1f} s"),
    ]


def _cache_poison(client: Any, app: Any, connection: redis.Redis) -> Case:
    from api.context import EXTENSION

    plain = "black leather watch"
    bold = "𝐛𝐥𝐚𝐜𝐤 𝐥𝐞𝐚𝐭𝐡𝐞𝐫 𝐰𝐚𝐭𝐜𝐡"
    status = client.post("/api/v1/search", json={"text": bold}).status_code
    searcher = app.extensions[EXTENSION].live.current().searcher
    cache = searcher.query_encoder.cache  # the API's CachedEncoder (api/cache.py)
    cache.flush()
    stored = connection.get(cache.key("text", hashlib.sha256(plain.encode()).hexdigest()))
    honest = searcher.encoder.embed_text(plain)  # what the plain query's key must hold
    held = stored is not None and np.allclose(np.frombuffer(stored, dtype=np.float32), honest, atol=1e-6)
    return _case("poison", "cache poison: bold letters store the plain query's own vector", status, held)


def _feed_paths(app: Any, connection: redis.Redis, redis_url: str, tmp: Path, catalog_photo: str) -> Case:
    from api.context import EXTENSION
    from indexer import Product
    from workers import Ingestion, QueueSettings, build_context
    from workers.worker import make_worker

    st = app.extensions[EXTENSION]
    settings = QueueSettings(redis_url=redis_url, collection="hostile", media_dir=tmp / "media", retries=0)
    ingestion = Ingestion(connection, settings)
    for i, path in enumerate([catalog_photo, "/etc/shadow", "../../../../etc/hostname", "/nonexistent.jpg"]):
        ingestion.enqueue(Product(id=f"FEED{i}", title="x", image=path))
    context = build_context(st.settings, settings, index=st.live, connection=connection,
                            fetch=lambda url: b"")
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="ERROR")
    reasons = [f["reason"] for f in ingestion.failed()]
    indexed = st.view().store.get([f"FEED{i}" for i in range(4)])
    held = not indexed and len(reasons) == 4 and not any("/etc" in r or "nonexistent" in r for r in reasons)
    return _case("feed path", "feed path: server paths as product images", 404 if held else 200, held,
                 f"{len(indexed)} indexed, reasons: {sorted(set(reasons))}")


def _profile_flood(app: Any, connection: redis.Redis) -> Case:
    statuses = {app.test_client().post("/api/v1/shopper/search", json={"text": f"q{i}", "k": 1}).status_code
                for i in range(100)}
    keys = len(list(connection.scan_iter("vitrine:shopper:*")))
    return _case("profile flood", "profile flood: 100 cookie-less shopper searches", max(statuses),
                 keys == 0, f"{keys} profile keys left")


def _pixel_flood(client: Any) -> Case:
    out = io.BytesIO()
    Image.new("L", (6300, 6300), 0).save(out, "PNG", optimize=True)
    t = time.perf_counter()
    status = client.post("/api/v1/search", content_type="multipart/form-data",
                         data={"image": (io.BytesIO(out.getvalue()), "flood.png")}).status_code
    ms = (time.perf_counter() - t) * 1000
    return _case("pixel flood", f"pixel flood: 6300x6300 PNG of {len(out.getvalue()):,} bytes", status,
                 status == 400 and ms < 200, f"answered in {ms:.0f} ms")


def _huge_ints(client: Any) -> list[Case]:
    cases = []
    for name, filters in (("23-digit year", {"year": [99999999999999999999999]}),
                          ("10**400 price", {"price": {"lte": 10**400}})):
        response = client.post("/api/v1/search", json={"text": "watch", "filters": filters})
        message = (response.json or {}).get("message", "")
        cases.append(_case("huge ints", f"huge ints: {name}", response.status_code,
                           response.status_code == 400 and "Error" not in message))
    return cases


def _cross_origin_form(client: Any) -> Case:
    client.get("/api/v1/shopper")  # a shopper's browser, with its cookie
    png = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(png, "PNG")
    status = client.post("/api/v1/shopper/search", content_type="multipart/form-data",
                         headers={"Origin": "https://evil.example"},
                         data={"text": "x", "image": (io.BytesIO(png.getvalue()), "p.png")}).status_code
    return _case("csrf", "cross-origin form: shopper search from another site", status, status == 403)


def dos_cases(app: Any, connection: redis.Redis, redis_url: str, tmp: Path, token: Callable[[], str],
              catalog_photo: str) -> list[Case]:
    """Run every attack above; each case says whether the defence held."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    drip = http.server.ThreadingHTTPServer(("127.0.0.2", 0), DripHandler)
    drip.daemon_threads = True
    threading.Thread(target=drip.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    bearer = {"Authorization": f"Bearer {token()}"}
    try:
        cases = _slow_body(base, bearer)
        cases += _slow_image(base, bearer, f"http://127.0.0.2:{drip.server_address[1]}/slow.png")
    finally:
        httpd.shutdown()
        drip.shutdown()
        drip.server_close()
    client = app.test_client()
    cases += [_cache_poison(client, app, connection),
              _feed_paths(app, connection, redis_url, tmp, catalog_photo),
              _profile_flood(app, connection), _pixel_flood(client), *_huge_ints(client),
              _cross_origin_form(app.test_client())]
    return cases

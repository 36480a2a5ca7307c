"""Hostile input against the API: a corpus of malicious and malformed requests, and auth attacks.

    python -m benchmarks.hostile [--json OUT]

Builds the app (a small real open_clip model, an embedded store of 60 catalog products,
Redis database 10) and sends every request of the corpus through it: image bombs,
polyglots, truncated files, huge and deeply nested JSON, bad types, header abuse, path
tricks in ids, and SSRF targets (loopback, private, link-local metadata addresses, IPv6
addresses carrying private IPv4 ones (NAT64, 6to4, IPv4-compatible), other schemes, and
redirects from an allowed server to loopback and metadata addresses); then the attacks of
benchmarks/hostile_dos.py (slow bodies, slow image hosts, cache poisoning, feed paths,
profile and pixel floods, huge integers, cross-origin forms), each judged held or not.
Reported: requests tried, crashes (an exception escaping the app), 5xx responses, defences
held, and a table of auth attacks with the status each got. Goals: 0 crashes, 0 5xx, every
attack refused, every defence held.

Redis: a private redis-server started for the run (``--redis-url`` names another; its database is flushed).
"""

from __future__ import annotations

import argparse
import base64
import http.server
import io
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import redis
from PIL import Image

from benchmarks.local_redis import private_redis
from benchmarks.results import write_json

REPO = Path(__file__).resolve().parents[1]
SECRET = "hostile-" + "k" * 40


def _png(size: tuple[int, int] = (32, 32), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(out, "JPEG")
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG", optimize=True)  # 400 Mpx in ~50 KB
    return out.getvalue()


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


class _Redirector(http.server.BaseHTTPRequestHandler):
    """On 127.0.0.2 (the one address the fetch policy allows): redirects to forbidden places."""

    def do_GET(self) -> None:
        targets = {
            "/to-loopback": "http://127.0.0.1:6379/",
            "/to-metadata": "http://169.254.169.254/latest/",
            "/to-ipv6-loopback": "http://[::1]/x.jpg",
            "/to-file": "file:///etc/passwd",
        }
        self.send_response(302)
        self.send_header("Location", targets.get(self.path, "http://10.0.0.1/"))
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def image_cases() -> list[tuple[str, bytes, str]]:
    jpeg, png = _jpeg(), _png()
    return [
        ("decompression bomb PNG", _bomb(), "image/png"),
        ("truncated JPEG", jpeg[: len(jpeg) // 2], "image/jpeg"),
        ("truncated PNG", png[:40], "image/png"),
        ("empty file", b"", "image/jpeg"),
        ("PNG + ZIP polyglot", png + b"PK\x03\x04" + b"\x00" * 100, "image/png"),
        ("GIF header + script", b"GIF89a/*<script>alert(1)</script>*/", "image/gif"),
        (
            "SVG with script",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        ("HTML as JPEG", b"<html><body>hi</body></html>", "image/jpeg"),
        ("JPEG magic, garbage body", b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg"),
        ("PNG magic, JPEG body", b"\x89PNG\r\n\x1a\n" + jpeg, "image/png"),
        ("over the size cap", b"\xff\xd8\xff" + b"\x00" * (9 * 1024 * 1024), "image/jpeg"),
        ("TIFF", b"II*\x00" + b"\x00" * 200, "image/tiff"),
        ("1x1 PNG", _png((1, 1)), "image/png"),
        ("palette PNG", _png((16, 16), "P"), "image/png"),
        ("valid JPEG, wrong name", jpeg, "application/octet-stream"),
    ]


def json_cases() -> list[tuple[str, bytes, str]]:
    def body(obj: Any) -> bytes:
        return json.dumps(obj).encode()

    return [
        ("huge JSON", body({"text": "x" * 200_000}), "application/json"),
        ("deep nesting", _deep(100_000), "application/json"),
        ("deep filters", body({"text": "x", "filters": json.loads(_deep(500))}), "application/json"),
        ("NaN alpha", b'{"text": "shirt", "alpha": NaN}', "application/json"),
        ("Infinity k", b'{"text": "shirt", "k": Infinity}', "application/json"),
        ("alpha out of range", body({"text": "shirt", "alpha": 7}), "application/json"),
        ("k as string", body({"text": "shirt", "k": "10"}), "application/json"),
        ("k negative", body({"text": "shirt", "k": -1}), "application/json"),
        ("k huge", body({"text": "shirt", "k": 10**12}), "application/json"),
        ("offset huge", body({"text": "shirt", "offset": 10**9}), "application/json"),
        ("unknown field", body({"text": "shirt", "evil": 1}), "application/json"),
        ("unknown filter", body({"text": "shirt", "filters": {"brand": "x"}}), "application/json"),
        ("10k filter values", body({"text": "x", "filters": {"colour": ["a"] * 10_000}}), "application/json"),
        (
            "price range reversed",
            body({"text": "x", "filters": {"price": {"gte": 9, "lte": 1}}}),
            "application/json",
        ),
        ("lone surrogate", b'{"text": "\\ud800"}', "application/json"),
        ("NUL in text", body({"text": "shirt\u0000"}), "application/json"),
        ("invalid UTF-8", b'{"text": "\xff\xfe"}', "application/json"),
        ("top-level array", body(["shirt"]), "application/json"),
        ("empty body", b"", "application/json"),
        ("null body", b"null", "application/json"),
        ("text/plain body", b"shirt", "text/plain"),
        ("form body", b"text=shirt", "application/x-www-form-urlencoded"),
        ("duplicate keys", b'{"text": "a", "text": {"x": 1}}', "application/json"),
        ("no query at all", body({"k": 5}), "application/json"),
        ("whitespace text", body({"text": "   "}), "application/json"),
    ]


def ssrf_cases(redirector: str) -> list[tuple[str, str]]:
    return [
        ("loopback", "http://127.0.0.1:6379/"),
        ("localhost name", "http://localhost/x.jpg"),
        ("IPv6 loopback", "http://[::1]/x.jpg"),
        ("IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/x.jpg"),
        ("NAT64 to loopback", "http://[64:ff9b::7f00:1]/x.jpg"),
        ("NAT64 to metadata", "http://[64:ff9b::a9fe:a9fe]/latest/"),
        ("6to4 to metadata", "http://[2002:a9fe:a9fe::1]/latest/"),
        ("6to4 to 10/8", "http://[2002:a00:1::1]/x.jpg"),
        ("IPv4-compatible loopback", "http://[::127.0.0.1]/x.jpg"),
        ("decimal IP", "http://2130706433/x.jpg"),
        ("zero address", "http://0.0.0.0/x.jpg"),
        ("metadata", "http://169.254.169.254/latest/meta-data/"),
        ("private 10/8", "http://10.0.0.1/x.jpg"),
        ("private 192.168/16", "http://192.168.1.1/x.jpg"),
        ("file scheme", "file:///etc/passwd"),
        ("gopher scheme", "gopher://127.0.0.1:6379/_INFO"),
        ("credentials in URL", "http://user:pw@127.0.0.1/x.jpg"),
        ("overlong URL", "http://example.com/" + "a" * 5000),
        ("redirect to loopback", f"{redirector}/to-loopback"),
        ("redirect to metadata", f"{redirector}/to-metadata"),
        ("redirect to IPv6 loopback", f"{redirector}/to-ipv6-loopback"),
        ("redirect to file", f"{redirector}/to-file"),
    ]


def header_and_path_cases() -> list[tuple[str, str, str, dict[str, str]]]:
    long_id = "9" * 10_000
    return [
        ("traversal in id", "GET", "/api/v1/products/..%2F..%2Fetc%2Fpasswd", {}),
        ("traversal in image id", "GET", "/api/v1/products/..%2F..%2Fetc%2Fpasswd/image", {}),
        ("NUL in id", "GET", "/api/v1/products/%00", {}),
        ("10k-char id", "GET", f"/api/v1/products/{long_id}", {}),
        ("unicode id", "GET", "/api/v1/products/%E2%80%AE%F0%9F%98%80", {}),
        ("static traversal", "GET", "/static/../../api/settings.py", {}),
        ("encoded static traversal", "GET", "/static/..%2f..%2fapi%2fsettings.py", {}),
        ("similar with junk filters", "GET", "/api/v1/products/10000/similar?filters=%7B%7B", {}),
        ("similar k huge", "GET", "/api/v1/products/10000/similar?k=99999999999999", {}),
        ("unknown query parameter", "GET", "/api/v1/products/10000/similar?evil=1", {}),
        ("huge Authorization", "POST", "/api/v1/search", {"Authorization": "Bearer " + "a" * 20_000}),
        ("Basic auth", "POST", "/api/v1/search", {"Authorization": "Basic dXNlcjpwYXNz"}),
        ("Bearer without token", "POST", "/api/v1/search", {"Authorization": "Bearer"}),
        ("garbage bearer", "POST", "/api/v1/search", {"Authorization": "Bearer a.b.c"}),
        ("spoofed X-Forwarded-For", "POST", "/api/v1/search", {"X-Forwarded-For": "1.2.3.4, 127.0.0.1"}),
        ("hostile Host", "POST", "/api/v1/search", {"Host": "evil.example:99999"}),
        ("many headers", "POST", "/api/v1/search", {f"X-H{i}": "v" for i in range(300)}),
        ("CORS from unknown origin", "POST", "/api/v1/search", {"Origin": "https://evil.example"}),
        (
            "OPTIONS preflight",
            "OPTIONS",
            "/api/v1/search",
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        ("method not allowed", "DELETE", "/api/v1/search", {}),
        ("unknown route", "GET", "/api/v1/../../etc/passwd", {}),
    ]


def run(redis_url: str) -> dict[str, Any]:
    from api.app import create_app
    from api.clients import create_client
    from benchmarks.hostile_dos import dos_cases
    from encoder import Encoder
    from indexer import EdgeStore, Settings, index_entries, read_catalog
    from indexer.media import FetchPolicy, is_public
    from settings.api import ApiSettings
    from tests.conftest import make_tiny_model

    tmp = Path(tempfile.mkdtemp())
    encoder = Encoder.load(str(make_tiny_model(tmp / "model")), device="cpu")
    store = EdgeStore(tmp / "data")
    entries = read_catalog(REPO.parent / "shared" / "catalog").entries[:60]
    index_entries(encoder, store, entries)
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    redirector = f"http://127.0.0.2:{server.server_address[1]}"
    # The one private address allowed is 127.0.0.2 (the redirector's and the dripping image
    # host's): every redirect it makes must still be refused. Public addresses pass, so the
    # addresses that only look public (NAT64, 6to4) are judged by the real check.
    policy = FetchPolicy(
        timeout_s=2.0, allowed=lambda address: str(address) == "127.0.0.2" or is_public(address))
    api = ApiSettings(
        redis_url=redis_url,
        jwt_secret=SECRET,
        rate_limit="100000/minute",
        anonymous_rate_limit="100000/minute",
    )
    app = create_app(
        Settings(data_dir=tmp / "data"),
        api_settings=api,
        encoder=encoder,
        store=store,
        redis=connection,
        fetch_policy=policy,
    )
    client = app.test_client()
    before = store.count()
    tried: list[dict[str, Any]] = []

    def send(kind: str, name: str, fn: Callable[[], Any]) -> None:
        try:
            response = fn()
            status = response.status_code
            response.close()
            crash = None
        except Exception as e:  # an exception escaping the app is what this looks for
            status, crash = None, repr(e)
        tried.append({"kind": kind, "case": name, "status": status, "crash": crash})

    for name, data, mime in image_cases():
        send(
            "upload",
            name,
            lambda d=data, m=mime: client.post(
                "/api/v1/search",
                content_type="multipart/form-data",
                data={"text": "red", "image": (io.BytesIO(d), "x.bin", m)},
            ),
        )
        send(
            "upload",
            f"{name} (base64 ingest)",
            lambda d=data: client.post(
                "/api/v1/products",
                json={"id": "H1", "title": "x", "image_base64": base64.b64encode(d).decode()},
            ),
        )
    for name, data, mime in json_cases():
        send("json", name, lambda d=data, m=mime: client.post("/api/v1/search", data=d, content_type=m))
    for name, url in ssrf_cases(redirector):
        send("ssrf", name, lambda u=url: client.post("/api/v1/search", json={"image_url": u}))
    for name, method, path, headers in header_and_path_cases():
        send(
            "header/path",
            name,
            lambda m=method, p=path, h=headers: client.open(
                p, method=m, headers=h, json={"text": "shirt"} if m == "POST" else None
            ),
        )

    def storefront_token() -> str:
        cid, sec = create_client(connection, ("search",))
        return str(client.post("/api/v1/auth/token", json={"client_id": cid, "client_secret": sec}).json[
            "access_token"])

    attacks_of_issue_20 = dos_cases(
        app, connection, redis_url, tmp, storefront_token, entries[0].product.image)
    tried += attacks_of_issue_20

    # Auth attacks against an endpoint that needs the ingest scope.
    client_id, secret = create_client(connection, ("search",))
    pair = client.post("/api/v1/auth/token", json={"client_id": client_id, "client_secret": secret}).json
    admin_id, admin_secret = create_client(connection, ("search", "ingest"))
    good = client.post("/api/v1/auth/token", json={"client_id": admin_id, "client_secret": admin_secret}).json
    claims = jwt.decode(good["access_token"], options={"verify_signature": False})
    now = int(time.time())
    revoked = client.post(
        "/api/v1/auth/token", json={"client_id": admin_id, "client_secret": admin_secret}
    ).json
    client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {revoked['access_token']}"})
    attacks = {
        "missing token": None,
        "expired": jwt.encode(
            {**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}, SECRET, algorithm="HS256"
        ),
        "tampered payload (scope added)": ".".join(
            [
                good["access_token"].split(".")[0],
                base64.urlsafe_b64encode(json.dumps({**claims, "scope": "search ingest admin"}).encode())
                .decode()
                .rstrip("="),
                good["access_token"].split(".")[2],
            ]
        ),
        "wrong key": jwt.encode(claims, "another-secret-" + "x" * 40, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        "wrong algorithm (HS384)": jwt.encode(claims, SECRET, algorithm="HS384"),
        "revoked": revoked["access_token"],
        "wrong scope": pair["access_token"],
        "refresh token as access": good["refresh_token"],
        "valid (control)": good["access_token"],
    }
    table = []
    for name, token in attacks.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"id": "A1", "title": "x", "image_base64": base64.b64encode(_png()).decode()}
        response = client.post("/api/v1/products", headers=headers, json=body)
        table.append({"attack": name, "status": response.status_code})
    server.shutdown()
    server.server_close()
    connection.flushdb()
    after = store.count()
    store.close()
    return {
        "requests": len(tried),
        "crashes": sum(1 for t in tried if t["crash"]),
        "server_errors": sum(1 for t in tried if t["status"] and t["status"] >= 500),
        "defences_held": sum(1 for t in attacks_of_issue_20 if t["held"]),
        "defences_tried": len(attacks_of_issue_20),
        "store_unchanged": before == after,
        "by_status": {
            str(s): sum(1 for t in tried if t["status"] == s)
            for s in sorted({t["status"] for t in tried if t["status"]})
        },
        "cases": tried,
        "auth": table,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--redis-url", default=None,
                        help="Redis to use: its database is FLUSHED (default: a private redis-server "
                             "started for this run)")
    args = parser.parse_args(argv)
    if args.redis_url:
        result = run(args.redis_url)
    else:
        with private_redis() as url:
            result = run(url)
    print(
        f"requests tried: {result['requests']}, crashes: {result['crashes']}, "
        f"5xx: {result['server_errors']}, store unchanged: {result['store_unchanged']}; "
        f"statuses: {result['by_status']}"
    )
    print(
        "answered 200 (legitimate requests in the corpus):",
        ", ".join(c["case"] for c in result["cases"] if c["status"] == 200),
    )
    for case in result["cases"]:
        if case["crash"] or (case["status"] or 0) >= 500:
            print("  PROBLEM", case)
    print(f"\ndefences held: {result['defences_held']} of {result['defences_tried']}")
    print("| attack | status | held | note |")
    print("|---|---|---|---|")
    for case in result["cases"]:
        if "held" in case:
            held = "yes" if case["held"] else "NO"
            print(f"| {case['case']} | {case['status']} | {held} | {case['note']} |")
    print("\n| auth attack | status |")
    print("|---|---|")
    for row in result["auth"]:
        print(f"| {row['attack']} | {row['status']} |")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()

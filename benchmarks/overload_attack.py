"""The attacker phase of ``python -m benchmarks.overload --attack``: storefront traffic with a
token at 0.5x capacity for ``--seconds``, beside 30 anonymous clients sending request bodies
one byte every 5 s and 8 anonymous clients searching by ``image_url`` on a local host that
sends one byte every 4 s. Reported: the storefront's p50/p95/p99 and shed rate, and what the
attackers got. Goal (issue 20): p95 <= 100 ms and nothing shed.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

SLOW_BODIES = 30
SLOW_IMAGES = 8
JSON = {"Content-Type": "application/json"}


class _Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"\xff")
                self.wfile.flush()
                time.sleep(4.0)
        except OSError:
            return

    def log_message(self, *args: object) -> None:
        pass


def _slow_body(host: str, port: int, stop: threading.Event, got: Counter[str]) -> None:
    """Declare a 60,000-byte body, send a byte every 5 s; when answered, start over."""
    while not stop.is_set():
        try:
            with contextlib.closing(http.client.HTTPConnection(host, port, timeout=60)) as conn:
                conn.putrequest("POST", "/api/v1/search")
                conn.putheader("Content-Type", "application/json")
                conn.putheader("Content-Length", "60000")
                conn.endheaders()
                conn.sock.settimeout(5.0)  # type: ignore[union-attr]
                while not stop.is_set():
                    try:
                        data = conn.sock.recv(4096)  # type: ignore[union-attr]
                        got[data.split(b" ", 2)[1].decode() if data else "closed"] += 1
                        break
                    except TimeoutError:
                        conn.sock.sendall(b" ")  # type: ignore[union-attr]
        except OSError as e:
            got[type(e).__name__] += 1
            time.sleep(1.0)


def _slow_image(host: str, port: int, url: str, stop: threading.Event, got: Counter[str]) -> None:
    body = json.dumps({"image_url": url}).encode()
    while not stop.is_set():
        try:
            with contextlib.closing(http.client.HTTPConnection(host, port, timeout=60)) as conn:
                conn.request("POST", "/api/v1/search", body=body, headers=JSON)
                response = conn.getresponse()
                response.read()
                got[str(response.status)] += 1
                if response.status in (429, 503):
                    time.sleep(float(response.getheader("Retry-After") or 1))
        except OSError as e:
            got[type(e).__name__] += 1
            time.sleep(1.0)


def allow_drip_host() -> None:
    """The served API may fetch image_url from the drip host on 127.0.0.2 (set before start)."""
    os.environ["VITRINE_FETCH_ALLOW_NETWORKS"] = "127.0.0.2/32"


def attack_phase(base: str, bodies: list[bytes], rate: float, seconds: float, seed: int,
                 headers: dict[str, str]) -> dict[str, Any]:
    """Storefront traffic at ``rate`` with ``headers`` while the attackers run."""
    from benchmarks.overload import open_loop

    host, port_text = base.removeprefix("http://").split(":")
    port = int(port_text)
    drip = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Drip)
    drip.daemon_threads = True
    threading.Thread(target=drip.serve_forever, daemon=True).start()
    url = f"http://127.0.0.2:{drip.server_address[1]}/slow.jpg"
    stop = threading.Event()
    got: dict[str, Counter[str]] = {"slow_body": Counter(), "slow_image": Counter()}
    attackers = [threading.Thread(target=_slow_body, args=(host, port, stop, got["slow_body"]), daemon=True)
                 for _ in range(SLOW_BODIES)]
    attackers += [threading.Thread(target=_slow_image, args=(host, port, url, stop, got["slow_image"]),
                                   daemon=True) for _ in range(SLOW_IMAGES)]
    for thread in attackers:
        thread.start()
    time.sleep(6.0)  # the attack is in full swing: every slot it can take is taken
    try:
        phase = open_loop(base, bodies, rate, seconds, "storefront under attack", seed, headers)
    finally:
        stop.set()
        drip.shutdown()
        drip.server_close()
    return {**phase.summary(), "attackers": {k: dict(v) for k, v in got.items()},
            "slow_bodies": SLOW_BODIES, "slow_images": SLOW_IMAGES}


def closed_capacity(base: str, bodies: list[bytes], clients: int, headers: dict[str, str]) -> float:
    """Searches per second that ``clients`` closed-loop storefront clients get answered."""
    host, port = base.removeprefix("http://").split(":")
    queue = list(reversed(bodies))
    lock = threading.Lock()
    answered = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            conn.request("POST", "/api/v1/search", body=body,
                         headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                with lock:
                    answered[0] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answered[0] / (time.perf_counter() - started)


def run_attack(args: Any, requests: list[Any], cursor: int) -> dict[str, Any]:
    """``--attack``: warm up, measure the storefront's capacity, then the attacker phase."""
    import signal
    import tempfile

    from benchmarks.api_load import run, start_server, storefront_headers, text_requests
    from benchmarks.overload import PrivateRedis

    allow_drip_host()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        private = PrivateRedis(Path(tmp))
        private.start()
        server, base = start_server(args.data_dir, args.model, private.url, args.threads)
        try:
            headers = storefront_headers(base, private.url)
            run(base, requests[:300], 8, headers)
            capacity = closed_capacity(base, [b for _, b, _ in requests[300:cursor]], args.clients, headers)
            total = cursor + int(2 * capacity * args.seconds) + 100
            bodies = [b for _, b, _ in text_requests(args.catalog, total, args.seed, facets=True)][cursor:]
            results["capacity_rps"] = round(capacity, 1)
            results["attack"] = attack_phase(base, bodies, 0.5 * capacity, args.seconds, args.seed, headers)
        finally:
            server.send_signal(signal.SIGTERM)
            results["server_exit_code"] = server.wait(timeout=60)
            private.kill()
    return results

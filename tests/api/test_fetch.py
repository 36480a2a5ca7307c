"""image_url: fetched with SSRF protection, timeouts and a size cap."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from api_test_helpers import image_bytes, settle
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from indexer.errors import FetchFailed, ImageTooLarge, UnsafeUrl
from indexer.media import FetchPolicy, blocked_by, check_url, fetch_image_bytes
from tests.conftest import local_http_server

PNG = image_bytes("PNG", (64, 64), "green")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/img.png":
            self._send(200, PNG, "image/png")
        elif self.path == "/big.png":
            self._send(200, PNG + b"\x00" * 50_000, "image/png")
        elif self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.1.2.3/img.png")
            self.end_headers()
        elif self.path == "/to-img":
            self.send_response(301)
            self.send_header("Location", "/img.png")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    with local_http_server(Handler) as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"


# Loopback is where the test server lives; everything else private stays blocked.
LOCAL_OK = FetchPolicy(timeout_s=2, max_bytes=20_000, allowed=blocked_by(["10.0.0.0/8", "169.254.0.0/16"]))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/a.png", "http://localhost/a.png", "http://10.0.0.5/a.png", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/", "http://2130706433/", "http://user:pw@example.com/", "file:///etc/passwd",
    "ftp://example.com/a.png", "gopher://example.com/", "http:///nohost",
])
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, FetchPolicy())


def test_a_host_with_any_private_address_is_refused() -> None:
    policy = FetchPolicy(resolver=lambda host, port: ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(UnsafeUrl):
        check_url("http://mixed.example/", policy)


def test_public_addresses_pass_and_the_checked_address_is_pinned() -> None:
    policy = FetchPolicy(resolver=lambda host, port: ["93.184.216.34"])
    assert check_url("https://shop.example/a.png?x=1", policy) == ("shop.example", 443, "93.184.216.34",
                                                                    "/a.png?x=1")


def test_fetch_follows_safe_redirects(server: str) -> None:
    assert fetch_image_bytes(f"{server}/to-img", LOCAL_OK) == PNG


def test_redirects_are_rechecked(server: str) -> None:
    with pytest.raises(UnsafeUrl):
        fetch_image_bytes(f"{server}/to-private", LOCAL_OK)


def test_redirect_loops_stop(server: str) -> None:
    with pytest.raises(FetchFailed, match="redirected more than"):
        fetch_image_bytes(f"{server}/loop", LOCAL_OK)


def test_size_cap(server: str) -> None:
    with pytest.raises(ImageTooLarge):
        fetch_image_bytes(f"{server}/big.png", LOCAL_OK)


def test_http_errors_are_reported(server: str) -> None:
    with pytest.raises(FetchFailed, match="404"):
        fetch_image_bytes(f"{server}/missing", LOCAL_OK)


def test_search_by_image_url(server: str, make_app: Callable[..., Flask], encoder, indexed_store,  # type: ignore[no-untyped-def]
                             redis_client, api_settings) -> None:
    from indexer import Settings

    app = create_app(Settings(), api_settings=api_settings, encoder=encoder, store=indexed_store,
                     redis=redis_client, fetch_policy=LOCAL_OK)
    client = app.test_client()
    response = client.post("/api/v1/search", json={"image_url": f"{server}/img.png", "k": 3})
    assert response.status_code == 200, response.json
    assert "fetch_ms" in response.json["timings"]
    response = client.post("/api/v1/search", json={"image_url": f"{server}/to-private"})
    assert response.status_code == 400
    assert response.json["error"] == "unsafe_url"
    settle(app)


def test_default_policy_refuses_loopback_through_the_api(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    response = client.post("/api/v1/search", json={"image_url": "http://127.0.0.1:6379/"})
    assert response.status_code == 400
    assert response.json["error"] == "unsafe_url"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """An HTTPS server with a self-signed certificate (which no client should trust)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with local_http_server(Handler, tls=context) as httpd:
        yield int(httpd.server_address[1])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_certificates_are_verified(tls_server: int) -> None:
    with pytest.raises(FetchFailed):
        fetch_image_bytes(f"https://localhost:{tls_server}/img.png", LOCAL_OK)


@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1",  # NAT64 to loopback, metadata, 10/8
    "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:101::",  # 6to4 around the same
    "::127.0.0.1", "::a9fe:a9fe", "::ffff:10.0.0.1",  # IPv4-compatible and mapped
])
def test_ipv6_addresses_carrying_a_private_ipv4_address_are_refused(
    address: str, client: FlaskClient
) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(f"http://[{address}]/a.png", FetchPolicy())
    resolving = FetchPolicy(resolver=lambda host, port: [address])
    with pytest.raises(UnsafeUrl):
        check_url("http://innocent.example/a.png", resolving)
    response = client.post("/api/v1/search", json={"image_url": f"http://[{address}]/a.png"})
    assert response.status_code == 400 and response.json["error"] == "unsafe_url", response.json


def test_ipv6_addresses_carrying_a_public_ipv4_address_still_pass() -> None:
    for address in ("64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"):
        policy = FetchPolicy(resolver=lambda host, port, a=address: [a])
        assert check_url("http://cdn.example/a.png", policy)[2] == address


def test_an_operator_can_allow_one_private_network_and_no_more() -> None:
    import ipaddress

    from indexer.media import allowing
    from settings.api import ApiSettings

    allowed = allowing(["127.0.0.2/32"])
    assert allowed(ipaddress.ip_address("127.0.0.2")) and allowed(ipaddress.ip_address("8.8.8.8"))
    assert not allowed(ipaddress.ip_address("127.0.0.1")) and not allowed(ipaddress.ip_address("10.0.0.1"))
    assert not allowed(ipaddress.ip_address("64:ff9b::7f00:2"))  # not through NAT64 either
    with pytest.raises(ValueError, match="VITRINE_FETCH_ALLOW_NETWORKS"):
        ApiSettings.from_env({"VITRINE_FETCH_ALLOW_NETWORKS": "not-a-network"})

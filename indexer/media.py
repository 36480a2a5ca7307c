"""Images from outside: fetching an image URL safely, and accepting an uploaded or fetched image.

Fetching ``image_url`` without becoming a proxy into the private network (SSRF):

Every hop (the URL and each redirect) is resolved once, every address it resolves
to is checked against the blocked networks, and the connection is then made to the
checked address itself, so a DNS answer that changes between check and connect
(rebinding) cannot redirect the request. A byte cap and one wall-clock deadline for the
whole fetch (connects, redirects, headers, body) bound the cost: every socket operation
gets the time left as its timeout, and a watchdog shuts the socket at the deadline, so a
host that drips a byte every few seconds cannot hold a request (or its admission slot).

Accepting an image (``accept_image``) lives in ``indexer.media_accept``; its names are exported
from here too, where the search and ingestion paths have always imported them.

Every refusal is an ``indexer.errors.MediaError``; the API maps each kind to its status.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from indexer.errors import FetchFailed, ImageTooLarge, UnsafeUrl
from indexer.media_accept import (  # noqa: F401  # exported from here too
    ACCEPTED,
    MAX_SIDE,
    QUERY_MAX_PIXELS,
    QueryImage,
    accept_image,
    sniff,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``, IPv4-compatible ``::a.b.c.d``, Teredo's
    client), or None: a gateway on the path would deliver to that IPv4 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Whether an address is globally routable: not private, loopback, link-local
    (cloud metadata lives at 169.254.169.254), multicast, reserved or unspecified; an IPv6
    address that carries an IPv4 one (NAT64, 6to4, IPv4-compatible, mapped) is judged by
    that IPv4 address as well."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """What an image fetch may do."""

    timeout_s: float = 5.0
    """Connect and per-read timeout; the whole fetch gets ``2 * timeout_s`` at most."""
    max_bytes: int = 8 * 1024 * 1024
    max_redirects: int = 3
    schemes: tuple[str, ...] = ("http", "https")
    allowed: Callable[[Address], bool] = is_public
    """Which resolved addresses may be connected to; tests swap this to reach a local server."""
    resolver: Resolver = field(default=system_resolver)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an already-checked address while sending the original Host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked address, verifying the certificate against the original host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def check_url(url: str, policy: FetchPolicy) -> tuple[str, int, str, str]:
    """Validate one hop: returns (host, port, address to connect to, path with query).

    Raises:
        UnsafeUrl: wrong scheme, credentials in the URL, or an address that is not public.
        FetchFailed: the host does not resolve.
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"image_url is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise UnsafeUrl(f"image_url is not a valid URL: {e}") from e
    if parts.scheme not in policy.schemes:
        raise UnsafeUrl(f"image_url must be an {' or '.join(policy.schemes)} URL")
    if not parts.hostname:
        raise UnsafeUrl("image_url has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("image_url must not carry credentials")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = policy.resolver(host, port)
    except (OSError, UnicodeError) as e:
        raise FetchFailed(f"image_url host {host!r} does not resolve") from e
    if not addresses:
        raise FetchFailed(f"image_url host {host!r} does not resolve")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if not policy.allowed(address):
            # One bad address refuses the host: connecting to "any good one" would let
            # an attacker's DNS answer choose.
            raise UnsafeUrl(f"image_url host {host!r} resolves to a non-public address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return host, port, addresses[0], path


class _Watchdog:
    """Shuts the fetch's current socket when the deadline passes, or as soon as ``cancelled``
    says the caller has gone: a blocked read then returns at once, however the peer paces its
    bytes (per-read timeouts alone restart on each byte)."""

    POLL_S = 0.25

    def __init__(self, deadline: float, cancelled: Callable[[], bool] | None = None) -> None:
        self.deadline = deadline
        self.fired = False
        self._cancelled = cancelled
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="vitrine-fetch-watchdog", daemon=True).start()

    def _run(self) -> None:
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0 or (self._cancelled is not None and self._cancelled()):
                self._fire()
                return
            if self._stop.wait(min(left, self.POLL_S) if self._cancelled else left):
                return

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                _shut(self._sock)

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired and sock is not None:
                _shut(sock)

    def left(self) -> float:
        """Seconds left, as a socket timeout; past the deadline, a failure."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.fired:
            raise FetchFailed("image_url was too slow to send the image")
        return left

    def stop(self) -> None:
        self._stop.set()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def fetch_image_bytes(url: str, policy: FetchPolicy, cancelled: Callable[[], bool] | None = None,
                      headers: dict[str, str] | None = None) -> bytes:
    """GET ``url`` under ``policy``, following and re-checking redirects, all within one
    wall-clock deadline of ``2 * policy.timeout_s``; ``cancelled`` (polled a few times a
    second) ends the fetch early when whoever asked for it has gone; ``headers``, when given,
    receives the final answer's headers (lower-case names; a feed's pages are linked by ``Link``).

    Raises:
        UnsafeUrl, FetchFailed, ImageTooLarge.
    """
    watchdog = _Watchdog(time.monotonic() + 2 * policy.timeout_s, cancelled)
    try:
        return _fetch(url, policy, watchdog, headers)
    finally:
        watchdog.stop()


def _fetch(url: str, policy: FetchPolicy, watchdog: _Watchdog, headers: dict[str, str] | None) -> bytes:
    for _ in range(policy.max_redirects + 1):
        host, port, address, path = check_url(url, policy)
        scheme = urlsplit(url).scheme
        kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = kind(host, port, address, min(policy.timeout_s, watchdog.left()))
        try:
            conn.connect()
            sock = conn.sock  # http.client drops its reference once a closing response is read
            watchdog.watch(sock)
            sock.settimeout(watchdog.left())
            conn.request("GET", path, headers={"User-Agent": "vitrine-image-fetch/1", "Accept": "image/*"})
            response = conn.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchFailed(f"image_url answered {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchFailed(f"image_url answered HTTP {response.status}")
            if headers is not None:  # repeated headers (several Link lines) joined as HTTP allows
                headers.update({k.lower(): response.getheader(k) or "" for k in response.headers})
            return _read_capped(response, sock, policy.max_bytes, watchdog)
        except (OSError, http.client.HTTPException) as e:
            watchdog.left()  # the watchdog closed the socket: say so, not "connection reset"
            raise FetchFailed(f"image_url could not be fetched: {e.__class__.__name__}") from e
        finally:
            watchdog.watch(None)
            conn.close()
    raise FetchFailed(f"image_url redirected more than {policy.max_redirects} times")


def _read_capped(
    response: http.client.HTTPResponse, sock: socket.socket, max_bytes: int, watchdog: _Watchdog
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ImageTooLarge(f"the image at image_url is larger than {max_bytes:,} bytes")
    chunks: list[bytes] = []
    total = 0
    while True:
        # read1: one socket read at most, each with the time left as its timeout (read()
        # would loop over reads until CHUNK bytes came, however slowly they drip).
        sock.settimeout(watchdog.left())
        chunk = response.read1(CHUNK)
        watchdog.left()  # an empty read may be the watchdog's shutdown, not the end
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise ImageTooLarge(f"the image at image_url is larger than {max_bytes:,} bytes")
        chunks.append(chunk)


def allowing(networks: Sequence[str]) -> Callable[[Address], bool]:
    """Public addresses, and also those in ``networks`` (CIDRs an operator chose to allow)."""
    nets = [ipaddress.ip_network(n, strict=False) for n in networks]
    if not nets:
        return is_public
    return lambda address: is_public(address) or any(address in net for net in nets)


def blocked_by(networks: Sequence[str]) -> Callable[[Address], bool]:
    """A policy predicate refusing only ``networks`` (for tests against a local server)."""
    nets = [ipaddress.ip_network(n) for n in networks]
    return lambda address: not any(address in net for net in nets)

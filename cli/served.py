"""Finding a running ``vitrine serve`` for the data directory, and asking it over HTTP.

The embedded store belongs to one process at a time. While ``vitrine serve`` holds it, the
commands that only read (``search``, ``stats``, ``doctor``) go through that server instead of
opening the store: the server has the model loaded, so they answer at once. ``serve`` writes
its address to ``DATA_DIR/serve.json`` when it starts and removes it when it stops; a file left
by a server that died is recognised by its process id and ignored.

Only the standard library is used here, so a command that goes through the server never
imports torch or the Qdrant client.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from settings.core import Settings

FILE_NAME = "serve.json"
HEALTH_TIMEOUT_S = 3.0
REQUEST_TIMEOUT_S = 60.0
log = logging.getLogger("vitrine")


@dataclass(frozen=True)
class Served:
    """A live ``vitrine serve`` for this data directory."""

    pid: int
    url: str
    collection: str
    data_dir: Path

    def notice(self) -> str:
        return (f"the store at {self.data_dir} is served by process {self.pid} "
                f"(vitrine serve at {self.url}); using it")


def serve_file(settings: Settings) -> Path:
    return settings.data_dir / FILE_NAME


def announce(settings: Settings, host: str, port: int) -> Path | None:
    """Write this process's address for the other commands; returns the file to remove at exit.

    Only for the embedded store: with a Qdrant server the commands open the store themselves.
    """
    if settings.qdrant_url:
        return None
    # A server bound to every address is reached locally through the loopback address.
    local = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    path = serve_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _owner(path) not in (None, os.getpid()):
        return None  # another live server has this data directory (and this one will not get its store)
    body = {"pid": os.getpid(), "url": f"http://{local}:{port}", "collection": settings.collection}
    path.write_text(json.dumps(body))
    return path


def withdraw(path: Path | None) -> None:
    """Remove the file ``announce`` wrote, if it is still this process's."""
    if path is None:
        return
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _owner(path: Path) -> int | None:
    """The live process that wrote ``path``, or None (no file, unreadable, or its writer died)."""
    try:
        pid = int(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def find(settings: Settings) -> Served | None:
    """The running server for this data directory and collection, or None.

    Raises:
        click.ClickException: a server holds the store but does not answer (still starting, or hung).
    """
    if settings.qdrant_url:
        return None
    try:
        body = json.loads(serve_file(settings).read_text())
        pid, url, collection = int(body["pid"]), str(body["url"]), str(body["collection"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if collection != settings.collection or not _alive(pid):
        return None
    served = Served(pid, url, collection, settings.data_dir.resolve())
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=HEALTH_TIMEOUT_S):
            pass
    except (urllib.error.URLError, OSError) as e:
        raise click.ClickException(
            f"the store at {served.data_dir} is held by process {pid} (vitrine serve), which does not "
            f"answer at {url} yet ({e}); wait until it is up, or stop it to use the store directly "
            f"(if no server runs there, remove {serve_file(settings)})"
        ) from e
    log.info(served.notice())
    return served


def _multipart(fields: dict[str, str], image: Path) -> tuple[bytes, str]:
    boundary = "vitrine-" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    kind = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{image.name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode() + image.read_bytes() + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call(served: Served, method: str, path: str, body: dict[str, Any] | None = None,
         image: Path | None = None) -> dict[str, Any]:
    """One API call; the server's error message becomes the command's one-line error."""
    data: bytes | None = None
    headers: dict[str, str] = {}
    if image is not None:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()}
        try:
            data, headers["Content-Type"] = _multipart(fields, image)
        except OSError as e:
            raise click.ClickException(f"cannot read {image}: {e.strerror or e}") from e
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(served.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as e:
        try:
            message = json.loads(e.read()).get("message") or e.reason
        except (ValueError, AttributeError):
            message = e.reason
        raise click.ClickException(f"{message} (from vitrine serve, process {served.pid})") from e
    except (urllib.error.URLError, OSError) as e:
        raise click.ClickException(f"vitrine serve (process {served.pid}) at {served.url} failed: {e}") from e


def store_busy(settings: Settings, error: Exception) -> click.ClickException | None:
    """A one-line explanation when ``error`` says another process holds the embedded store."""
    if "WouldBlock" not in str(error):
        return None
    return click.ClickException(
        f"the store at {settings.data_dir.resolve()} is open in another process (a `vitrine serve`, "
        "`vitrine worker` or `vitrine index`); stop it, or wait for it to finish, then run this again"
    )

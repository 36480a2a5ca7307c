"""A private redis-server for a benchmark or a test session: a free loopback port, a temporary
folder, nothing persisted, stopped afterwards.

Benchmarks flush the databases they use, so they must never be pointed at a Redis that other
checkouts, developers or services share; by default they start one of these instead.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

INSTALL_HINT = "`make redis-bin` (or apt-get install redis-server) installs it"


class RedisUnavailable(RuntimeError):
    """redis-server is missing or would not start."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start redis-server on a free loopback port in ``workdir``; a few tries, since another
    process may take the port between choosing it and redis binding it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(f"redis-server is not installed: {INSTALL_HINT}")
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
             "--save", "", "--appendonly", "no", "--databases", "16"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        for _ in range(100):
            if proc.poll() is not None:
                break  # exited: most likely the port was taken; try another
            try:
                # Ours, not a stranger that took the port: a fresh server holds no keys.
                if client.ping() and proc.poll() is None and client.dbsize() == 0:
                    client.close()
                    return proc, port
            except redis.RedisError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RedisUnavailable("redis-server did not start on a free port")


def stop_redis(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def private_redis(db: int = 0) -> Iterator[str]:
    """The URL of a redis-server started for the caller alone, stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="vitrine-redis-") as workdir:
        proc, port = start_redis(Path(workdir))
        try:
            yield f"redis://127.0.0.1:{port}/{db}"
        finally:
            stop_redis(proc)

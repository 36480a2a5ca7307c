"""Starting and stopping a store host (indexer/store_host.py) as a child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from indexer.errors import StoreError
from indexer.store.remote import HostUnreachable, RemoteStore
from settings.core import Settings

READY_TIMEOUT_S = 60.0


class HostProcess:
    """A store host for ``settings.data_dir`` on a socket in a private temporary directory.

    ``start`` returns once the host has opened ``settings.collection`` (so a shard that another
    process holds is reported here, not by every worker that boots); ``stop`` flushes and ends it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # A short private path: Unix socket paths are limited to ~100 bytes, and mode 0700 keeps
        # other users off the socket.
        self._dir = Path(tempfile.mkdtemp(prefix="vitrine-store-"))
        self.socket_path = self._dir / "store.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HostProcess:
        command = [
            sys.executable, "-m", "indexer.store.host", "--data-dir", str(self.settings.data_dir),
            "--socket", str(self.socket_path), "--hnsw-m", str(self.settings.hnsw_m),
            "--search-threads", str(self.settings.search_threads), "--parent-pid", str(os.getpid()),
        ]
        # Its own session: a Ctrl-C at the terminal stops gunicorn, which lets its workers finish
        # their requests; the host must outlive them, so it stops when ``stop`` says so.
        self.process = subprocess.Popen(command, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._cleanup()
                raise StoreError(f"the store host exited with status {self.process.returncode}")
            if self.socket_path.exists():
                try:
                    RemoteStore(self.socket_path, self.settings.collection).close()
                    return self
                except HostUnreachable as e:  # bound but not yet accepting: wait
                    last = e
                except StoreError:  # it answered with a refusal (the shard is held elsewhere)
                    self.stop()
                    raise
            time.sleep(0.1)
        self.stop()
        raise StoreError(f"the store host did not answer within {READY_TIMEOUT_S:.0f} s: {last}")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the host to flush and stop (SIGTERM); kill it if it does not within ``timeout_s``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> HostProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

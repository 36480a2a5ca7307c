"""Wall time of the `vitrine` command as a user types it: `--help`, an argument error, a cold
`search`/`stats` on an indexed data directory, and the same with a `vitrine serve` running for
that directory (the CLI then goes through the server).

    python -m benchmarks.cli_latency --data-dir data [--repeats 5] [--compare REV] [--json OUT]

The data directory must already be indexed (`vitrine index --catalog ../shared/catalog
--limit 1000`). A private redis-server is started on a free port for the server. With
``--compare REV``, the same commands are timed on that commit (extracted with `git archive`
into a temporary folder, run with this interpreter) side by side; a command that fails there
is reported with its first error line.

Each command's figures: median and best wall seconds, and the median CPU seconds (user + sys,
of the command's process and what it waited for). "search, no cached tower" removes
``DATA_DIR/cache`` before each run: the first search on a data directory that no `vitrine index`
of this version wrote (it builds the compiled text tower and writes it there, encoder/text_cache.py);
"search" is every later one. The load average and a 20-million-step Python loop's time are
recorded before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.api_load import machine_speed

REPO = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "argument error": ["search"],
    "search, no cached tower": ["search", "black watch", "-k", "5"],
    "search": ["search", "black watch", "-k", "5"],
    "stats": ["stats"],
}
SERVED = ("search", "stats")
UNCACHED = "search, no cached tower"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(code: Path, args: list[str], env: dict[str, str], repeats: int,
                 clear: Path | None = None) -> dict[str, Any]:
    """Median and best wall seconds and median CPU seconds of ``python -m cli.main ARGS`` run
    from ``code`` (``clear``: a folder removed before each run)."""
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        if clear is not None:
            shutil.rmtree(clear, ignore_errors=True)
        used = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=code, env=env,
                              capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - used)
        if done.returncode not in (0, 2):  # 2: the argument error, on purpose
            error = (done.stderr or done.stdout).strip().splitlines()
            return {"failed": error[-1][:160] if error else f"exit {done.returncode}"}
    return {"median_s": round(statistics.median(times), 3), "best_s": round(min(times), 3),
            "cpu_s": round(statistics.median(cpu), 3)}


def _machine() -> dict[str, Any]:
    return {"load_average": [round(x, 2) for x in os.getloadavg()], "python_loop_s": machine_speed()}


def _wait_until_answering(url: str, timeout_s: float = 300) -> None:
    """Until every worker answers (gunicorn listens before its workers have loaded the model)."""
    deadline = time.monotonic() + timeout_s
    answered = 0
    while time.monotonic() < deadline and answered < 4:
        try:
            with urllib.request.urlopen(url, timeout=5):
                answered += 1
        except OSError:
            answered = 0
            time.sleep(0.5)


def measure(code: Path, env: dict[str, str], repeats: int) -> dict[str, Any]:
    cache = Path(env["VITRINE_DATA_DIR"]) / "cache"
    out = {name: time_command(code, args, env, repeats, cache if name == UNCACHED else None)
           for name, args in COMMANDS.items()}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
                              cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}/api/v1/ready")
        for name in SERVED:
            out[f"{name}, server running"] = time_command(code, COMMANDS[name], env, repeats)
    finally:
        server.terminate()
        server.wait(60)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compare", metavar="REV", help="Also time this commit.")
    parser.add_argument("--json", type=Path)
    a = parser.parse_args()
    redis_dir = Path(tempfile.mkdtemp(prefix="vitrine-cli-bench-"))
    redis_port = _free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir",
                              str(redis_dir), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    env = {**os.environ, "VITRINE_DATA_DIR": str(a.data_dir.resolve()),
           "VITRINE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "VITRINE_MEDIA_DIR": str(redis_dir / "media"), "PYTHONPATH": ""}
    results: dict[str, Any] = {"cpus": os.cpu_count(), "repeats": a.repeats, "machine_before": _machine()}
    try:
        time.sleep(0.5)
        results["this checkout"] = measure(REPO, env, a.repeats)
        if a.compare:
            old = redis_dir / "old"
            old.mkdir()
            archive = subprocess.run(["git", "archive", a.compare], cwd=REPO, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            results[f"commit {a.compare}"] = measure(old, env, a.repeats)
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(redis_dir, ignore_errors=True)
    results["machine_after"] = _machine()
    text = json.dumps(results, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    main()

"""``vitrine doctor``: check a deployment's configuration and connectivity, in plain words."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli import served
from cli.group import cli
from settings import ApiSettings, QueueSettings, VitrineSettings
from settings.core import Settings
from settings.redact import masked_url

if TYPE_CHECKING:
    from encoder import Encoder
    from indexer.store.protocol import CollectionInfo

MIN_FREE_BYTES = 1 << 30


@dataclass
class Finding:
    level: str  # "ok", "warn" or "FAIL"
    topic: str
    message: str


class Doctor:
    """Runs the checks in order; later checks skip what an earlier failure makes moot."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, level: str, topic: str, message: str) -> None:
        self.findings.append(Finding(level, topic, message))

    def run(self, topic: str, check: Callable[[], str | None]) -> bool:
        try:
            message = check()
        except Exception as e:  # every failure becomes a finding, never a traceback
            self.add("FAIL", topic, str(e) or type(e).__name__)
            return False
        if message is not None:
            self.add("ok", topic, message)
        return True

    @property
    def failed(self) -> bool:
        return any(f.level == "FAIL" for f in self.findings)


def _writable(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path):
        pass
    free = shutil.disk_usage(path).free
    if free < MIN_FREE_BYTES:
        raise RuntimeError(f"{path} has only {free / 2**20:.0f} MB free; indexing needs room to grow")
    return f"{path.resolve()} is writable ({free / 2**30:.1f} GB free)"


def keywords_notice(info: CollectionInfo) -> str | None:
    """What to tell the user when the collection predates the keyword vector, else None."""
    if info.keywords or info.points == 0:
        return None
    spec = info.model_spec or info.model or "SPEC"
    return (
        "the collection has no keyword vector (it was built before keyword search): searches use "
        f"its image and text vectors only; run `vitrine reindex --model {spec}` to add it "
        "(the collection keeps serving while the new one is built)"
    )


def _settings(doctor: Doctor) -> VitrineSettings | None:
    """Every section, or None (with the failure noted) when one does not parse."""
    found: list[VitrineSettings] = []

    def check() -> str | None:
        core, queue = Settings.from_env(), QueueSettings.from_env()
        try:
            found.append(VitrineSettings(core, ApiSettings.from_env(), queue))
        except ValueError as e:
            # Say why the API would refuse to start, then check the rest as in development.
            doctor.add("FAIL", "api", str(e))
            found.append(VitrineSettings(core, ApiSettings.from_env(environment="development"), queue))
            return None
        return "every VITRINE_* and QDRANT_* variable parses"

    return found[0] if doctor.run("settings", check) else None


def _secrets(doctor: Doctor, api: ApiSettings) -> None:
    if api.jwt_secret is None:
        doctor.add(
            "warn",
            "secrets",
            "VITRINE_JWT_SECRET is not set: tokens are signed with a random key and end when the "
            "server restarts; set 32 or more random bytes",
        )
    else:
        doctor.add("ok", "secrets", "VITRINE_JWT_SECRET is set")


def _store(doctor: Doctor, core: Settings, encoder: Encoder | None) -> str:
    if core.qdrant_url and not core.qdrant_api_key:
        doctor.add(
            "warn",
            "qdrant",
            "QDRANT_URL is set without QDRANT_API_KEY; a production server "
            "should require a key (qdrant_config.yaml / QDRANT__SERVICE__API_KEY)",
        )
    from indexer import IndexerError, open_store
    from indexer.categories import TABLE, unmapped_types

    try:
        st = open_store(core)
    except IndexerError as e:
        if "WouldBlock" in str(e):
            return (
                f"the embedded store in {core.data_dir} is open in another process (a running API or "
                "worker); that process owns it, so this is expected while it runs"
            )
        raise
    try:
        info = st.info()
        unmapped = unmapped_types(st) if info.points else Counter()
    finally:
        st.close()
    if unmapped:
        top = ", ".join(f"{value!r} ({n})" for value, n in unmapped.most_common(5))
        doctor.add("warn", "categories",
                   f"{sum(unmapped.values())} products have a product_type the category table does not "
                   f"map (most common: {top}); add them to {TABLE}")
    notice = keywords_notice(info)
    if notice is not None:
        doctor.add("warn", "keywords", notice)
    if info.points == 0:
        doctor.add("warn", "collection", f"{info.location} is empty: run `vitrine index --catalog DIR`")
    elif encoder is not None and info.model != encoder.model_id:
        raise RuntimeError(
            f"the collection holds vectors of {info.model}, but VITRINE_MODEL loads "
            f"{encoder.model_id}: searches would compare different spaces; "
            "set VITRINE_MODEL to the collection's model or run `vitrine reindex`"
        )
    return f"{info.backend} at {info.location}: {info.points} products, model {info.model}"


def _redis(doctor: Doctor, api: ApiSettings, queue: QueueSettings) -> str:
    import redis

    from api.proxy_hint import proxy_seen
    from workers import Ingestion

    client = redis.Redis.from_url(api.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        raise RuntimeError(
            f"cannot reach Redis at {masked_url(api.redis_url)} ({e}): rate limits fall back to memory, the "
            "embedding cache and ingestion queue are unavailable; start Redis or set VITRINE_REDIS_URL"
        ) from e
    try:
        if client.config_get("appendonly").get("appendonly") != "yes":
            doctor.add(
                "warn",
                "redis",
                "AOF persistence is off: queued jobs are lost if Redis restarts "
                "(redis-server --appendonly yes)",
            )
    except redis.ResponseError:
        pass  # managed Redis services often forbid CONFIG
    seen = proxy_seen(client)
    if seen and not api.trusted_proxies:
        doctor.add(
            "warn", "proxy",
            f"requests with X-Forwarded-For arrived from {seen} but VITRINE_TRUSTED_PROXIES is 0: "
            "behind a reverse proxy every anonymous caller then shares the proxy's address and "
            "rate limit; set it to the number of proxies in front of the API",
        )
    counts = Ingestion(client, queue).counts()
    failed = counts["failed"]
    if failed:
        doctor.add("warn", "queue", f"{failed} failed ingestion jobs: `vitrine jobs --failed` shows why")
    shown = masked_url(api.redis_url)
    return f"{shown} answers; queue {counts['queued']} queued, {counts['started']} running"


def _server(core: Settings, found: list[served.Served]) -> str | None:
    try:
        server = served.find(core)
    except click.ClickException as e:
        raise RuntimeError(e.message) from e
    if server is None:
        return None
    found.append(server)
    return server.notice()


def _served_store(doctor: Doctor, server: served.Served) -> str:
    checks = served.call(server, "GET", "/ready")["checks"]
    store, model = checks["store"], checks["model"]
    if not store.get("ok"):
        raise RuntimeError(store.get("message") or "the server cannot read its store")
    return (f"{store['backend']} served by process {server.pid}: {store['points']} products, "
            f"model {model['id']}")


def _model_and_store(doctor: Doctor, core: Settings) -> None:
    from encoder import load_encoder

    encoders: list[Encoder] = []

    def model() -> str:
        encoders.append(load_encoder(core.model, core.device, core.torch_threads))
        return f"{core.model} loads as {encoders[0].model_id} ({encoders[0].dim}-d, {encoders[0].device})"

    doctor.run("model", model)
    doctor.run("store", lambda: _store(doctor, core, encoders[0] if encoders else None))


def diagnose() -> Doctor:
    doctor = Doctor()
    settings = _settings(doctor)
    if settings is None:
        return doctor
    core, api, queue = settings.core, settings.api, settings.queue
    _secrets(doctor, api)
    server: list[served.Served] = []
    doctor.run("server", lambda: _server(core, server))
    if server:
        # The server has the model and the store open: ask it rather than load them again.
        doctor.run("store", lambda: _served_store(doctor, server[0]))
    else:
        _model_and_store(doctor, core)
    if not core.qdrant_url:
        doctor.run("data", lambda: _writable(core.data_dir))
    doctor.run("redis", lambda: _redis(doctor, api, queue))
    doctor.run("media", lambda: _writable(queue.media_dir))
    if queue.redis_url != api.redis_url:
        doctor.add("warn", "redis", "the API and the workers were given different Redis URLs")
    return doctor


@cli.command()
def doctor() -> None:
    """Check configuration and connectivity (model, store, Redis, secrets) and explain problems."""
    result = diagnose()
    for f in result.findings:
        click.echo(f"{f.level:<4}  {f.topic:<10}  {f.message}")
    if result.failed:
        raise SystemExit(1)

"""Deployment wiring: docker-compose.yml, qdrant_config.yaml and the Dockerfile agree with the app."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import yaml

from api.app import create_app
from cli.config_reference import rows
from indexer import Settings
from settings.api import ApiSettings
from tests.conftest import RedisServer

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
QDRANT = yaml.safe_load((REPO / "qdrant_config.yaml").read_text())
APP_SERVICES = ("api", "worker")
KNOWN = {r[0] for r in rows()}
NEEDED = {
    "api": {
        "QDRANT_URL",
        "QDRANT_API_KEY",
        "VITRINE_REDIS_URL",
        "VITRINE_JWT_SECRET",
        "VITRINE_DATA_DIR",
        "VITRINE_MEDIA_DIR",
        "VITRINE_MODEL",
    },
    "worker": {
        "QDRANT_URL",
        "QDRANT_API_KEY",
        "VITRINE_REDIS_URL",
        "VITRINE_DATA_DIR",
        "VITRINE_MEDIA_DIR",
        "VITRINE_MODEL",
    },
}
DUMMY_ENV = {"QDRANT_API_KEY": "test-key", "VITRINE_JWT_SECRET": "x" * 40, "VITRINE_REDIS_PASSWORD": "p" * 32}


def _compose_cli() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True)
        if shutil.which("docker")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return ["docker", "compose"]
    pytest.fail(
        "neither `docker compose` nor `docker-compose` is installed (make test installs docker-compose)"
    )


def _default(value: str) -> str:
    """``${VAR:-default}`` -> default; plain values unchanged."""
    match = re.fullmatch(r"\$\{[A-Z_]+:-([^}]*)\}", str(value))
    return match.group(1) if match else str(value)


@pytest.mark.parametrize("profile", [[], ["--profile", "cluster"]], ids=["default", "cluster"])
def test_compose_file_validates(profile: list[str]) -> None:
    result = subprocess.run(
        [*_compose_cli(), *profile, "config", "-q"],
        cwd=REPO,
        env={**os.environ, **DUMMY_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*_compose_cli(), "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in DUMMY_ENV},
    )
    assert (
        missing.returncode != 0 and "QDRANT_API_KEY" in missing.stderr
    )  # secrets are required, not defaulted


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_get_every_variable_they_need(service: str) -> None:
    env = COMPOSE["services"][service]["environment"]
    assert NEEDED[service] <= set(env), NEEDED[service] - set(env)
    unknown = {
        k for k in env if k.startswith(("VITRINE_", "QDRANT_")) and k not in KNOWN and k != "VITRINE_ENV"
    }
    assert not unknown, f"variables no component reads (typos?): {unknown}"


def test_urls_point_at_the_services_and_ports() -> None:
    env = COMPOSE["services"]["api"]["environment"]
    qdrant = urlsplit(_default(env["QDRANT_URL"]))
    assert qdrant.hostname in COMPOSE["services"] and qdrant.port == QDRANT["service"]["http_port"]
    assert (
        f"127.0.0.1:{qdrant.port}:{QDRANT['service']['http_port']}" in COMPOSE["services"]["qdrant"]["ports"]
    )
    redis_url = urlsplit(env["VITRINE_REDIS_URL"])
    assert redis_url.hostname in COMPOSE["services"] and (redis_url.port or 6379) == 6379
    assert "--appendonly" in COMPOSE["services"]["redis"]["command"]  # queued jobs survive restarts


def test_volumes_match_paths() -> None:
    declared = set(COMPOSE["volumes"])
    for name, service in COMPOSE["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source.startswith("./") or source in declared, f"{name}: undeclared volume {source}"
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: {source} is not in the repository"
    qdrant_mounts = {m.split(":")[1] for m in COMPOSE["services"]["qdrant"]["volumes"]}
    assert {QDRANT["storage"]["storage_path"], QDRANT["storage"]["snapshots_path"]} <= qdrant_mounts
    assert "/qdrant/config/production.yaml" in qdrant_mounts
    media = {
        service: [m for m in COMPOSE["services"][service]["volumes"] if m.startswith("media:")]
        for service in APP_SERVICES
    }
    # the API stores uploads where the workers read them
    for service in APP_SERVICES:
        assert media[service] == [f"media:{COMPOSE['services'][service]['environment']['VITRINE_MEDIA_DIR']}"]


def test_cluster_profile_is_three_bootstrapped_nodes() -> None:
    nodes = {n: s for n, s in COMPOSE["services"].items() if "cluster" in s.get("profiles", [])}
    assert len(nodes) == 3
    p2p = QDRANT["cluster"]["p2p"]["port"]
    for name, node in nodes.items():
        assert node["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert f"http://{name}:{p2p}" in node["command"]
        if name != "qdrant-node-1":
            assert f"http://qdrant-node-1:{p2p}" in node["command"]
    assert "VITRINE_REPLICATION_FACTOR" in COMPOSE["services"]["api"]["environment"]


def test_health_checks_call_endpoints_that_exist(encoder, indexed_store, redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url(15))
    app = create_app(
        Settings(),
        api_settings=ApiSettings(redis_url=redis_server.url(15), jwt_secret="y" * 40),
        encoder=encoder,
        store=indexed_store,
        redis=client,
    )
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    checks = [" ".join(COMPOSE["services"]["api"]["healthcheck"]["test"])]
    checks.append(next(line for line in (REPO / "Dockerfile").read_text().splitlines() if "urlopen" in line))
    for check in checks:
        path = urlsplit(re.search(r"http://127\.0\.0\.1:8000(/[a-z/]*)", check).group(0)).path  # type: ignore[union-attr]
        assert path in routes, f"health check calls {path}, which the app does not serve"
        assert app.test_client().get(path).status_code == 200
    client.close()


def test_redis_has_a_password_and_the_cache_its_own_evicting_instance() -> None:
    env = COMPOSE["services"]["api"]["environment"]
    main, cache = urlsplit(env["VITRINE_REDIS_URL"]), urlsplit(env["VITRINE_CACHE_REDIS_URL"])
    assert main.password and cache.password  # every client URL carries the password
    queue = COMPOSE["services"]["redis"]["command"]
    assert queue[queue.index("--maxmemory-policy") + 1] == "noeviction"  # jobs and clients stay
    assert "--requirepass" in queue
    evicting = COMPOSE["services"][cache.hostname]["command"]
    assert evicting[evicting.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert "--maxmemory" in evicting and "--requirepass" in evicting
    assert "VITRINE_TRUSTED_PROXIES" in env

"""vitrine doctor explains what is wrong with a deployment, and exits non-zero on failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli.main import cli
from tests.conftest import RedisServer


def _doctor(env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["doctor"], env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_healthy_deployment(
    indexed_data_dir: Path, tiny_model_dir: Path, tmp_path: Path, redis_server: RedisServer
) -> None:
    code, out = _doctor(
        {
            "VITRINE_DATA_DIR": str(indexed_data_dir),
            "VITRINE_MODEL": str(tiny_model_dir),
            "VITRINE_REDIS_URL": redis_server.url(15),
            "VITRINE_JWT_SECRET": "z" * 40,
            "VITRINE_MEDIA_DIR": str(tmp_path / "media"),
        }
    )
    assert code == 0, out
    assert "FAIL" not in out
    assert "model       " in out and "loads as tiny-clip@" in out
    assert "products, model tiny-clip@" in out


def test_problems_are_explained(tmp_path: Path, tiny_model_dir: Path, indexed_data_dir: Path) -> None:
    code, out = _doctor(
        {
            "VITRINE_DATA_DIR": str(indexed_data_dir),
            "VITRINE_MODEL": f"random:{tiny_model_dir}",
            "VITRINE_REDIS_URL": "redis://127.0.0.1:1/0",
            "VITRINE_ENV": "production",
            "VITRINE_MEDIA_DIR": str(tmp_path / "media"),
        }
    )
    assert code == 1
    assert "FAIL  api         VITRINE_ENV=production needs VITRINE_JWT_SECRET" in out
    assert "FAIL  redis       cannot reach Redis at redis://127.0.0.1:1/0" in out
    assert "FAIL  store       the collection holds vectors of tiny-clip@" in out and "vitrine reindex" in out
    code, out = _doctor({"VITRINE_BATCH_SIZE": "many"})
    assert code == 1 and "VITRINE_BATCH_SIZE='many' is not a valid int" in out


def test_a_proxy_without_trusted_proxies_is_pointed_out(
    indexed_data_dir: Path, tiny_model_dir: Path, tmp_path: Path, redis_server: RedisServer, encoder: Any,
) -> None:
    import redis

    from api.app import create_app
    from indexer import EdgeStore, Settings
    from settings.api import ApiSettings

    url = redis_server.url(9)
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    store = EdgeStore(tmp_path / "data")
    try:
        app = create_app(Settings(), api_settings=ApiSettings(redis_url=url, jwt_secret="z" * 40),
                         encoder=encoder, store=store, redis=connection)
        client = app.test_client()
        assert client.get("/api/v1/health", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200
        env = {"VITRINE_DATA_DIR": str(indexed_data_dir), "VITRINE_MODEL": str(tiny_model_dir),
               "VITRINE_REDIS_URL": url, "VITRINE_JWT_SECRET": "z" * 40,
               "VITRINE_MEDIA_DIR": str(tmp_path / "media")}
        assert "warn  proxy" not in _doctor(env)[1]  # no forwarded request yet
        client.get("/api/v1/health", headers={"X-Forwarded-For": "203.0.113.9"},
                   environ_base={"REMOTE_ADDR": "10.0.0.7"})
        code, out = _doctor(env)
        assert code == 0 and "warn  proxy" in out and "10.0.0.7" in out, out
        assert "warn  proxy" not in _doctor({**env, "VITRINE_TRUSTED_PROXIES": "1"})[1]
    finally:
        store.close()
        connection.flushdb()
        connection.close()


def test_the_redis_password_is_never_printed(
    tmp_path: Path, tiny_model_dir: Path, indexed_data_dir: Path
) -> None:
    code, out = _doctor(
        {
            "VITRINE_DATA_DIR": str(indexed_data_dir),
            "VITRINE_MODEL": str(tiny_model_dir),
            "VITRINE_REDIS_URL": "redis://:s3cret-Pa55@127.0.0.1:1/0",
            "VITRINE_MEDIA_DIR": str(tmp_path / "media"),
        }
    )
    assert code == 1
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in out
    assert "s3cret" not in out


def test_masked_urls_keep_everything_but_the_password() -> None:
    from settings.redact import masked_url

    assert masked_url("redis://default:pw@redis:6379/2") == "redis://default:***@redis:6379/2"
    assert masked_url("rediss://:pw@[::1]:6380") == "rediss://:***@[::1]:6380"
    assert masked_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert "pw" not in masked_url("redis://:pw@host:notaport/0")

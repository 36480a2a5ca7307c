"""vitrine doctor explains what is wrong with a deployment, and exits non-zero on failures."""

from __future__ import annotations

from pathlib import Path

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

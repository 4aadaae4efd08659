"""The `blindside` command as a user runs it: real processes, a real serve-demo, a real DB file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from blindside.db import create_db_engine
from blindside.tables import Prompt, Response, Suite
from tests.conftest import MODELS_TOML, SEED_PROMPTS
from tests.processes import blindside, serve_demo_process


@pytest.fixture(scope="module")
def serve_demo() -> Iterator[str]:
    """`blindside serve-demo` in its own process on a loopback port."""
    with serve_demo_process("--latency-scale", "0.02") as url:
        yield url


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(MODELS_TOML, tmp_path / "models.toml")
    shutil.copytree(SEED_PROMPTS, tmp_path / "seed_prompts")
    return tmp_path


def test_generate_against_serve_demo(workdir: Path, serve_demo: str) -> None:
    env = {"BLINDSIDE_DEMO_URL": serve_demo}
    db = f"sqlite:///{workdir / 'cli.db'}"
    models = "Demo careful,Demo erratic"
    done = blindside(
        "generate",
        "--db",
        db,
        "--suite",
        "high_volume",
        "--models",
        models,
        "--samples",
        "2",
        "--concurrency",
        "8",
        env=env,
        cwd=workdir,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "run 1:" in done.stdout
    engine = create_db_engine(db)
    with Session(engine) as s:
        n_prompts = s.exec(
            select(func.count()).select_from(Prompt).join(Suite).where(Suite.name == "high_volume")
        ).one()
        n_rows = s.exec(select(func.count()).select_from(Response)).one()
        with_ttft = s.exec(
            select(func.count()).select_from(Response).where(Response.ttft_ms.is_not(None))
        ).one()
    assert n_rows == n_prompts * 2 * 2  # prompts x models x samples
    assert with_ttft > 0.9 * n_rows
    # Running it again asks only for what failed.
    again = blindside(
        "generate",
        "--db",
        db,
        "--suite",
        "high_volume",
        "--models",
        models,
        "--samples",
        "2",
        env=env,
        cwd=workdir,
    )
    failed_first = int(re.search(r"failed (\d+)", done.stdout).group(1))
    assert f"requested {failed_first}," in again.stdout


def test_bad_suite_exits_2_and_writes_nothing(workdir: Path) -> None:
    bad = workdir / "seed_prompts" / "high_volume.jsonl"
    lines = bad.read_text().splitlines()
    lines[2] = lines[2].replace('"tier": 3', '"tier": 7')
    bad.write_text("\n".join(lines) + "\n")
    db_path = workdir / "fresh.db"
    result = blindside("init", "--db", f"sqlite:///{db_path}", cwd=workdir)
    assert result.returncode == 2
    assert "seed_prompts/high_volume.jsonl:3: field 'tier'" in result.stderr
    assert not db_path.exists()


def test_bad_models_toml_exits_2_naming_line_and_field(workdir: Path) -> None:
    toml = workdir / "models.toml"
    text = toml.read_text().replace('model_id = "careful"', "model_id = 42", 1)
    toml.write_text(text)
    line = text.splitlines().index("model_id = 42") + 1
    result = blindside("validate", cwd=workdir)
    assert result.returncode == 2
    assert f"models.toml:{line}: field 'model_id'" in result.stderr


def test_missing_api_key_is_named_before_any_request(workdir: Path) -> None:
    toml = workdir / "models.toml"
    toml.write_text(
        toml.read_text() + '\n[[endpoints]]\nname = "real"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "BLINDSIDE_TEST_MISSING_KEY"\n\n'
        '[[models]]\nname = "Real one"\nendpoint = "real"\nmodel_id = "x"\n'
        "pricing = { input = 1.0, output = 2.0 }\n"
    )
    env = {"BLINDSIDE_TEST_MISSING_KEY": ""}
    result = blindside(
        "generate",
        "--db",
        f"sqlite:///{workdir / 'k.db'}",
        "--suite",
        "high_volume",
        "--models",
        "Real one,Demo careful",
        env=env,
        cwd=workdir,
    )
    assert result.returncode == 2
    assert "BLINDSIDE_TEST_MISSING_KEY" in result.stderr


def test_rank_without_votes_is_a_clear_message(workdir: Path) -> None:
    result = blindside("rank", "--db", f"sqlite:///{workdir / 'r.db'}", cwd=workdir)
    assert result.returncode == 1
    assert "no votes yet" in result.stderr

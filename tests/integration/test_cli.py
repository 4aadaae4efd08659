"""The `blindside` command as a user runs it: in process through ``main(argv)``, except one
real process per command family (setup and generate here), against a real serve-demo and
real databases."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from blindside.db import create_db_engine
from blindside.tables import Prompt, Response, Suite
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli, CommandResult
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


def test_bad_models_toml_exits_2_naming_line_and_field(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    toml = workdir / "models.toml"
    text = toml.read_text().replace('model_id = "careful"', "model_id = 42", 1)
    toml.write_text(text)
    line = text.splitlines().index("model_id = 42") + 1
    result = cli("validate")
    assert result.returncode == 2
    assert f"models.toml:{line}: field 'model_id'" in result.stderr


def test_missing_api_key_is_named_before_any_request(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("BLINDSIDE_TEST_MISSING_KEY", "")
    toml = workdir / "models.toml"
    toml.write_text(
        toml.read_text() + '\n[[endpoints]]\nname = "real"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "BLINDSIDE_TEST_MISSING_KEY"\n\n'
        '[[models]]\nname = "Real one"\nendpoint = "real"\nmodel_id = "x"\n'
        "pricing = { input = 1.0, output = 2.0 }\n"
    )
    result = cli(
        "generate",
        "--db",
        f"sqlite:///{workdir / 'k.db'}",
        "--suite",
        "high_volume",
        "--models",
        "Real one,Demo careful",
    )
    assert result.returncode == 2
    assert "BLINDSIDE_TEST_MISSING_KEY" in result.stderr


def test_rank_without_votes_is_a_clear_message(workdir: Path, cli: Cli) -> None:
    result = cli("rank", "--db", f"sqlite:///{workdir / 'r.db'}")
    assert result.returncode == 1
    assert "no votes yet" in result.stderr


# --------------------------------------------------------------------------- #
# Errors become one line and exit code 2; a database password is never shown
# --------------------------------------------------------------------------- #

PASSWORD = "S3cr@tPW"  # in a URL: S3cr%40tPW, a percent-escape


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def assert_one_line_error(result: CommandResult) -> None:
    """Exit code 2 and one line on stderr naming the problem: no traceback, no password."""
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert "S3cr" not in result.stderr


def test_a_password_with_a_percent_escape_works_and_is_never_shown(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.chdir(workdir)
    url = _with_password(postgres_url)
    assert "S3cr%40tPW@" in url
    done = cli("init", "--db", url)
    assert done.returncode == 0, done.stderr
    assert "database ready: postgresql+psycopg://postgres:***@" in done.stdout
    for command, code in (("scores", 1), ("rank", 1), ("export", 0)):
        done = cli(command, "--db", url)
        assert done.returncode == code, done.stderr
        assert "S3cr" not in done.stdout + done.stderr


UNUSABLE_DATABASES = {
    "refused port": "postgresql+psycopg://postgres:S3cr%40tPW@127.0.0.1:1/test",
    "missing database": "postgresql+psycopg://postgres:S3cr%40tPW@127.0.0.1:5432/nope_missing",
    "missing directory": "sqlite:////nonexistent/dir/x.db",
    "mysql": "mysql://u:S3cr%40tPW@h/db",
    "colons": "::::",
    "http": "http://example.com",
    "scheme forgotten": "postgres:S3cr%40tPW@127.0.0.1/test",
    "port not a number": "postgresql://u:S3cr%40tPW@h:x/d",
}
DATABASE_COMMANDS = {
    "init": ("init",),
    "generate": ("generate", "--suite", "high_volume"),
    "scores": ("scores",),
    "rank": ("rank",),
    "export": ("export",),
}


@pytest.mark.parametrize("command", sorted(DATABASE_COMMANDS))
@pytest.mark.parametrize("case", sorted(UNUSABLE_DATABASES))
def test_an_unusable_database_url_is_one_line(
    case: str, command: str, workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    done = cli(*DATABASE_COMMANDS[command], "--db", UNUSABLE_DATABASES[case])
    assert_one_line_error(done)
    assert not (workdir / "::::").exists()


def test_an_unusable_database_url_in_the_environment_is_one_line(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", "postgres:S3cr%40tPW@localhost/db")
    done = cli("scores")
    assert_one_line_error(done)
    assert "BLINDSIDE_DATABASE_URL" in done.stderr
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", UNUSABLE_DATABASES["refused port"])
    done = cli("rank")
    assert_one_line_error(done)
    assert "postgres:***@127.0.0.1:1/test" in done.stderr


def test_json_nested_too_deep_names_the_file_and_line(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    deep = "[" * 100_000 + "\n"
    suite = workdir / "seed_prompts" / "high_volume.jsonl"
    suite.write_text(suite.read_text() + deep)
    line = len(suite.read_text().splitlines())
    done = cli("validate")
    assert_one_line_error(done)
    assert f"high_volume.jsonl:{line}: not valid JSON: nested too deeply" in done.stderr

    votes = workdir / "votes.jsonl"
    votes.write_text('{"model_a": "a", "model_b": "b", "winner": "model_a"}\n' + deep)
    done = cli("rank", "--votes", str(votes))
    assert_one_line_error(done)
    assert f"{votes}:2: not valid JSON: nested too deeply" in done.stderr
    votes.write_text("[" + deep)  # a JSON array whose first element is too deep
    assert_one_line_error(cli("rank", "--votes", str(votes)))


def test_an_empty_votes_file_is_bad_input(workdir: Path, cli: Cli) -> None:
    empty = workdir / "empty.jsonl"
    empty.write_text("")
    done = cli("rank", "--votes", str(empty))
    assert_one_line_error(done)
    assert f"{empty}: no votes in this file" in done.stderr


def test_export_to_a_missing_directory_or_a_directory_is_one_line(workdir: Path, cli: Cli) -> None:
    db = f"sqlite:///{workdir / 'x.db'}"
    done = cli("export", "--db", db, "--out", str(workdir / "missing" / "pairs.jsonl"))
    assert_one_line_error(done)
    assert f"no such directory: {workdir / 'missing'}" in done.stderr
    done = cli("export", "--db", db, "--out", str(workdir))
    assert_one_line_error(done)
    assert "is a directory" in done.stderr
    assert not (workdir / "x.db").exists()  # checked before any work

"""Shared fixtures: real databases (SQLite file, PostgreSQL server) and a real demo server.

PostgreSQL tests run when ``BLINDSIDE_TEST_PG_URL`` is set (``.ci/run`` sets it);
with ``BLINDSIDE_REQUIRE_ALL_TESTS=1`` (CI) a missing database or browser fails
the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from blindside.cli import main
from blindside.config import Settings, load_settings
from blindside.db import create_db_engine, upgrade_schema
from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import load_demo_knowledge
from blindside.demo.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
SEED_PROMPTS = ROOT / "seed_prompts"
MODELS_TOML = ROOT / "models.toml"
PG_URL_ENV = "BLINDSIDE_TEST_PG_URL"


def require_or_skip(reason: str) -> None:
    """Skip locally; fail in CI, where every test must run."""
    if os.environ.get("BLINDSIDE_REQUIRE_ALL_TESTS"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def rater_id(engine: Engine, name: str) -> int:
    """The id of the rater called ``name``, added (role rater) if they do not exist yet."""
    from blindside.raters import RaterError, add_rater, find_rater

    try:
        return find_rater(engine, name).id
    except RaterError:
        return add_rater(engine, name).rater.id


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'blindside.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin_url = os.environ.get(PG_URL_ENV)
    if not admin_url:
        require_or_skip(f"{PG_URL_ENV} is not set")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"blindside_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each DB test runs once on a SQLite file and once on PostgreSQL."""
    return request.getfixturevalue(
        f"{request.param}_url" if request.param == "sqlite" else "postgres_url"
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(db_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = create_db_engine(sqlite_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_server() -> Iterator[LoopbackServer]:
    """The demo provider on an ephemeral loopback port, fast latencies."""
    app = create_demo_app(
        seed=0,
        latency_scale=0.02,
        knowledge=load_demo_knowledge(sorted(SEED_PROMPTS.glob("*.jsonl"))),
    )
    with LoopbackServer(app) as server:
        yield server


@pytest.fixture
def settings(db_url: str, demo_server: LoopbackServer) -> Settings:
    return load_settings(
        database_url=db_url,
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory, demo_server: LoopbackServer) -> Path:
    """A SQLite file with suites, models and the demo answers of one suite (built once)."""
    from blindside.engine.run import generate
    from blindside.project import init_project

    path = tmp_path_factory.mktemp("template") / "blindside.db"
    settings = load_settings(
        database_url=f"sqlite:///{path}",
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    engine, report = init_project(settings)
    generate(engine, report.config, settings, suite_name="high_volume", concurrency=32)
    engine.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture
def demo_db_url(demo_db_template: Path, tmp_path: Path) -> str:
    """A private copy of the demo database for one test."""
    import shutil

    path = tmp_path / "blindside.db"
    shutil.copyfile(demo_db_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def golden_db_url(tmp_path: Path) -> str:
    """A private SQLite copy of the golden fixture: 4 raters, 1,985 votes (tests/golden)."""
    import gzip
    import sqlite3

    path = tmp_path / "golden.db"
    with gzip.open(ROOT / "tests" / "golden" / "fixture.sql.gz", "rt", encoding="utf-8") as dump:
        script = dump.read()
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class CommandResult:
    """What one `blindside` command run in process returned and printed."""

    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CommandResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `blindside ARGS` in this process through ``main(argv)``, output captured.

    Environment and working directory come from the test (``monkeypatch``); each family of
    commands also has one real-process test (``tests.processes.blindside``).
    """

    def run(*args: str) -> CommandResult:
        capsys.readouterr()  # drop what the test printed before
        code = main(list(args))
        out, err = capsys.readouterr()
        return CommandResult(code, out, err)

    return run

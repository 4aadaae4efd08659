"""Schema, migrations and vote storage on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside import db
from blindside.db import alembic_config, create_db_engine, schema_drift, upgrade_schema
from blindside.tables import Pair, Prompt, Rater, Response, Run, Suite, Vote


def test_migrations_match_the_models(engine: Engine) -> None:
    # Fails when a table changes without a migration (or the other way round).
    assert schema_drift(engine) == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade_schema(engine)
    upgrade_schema(engine)
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def _one_pair(engine: Engine) -> tuple[int, int, int]:
    from blindside.tables import Model

    with Session(engine, expire_on_commit=False) as s:
        suite = Suite(name="s")
        s.add(suite)
        s.flush()
        prompt = Prompt(
            suite_id=suite.id,
            external_id="p1",
            tier=1,
            category="c",
            text="q",
            messages=[{"role": "user", "content": "q"}],
        )
        m1, m2 = (
            Model(name="m1", endpoint="e", model_id="a"),
            Model(name="m2", endpoint="e", model_id="b"),
        )
        s.add_all([prompt, m1, m2])
        s.flush()
        run = Run(suite_id=suite.id, config_hash="h")
        s.add(run)
        s.flush()
        r1 = Response(run_id=run.id, prompt_id=prompt.id, model_id=m1.id, text="x")
        r2 = Response(run_id=run.id, prompt_id=prompt.id, model_id=m2.id, text="y")
        s.add_all([r1, r2])
        s.flush()
        pair = Pair(prompt_id=prompt.id, response_a_id=r1.id, response_b_id=r2.id)
        rater = Rater(name="ada", name_key="ada")
        s.add_all([pair, rater])
        s.commit()
        return pair.id, rater.id, r1.id


def test_a_vote_is_stored_once_under_concurrent_clicks(engine: Engine) -> None:
    from blindside.pairing import DrawnPair
    from blindside.votes import count_votes, record_vote

    pair_id, rater_id, left_id = _one_pair(engine)
    impression = DrawnPair(pair_id, "q", None, left_id, left_id + 1, "x", "y")
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def click() -> None:
        barrier.wait()
        results.append(record_vote(engine, rater_id, impression, "left"))

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert count_votes(engine) == 1
    with Session(engine) as s:
        vote = s.exec(select(Vote)).one()
        assert (vote.choice, vote.left_response_id) == ("left", left_id)


def test_upgrade_keeps_existing_answers(db_url: str) -> None:
    """An older database with answers in it migrates to the newest schema."""
    from alembic import command

    engine = create_db_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suite (name, description, source_path, content_hash, "
                "loaded_at) VALUES ('s', '', '', '', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO prompt (suite_id, external_id, tier, category, text, "
                "messages, meta) VALUES (1, 'p', 1, 'c', 'q', '[]', '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO model (name, endpoint, model_id, simulated, active, "
                "params, pricing, fallbacks, registered_at) VALUES ('m', 'e', 'x', "
                "false, true, '{}', '{}', '[]', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO run (suite_id, started_at, status, samples_per_prompt, "
                "config_hash, model_names) VALUES (1, CURRENT_TIMESTAMP, 'finished', "
                "1, 'h', '[]')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO model (name, endpoint, model_id, simulated, active, "
                "params, pricing, fallbacks, registered_at) VALUES ('m2', 'e', 'y', "
                "false, true, '{}', '{}', '[]', CURRENT_TIMESTAMP)"
            )
        )
        for model_id, answer in ((1, "old"), (2, "other")):
            conn.execute(
                text(
                    "INSERT INTO response (run_id, prompt_id, model_id, sample, text, "
                    f"attempts, created_at) VALUES (1, 1, {model_id}, 0, '{answer}', 1, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        # Rows that point at answers: rebuilding the answer table must not break them.
        conn.execute(
            text(
                "INSERT INTO pair (prompt_id, response_a_id, response_b_id, created_at) "
                "VALUES (1, 1, 2, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO rater (name, role, created_at) VALUES ('r', 'rater', "
                "CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO vote (pair_id, rater_id, left_response_id, choice, flagged, "
                "created_at) VALUES (1, 1, 2, 'left', false, CURRENT_TIMESTAMP)"
            )
        )
    upgrade_schema(engine)
    assert schema_drift(engine) == []
    with Session(engine) as s:
        old = s.exec(select(Response).where(Response.text == "old")).one()
        vote = s.exec(select(Vote)).one()
    assert (old.text, old.is_fallback, old.retry_wait_ms, old.tokens_estimated) == (
        "old",
        False,
        0.0,
        False,
    )
    # The vote survived, and the columns later revisions added were filled in.
    assert (vote.choice, vote.left_response_id) == ("left", 2)
    assert (vote.left_model_id, vote.right_model_id) == (2, 1)
    if engine.dialect.name == "sqlite":  # switched off for the migration, on again after
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_rater_and_date_cuts_read_the_covering_index(sqlite_url: str) -> None:
    """A new engine refreshes SQLite's statistics, and with them the cuts filter in the index."""
    from datetime import UTC, datetime, timedelta

    from blindside.aggregate import aggregation_query
    from blindside.cuts import Cut

    upgrade_schema(create_db_engine(sqlite_url))
    path = sqlite_url.removeprefix("sqlite:///")
    raw = sqlite3.connect(path)  # foreign keys off: votes on made-up pairs, built fast
    start = datetime(2026, 1, 1, tzinfo=UTC)
    raw.executemany(
        "INSERT INTO rater (id, name, name_key, role, created_at) VALUES (?, ?, ?, 'rater', ?)",
        [(r, f"rater{r:02d}", f"rater{r:02d}", start.isoformat()) for r in range(40)],
    )
    raw.executemany(
        "INSERT INTO vote (pair_id, rater_id, left_response_id, right_response_id, choice,"
        " flagged, created_at, left_model_id, right_model_id, prompt_id, tier, run_id,"
        " fallback, identity_leak) VALUES (?, ?, 1, 2, ?, 0, ?, ?, ?, ?, ?, 1, 0, 0)",
        [
            (
                i,
                i % 40,
                ("left", "right", "tie")[i % 3],
                (start + timedelta(minutes=i)).isoformat(),
                i % 30,
                (i * 7) % 30,
                i % 500,
                1 + i % 3,
            )
            for i in range(20_000)
        ],
    )
    raw.commit()
    raw.close()

    engine = create_db_engine(sqlite_url)  # its first connection runs the ANALYZE
    cuts = [
        Cut(raters=tuple(f"rater{r:02d}" for r in range(10))),
        Cut(since=start + timedelta(days=7)),
        Cut(tier=2, raters=("rater03",)),
    ]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() > 0
        for cut in cuts:
            sql = str(
                aggregation_query(conn, cut).compile(conn, compile_kwargs={"literal_binds": True})
            )
            plan = " | ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "COVERING INDEX ix_vote_" in plan and "TEMP B-TREE" not in plan, (cut, plan)


def _terminate(url: str, pid: int) -> None:
    """The server drops one connection, as a restart or a proxy's idle timeout would."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_pooled_connections_are_pinged_only_after_sitting_idle(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_db_engine(postgres_url, pool_size=1, max_overflow=0)
    pings: list[int] = []
    do_ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pings.append(1)
        return do_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    backend = text("SELECT pg_backend_pid()")
    try:
        with engine.connect() as conn:
            pid = conn.execute(backend).scalar()
        with engine.connect() as conn:  # returned a moment ago: handed out unchecked
            assert conn.execute(backend).scalar() == pid
        assert pings == []
        # Dropped by the server while it sat idle for longer than the limit: the checkout's
        # ping finds it dead and the pool hands out a new connection instead.
        _terminate(postgres_url, pid)
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:
            assert conn.execute(backend).scalar() != pid
        assert pings == [1]
    finally:
        engine.dispose()

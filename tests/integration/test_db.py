"""Schema, migrations and vote storage on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.db import create_db_engine, schema_drift, upgrade_schema
from blindside.tables import Pair, Prompt, Rater, Response, Run, Suite, Vote


def test_migrations_match_the_models(engine: Engine) -> None:
    # Fails when a table changes without a migration (or the other way round).
    assert schema_drift(engine) == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade_schema(engine)
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


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
        rater = Rater(name="ada")
        s.add_all([pair, rater])
        s.commit()
        return pair.id, rater.id, r1.id


def test_a_vote_is_stored_once_under_concurrent_clicks(engine: Engine) -> None:
    from blindside.pairing import Impression
    from blindside.votes import count_votes, record_vote

    pair_id, rater_id, left_id = _one_pair(engine)
    impression = Impression(pair_id, "q", None, left_id, left_id + 1, "x", "y")
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

"""The Runs figures are the leaderboard's statistics, grouped by (run, model)."""

from __future__ import annotations

from statistics import fmean

import pytest
from sqlmodel import Session, select

from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.leaderboard.stats import model_stats, run_model_stats
from blindside.runs import run_model_summaries
from blindside.tables import Model, Response, Run


def test_runs_and_leaderboard_read_the_same_statistics(demo_db_url: str) -> None:
    engine = create_db_engine(demo_db_url)
    with Session(engine) as s:
        ids = {m.name: m.id for m in s.exec(select(Model))}
        responses = list(s.exec(select(Response)))
    summaries = run_model_summaries(engine)
    assert summaries and {r.model.name for r in summaries} == {
        name for name, i in ids.items() if any(x.model_id == i for x in responses)
    }
    for summary in summaries:
        by_model = model_stats(engine, Cut(run_id=summary.run.id))
        assert summary.stats == by_model[summary.model.id]
        # ... and both agree with the stored answers, counted here by hand.
        mine = [
            r for r in responses if r.run_id == summary.run.id and r.model_id == summary.model.id
        ]
        ok = [r for r in mine if r.error is None]
        assert summary.stats.answers == len(ok)
        assert summary.stats.errors == len(mine) - len(ok)
        assert summary.stats.retries == max(0, sum(r.attempts for r in mine) - len(mine))
        assert summary.stats.spent_usd == pytest.approx(sum(r.cost_usd or 0 for r in mine))
        assert summary.stats.mean_latency_ms == pytest.approx(fmean(r.latency_ms for r in ok))
        assert summary.stats.scored == sum(r.correct is not None for r in mine)
        assert summary.stats.correct == sum(r.correct is True for r in mine)


def test_run_stats_are_grouped_by_run(demo_db_url: str) -> None:
    engine = create_db_engine(demo_db_url)
    with Session(engine) as s:
        (run_id,) = s.exec(select(Run.id)).all()
    by_run = run_model_stats(engine, [run_id])
    assert {key[0] for key in by_run} == {run_id}
    assert {key[1]: stats for key, stats in by_run.items()} == model_stats(engine)
    assert run_model_stats(engine, [run_id + 1]) == {}
    assert run_model_summaries(engine, run_id=run_id + 1) == []


def test_failed_answers_are_counted_by_class(demo_db_url: str) -> None:
    engine = create_db_engine(demo_db_url)
    with Session(engine) as s:
        answer = s.exec(select(Response)).first()
        assert answer is not None
        base = answer.model_dump(exclude={"id", "sample", "error", "error_class", "correct"})
        for sample, error_class in enumerate(("timeout", "timeout", None), start=1000):
            failed = Response(**base, sample=sample, error=f"{error_class}: boom")
            failed.error_class = error_class
            s.add(failed)
        s.commit()
        run_id, model_id = answer.run_id, answer.model_id
    (summary,) = [r for r in run_model_summaries(engine, run_id=run_id) if r.stats.errors]
    assert summary.stats.errors == 3
    assert summary.stats.errors_by_class == {"other": 1, "timeout": 2}
    assert summary.stats.error_rate == pytest.approx(3 / (summary.stats.answers + 3))
    assert model_stats(engine)[model_id] == summary.stats

"""Latency percentiles, pass^k, cost per correct answer and cached share on a real database.

Each figure is recomputed here from the stored answers with numpy (or by hand), on the
golden fixture (4 demo models, tier 1 answered three times per prompt).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from blindside.cuts import Cut
from blindside.db import open_database
from blindside.leaderboard.stats import model_stats, run_model_stats
from blindside.tables import Prompt, Response


def test_measured_decision_figures_match_a_recomputation(golden_db_url: str) -> None:
    engine = open_database(golden_db_url)
    with engine.begin() as conn:
        # Cached tokens on one model's answers, so the cached share has something to show.
        conn.execute(
            update(Response)
            .where(Response.model_id == 1)
            .values(cached_tokens=Response.input_tokens / 4)
        )
    stats = model_stats(engine, Cut(tier=1))
    with Session(engine) as s:
        rows = s.exec(
            select(Response).join(Prompt).where(Prompt.tier == 1, Response.error.is_(None))  # type: ignore[union-attr]
        ).all()
    by_model: dict[int, list[Response]] = defaultdict(list)
    for r in rows:
        by_model[r.model_id].append(r)
    assert set(by_model) == set(stats)
    for model_id, answers in by_model.items():
        got = stats[model_id]
        latency = [r.latency_ms for r in answers]
        ttft = [r.ttft_ms for r in answers]
        for q in (50, 95, 99):
            assert getattr(got, f"latency_p{q}_ms") == pytest.approx(np.percentile(latency, q))
            assert getattr(got, f"ttft_p{q}_ms") == pytest.approx(np.percentile(ttft, q))
        assert got.tokens_per_s == pytest.approx(np.mean([r.output_tokens_per_s for r in answers]))
        scored = [r for r in answers if r.correct is not None]
        correct = sum(r.correct for r in scored)  # type: ignore[misc]
        assert got.cost_per_correct_usd == pytest.approx(sum(r.cost_usd for r in scored) / correct)  # type: ignore[misc]
        cached = sum(r.cached_tokens or 0 for r in answers)
        assert got.cached_share == pytest.approx(cached / sum(r.input_tokens for r in answers))  # type: ignore[misc]
        assert (got.cached_share > 0) == (model_id == 1)  # type: ignore[operator]
        samples: dict[tuple[int, int], list[bool]] = defaultdict(list)
        for r in scored:
            samples[(r.run_id, r.prompt_id)].append(bool(r.correct))
        repeated = [v for v in samples.values() if len(v) >= 2]
        assert len(repeated) == got.pass_k_prompts > 0
        assert got.pass_k == pytest.approx(sum(all(v) for v in repeated) / len(repeated))
        assert got.pass_k <= got.accuracy  # type: ignore[operator]

    # One sample per prompt (tier 3): pass^k is not defined, so it stays empty.
    assert all(
        s.pass_k is None and s.pass_k_prompts == 0
        for s in model_stats(engine, Cut(tier=3)).values()
    )
    # Per (run, model) the same aggregates as per model within that run.
    for run_id in {r.run_id for r in rows}:
        in_run = model_stats(engine, Cut(run_id=run_id))
        for (_, model_id), figures in run_model_stats(engine, [run_id]).items():
            assert figures == in_run[model_id]

"""The leaderboard: Bradley-Terry ratings next to what is measured per model.

Counts come from the database (:func:`blindside.votes.aggregate_outcomes`),
the fit from :mod:`blindside.ranking`; this module joins them with per-model
latency, time to first token, cost per task and error rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import display_name
from blindside.ranking import rank_models
from blindside.tables import Model, Prompt, Response
from blindside.votes import aggregate_outcomes

TIERS = {1: "Tier 1 · high-stakes reasoning", 2: "Tier 2 · creative", 3: "Tier 3 · high-volume"}
FEW_VOTES = 20


@dataclass(frozen=True)
class ModelStats:
    """What generation measured for one model (successful answers only, but errors counted)."""

    answers: int
    errors: int
    mean_latency_ms: float | None
    mean_ttft_ms: float | None
    cost_per_task_usd: float | None

    @property
    def error_rate(self) -> float | None:
        total = self.answers + self.errors
        return self.errors / total if total else None


@dataclass(frozen=True)
class LeaderboardRow:
    model_id: int
    name: str
    simulated: bool
    rank: int | None
    rating: float | None
    rating_low: float | None
    rating_high: float | None
    votes: int
    win_rate: float | None
    stats: ModelStats

    @property
    def display_name(self) -> str:
        return display_name(self.name, simulated=self.simulated)


@dataclass(frozen=True)
class Leaderboard:
    tier: int | None
    rows: list[LeaderboardRow]
    total_votes: int
    warnings: list[str] = field(default_factory=list)


def model_stats(engine: Engine, *, tier: int | None = None) -> dict[int, ModelStats]:
    """Per-model latency, time to first token, cost per task and errors, by GROUP BY."""
    ok = col(Response.error).is_(None)
    query = select(
        Response.model_id,
        func.sum(case((ok, 1), else_=0)),
        func.sum(case((ok, 0), else_=1)),
        func.avg(case((ok, Response.latency_ms))),
        func.avg(case((ok, Response.ttft_ms))),
        func.avg(case((ok, Response.cost_usd))),
    ).group_by(Response.model_id)
    if tier is not None:
        query = query.join(Prompt, col(Prompt.id) == col(Response.prompt_id)).where(
            Prompt.tier == tier
        )
    with Session(engine) as session:
        rows = session.exec(query).all()
    return {
        model_id: ModelStats(
            answers=int(n_ok or 0),
            errors=int(n_err or 0),
            mean_latency_ms=_float(lat),
            mean_ttft_ms=_float(ttft),
            cost_per_task_usd=_float(cost),
        )
        for model_id, n_ok, n_err, lat, ttft, cost in rows
    }


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def build_leaderboard(
    engine: Engine,
    *,
    tier: int | None = None,
    include_fallbacks: bool = True,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> Leaderboard:
    """Ratings (Elo scale, 95% bootstrap interval), ranks and measured stats per model.

    Parameters
    ----------
    engine : Engine
    tier : int, optional
        One tier, or all votes when None.
    include_fallbacks : bool
        Count votes on answers a fallback model served.
    n_bootstrap : int
        Bootstrap rounds for the interval.
    seed : int
        Seed of the bootstrap, so a page shows the same numbers on every rerun.
    """
    outcomes = aggregate_outcomes(engine, tier=tier, include_fallbacks=include_fallbacks)
    stats = model_stats(engine, tier=tier)
    with Session(engine) as session:
        models = {m.id: m for m in session.exec(select(Model))}
    warnings: list[str] = []
    ranked: dict[int, tuple[int, float, float, float, int, float]] = {}
    if outcomes.total > 0:
        ids = sorted(set(outcomes.model_a.tolist()) | set(outcomes.model_b.tolist()))
        index = {model_id: i for i, model_id in enumerate(ids)}
        ranking = rank_models(
            len(ids),
            np.array([index[m] for m in outcomes.model_a]),
            np.array([index[m] for m in outcomes.model_b]),
            outcomes.a_wins,
            outcomes.b_wins,
            outcomes.ties + outcomes.both_bad,
            n_bootstrap=n_bootstrap,
            seed=seed,
        )
        for model_id, i in index.items():
            ranked[model_id] = (
                int(ranking.rank[i]),
                float(ranking.elo[i]),
                float(ranking.elo_low[i]),
                float(ranking.elo_high[i]),
                int(ranking.games[i]),
                float(ranking.win_rate[i]),
            )
        if len(ranking.components) > 1:
            groups = [" / ".join(models[ids[i]].name for i in comp) for comp in ranking.components]
            warnings.append(
                "The comparison graph is disconnected, so ratings across these groups are "
                "not comparable (a small prior keeps them finite): " + "; ".join(groups)
            )
        elif ranking.prior > 0:
            extreme = [
                models[ids[i]].name for i in range(len(ids)) if ranking.win_rate[i] in (0.0, 1.0)
            ]
            warnings.append(
                "Some models won or lost every comparison, so their rating is only bounded by a "
                "small prior and its interval is too narrow: " + ", ".join(extreme)
            )
        few = [models[m].name for m, r in ranked.items() if r[4] < FEW_VOTES]
        if few:
            warnings.append(
                f"Fewer than {FEW_VOTES} votes, so the interval means little: " + ", ".join(few)
            )
    rows: list[LeaderboardRow] = []
    for model_id in sorted(set(ranked) | set(stats)):
        model = models[model_id]
        rank, rating, low, high, games, win_rate = ranked.get(
            model_id, (None, None, None, None, 0, None)
        )
        rows.append(
            LeaderboardRow(
                model_id=model_id,
                name=model.name,
                simulated=model.simulated,
                rank=rank,
                rating=rating,
                rating_low=low,
                rating_high=high,
                votes=games,
                win_rate=None if win_rate is None or math.isnan(win_rate) else win_rate,
                stats=stats.get(model_id, ModelStats(0, 0, None, None, None)),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    return Leaderboard(tier=tier, rows=rows, total_votes=outcomes.total, warnings=warnings)

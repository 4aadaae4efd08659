"""A judge's verdicts read back: its own Bradley-Terry ranking, position bias, agreement.

The verdicts of each suite's latest judge run of a judge model count (an older run was
made under another rubric). The two orders of a pair are two games, with the answer
shown first on the left, so the fit's left-side advantage is the judge's position bias
and the ratings are corrected for it (``docs/ranking.md``). Agreement compares the
judge's verdict on a pair (both orders; a tie when they disagree) with the human votes of
the same cut on that pair. Nothing here is shown on a rater's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from blindside.agreement import verdicts
from blindside.config import display_name
from blindside.cuts import Cut, vote_conditions
from blindside.judge.stats import (
    Agreement,
    PositionBias,
    agreement_with_votes,
    pair_verdicts,
    position_bias,
)
from blindside.ranking.battles import Battles
from blindside.tables import JudgeRun, JudgeVerdict, Model, Prompt, Response, Suite, Vote

if TYPE_CHECKING:
    from blindside.leaderboard.board import LeaderboardRow

__all__ = [
    "Comparison",
    "JudgeRating",
    "JudgeReport",
    "compare_rankings",
    "describe_agreement",
    "describe_bias",
    "describe_verdicts",
    "judge_battles",
    "judge_models",
    "judge_report",
]

_CHOICE_COLUMN = {"left": 0, "right": 1, "tie": 2, "both_bad": 3}


@dataclass(frozen=True)
class JudgeRating:
    """One model in the judge's ranking (Elo scale, 95% interval)."""

    model_id: int
    name: str
    rating: float
    low: float | None
    high: float | None
    games: int


@dataclass(frozen=True)
class JudgeReport:
    """A judge model's verdicts in one cut, and what they say.

    Attributes
    ----------
    judge : str
        The judge's display name (simulated models say so).
    verdicts, parse_failures, failed : int
        Parsed verdicts, replies that did not parse, requests that failed.
    cost_usd : float
        What the judge's requests cost.
    ratings : tuple of JudgeRating
        The judge's ranking, best first; empty without verdicts on two models.
    position_advantage_elo : float or None
        The fitted advantage of the answer shown first, on the Elo scale.
    bias : PositionBias
        Flip share and first-position win rate, with intervals.
    agreement : Agreement
        The judge against the human votes of the cut on the pairs both judged.
    """

    judge: str
    judge_model_id: int
    verdicts: int
    parse_failures: int
    failed: int
    cost_usd: float
    ratings: tuple[JudgeRating, ...]
    position_advantage_elo: float | None
    bias: PositionBias
    agreement: Agreement


def judge_models(engine: Engine) -> list[tuple[int, str]]:
    """The models that have judged anything: (model id, display name), by name."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Model.id, Model.name, Model.simulated)
            .where(col(Model.id).in_(select(JudgeRun.judge_model_id)))
            .order_by(Model.name)
        ).all()
    return [(mid, display_name(name, simulated=sim)) for mid, name, sim in rows]


def _latest_runs(judge_model_id: int, suite: str | None):  # type: ignore[no-untyped-def]
    """Ids of the latest judge run per suite of this judge (optionally one suite)."""
    query = (
        select(func.max(JudgeRun.id))
        .where(JudgeRun.judge_model_id == judge_model_id)
        .group_by(col(JudgeRun.suite_id))
    )
    if suite is not None:
        query = query.where(col(JudgeRun.suite_id).in_(select(Suite.id).where(Suite.name == suite)))
    return query


def _battles(left_model: np.ndarray, right_model: np.ndarray, choice: Sequence[str]) -> Battles:
    """Verdicts as position-oriented Battles over model ids (a verdict is one game)."""
    model_ids, index = np.unique(np.concatenate([left_model, right_model]), return_inverse=True)
    n = left_model.size
    left, right = index[:n], index[n:]
    table: dict[tuple[int, int], np.ndarray] = {}
    for a, b, c in zip(left.tolist(), right.tolist(), choice, strict=True):
        table.setdefault((a, b), np.zeros(4))[_CHOICE_COLUMN[c]] += 1
    keys = list(table)
    counts = np.array([table[k] for k in keys]).reshape(-1, 4)
    return Battles(
        n_items=int(model_ids.size),
        left=np.array([k[0] for k in keys], dtype=np.int64),
        right=np.array([k[1] for k in keys], dtype=np.int64),
        left_wins=counts[:, 0],
        right_wins=counts[:, 1],
        ties=counts[:, 2] + counts[:, 3],  # "both bad" counts as a tie, as for votes
        labels=tuple(model_ids.tolist()),
    )


def judge_battles(
    left_model: Sequence[int], right_model: Sequence[int], choice: Sequence[str]
) -> Battles:
    """Parsed verdicts as :class:`~blindside.ranking.battles.Battles` (labels: model ids).

    Each verdict is one game with the answer shown first (A) on the left, so the two orders
    of a pair are two games and the fit's left advantage is the judge's position bias.
    """
    return _battles(
        np.asarray(left_model, dtype=np.int64), np.asarray(right_model, dtype=np.int64), choice
    )


def judge_report(
    engine: Engine,
    judge_model_id: int,
    cut: Cut | None = None,
    *,
    n_bootstrap: int = 1000,
) -> JudgeReport:
    """Read one judge's verdicts in a cut (its tier and suite) into a :class:`JudgeReport`.

    Parameters
    ----------
    engine : Engine
    judge_model_id : int
        The judging model's id.
    cut : Cut, optional
        Only its ``tier`` and ``suite`` select verdicts; the human votes compared are the
        cut's own (:func:`blindside.cuts.vote_conditions`).
    n_bootstrap : int
        Resamples for the agreement's intervals.
    """
    from blindside.ranking.rank import rank_battles

    cut = cut or Cut()
    left_answer = aliased(Response, name="left_answer")
    right_answer = aliased(Response, name="right_answer")
    with engine.connect() as conn:
        judge = conn.execute(
            select(Model.name, Model.simulated).where(Model.id == judge_model_id)
        ).one()
        query = (
            select(
                JudgeVerdict.pair_id,
                JudgeVerdict.position,
                JudgeVerdict.left_response_id,
                JudgeVerdict.right_response_id,
                JudgeVerdict.choice,
                JudgeVerdict.parse_error,
                JudgeVerdict.error,
                JudgeVerdict.cost_usd,
                left_answer.model_id,
                right_answer.model_id,
            )
            .join(left_answer, col(left_answer.id) == col(JudgeVerdict.left_response_id))
            .join(right_answer, col(right_answer.id) == col(JudgeVerdict.right_response_id))
            .where(col(JudgeVerdict.judge_run_id).in_(_latest_runs(judge_model_id, cut.suite)))
        )
        if cut.tier is not None:
            query = query.where(
                col(left_answer.prompt_id).in_(select(Prompt.id).where(Prompt.tier == cut.tier))
            )
        rows = conn.execute(query).all()
        pairs = sorted({r[0] for r in rows if r[4] is not None})
        votes = []
        for start in range(0, len(pairs), 5000):
            votes += conn.execute(
                select(Vote.pair_id, Vote.choice, Vote.left_response_id, Vote.right_response_id)
                .where(*vote_conditions(conn, cut))
                .where(col(Vote.pair_id).in_(pairs[start : start + 5000]))
            ).all()
        names = dict(
            (mid, display_name(name, simulated=sim))
            for mid, name, sim in conn.execute(select(Model.id, Model.name, Model.simulated))
        )
    parsed = [r for r in rows if r[4] is not None]
    cost = float(sum(r[7] or 0.0 for r in rows))
    codes = (
        verdicts([r[4] for r in parsed], [r[2] for r in parsed], [r[3] for r in parsed])
        if parsed
        else np.zeros(0, dtype=np.int64)
    )
    pair_ids = [r[0] for r in parsed]
    positions = [r[1] for r in parsed]
    bias = position_bias(pair_ids, positions, [r[4] for r in parsed], codes)
    on_pairs = pair_verdicts(pair_ids, positions, codes)
    if votes:
        vote_codes = verdicts([v[1] for v in votes], [v[2] for v in votes], [v[3] for v in votes])
        agreement = agreement_with_votes(
            on_pairs, [v[0] for v in votes], vote_codes, n_bootstrap=n_bootstrap
        )
    else:
        agreement = agreement_with_votes(on_pairs, [], [], n_bootstrap=n_bootstrap)
    ratings: tuple[JudgeRating, ...] = ()
    advantage = None
    battles = judge_battles([r[8] for r in parsed], [r[9] for r in parsed], [r[4] for r in parsed])
    if battles.n_items >= 2:
        ranking = rank_battles(battles, position_bias=True)
        advantage = ranking.left_advantage_elo
        order = np.argsort(-ranking.elo, kind="stable")
        ratings = tuple(
            JudgeRating(
                model_id=int(battles.labels[i]),
                name=names[int(battles.labels[i])],
                rating=float(ranking.elo[i]),
                low=None if np.isnan(ranking.elo_low[i]) else float(ranking.elo_low[i]),
                high=None if np.isnan(ranking.elo_high[i]) else float(ranking.elo_high[i]),
                games=int(ranking.games[i]),
            )
            for i in order
        )
    return JudgeReport(
        judge=display_name(judge[0], simulated=judge[1]),
        judge_model_id=judge_model_id,
        verdicts=len(parsed),
        parse_failures=sum(1 for r in rows if r[4] is None and r[6] is None),
        failed=sum(1 for r in rows if r[6] is not None),
        cost_usd=cost,
        ratings=ratings,
        position_advantage_elo=advantage,
        bias=bias,
        agreement=agreement,
    )


@dataclass(frozen=True)
class ComparedModel:
    """One model's human rating and judge rating side by side (None: not rated there)."""

    name: str
    human: float | None
    human_low: float | None
    human_high: float | None
    judge: float | None
    judge_low: float | None
    judge_high: float | None


@dataclass(frozen=True)
class Comparison:
    """The judge's ranking beside the human one, and Spearman's rho between them."""

    models: tuple[ComparedModel, ...]
    rho: float | None
    rho_models: int


def compare_rankings(report: JudgeReport, rows: Sequence[LeaderboardRow]) -> Comparison:
    """Join the judge's ratings with the human leaderboard's rows of the same cut, by model."""
    from blindside.scorers.correlation import rank_correlation

    judged = {r.model_id: r for r in report.ratings}
    models = []
    for row in rows:
        judge = judged.pop(row.model_id, None)
        if row.rating is None and judge is None:
            continue
        models.append(
            ComparedModel(
                name=row.display_name,
                human=row.rating,
                human_low=row.rating_low,
                human_high=row.rating_high,
                judge=judge.rating if judge else None,
                judge_low=judge.low if judge else None,
                judge_high=judge.high if judge else None,
            )
        )
    for judge in judged.values():
        models.append(
            ComparedModel(judge.name, None, None, None, judge.rating, judge.low, judge.high)
        )
    both = [m for m in models if m.human is not None and m.judge is not None]
    correlation = rank_correlation([m.human for m in both], [m.judge for m in both])  # type: ignore[misc]
    rho, n = correlation if correlation is not None else (None, len(both))
    return Comparison(tuple(models), rho, n)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _interval(low: float | None, high: float | None, fmt: str) -> str:
    if low is None or high is None:
        return ""
    return f" (95% CI {format(low, fmt)} to {format(high, fmt)})"


def describe_agreement(report: JudgeReport) -> str:
    """The judge's agreement with the raters, in one sentence."""
    a = report.agreement
    if a.pairs == 0 or a.share is None:
        return (
            f"**Agreement with raters:** no pair has both a verdict from {report.judge} in "
            "both orders and a human vote in this selection."
        )
    kappa = (
        f"; Cohen's κ {a.kappa:+.2f}{_interval(a.kappa_low, a.kappa_high, '+.2f')}"
        if a.kappa is not None
        else ""
    )
    winners = (
        f" Where both picked a winner ({a.decisive_votes} votes), they picked the same one "
        f"{_pct(a.decisive_share)} of the time"
        f"{_interval(a.decisive_low, a.decisive_high, '.0%')}."
        if a.decisive_votes
        else ""
    )
    return (
        f"**Agreement with raters:** on {a.pairs} pairs judged by both, {a.votes} human votes "
        "gave the judge's verdict on the answers (one, the other, a tie or both bad) "
        f"{_pct(a.share)} of the time"
        f"{_interval(a.share_low, a.share_high, '.0%')}{kappa} (κ 0: chance, 1: always)."
        f"{winners}"
    )


def describe_bias(report: JudgeReport) -> str:
    """The judge's position bias, measured by swapping the order of each pair, in words."""
    b = report.bias
    if b.flips.n == 0 and b.first_wins.n == 0:
        return "**Position bias of the judge:** no verdicts yet."
    flips = (
        f"its verdict changed when the order of the answers was swapped on "
        f"{_pct(b.flips.value)} of {b.flips.n} pairs"
        f"{_interval(b.flips.low, b.flips.high, '.0%')}"
    )
    first = (
        f"the answer shown first won {_pct(b.first_wins.value)} of {b.first_wins.n} decisive "
        f"verdicts{_interval(b.first_wins.low, b.first_wins.high, '.0%')}, where 50% is no bias"
    )
    advantage = (
        f"; the fit puts the first position's advantage at {report.position_advantage_elo:+.0f} "
        "Elo and corrects the judge's ratings for it"
        if report.position_advantage_elo is not None
        else ""
    )
    return f"**Position bias of the judge:** {flips}; {first}{advantage}."


def describe_verdicts(report: JudgeReport) -> str:
    """How many verdicts, parse failures and failed requests, and what they cost."""
    return (
        f"{report.judge}: {report.verdicts} verdicts, {report.parse_failures} replies that did "
        f"not parse (kept, never guessed), {report.failed} failed requests, "
        f"cost ${report.cost_usd:.4f}."
    )

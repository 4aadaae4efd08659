"""The leaderboard: Bradley-Terry ratings next to what is measured per model.

Counts come from the database (:func:`blindside.aggregate.aggregate`, one GROUP BY
over the votes of a :class:`~blindside.cuts.Cut`), the fit from
:mod:`blindside.ranking`; this module joins them with per-model latency, time to
first token, cost per task, error rate and automated scores (accuracy against
references, consistency across samples), and says in words what a lead should
not over-read (too few votes, a disconnected comparison graph).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any, Literal

import numpy as np
from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside import ranking
from blindside.aggregate import aggregate
from blindside.config import display_name
from blindside.cuts import Cut, answers_in_cut
from blindside.scorers import modal_share, rank_correlation, wilson_interval
from blindside.tables import Model, Response

TIERS = {1: "Tier 1 · high-stakes reasoning", 2: "Tier 2 · creative", 3: "Tier 3 · high-volume"}
#: Below this many votes a model's interval rests on too little data to mean much.
FEW_VOTES = 20


@dataclass(frozen=True)
class RankOptions:
    """How to fit: everything but the choice of votes (that is the :class:`Cut`).

    Attributes
    ----------
    intervals : {"sandwich", "bootstrap"}
        Sandwich (robust Fisher-information) intervals are instant; bootstrap
        intervals refit ``n_bootstrap`` resampled count tables.
    n_bootstrap : int
        Bootstrap rounds (only with ``intervals="bootstrap"``).
    tie_model : {"half", "davidson"}
        A tie as half a win each way (LMArena), or Davidson's tie parameter.
    style : bool
        Style control: fit length and markdown covariates beside the ratings.
    position_bias : bool
        Fit a left-side advantage (reported with its interval).
    level : float
        Interval coverage.
    seed : int
        Bootstrap seed, so reruns show the same numbers.
    """

    intervals: Literal["sandwich", "bootstrap"] = "sandwich"
    n_bootstrap: int = 1000
    tie_model: Literal["half", "davidson"] = "half"
    style: bool = False
    position_bias: bool = True
    level: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class ModelStats:
    """What generation measured for one model (successful answers only, but errors counted)."""

    answers: int
    errors: int
    mean_latency_ms: float | None
    mean_ttft_ms: float | None
    cost_per_task_usd: float | None
    # Successful answers to prompts with a scorer, and how many of them passed.
    scored: int = 0
    correct: int = 0
    # Mean share of a prompt's samples that give its most common answer (scored prompts
    # with two or more samples in one run), and how many prompts that averages.
    consistency: float | None = None
    consistency_prompts: int = 0

    @property
    def error_rate(self) -> float | None:
        total = self.answers + self.errors
        return self.errors / total if total else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    @property
    def accuracy_interval(self) -> tuple[float, float] | None:
        """95% Wilson interval of :attr:`accuracy`."""
        return wilson_interval(self.correct, self.scored) if self.scored else None


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
    rank_best: int | None = None
    rank_worst: int | None = None

    @property
    def display_name(self) -> str:
        return display_name(self.name, simulated=self.simulated)

    @property
    def few_votes(self) -> bool:
        """Rated on fewer than :data:`FEW_VOTES` votes: read the interval with care."""
        return self.rank is not None and self.votes < FEW_VOTES


@dataclass(frozen=True, eq=False)
class Leaderboard:
    """One fitted leaderboard for one cut.

    ``matrix_names`` orders the rated models (best first) for ``battles`` (votes
    between two models, both sides added), ``win_rate`` (observed share of row
    over column, ties half) and ``win_prob`` (fitted probability).
    """

    tier: int | None
    rows: list[LeaderboardRow]
    total_votes: int
    warnings: list[str] = field(default_factory=list)
    cut: Cut = field(default_factory=Cut)
    options: RankOptions = field(default_factory=RankOptions)
    interval_method: str = ""
    tie_model: str = "half"
    tie_param: float | None = None
    left_advantage_elo: float | None = None
    left_advantage_low: float | None = None
    left_advantage_high: float | None = None
    style_names: tuple[str, ...] = ()
    style_coef: np.ndarray | None = None
    style_low: np.ndarray | None = None
    style_high: np.ndarray | None = None
    matrix_names: list[str] = field(default_factory=list)
    battles: np.ndarray | None = None
    win_rate: np.ndarray | None = None
    win_prob: np.ndarray | None = None
    # Spearman's rho between rating and accuracy over the models that have both, and how
    # many models that is (None below three: "does preference follow correctness?").
    rating_accuracy_rho: float | None = None
    rating_accuracy_models: int = 0

    @property
    def few_vote_models(self) -> list[str]:
        return [r.display_name for r in self.rows if r.few_votes]


def model_stats(engine: Engine, cut: Cut | None = None) -> dict[int, ModelStats]:
    """Per-model latency, time to first token, cost per task, errors and scores, by GROUP BY.

    Only the prompt-side parts of the cut apply (tier, suite, category, run):
    raters, dates and vote exclusions say nothing about what generation measured.
    """
    cut = cut or Cut()
    ok = col(Response.error).is_(None)
    query = answers_in_cut(
        select(
            Response.model_id,
            func.sum(case((ok, 1), else_=0)),
            func.sum(case((ok, 0), else_=1)),
            func.avg(case((ok, Response.latency_ms))),
            func.avg(case((ok, Response.ttft_ms))),
            func.avg(case((ok, Response.cost_usd))),
            func.count(Response.correct),
            func.sum(case((col(Response.correct).is_(True), 1), else_=0)),
        ).group_by(Response.model_id),
        cut,
    )
    # Consistency: how often each answer recurs among one prompt's samples in one run.
    keys = answers_in_cut(
        select(Response.run_id, Response.prompt_id, Response.model_id, func.count())
        .where(ok, col(Response.answer_key).is_not(None))
        .group_by(Response.run_id, Response.prompt_id, Response.model_id, Response.answer_key)
        .order_by(Response.run_id, Response.prompt_id, Response.model_id),
        cut,
    )
    with Session(engine) as session:
        rows = session.exec(query).all()
        key_rows = session.exec(keys).all()
    consistency = _consistency_by_model(key_rows)
    return {
        model_id: ModelStats(
            answers=int(n_ok or 0),
            errors=int(n_err or 0),
            mean_latency_ms=_float(lat),
            mean_ttft_ms=_float(ttft),
            cost_per_task_usd=_float(cost),
            scored=int(n_scored or 0),
            correct=int(n_correct or 0),
            consistency=consistency[model_id][0] if model_id in consistency else None,
            consistency_prompts=consistency[model_id][1] if model_id in consistency else 0,
        )
        for model_id, n_ok, n_err, lat, ttft, cost, n_scored, n_correct in rows
    }


def model_stats_by_name(engine: Engine, cut: Cut | None = None) -> dict[str, ModelStats]:
    """:func:`model_stats` keyed by each model's display name (simulated ones labelled).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    cut : Cut, optional
        Only its prompt-side parts apply, as in :func:`model_stats`.

    Returns
    -------
    dict of str to ModelStats
        Empty when the cut holds no answers.
    """
    stats = model_stats(engine, cut)
    with Session(engine) as session:
        models = session.exec(select(Model).where(col(Model.id).in_(list(stats)))).all()
    return {display_name(m.name, simulated=m.simulated): stats[m.id] for m in models}


def _consistency_by_model(
    key_rows: Iterable[tuple[int, int, int, int]],
) -> dict[int, tuple[float, int]]:
    """:func:`scorers.modal_share` per model from (run, prompt, model, count) rows.

    Rows come ordered by (run, prompt, model): one row per distinct answer key.
    """
    counts: dict[int, list[list[int]]] = {}
    for (_, _, model_id), group in groupby(key_rows, key=lambda r: (r[0], r[1], r[2])):
        counts.setdefault(model_id, []).append([int(r[3]) for r in group])
    shares = {model_id: modal_share(groups) for model_id, groups in counts.items()}
    return {model_id: share for model_id, share in shares.items() if share is not None}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Fitting
# --------------------------------------------------------------------------- #


def fit_counts(battles: ranking.Battles, options: RankOptions) -> ranking.Ranking:
    """Fit a ranking to aggregated battles with :func:`blindside.ranking.rank_battles`.

    Raises
    ------
    ValueError
        "no votes in this selection" when the counts are empty.
    """
    if battles.total == 0:
        raise ValueError("no votes in this selection")
    style, style_names = None, ()
    if options.style and battles.style is not None and battles.style.size:
        # A feature that never varies in this cut (no answer has a header, say) cannot be
        # fitted; drop it rather than refuse the whole style fit.
        varies = np.ptp(battles.style, axis=0) > 0
        if varies.any():
            style = battles.style[:, varies]
            style_names = tuple(n for n, v in zip(battles.style_names, varies, strict=True) if v)
    battles = replace(battles, style=style, style_names=style_names)
    return ranking.rank_battles(
        battles,
        intervals=options.intervals,
        n_bootstrap=options.n_bootstrap,
        level=options.level,
        tie_model=options.tie_model,
        position_bias=options.position_bias,
        style=style is not None,
        seed=options.seed,
    )


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


# --------------------------------------------------------------------------- #
# The leaderboard
# --------------------------------------------------------------------------- #


def build_leaderboard(
    engine: Engine,
    cut: Cut | None = None,
    options: RankOptions | None = None,
    *,
    tier: int | None = None,
    include_fallbacks: bool | None = None,
    n_bootstrap: int | None = None,
    seed: int | None = None,
) -> Leaderboard:
    """Ratings, intervals, rank ranges and measured stats per model for one cut.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes count (``Cut()``: all).
    options : RankOptions, optional
        How to fit (sandwich intervals, ties as halves, position bias on).
    tier, include_fallbacks, n_bootstrap, seed
        Shorthands kept for older callers: they override the matching fields
        of ``cut`` and ``options`` (``n_bootstrap`` also selects bootstrap
        intervals).

    Returns
    -------
    Leaderboard
        With no votes in the cut: every model unrated, ``total_votes == 0``.
    """
    cut = cut or Cut()
    options = options or RankOptions()
    if tier is not None:
        cut = cut.with_tier(tier)
    if include_fallbacks is not None:
        cut = replace(cut, exclude_fallbacks=not include_fallbacks)
    if n_bootstrap is not None:
        options = replace(options, intervals="bootstrap", n_bootstrap=n_bootstrap)
    if seed is not None:
        options = replace(options, seed=seed)
    battles = aggregate(engine, cut, by_response=options.style)
    return leaderboard_from_counts(engine, battles, cut, options)


def leaderboard_from_counts(
    engine: Engine, battles: ranking.Battles, cut: Cut, options: RankOptions
) -> Leaderboard:
    """:func:`build_leaderboard` after the aggregation (the benchmark times both halves)."""
    stats = model_stats(engine, cut)
    with Session(engine) as session:
        models = {m.id: m for m in session.exec(select(Model))}
    if battles.total == 0:
        rows = [_row(models[m], stats.get(m)) for m in sorted(stats)]
        rows.sort(key=lambda r: r.name)
        return Leaderboard(
            tier=cut.tier, rows=rows, total_votes=0, cut=cut, options=options, tie_model=""
        )
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        # The fit warns about what it could not estimate (e.g. position bias when every
        # pair was shown one way round): the lead should read that, not a log.
        warnings.simplefilter("always")
        try:
            fitted = fit_counts(battles, options)
        except ValueError as exc:
            if not options.style:
                raise
            # Style covariates can be collinear with the ratings in a small cut (every
            # answer of a model equally long): show the plain ratings and say why.
            notes.append(f"Style control could not be fitted on this selection ({exc}).")
            fitted = fit_counts(battles, replace(options, style=False))
    notes += sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    ids = list(battles.labels)
    names = [models[m].name for m in ids]
    board_warnings = notes + _warnings(fitted, names)
    ranked: dict[int, LeaderboardRow] = {}
    for i, model_id in enumerate(ids):
        win_rate = float(fitted.win_rate[i])
        ranked[model_id] = _row(
            models[model_id],
            stats.get(model_id),
            rank=int(fitted.rank[i]),
            rating=float(fitted.elo[i]),
            low=_opt(fitted.elo_low[i]),
            high=_opt(fitted.elo_high[i]),
            votes=round(float(fitted.games[i])),
            win_rate=None if math.isnan(win_rate) else win_rate,
            rank_best=int(fitted.rank_best[i]),
            rank_worst=int(fitted.rank_worst[i]),
        )
    rows = list(ranked.values())
    rows += [_row(models[m], stats[m]) for m in sorted(set(stats) - set(ranked))]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    few = [r.display_name for r in rows if r.few_votes]
    if few:
        board_warnings.append(
            f"Fewer than {FEW_VOTES} votes, so the interval means little: " + ", ".join(few)
        )
    order = np.argsort(-np.asarray(fitted.elo), kind="stable")
    wins = battles.wins()
    games = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(games > 0, wins / np.where(games > 0, games, 1), np.nan)
    simulated = {m: models[m].simulated for m in ids}
    both = [r for r in rows if r.rating is not None and r.stats.accuracy is not None]
    correlation = rank_correlation(
        [r.rating for r in both],  # type: ignore[misc]
        [r.stats.accuracy for r in both],  # type: ignore[misc]
    )
    return Leaderboard(
        tier=cut.tier,
        rows=rows,
        total_votes=round(battles.total),
        warnings=board_warnings,
        cut=cut,
        options=options,
        interval_method=str(fitted.interval_method),
        tie_model=str(fitted.tie_model),
        tie_param=_opt(getattr(fitted, "tie_param", None)),
        left_advantage_elo=_opt(getattr(fitted, "left_advantage_elo", None)),
        left_advantage_low=_opt(getattr(fitted, "left_advantage_low", None)),
        left_advantage_high=_opt(getattr(fitted, "left_advantage_high", None)),
        style_names=tuple(getattr(fitted, "style_names", ()) or ()),
        style_coef=getattr(fitted, "style_coef", None),
        style_low=getattr(fitted, "style_low", None),
        style_high=getattr(fitted, "style_high", None),
        matrix_names=[display_name(names[i], simulated=simulated[ids[i]]) for i in order],
        battles=games[np.ix_(order, order)],
        win_rate=observed[np.ix_(order, order)],
        win_prob=np.asarray(fitted.win_prob)[np.ix_(order, order)],
        rating_accuracy_rho=None if correlation is None else correlation[0],
        rating_accuracy_models=0 if correlation is None else correlation[1],
    )


def _row(
    model: Model,
    stats: ModelStats | None,
    *,
    rank: int | None = None,
    rating: float | None = None,
    low: float | None = None,
    high: float | None = None,
    votes: int = 0,
    win_rate: float | None = None,
    rank_best: int | None = None,
    rank_worst: int | None = None,
) -> LeaderboardRow:
    return LeaderboardRow(
        model_id=model.id,  # type: ignore[arg-type]
        name=model.name,
        simulated=model.simulated,
        rank=rank,
        rating=rating,
        rating_low=low,
        rating_high=high,
        votes=votes,
        win_rate=win_rate,
        stats=stats or ModelStats(0, 0, None, None, None),
        rank_best=rank_best,
        rank_worst=rank_worst,
    )


def _warnings(fitted: Any, names: list[str]) -> list[str]:
    notes: list[str] = []
    if len(fitted.components) > 1:
        groups = [" / ".join(names[i] for i in comp) for comp in fitted.components]
        notes.append(
            "The comparison graph is disconnected, so ratings across these groups are "
            "not comparable (a small prior keeps them finite): " + "; ".join(groups)
        )
    elif fitted.prior > 0:
        extreme = [names[i] for i in range(len(names)) if fitted.win_rate[i] in (0.0, 1.0)]
        if extreme:
            notes.append(
                "Some models won or lost every comparison, so their rating is only bounded "
                "by a small prior and its interval is too narrow: " + ", ".join(extreme)
            )
    return notes


def leaderboard_from_arena(battles: ranking.Battles, options: RankOptions) -> Leaderboard:
    """A leaderboard of an arena-format file: ratings only, no database, no position.

    Arena files do not record which answer was on the left, so position bias is
    not fitted (:func:`blindside.arena.read_arena_battles` gives unordered
    battles, labelled with the model names).
    """
    if battles.total == 0:
        raise ValueError("no votes in this selection")
    names = [str(label) for label in battles.labels]
    fitted = fit_counts(battles, replace(options, position_bias=False))
    rows = []
    for i, name in enumerate(names):
        win_rate = float(fitted.win_rate[i])
        rows.append(
            LeaderboardRow(
                model_id=i,
                name=name,
                simulated=False,
                rank=int(fitted.rank[i]),
                rating=float(fitted.elo[i]),
                rating_low=_opt(fitted.elo_low[i]),
                rating_high=_opt(fitted.elo_high[i]),
                votes=round(float(fitted.games[i])),
                win_rate=None if math.isnan(win_rate) else win_rate,
                stats=ModelStats(0, 0, None, None, None),
                rank_best=int(fitted.rank_best[i]),
                rank_worst=int(fitted.rank_worst[i]),
            )
        )
    rows.sort(key=lambda r: (r.rank or 0, r.name))
    board_warnings = _warnings(fitted, names)
    few = [r.name for r in rows if r.few_votes]
    if few:
        board_warnings.append(
            f"Fewer than {FEW_VOTES} votes, so the interval means little: " + ", ".join(few)
        )
    return Leaderboard(
        tier=None,
        rows=rows,
        total_votes=round(battles.total),
        warnings=board_warnings,
        options=options,
        interval_method=str(fitted.interval_method),
        tie_model=str(fitted.tie_model),
        tie_param=_opt(getattr(fitted, "tie_param", None)),
    )


# --------------------------------------------------------------------------- #
# What a cut can choose from
# --------------------------------------------------------------------------- #

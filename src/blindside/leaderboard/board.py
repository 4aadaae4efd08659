"""The fitted leaderboard: Bradley-Terry ratings next to what is measured per model.

Counts come from the database (:func:`blindside.aggregate.aggregate`, one GROUP BY
over the votes of a :class:`~blindside.cuts.Cut`), the fit from
:mod:`blindside.ranking`, the measured figures (latency, time to first token,
cost, errors, accuracy, consistency) from :mod:`blindside.leaderboard.stats`.
This module joins them into rows and says in words what a lead should not
over-read (too few votes, a disconnected comparison graph). How the rows are
shown is :mod:`blindside.leaderboard.views`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside import ranking
from blindside.aggregate import aggregate
from blindside.config import display_name
from blindside.cuts import Cut
from blindside.leaderboard.stats import ModelStats, model_stats
from blindside.scorers import rank_correlation
from blindside.tables import Model

TIERS = {1: "Tier 1 · high-stakes reasoning", 2: "Tier 2 · creative", 3: "Tier 3 · high-volume"}
#: Below this many votes a model's interval rests on too little data to mean much (a warning).
FEW_VOTES = 20
#: Below this many votes on a model its rating is not shown at all ("not enough votes"):
#: on 4 votes a rating of 2,362 and "rank 1 (could be 1 to 1)" look authoritative and mean
#: nothing (``docs/statistics.md``, "Thin or broken data").
MIN_VOTES = 10


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
class LeaderboardRow:
    """One model: its fitted rating (all None without votes) beside what was measured."""

    model_id: int
    name: str
    simulated: bool
    stats: ModelStats = field(default_factory=ModelStats)
    rank: int | None = None
    rating: float | None = None
    rating_low: float | None = None
    rating_high: float | None = None
    votes: int = 0
    win_rate: float | None = None
    rank_best: int | None = None
    rank_worst: int | None = None
    # Tasks per month the lead plans for this tier: the monthly cost column multiplies by it.
    monthly_volume: int | None = None
    #: In the fit, but on fewer than :data:`MIN_VOTES` votes: rank, rating, interval and
    #: rank range are withheld (None), as a rating on 4 votes looks more certain than it is.
    withheld: bool = False
    #: Its group of the comparison graph (1, 2, ...) when the graph is disconnected.
    group: int | None = None

    @property
    def display_name(self) -> str:
        return display_name(self.name, simulated=self.simulated)

    @property
    def few_votes(self) -> bool:
        """Rated on fewer than :data:`FEW_VOTES` votes (or withheld): read with care."""
        return (self.rank is not None or self.withheld) and self.votes < FEW_VOTES

    @property
    def note(self) -> str:
        """What to read with care, in words: a narrow-looking interval on 5 votes misleads."""
        if self.withheld:
            notes = [f"not enough votes (fewer than {MIN_VOTES})"]
        else:
            notes = [f"fewer than {FEW_VOTES} votes"] if self.few_votes else []
        if self.group is not None:
            notes.append(f"group {self.group}: ranked within its group")
        return "; ".join(notes)


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
    tie_param_low: float | None = None
    tie_param_high: float | None = None
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

    def at_volume(self, volume: int | None) -> Leaderboard:
        """This board with every row costed at ``volume`` tasks a month (None: not costed)."""
        return replace(self, rows=[replace(r, monthly_volume=volume) for r in self.rows])


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
    engine: Engine, cut: Cut | None = None, options: RankOptions | None = None
) -> Leaderboard:
    """Ratings, intervals, rank ranges and measured stats per model for one cut.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes count (``Cut()``: all).
    options : RankOptions, optional
        How to fit (sandwich intervals, ties as halves, position bias on).

    Returns
    -------
    Leaderboard
        With no votes in the cut: every model unrated, ``total_votes == 0``.
    """
    cut = cut or Cut()
    options = options or RankOptions()
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
    fitted, notes = _fit_noting(battles, options)
    ids = list(battles.labels)
    names = [models[m].name for m in ids]
    board_warnings = notes + _warnings(fitted, names)
    ranked = {
        model_id: _row(models[model_id], stats.get(model_id), **_fitted(fitted, i))
        for i, model_id in enumerate(ids)
    }
    rows = list(ranked.values())
    rows += [_row(models[m], stats[m]) for m in sorted(set(stats) - set(ranked))]
    rows.sort(key=_row_order)
    board_warnings += _few_votes_warning(rows)
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
        **_fit_method(fitted),
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


def _fit_noting(
    battles: ranking.Battles, options: RankOptions
) -> tuple[ranking.Ranking, list[str]]:
    """:func:`fit_counts`, with what the fit warned about as notes for the lead.

    The fit warns about what it could not estimate (e.g. position bias when every pair
    was shown one way round): the lead should read that, not a log. Thin-data warnings
    are left to :func:`_warnings`, which names the models.
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
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
    notes += sorted(
        {
            str(w.message)
            for w in caught
            if issubclass(w.category, RuntimeWarning)
            and not issubclass(w.category, ranking.ThinDataWarning)
        }
    )
    return fitted, notes


def _row_order(row: LeaderboardRow) -> tuple[Any, ...]:
    """Rated models by group, then rank; then those with too few votes or none."""
    return (row.rank is None, row.group or 0, row.rank or 0, row.name)


def _row(model: Model, stats: ModelStats | None, **fitted: Any) -> LeaderboardRow:
    return LeaderboardRow(
        model_id=model.id,  # type: ignore[arg-type]
        name=model.name,
        simulated=model.simulated,
        stats=stats or ModelStats(),
        **fitted,
    )


def _fitted(fitted: ranking.Ranking, i: int) -> dict[str, Any]:
    """The :class:`LeaderboardRow` fields of the ``i``-th model of a fit.

    Below :data:`MIN_VOTES` votes only the votes and the observed win rate are kept.
    """
    win_rate = float(fitted.win_rate[i])
    votes = round(float(fitted.games[i]))
    groups = fitted.components
    observed = {
        "votes": votes,
        "win_rate": None if math.isnan(win_rate) else win_rate,
        "group": next(g for g, c in enumerate(groups, 1) if i in c) if len(groups) > 1 else None,
    }
    if votes < MIN_VOTES:
        return {**observed, "withheld": True}
    return {
        **observed,
        "rank": int(fitted.rank[i]),
        "rating": float(fitted.elo[i]),
        "rating_low": _opt(fitted.elo_low[i]),
        "rating_high": _opt(fitted.elo_high[i]),
        "rank_best": int(fitted.rank_best[i]),
        "rank_worst": int(fitted.rank_worst[i]),
    }


def _fit_method(fitted: Any) -> dict[str, Any]:
    """How a board was fitted: the interval method and the tie model with its parameter."""
    return {
        "interval_method": str(fitted.interval_method),
        "tie_model": str(fitted.tie_model),
        "tie_param": _opt(getattr(fitted, "tie_param", None)),
        "tie_param_low": _opt(getattr(fitted, "tie_param_low", None)),
        "tie_param_high": _opt(getattr(fitted, "tie_param_high", None)),
    }


def _warnings(fitted: Any, names: list[str]) -> list[str]:
    """The fit's thin-data warnings (:class:`~blindside.ranking.ThinDataWarning`), naming models."""
    notes: list[str] = []
    if len(fitted.components) > 1:
        groups = [
            f"group {g}: " + " / ".join(names[i] for i in comp)
            for g, comp in enumerate(fitted.components, 1)
        ]
        notes.append(
            "These groups of models were never compared, so ratings across groups are not "
            "comparable: each rating and its interval are relative to its own group's average, "
            "and ranks and rank ranges are within a group. " + "; ".join(groups)
        )
    extreme = [names[i] for i in range(len(names)) if fitted.win_rate[i] in (0.0, 1.0)]
    if fitted.interval_method == "fisher" and fitted.prior > 0 and extreme:
        notes.append(
            "Some models won or lost every comparison, so only a weak prior bounds their "
            "rating; the intervals are the inverse Fisher information of that fit and very "
            "wide: " + ", ".join(extreme)
        )
    if fitted.interval_method == "unavailable":
        notes.append(
            "Every vote is a tie: the votes cannot tell the models apart, so no interval is "
            "shown"
            + (" and the tie parameter is unbounded" if fitted.tie_model == "davidson" else "")
            + "."
        )
    return notes


def _few_votes_warning(rows: list[LeaderboardRow]) -> list[str]:
    notes = []
    withheld = [r.display_name for r in rows if r.withheld]
    if withheld:
        notes.append(
            f"Not enough votes to show a rating (fewer than {MIN_VOTES} votes each): "
            + ", ".join(withheld)
        )
    few = [r.display_name for r in rows if r.few_votes and not r.withheld]
    if few:
        notes.append(
            f"Fewer than {FEW_VOTES} votes, so the interval means little: " + ", ".join(few)
        )
    return notes


#: What ``rank --votes`` says of a file that does not record the screen side.
NO_POSITION_WARNING = (
    "this file does not say which model was shown on the left (no left_model field): "
    "no left-side advantage was fitted, so ratings carry any position bias of the votes"
)


def leaderboard_from_arena(battles: ranking.Battles, options: RankOptions) -> Leaderboard:
    """A leaderboard of a vote file (``rank --votes``): ratings only, no database.

    When the file records which model was on the left (``battles.position_known``,
    :func:`blindside.arena.read_arena_battles`), the left-side advantage is fitted as
    from the database; otherwise it is not, and a warning says so.
    """
    if battles.total == 0:
        raise ValueError("no votes in this selection")
    names = [str(label) for label in battles.labels]
    position = options.position_bias and battles.position_known
    fitted, notes = _fit_noting(battles, replace(options, position_bias=position))
    if not battles.position_known:
        notes = [*notes, NO_POSITION_WARNING]
    rows = [
        LeaderboardRow(model_id=i, name=name, simulated=False, **_fitted(fitted, i))
        for i, name in enumerate(names)
    ]
    rows.sort(key=_row_order)
    board_warnings = notes + _warnings(fitted, names) + _few_votes_warning(rows)
    return Leaderboard(
        tier=None,
        rows=rows,
        total_votes=round(battles.total),
        warnings=board_warnings,
        options=options,
        **_fit_method(fitted),
        left_advantage_elo=_opt(getattr(fitted, "left_advantage_elo", None)),
        left_advantage_low=_opt(getattr(fitted, "left_advantage_low", None)),
        left_advantage_high=_opt(getattr(fitted, "left_advantage_high", None)),
    )

"""Degenerate vote files drawn from a known truth, and the coverage of their intervals.

The four cases of issue 10 (disconnected, never-loses, all-ties, one vote). Each
case draws votes from a model with known strengths and keeps only draws that
are degenerate in the named way (rejection sampling), as a real vote file that
happened to come out so. :func:`coverage` fits each draw with
:func:`~blindside.ranking.rank_battles` and counts how often the reported
interval holds the truth. ``tests/unit/ranking/test_degenerate.py`` runs it with
a few draws; ``benchmarks/bench_degenerate.py`` with many, beside the intervals
the fit used to report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from blindside.ranking import ELO_SCALE, Battles, Ranking, ThinDataWarning, rank_battles


def draw_votes(
    theta: np.ndarray,
    pairs: np.ndarray,
    rng: np.random.Generator,
    *,
    nu: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One vote per row of ``pairs`` (a, b): outcome counts (a wins, b wins, tie) per vote.

    ``nu=None``: ties take ``0.3 min(p, 1 - p)`` out of both sides, so the
    expected score stays ``p`` (the half model holds in the mean); otherwise
    Davidson's model with tie parameter ``nu``.
    """
    d = theta[pairs[:, 0]] - theta[pairs[:, 1]]
    if nu is None:
        p = 1 / (1 + np.exp(-d))
        p_tie = 0.3 * np.minimum(p, 1 - p)
        p_a = p - p_tie / 2
    else:
        z = np.exp(d / 2) + np.exp(-d / 2) + nu
        p_a, p_tie = np.exp(d / 2) / z, nu / z
    u = rng.random(d.size)
    a_wins = u < p_a
    tie = ~a_wins & (u < p_a + p_tie)
    return a_wins.astype(float), (~a_wins & ~tie).astype(float), tie.astype(float)


def random_pairs(models: np.ndarray, n_votes: int, rng: np.random.Generator) -> np.ndarray:
    """``n_votes`` uniformly random pairs of distinct models from ``models``."""
    a = rng.integers(0, models.size, n_votes)
    b = (a + rng.integers(1, models.size, n_votes)) % models.size
    return np.stack([models[a], models[b]], axis=1)


def battles_of(n: int, pairs: np.ndarray, outcomes) -> Battles:
    """Votes as unordered battles (one row per vote; the fit aggregates nothing away)."""
    return Battles(n, pairs[:, 0], pairs[:, 1], *outcomes, position_known=False)


@dataclass(frozen=True)
class Case:
    """A degenerate case: the true strengths and a draw of its vote file.

    ``draw`` returns None when the votes it drew are not degenerate in the
    case's way; :func:`coverage` then draws again.
    """

    name: str
    theta: np.ndarray
    draw: Callable[[np.random.Generator], Battles | None]
    tie_model: str = "half"


def _disconnected(rng: np.random.Generator) -> Battles:
    # Two groups of three, never compared; group A is truly ~350 Elo stronger.
    pairs = np.concatenate(
        [random_pairs(np.arange(3), 40, rng), random_pairs(np.arange(3, 6), 40, rng)]
    )
    return battles_of(6, pairs, draw_votes(DISCONNECTED.theta, pairs, rng))


def _never_loses(rng: np.random.Generator) -> Battles | None:
    pairs = random_pairs(np.arange(4), 12, rng)
    a_wins, b_wins, ties = draw_votes(NEVER_LOSES.theta, pairs, rng)
    games = (pairs == 0).any(axis=1)
    lost_or_tied = ((pairs[:, 0] == 0) & (b_wins + ties > 0)) | (
        (pairs[:, 1] == 0) & (a_wins + ties > 0)
    )
    if not games.any() or lost_or_tied.any():
        return None
    return battles_of(4, pairs, (a_wins, b_wins, ties))


def _all_ties(rng: np.random.Generator) -> Battles | None:
    pairs = random_pairs(np.arange(3), 8, rng)
    outcomes = draw_votes(ALL_TIES.theta, pairs, rng, nu=30.0)
    if outcomes[0].any() or outcomes[1].any():
        return None
    return battles_of(3, pairs, outcomes)


def _one_vote(rng: np.random.Generator) -> Battles:
    pairs = random_pairs(np.arange(2), 1, rng)
    return battles_of(2, pairs, draw_votes(ONE_VOTE.theta, pairs, rng))


DISCONNECTED = Case("disconnected", np.array([1.6, 1.0, 0.4, -0.4, -1.0, -1.6]), _disconnected)
NEVER_LOSES = Case("never-loses", np.array([1.5, 0.0, -0.2, -0.4]), _never_loses)
ALL_TIES = Case("all-ties", np.array([0.4, 0.0, -0.4]), _all_ties, tie_model="davidson")
ONE_VOTE = Case("one vote", np.array([0.3, -0.3]), _one_vote)
CASES = (DISCONNECTED, NEVER_LOSES, ALL_TIES, ONE_VOTE)


def true_elo(theta: np.ndarray, components: list[list[int]], base: float = 1000.0) -> np.ndarray:
    """The truth an interval claims to hold: Elo relative to the model's component average."""
    out = np.empty(theta.size)
    for comp in components:
        out[comp] = base + ELO_SCALE * (theta[comp] - theta[comp].mean())
    return out


@dataclass
class Coverage:
    """Of the (draw, model) intervals: how many held the truth, missed it, or were unavailable.

    ``unwarned`` counts unavailable intervals that came without a
    :class:`~blindside.ranking.ThinDataWarning`; ``methods`` the interval
    methods the fits reported.
    """

    covered: int = 0
    missed: int = 0
    unavailable: int = 0
    unwarned: int = 0
    methods: frozenset[str] = frozenset()
    half_widths: list[float] = field(default_factory=list)

    @property
    def median_half_width(self) -> float:
        """Median half-width in Elo of the available intervals (nan if none)."""
        return float(np.median(self.half_widths)) if self.half_widths else float("nan")

    @property
    def rate(self) -> float:
        """Share of the available intervals that held the truth (nan if none was available)."""
        shown = self.covered + self.missed
        return self.covered / shown if shown else float("nan")


def coverage(
    case: Case,
    n_draws: int,
    seed: int,
    *,
    fit: Callable[[Battles, str], tuple[Ranking, list[str]]] | None = None,
) -> Coverage:
    """Fit ``n_draws`` degenerate draws of ``case`` and count interval coverage at 95%.

    ``fit(battles, tie_model)`` returns the ranking and the warnings issued;
    default: :func:`rank_battles` with sandwich intervals (the default).
    """
    fit = fit or _fit
    rng = np.random.default_rng(seed)
    result = Coverage()
    methods: set[str] = set()
    done = 0
    while done < n_draws:
        battles = case.draw(rng)
        if battles is None:
            continue
        done += 1
        ranking, notes = fit(battles, case.tie_model)
        methods.add(ranking.interval_method)
        truth = true_elo(case.theta, ranking.components)
        missing = np.isnan(ranking.elo_low) | np.isnan(ranking.elo_high)
        held = (ranking.elo_low <= truth) & (truth <= ranking.elo_high)
        result.covered += int(np.sum(held & ~missing))
        result.missed += int(np.sum(~held & ~missing))
        result.unavailable += int(np.sum(missing))
        result.unwarned += int(np.sum(missing)) if not notes else 0
        result.half_widths += ((ranking.elo_high - ranking.elo_low) / 2)[~missing].tolist()
    result.methods = frozenset(methods)
    return result


def _fit(battles: Battles, tie_model: str) -> tuple[Ranking, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranking = rank_battles(battles, tie_model=tie_model)
    return ranking, [str(w.message) for w in caught if issubclass(w.category, ThinDataWarning)]

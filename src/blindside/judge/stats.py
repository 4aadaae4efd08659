"""A judge's figures, pure: its position bias from swapped orders, its agreement with raters.

No database: verdicts arrive as arrays (one entry per verdict or vote) from
:mod:`blindside.judge.report` or from a test. Verdicts on answers, not screen sides, as in
:mod:`blindside.agreement`: code 0 means the pair's first answer (lower response id) won, 1
the second, 2 a tie, 3 both bad (:func:`blindside.agreement.verdicts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from blindside.agreement import VERDICTS, cohen_kappa
from blindside.scorers.intervals import wilson_interval

TIE = VERDICTS.index("tie")

__all__ = [
    "Agreement",
    "PositionBias",
    "Share",
    "agreement_with_votes",
    "pair_verdicts",
    "position_bias",
]


@dataclass(frozen=True)
class Share:
    """A share of ``n`` items with its 95% interval; ``value`` None when ``n`` is 0."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    @classmethod
    def of(cls, hits: int, n: int) -> Share:
        """Wilson's interval for ``hits`` out of ``n``."""
        if n == 0:
            return cls(None, None, None, 0)
        low, high = wilson_interval(hits, n)
        return cls(hits / n, low, high, n)


@dataclass(frozen=True)
class PositionBias:
    """How much a judge's verdict depends on which answer it read first.

    Attributes
    ----------
    flips : Share
        Of the pairs with a parsed verdict in both orders, the share whose verdict on the
        answers changed when the order was swapped.
    first_wins : Share
        Of the decisive verdicts (A or B), the share that chose A, the answer shown first;
        0.5 for a judge without position bias.
    """

    flips: Share
    first_wins: Share


def position_bias(
    pair: ArrayLike, position: ArrayLike, choice: ArrayLike, code: ArrayLike
) -> PositionBias:
    """Position bias measured by swapping the order of each pair.

    Parameters
    ----------
    pair, position : array of int
        One entry per parsed verdict: its pair and order (0 or 1).
    choice : array of str
        ``left`` (A), ``right`` (B), ``tie`` or ``both_bad``.
    code : array of int
        The same verdicts as answer codes (0 first answer won, 1 second, 2 tie, 3 both bad).

    Returns
    -------
    PositionBias
    """
    pair = np.asarray(pair, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    choice = np.asarray(choice, dtype=object)
    code = np.asarray(code, dtype=np.int64)
    decisive = (choice == "left") | (choice == "right")
    first_wins = Share.of(int((choice[decisive] == "left").sum()), int(decisive.sum()))
    by_pair: dict[int, dict[int, int]] = {}
    for p, o, c in zip(pair.tolist(), position.tolist(), code.tolist(), strict=True):
        by_pair.setdefault(p, {})[o] = c
    both = [orders for orders in by_pair.values() if len(orders) == 2]
    flipped = sum(orders[0] != orders[1] for orders in both)
    return PositionBias(flips=Share.of(flipped, len(both)), first_wins=first_wins)


def pair_verdicts(pair: ArrayLike, position: ArrayLike, code: ArrayLike) -> dict[int, int]:
    """The judge's verdict on each pair judged in both orders.

    The two orders' verdicts when they agree; a tie when they do not (the judge could not
    tell the answers apart once the order is taken away). Pairs judged in one order only
    are left out.

    Returns
    -------
    dict
        Pair id to answer code.
    """
    by_pair: dict[int, dict[int, int]] = {}
    for p, o, c in zip(
        np.asarray(pair).tolist(),
        np.asarray(position).tolist(),
        np.asarray(code).tolist(),
        strict=True,
    ):
        by_pair.setdefault(int(p), {})[int(o)] = int(c)
    return {
        p: (orders[0] if orders[0] == orders[1] else TIE)
        for p, orders in by_pair.items()
        if len(orders) == 2
    }


@dataclass(frozen=True)
class Agreement:
    """The judge against the human votes on the pairs both judged.

    Attributes
    ----------
    pairs, votes : int
        Pairs with a judge verdict and at least one vote, and the votes on them.
    share : float or None
        Share of those votes that gave the judge's verdict.
    share_low, share_high : float or None
        Its 95% interval (bootstrap over pairs: votes on one pair are not independent).
    kappa : float or None
        Cohen's kappa of the judge against the votes (0: chance, 1: always the same).
    kappa_low, kappa_high : float or None
        Its 95% interval, from the same bootstrap.
    decisive_votes : int
        Votes that picked a winner on pairs where the judge picked one too.
    decisive_share, decisive_low, decisive_high : float or None
        Of those, the share that picked the judge's winner, with its 95% interval.
    """

    pairs: int
    votes: int
    share: float | None
    share_low: float | None
    share_high: float | None
    kappa: float | None
    kappa_low: float | None
    kappa_high: float | None
    decisive_votes: int = 0
    decisive_share: float | None = None
    decisive_low: float | None = None
    decisive_high: float | None = None


def agreement_with_votes(
    judge: dict[int, int],
    vote_pair: ArrayLike,
    vote_code: ArrayLike,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> Agreement:
    """How often the raters' votes give the judge's verdict, with bootstrap intervals.

    Parameters
    ----------
    judge : dict
        The judge's verdict code per pair (:func:`pair_verdicts`).
    vote_pair, vote_code : array of int
        One entry per human vote: its pair and its answer code.
    n_bootstrap : int
        Resamples of the pairs (each with all its votes) for the intervals.
    seed : int
        Seed of the resampling.

    Returns
    -------
    Agreement
        Figures are None where there is nothing to compare.
    """
    vote_pair = np.asarray(vote_pair, dtype=np.int64)
    vote_code = np.asarray(vote_code, dtype=np.int64)
    keep = np.array([p in judge for p in vote_pair.tolist()], dtype=bool)
    vote_pair, vote_code = vote_pair[keep], vote_code[keep]
    if vote_pair.size == 0:
        return Agreement(0, 0, None, None, None, None, None, None)
    judge_code = np.array([judge[p] for p in vote_pair.tolist()], dtype=np.int64)
    pairs, cluster = np.unique(vote_pair, return_inverse=True)
    share = float((judge_code == vote_code).mean())
    kappa = cohen_kappa(judge_code, vote_code).value
    decisive = (judge_code <= 1) & (vote_code <= 1)  # both picked a winner
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(cluster == k) for k in range(pairs.size)]
    shares, kappas, winners = [], [], []
    for _ in range(n_bootstrap):
        drawn = rng.integers(0, pairs.size, pairs.size)
        idx = np.concatenate([members[k] for k in drawn])
        a, b = judge_code[idx], vote_code[idx]
        shares.append((a == b).mean())
        value = cohen_kappa(a, b).value
        if value is not None:
            kappas.append(value)
        both = decisive[idx]
        if both.any():
            winners.append((a[both] == b[both]).mean())
    s_low, s_high = (float(x) for x in np.percentile(shares, [2.5, 97.5]))
    k_low = k_high = None
    if kappa is not None and len(kappas) >= n_bootstrap // 2:
        k_low, k_high = (float(x) for x in np.percentile(kappas, [2.5, 97.5]))
    d_share = d_low = d_high = None
    if decisive.any():
        d_share = float((judge_code[decisive] == vote_code[decisive]).mean())
        if len(winners) >= n_bootstrap // 2:
            d_low, d_high = (float(x) for x in np.percentile(winners, [2.5, 97.5]))
    return Agreement(
        pairs=int(pairs.size),
        votes=int(vote_pair.size),
        share=share,
        share_low=s_low,
        share_high=s_high,
        kappa=kappa,
        kappa_low=k_low,
        kappa_high=k_high,
        decisive_votes=int(decisive.sum()),
        decisive_share=d_share,
        decisive_low=d_low,
        decisive_high=d_high,
    )

"""``next_pair``: which item a rater sees next, and which model goes on which side."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from blindside.scheduler.counts import PairCounts, pick_unseen
from blindside.scheduler.state import SchedulerState

#: Why an item was drawn.
REASONS = ("adaptive", "explore", "gold", "repeat")


@dataclass(frozen=True)
class Draw:
    """The next item for a rater, with its sides.

    Attributes
    ----------
    item_id : int
    left, right : int
        The models to show on the left and on the right.
    reason : str
        One of :data:`REASONS`.
    """

    item_id: int
    left: int
    right: int
    reason: str


def place_sides(
    counts: PairCounts,
    a: int,
    b: int,
    rng: np.random.Generator,
    imbalance: np.ndarray | None = None,
) -> tuple[int, int]:
    """``(left, right)``: the model with fewer net left exposures goes on the left.

    Net exposure is left minus right (``imbalance``, by default the counts'); on a tie the
    side is drawn at random.
    """
    if imbalance is None:
        imbalance = counts.imbalance()
    if imbalance[a] == imbalance[b]:
        return (a, b) if rng.random() < 0.5 else (b, a)
    return (a, b) if imbalance[a] < imbalance[b] else (b, a)


def balance_safe(counts: PairCounts, imbalance: np.ndarray | None = None) -> np.ndarray:
    """Pairs whose next vote keeps every model's net exposure within 1, shape (P,).

    Net exposures (``imbalance``, by default the counts') start at 0 and the side rule moves
    the lower one up; only two models with the same non-zero imbalance would push one of
    them to 2.
    """
    if imbalance is None:
        imbalance = counts.imbalance()
    first, second = imbalance[counts.pair_first], imbalance[counts.pair_second]
    return (first != second) | (first == 0)


def _draw_from(
    state: SchedulerState,
    item_id: int | None,
    reason: str,
    rng: np.random.Generator,
    imbalance: np.ndarray,
) -> Draw | None:
    if item_id is None:
        return None
    item = state.counts.items[item_id]
    left, right = place_sides(state.counts, item.model_a, item.model_b, rng, imbalance)
    return Draw(item_id, left, right, reason)


def _item_of_pair(
    counts: PairCounts, pair: int, seen: set[int], rng: np.random.Generator
) -> int | None:
    """An unseen item of the pair, preferring one nobody has voted (repeats are their own share)."""
    fresh = pick_unseen(counts.fresh[pair].ids, seen, rng)
    return fresh if fresh is not None else pick_unseen(counts.pool[pair], seen, rng)


def next_pair(
    state: SchedulerState,
    rater: Hashable,
    rng: np.random.Generator,
    *,
    pending: tuple[int, int] | None = None,
) -> Draw | None:
    """Choose the next item for a rater and the side of each model.

    With probability ``gold_share`` a gold item, with probability ``repeat_share`` an item other
    raters have voted (while the rater has any of these left); otherwise a model pair: with
    probability ``explore`` uniformly at random, else the one with the largest expected fall in
    the objective (see the package docstring), among pairs with an item the rater has not seen
    and whose vote keeps left/right balance within 1 (when any does). Costs ``O(n^2)``.

    Parameters
    ----------
    state : SchedulerState
        Not modified: record the vote (or :meth:`~SchedulerState.mark_seen` a skip) afterwards.
    rater : hashable
    rng : numpy.random.Generator
    pending : tuple of (int, int), optional
        The (left, right) models of a vote being stored and not recorded yet: the sides are
        placed as if it were (its information and outcome are left to :meth:`record`).

    Returns
    -------
    Draw or None
        None when the rater has seen every item.
    """
    counts, policy = state.counts, state.policy
    seen = counts.seen_by(rater)
    imbalance = counts.imbalance()
    if pending is not None:
        imbalance[pending[0]] += 1
        imbalance[pending[1]] -= 1
    u = rng.random()
    if u < policy.gold_share:
        draw = _draw_from(state, pick_unseen(counts.gold, seen, rng), "gold", rng, imbalance)
        if draw is not None:
            return draw
    elif u < policy.gold_share + policy.repeat_share:
        repeat = pick_unseen(counts.repeat_open.ids, seen, rng)
        draw = _draw_from(state, repeat, "repeat", rng, imbalance)
        if draw is not None:
            return draw

    open_pairs = counts.unseen_per_pair(rater) > 0
    if not open_pairs.any():
        # Every non-gold item is seen: only gold items can be left.
        leftover = pick_unseen(counts.gold, seen, rng)
        return _draw_from(state, leftover, "gold", rng, imbalance)
    safe = open_pairs & balance_safe(counts, imbalance)
    candidates = np.flatnonzero(safe if safe.any() else open_pairs)
    if rng.random() < policy.explore:
        pair, reason = int(candidates[rng.integers(candidates.size)]), "explore"
    else:
        gains = state.uncertainty.gains(
            counts.pair_first[candidates], counts.pair_second[candidates]
        )
        best = np.flatnonzero(gains >= gains.max() * (1 - 1e-9))
        pair, reason = int(candidates[best[rng.integers(best.size)]]), "adaptive"
    return _draw_from(state, _item_of_pair(counts, pair, seen, rng), reason, rng, imbalance)

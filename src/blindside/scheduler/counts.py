"""The counts the scheduler keeps up to date as votes arrive, so no draw reads the votes.

Candidate items (two answers of two different models, e.g. a stored pair) are grouped by their
unordered model pair. Each vote updates, in ``O(1)`` amortised: the outcome counts per ordered
(left, right) model pair, each model's left and right exposures, the item's number of raters
(fresh items, items open for repeats), and what the rater has seen, per model pair.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from blindside.ranking.battles import Battles

#: Vote choices, as stored; "both_bad" counts as a tie, as in the ranking.
CHOICE_COLUMN = {"left": 0, "right": 1, "tie": 2, "both_bad": 2}


@dataclass(frozen=True)
class Item:
    """A candidate pair of answers: what a rater is shown.

    Attributes
    ----------
    item_id : int
        The caller's id (e.g. the stored pair's id).
    model_a, model_b : int
        The two answers' models, as indices from 0 to ``n_models - 1``; they must differ.
    gold : bool
        An admin has marked the better answer: shown only as a gold check.
    """

    item_id: int
    model_a: int
    model_b: int
    gold: bool = False


@dataclass(frozen=True)
class VoteRecord:
    """One vote, as the scheduler needs it.

    Attributes
    ----------
    rater : hashable
        Who voted.
    item_id : int
    left, right : int
        The models shown on the left and on the right.
    choice : str
        ``"left"``, ``"right"``, ``"tie"`` or ``"both_bad"`` (counted as a tie).
    """

    rater: Hashable
    item_id: int
    left: int
    right: int
    choice: str


class ItemBag:
    """A set of item ids with ``O(1)`` add, remove and uniform random choice."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._where

    def add(self, item_id: int) -> None:
        if item_id not in self._where:
            self._where[item_id] = len(self.ids)
            self.ids.append(item_id)

    def remove(self, item_id: int) -> None:
        where = self._where.pop(item_id, None)
        if where is None:
            return
        last = self.ids.pop()
        if where < len(self.ids):  # move the last id into the hole
            self.ids[where] = last
            self._where[last] = where


def pick_unseen(
    ids: list[int], seen: set[int], rng: np.random.Generator, *, probes: int = 8
) -> int | None:
    """A random id from ``ids`` that is not in ``seen``, or None.

    A few random probes first (cheap while most ids are unseen), then one scan from a random
    start, so the answer is exact.
    """
    if not ids:
        return None
    for _ in range(probes):
        candidate = ids[int(rng.integers(len(ids)))]
        if candidate not in seen:
            return candidate
    start = int(rng.integers(len(ids)))
    for k in range(len(ids)):
        candidate = ids[(start + k) % len(ids)]
        if candidate not in seen:
            return candidate
    return None


class PairCounts:
    """Maintained counts of votes, exposures and what each rater has seen.

    Parameters
    ----------
    n_models : int
    items : iterable of Item
        The candidate items; ids must be unique.
    repeat_raters : int
        A non-gold item stays open for repeats until this many raters have voted it.

    Attributes
    ----------
    pair_first, pair_second : numpy.ndarray of int, shape (P,)
        The unordered model pairs ``first < second``, ``P = n (n - 1) / 2``.
    pair_index : numpy.ndarray of int, shape (n, n)
        Index of the pair of ``(i, j)`` in either order; -1 on the diagonal.
    outcomes : numpy.ndarray of float, shape (3, n, n)
        Left wins, right wins and ties (both bad included) by ``[left, right]``.
    left_exposures, right_exposures : numpy.ndarray of int, shape (n,)
        Votes with each model on the left / on the right.
    """

    def __init__(self, n_models: int, items: Iterable[Item], *, repeat_raters: int = 3) -> None:
        if n_models < 2:
            raise ValueError(f"the scheduler needs at least 2 models, got {n_models}")
        if repeat_raters < 1:
            raise ValueError(f"repeat_raters must be at least 1, got {repeat_raters}")
        self.n_models = n_models
        self.repeat_raters = repeat_raters
        self.pair_first, self.pair_second = np.triu_indices(n_models, k=1)
        self.pair_index = np.full((n_models, n_models), -1, dtype=np.intp)
        positions = np.arange(self.pair_first.size)
        self.pair_index[self.pair_first, self.pair_second] = positions
        self.pair_index[self.pair_second, self.pair_first] = positions

        n_pairs = self.pair_first.size
        self.items: dict[int, Item] = {}
        self.pair_of: dict[int, int] = {}  # item id -> its model pair's index
        self.pool: list[list[int]] = [[] for _ in range(n_pairs)]  # non-gold items per pair
        self.fresh: list[ItemBag] = [ItemBag() for _ in range(n_pairs)]  # ... with no vote yet
        self.gold: list[int] = []
        self.repeat_open = ItemBag()
        for item in items:
            self._add_item(item)
        self.pool_size = np.array([len(ids) for ids in self.pool], dtype=np.int64)

        self.outcomes = np.zeros((3, n_models, n_models))
        self.left_exposures = np.zeros(n_models, dtype=np.int64)
        self.right_exposures = np.zeros(n_models, dtype=np.int64)
        self.votes_per_item: dict[int, int] = {}
        self.seen: dict[Hashable, set[int]] = {}
        self._seen_per_pair: dict[Hashable, np.ndarray] = {}  # non-gold items, per pair

    def _add_item(self, item: Item) -> None:
        if item.item_id in self.items:
            raise ValueError(f"item {item.item_id} given twice")
        a, b = item.model_a, item.model_b
        if not (0 <= a < self.n_models and 0 <= b < self.n_models) or a == b:
            raise ValueError(
                f"item {item.item_id}: models ({a}, {b}) are not two of 0..{self.n_models - 1}"
            )
        self.items[item.item_id] = item
        pair = int(self.pair_index[a, b])
        self.pair_of[item.item_id] = pair
        if item.gold:
            self.gold.append(item.item_id)
            return
        self.pool[pair].append(item.item_id)
        self.fresh[pair].add(item.item_id)

    @property
    def total_votes(self) -> int:
        """Votes recorded so far."""
        return int(self.left_exposures.sum())

    def games(self) -> np.ndarray:
        """Comparisons of each two models, either side: a symmetric (n, n) matrix."""
        ordered = self.outcomes.sum(axis=0)
        return ordered + ordered.T

    def imbalance(self) -> np.ndarray:
        """Left minus right exposures of each model."""
        return self.left_exposures - self.right_exposures

    def seen_by(self, rater: Hashable) -> set[int]:
        """The items this rater has been shown (read only)."""
        return self.seen.get(rater, set())

    def unseen_per_pair(self, rater: Hashable) -> np.ndarray:
        """Non-gold items of each model pair that the rater has not seen, shape (P,)."""
        seen = self._seen_per_pair.get(rater)
        return self.pool_size if seen is None else self.pool_size - seen

    def mark_seen(self, rater: Hashable, item_id: int) -> None:
        """Note that the rater was shown this item (voted or not): never offered again."""
        item = self.items[item_id]
        seen = self.seen.setdefault(rater, set())
        if item_id in seen:
            return
        seen.add(item_id)
        if not item.gold:
            per_pair = self._seen_per_pair.get(rater)
            if per_pair is None:
                per_pair = self._seen_per_pair[rater] = np.zeros(self.pool_size.size, np.int64)
            per_pair[self.pair_of[item_id]] += 1

    def unmark_seen(self, rater: Hashable, item_id: int) -> None:
        """Undo :meth:`mark_seen` of an item the rater was not shown after all (a draw whose
        showing was refused); only for an item they have neither been shown nor voted."""
        seen = self.seen.get(rater)
        if seen is None or item_id not in seen:
            return
        seen.discard(item_id)
        if not self.items[item_id].gold:
            self._seen_per_pair[rater][self.pair_of[item_id]] -= 1

    def record(self, vote: VoteRecord) -> None:
        """Add one vote to every count (``O(1)`` amortised)."""
        self.record_many(vote.item_id, vote.left, vote.right, vote.choice, 1)
        self.mark_seen(vote.rater, vote.item_id)

    def record_many(self, item_id: int, left: int, right: int, choice: str, votes: int) -> None:
        """Add ``votes`` alike votes on one item, by raters not named (counts rebuilt from an
        aggregated store: what each rater has seen is marked with :meth:`mark_seen`)."""
        item = self.items.get(item_id)
        if item is None:
            raise ValueError(f"vote for unknown item {item_id}")
        if {left, right} != {item.model_a, item.model_b}:
            raise ValueError(
                f"vote for item {item_id} shows models ({left}, {right}), "
                f"the item has ({item.model_a}, {item.model_b})"
            )
        column = CHOICE_COLUMN.get(choice)
        if column is None:
            raise ValueError(f"choice must be one of {tuple(CHOICE_COLUMN)}, got {choice!r}")
        self.outcomes[column, left, right] += votes
        self.left_exposures[left] += votes
        self.right_exposures[right] += votes
        total = self.votes_per_item.get(item_id, 0) + votes
        self.votes_per_item[item_id] = total
        if item.gold:
            return
        self.fresh[self.pair_of[item_id]].remove(item_id)
        if total < self.repeat_raters:
            self.repeat_open.add(item_id)
        else:
            self.repeat_open.remove(item_id)

    def battles(self) -> Battles:
        """The votes so far as :class:`~blindside.ranking.Battles` (one row per ordered pair)."""
        left, right = np.nonzero(self.outcomes.sum(axis=0))
        left_wins, right_wins, ties = self.outcomes[:, left, right]
        return Battles(self.n_models, left, right, left_wins, right_wins, ties)

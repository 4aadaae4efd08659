"""``SchedulerState``: the policy, the maintained counts and the uncertainty, updated together."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from blindside.scheduler.counts import Item, PairCounts, VoteRecord
from blindside.scheduler.uncertainty import Uncertainty


@dataclass(frozen=True)
class Policy:
    """How the scheduler spends raters' votes.

    Attributes
    ----------
    explore : float
        Share of ordinary draws that pick a model pair uniformly at random (among those the
        rater has items left for): the exploration floor, so every pair keeps being sampled.
    gold_share : float
        Share of draws that show a gold item (an admin marked the better answer), while the
        rater has unseen gold items.
    repeat_share : float
        Share of draws that show an item other raters have already voted, to measure agreement.
    repeat_raters : int
        An item is offered for repeats until this many raters have voted it.
    adjacent_weight : float
        Weight of the rank-adjacent differences in the objective, beside the intervals (see
        the package docstring).
    prior : float
        Prior precision on each log-strength in the scheduler's covariance.
    """

    explore: float = 0.1
    gold_share: float = 0.05
    repeat_share: float = 0.05
    repeat_raters: int = 3
    adjacent_weight: float = 0.0
    prior: float = 0.05

    def __post_init__(self) -> None:
        for name in ("explore", "gold_share", "repeat_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
        if self.gold_share + self.repeat_share > 1.0:
            raise ValueError("gold_share + repeat_share must not exceed 1")
        if self.adjacent_weight < 0:
            raise ValueError(f"adjacent_weight must be >= 0, got {self.adjacent_weight!r}")
        if self.prior <= 0:
            raise ValueError(f"prior must be > 0, got {self.prior!r}")


class SchedulerState:
    """Everything a draw reads, kept current vote by vote.

    Parameters
    ----------
    n_models : int
    items : iterable of Item
    policy : Policy, optional
    theta : numpy.ndarray, optional
        Ratings of the current fit (``Ranking.theta``); None before the first fit.

    Attributes
    ----------
    counts : PairCounts
    uncertainty : Uncertainty
    theta : numpy.ndarray or None
        The ratings the uncertainty was last built at.
    """

    def __init__(
        self,
        n_models: int,
        items: Iterable[Item],
        policy: Policy | None = None,
        theta: np.ndarray | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.counts = PairCounts(n_models, items, repeat_raters=self.policy.repeat_raters)
        self.set_fit(theta)

    def set_fit(self, theta: np.ndarray | None) -> None:
        """Rebuild the uncertainty from the counts at a new fit's ratings (``O(n^3)``)."""
        self.theta = None if theta is None else np.asarray(theta, dtype=float).copy()
        self.uncertainty = Uncertainty.from_counts(
            self.counts.games(),
            self.theta,
            prior=self.policy.prior,
            adjacent_weight=self.policy.adjacent_weight,
        )

    def record(self, vote: VoteRecord) -> None:
        """Count one vote and its information (``O(n^2)``)."""
        self.counts.record(vote)
        self.uncertainty.add(vote.left, vote.right)

    def mark_seen(self, rater: Hashable, item_id: int) -> None:
        """The rater was shown this item without voting (e.g. skipped it)."""
        self.counts.mark_seen(rater, item_id)

    def unmark_seen(self, rater: Hashable, item_id: int) -> None:
        """The item drawn for the rater was not shown after all (see
        :meth:`PairCounts.unmark_seen`)."""
        self.counts.unmark_seen(rater, item_id)

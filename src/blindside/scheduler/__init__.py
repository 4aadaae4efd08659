"""The adaptive pair scheduler: which two answers a rater sees next, and on which sides.

Pure functions and plain data over counts that are kept up to date as votes arrive: nothing
here reads votes, a database or a page (numpy only, like :mod:`blindside.ranking`).

Criterion
---------
The scheduler drives down a measure of the ratings' uncertainty,

    J = trace(M Cov) = sum_i Var(theta_i - mean(theta))
                       + adjacent_weight * sum_k Var(theta_(k) - theta_(k+1)),

the first term the squared widths of the leaderboard's intervals (up to a constant), the second
the uncertainty of the order of the models ranked ``k`` and ``k + 1`` by the current fit.
``Cov`` is the inverse Fisher information of the votes so far at the fit's ratings, with a weak
prior. One more comparison of ``i`` and ``j`` adds ``w x x^T`` to the information, with
``x = e_i - e_j`` and ``w = p (1 - p)`` (``p`` the predicted chance that ``i`` wins): close
models teach much, a foregone conclusion almost nothing. By Sherman-Morrison it lowers ``J`` by

    gain(i, j) = w (x^T Cov M Cov x) / (1 + w x^T Cov x),

whatever the outcome. The scheduler shows the pair with the largest gain. After each vote
``Cov`` and ``Cov M Cov`` get the same rank-one update (``O(n^2)``), so consecutive draws move on
to other pairs without a refit; a refit (new ratings, new rank order) rebuilds both (``O(n^3)``,
far cheaper than the fit itself). Scoring all pairs is ``O(n^2)``.

Around that choice:

- **exploration floor**: a share ``explore`` of ordinary draws picks a model pair uniformly, so
  every pair keeps being sampled whatever the fit says;
- **never twice**: a rater is never shown an item they have seen (voted or skipped);
- **sides**: the model with fewer net left exposures (left minus right) goes on the left, and
  pairs that would push a model's imbalance to 2 are avoided when any other pair is open, so
  each model's imbalance stays within 1 and the left-side advantage is not confounded with
  the ratings;
- **gold and repeats**: shares ``gold_share`` and ``repeat_share`` of draws show a gold item
  (better answer marked by an admin) or an item other raters have voted (until
  ``repeat_raters`` have), to measure accuracy and agreement.

One job per module:

``counts``       :class:`PairCounts` (votes, exposures, items, what each rater has seen) and
                 ``record``
``uncertainty``  the Fisher covariance, the objective and the gain of each pair
``state``        :class:`Policy` and :class:`SchedulerState` (counts and uncertainty together)
``choose``       :func:`next_pair` and the side rule
"""

from __future__ import annotations

from blindside.scheduler.choose import REASONS, Draw, next_pair, place_sides
from blindside.scheduler.counts import Item, PairCounts, VoteRecord
from blindside.scheduler.state import Policy, SchedulerState
from blindside.scheduler.uncertainty import Uncertainty

__all__ = [
    "REASONS",
    "Draw",
    "Item",
    "PairCounts",
    "Policy",
    "SchedulerState",
    "Uncertainty",
    "VoteRecord",
    "next_pair",
    "place_sides",
]

"""Bradley-Terry rankings with confidence intervals.

Everything here is a pure function on numpy arrays of *aggregated* counts: one
row per (left model, right model[, style cell]) with how often each side won
or it was a tie (:class:`Battles`). The caller builds those rows from votes (a
"both bad" vote is added to the ties); this package never sees vote rows, a
database or a UI.

Model
-----
Model ``i`` has a log-strength ``theta[i]`` and

    P(i beats j) = 1 / (1 + exp(theta[j] - theta[i])).

:func:`rank_battles` fits this jointly with an optional left-side advantage,
style coefficients and Davidson's tie model, with sandwich, Fisher or
Poisson-bootstrap intervals (see ``docs/statistics.md``). In the plain model a
tie counts as half a win each way (as LMArena does), so the data reduce to a
win matrix ``W`` with ``W[i, j]`` = times ``i`` beat ``j`` (halves included);
:func:`fit_bradley_terry` fits that. ``theta`` is only identified up to a
constant; we report it with mean 0.

There is one solver: damped Newton on the aggregated rows. The number of
parameters is small (models, not votes), so the dense Hessian is cheap and
Newton converges in a handful of steps; bootstrap refits are warm-started and
use fixed-Hessian (chord) steps first.

One family per module:

``battles``    the :class:`Battles` counts type and :func:`win_matrix`
``graph``      comparison components; when the MLE exists, the fallback prior
``newton``     damped Newton and chord steps for batches of problems
``joint``      the joint model's likelihood; :func:`fit_bradley_terry`
``bootstrap``  Poisson resampling and batched refits
``intervals``  percentile and Wald intervals, competition ranks, rank ranges
``elo``        the Elo display scale and predicted head-to-head scores
``rank``       :func:`rank_battles` and its result, :class:`Ranking`

The public names below are imported from their module on first use, so
``from blindside.ranking import Battles`` does not load scipy or the fit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blindside.ranking.battles import Battles, win_matrix
    from blindside.ranking.elo import ELO_SCALE, to_elo, win_probabilities
    from blindside.ranking.graph import comparison_components
    from blindside.ranking.intervals import percentile_intervals, rank_order, rank_ranges
    from blindside.ranking.joint import fit_bradley_terry
    from blindside.ranking.rank import Ranking, ThinDataWarning, rank_battles

# Public name -> the module that defines it.
_HOME = {
    "Battles": "battles",
    "win_matrix": "battles",
    "ELO_SCALE": "elo",
    "to_elo": "elo",
    "win_probabilities": "elo",
    "comparison_components": "graph",
    "percentile_intervals": "intervals",
    "rank_order": "intervals",
    "rank_ranges": "intervals",
    "fit_bradley_terry": "joint",
    "Ranking": "rank",
    "rank_battles": "rank",
    "ThinDataWarning": "rank",
}

__all__ = [
    "ELO_SCALE",
    "Battles",
    "Ranking",
    "ThinDataWarning",
    "comparison_components",
    "fit_bradley_terry",
    "percentile_intervals",
    "rank_battles",
    "rank_order",
    "rank_ranges",
    "to_elo",
    "win_matrix",
    "win_probabilities",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

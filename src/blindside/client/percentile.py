"""The package's one percentile, for latency summaries (p50, p95).

Linear interpolation between the closest ranks (Hyndman and Fan's type 7):
the default of ``numpy.percentile`` and ``pandas.Series.quantile``, so a
figure recomputed from an export with either matches the one blindside
shows, and p50 is the usual median. Pure Python: the engine calls it once
per answer and need not import numpy for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["percentile"]


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values``, linearly interpolated.

    Parameters
    ----------
    values : iterable of float
        The sample, in any order.
    q : float
        Percentile in [0, 100].

    Returns
    -------
    float or None
        None for an empty sample.

    Raises
    ------
    ValueError
        If ``q`` is outside [0, 100].

    Examples
    --------
    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    >>> percentile(range(100, 200), 95)
    194.05
    """
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in [0, 100], got {q!r}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    below = math.floor(rank)
    above = min(below + 1, len(ordered) - 1)
    fraction = rank - below
    return float(ordered[below] + (ordered[above] - ordered[below]) * fraction)

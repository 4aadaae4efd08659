"""The Wilson score interval of an accuracy."""

from __future__ import annotations

import math

__all__ = ["wilson_interval"]


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at
    0 or ``trials`` successes, which small suites hit often.

    Parameters
    ----------
    successes, trials : int
        ``0 <= successes <= trials``; ``trials > 0``.
    z : float
        Normal quantile (1.96 for 95%).

    Returns
    -------
    (float, float)
        Lower and upper bound.
    """
    if trials <= 0:
        raise ValueError("trials must be positive")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or all successes the bound is exactly 0 or 1; rounding would leave 1e-16 off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high

"""Intervals and ranks: percentile and Wald (sandwich / Fisher) intervals, rank ranges.

Wald intervals come from :func:`covariance` at the estimate of the joint model;
bootstrap samples from :mod:`blindside.ranking.bootstrap` become percentile
intervals. :func:`rank_ranges` turns rating intervals into the best and worst
rank each model could plausibly hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from blindside.ranking.joint import JointModel


def percentile_intervals(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile intervals from bootstrap samples.

    Parameters
    ----------
    samples : numpy.ndarray, shape (n_rounds, n_items)
        Bootstrap samples, one row per round.
    level : float, optional
        Coverage, strictly between 0 and 1.

    Returns
    -------
    low, high : numpy.ndarray, shape (n_items,)
        The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles per column.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    s = np.asarray(samples, dtype=float)
    if s.ndim != 2 or s.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty (n_rounds, n_items) array, got {s.shape}")
    low, high = np.quantile(s, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return low, high


def rank_order(ratings: np.ndarray, *, tol: float = 0.0) -> np.ndarray:
    """Competition ranks ("1224"): best is 1, ties share the better rank.

    Parameters
    ----------
    ratings : numpy.ndarray, shape (n,)
        Higher is better.
    tol : float, optional
        Ratings within ``tol`` of each other count as tied (use a small value
        for fitted ratings, whose last digits are rounding noise).

    Returns
    -------
    ranks : numpy.ndarray of int, shape (n,)
        ``1 +`` the number of models rated more than ``tol`` higher.
    """
    r = np.asarray(ratings, dtype=float)
    s = np.sort(r)
    better = r.size - np.searchsorted(s, r + tol, side="right")
    return (better + 1).astype(int)


def rank_ranges(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst plausible rank of each model from interval overlap.

    Parameters
    ----------
    low, high : numpy.ndarray, shape (n,)
        Interval of each model's rating.

    Returns
    -------
    best, worst : numpy.ndarray of int, shape (n,)
        ``best[i] = 1 + #{j : low[j] > high[i]}`` (models whose whole interval
        lies above ``i``'s) and ``worst[i] = #{j : high[j] >= low[i]}`` (every
        model not surely below ``i``, ``i`` itself included). Conservative:
        non-overlapping marginal intervals are a stricter test than an
        interval on the difference.
    """
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    above = lo[None, :] > hi[:, None]  # above[i, j]: j surely better than i
    not_below = hi[None, :] >= lo[:, None]
    return 1 + above.sum(axis=1), not_below.sum(axis=1)


def display_contrast(n: int, m: int, anchor: int | None) -> np.ndarray:
    """(n, m) map from parameters to displayed theta (centred or minus the anchor)."""
    a = np.zeros((n, m))
    a[:, :n] = np.eye(n)
    if anchor is None:
        a[:, :n] -= 1.0 / n
    else:
        a[:, anchor] -= 1.0
    return a


def covariance(model: JointModel, x: np.ndarray, *, sandwich: bool) -> np.ndarray:
    """Covariance of the estimate: ``H^-1`` (Fisher) or ``H^-1 J H^-1`` (sandwich).

    ``H`` is the Hessian of the penalised negative log-likelihood at the
    estimate (observed = expected information for these models), ``J`` the
    sum over votes of score outer products. The flat theta direction is
    handled with the gauge ``v v^T`` added to ``H``; every reported contrast
    is orthogonal to it, so it drops out.
    """
    probe = np.zeros(1, dtype=np.intp)
    hess = model.derivatives(x[None], probe)[1][0] + np.outer(model.gauge(), model.gauge())
    inv = np.linalg.inv(hess)
    if not sandwich:
        return inv
    meat = model.assemble(*model.row_terms(x[None], probe, scores=True)[2:])[0]
    return inv @ meat @ inv

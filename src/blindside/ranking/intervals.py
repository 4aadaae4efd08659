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


def rank_within(
    ratings: np.ndarray, components: list[list[int]], *, tol: float = 0.0
) -> np.ndarray:
    """:func:`rank_order` inside each component: models never compared are not ordered.

    Parameters
    ----------
    ratings : numpy.ndarray, shape (n,)
    components : list of list of int
        Connected components of the comparison graph (every model in one).
    tol : float, optional
        As for :func:`rank_order`.

    Returns
    -------
    ranks : numpy.ndarray of int, shape (n,)
        Each model's competition rank among the models of its own component.
    """
    r = np.asarray(ratings, dtype=float)
    ranks = np.zeros(r.size, dtype=int)
    for comp in components:
        ranks[comp] = rank_order(r[comp], tol=tol)
    return ranks


def rank_ranges(
    low: np.ndarray, high: np.ndarray, components: list[list[int]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst plausible rank of each model from interval overlap.

    Parameters
    ----------
    low, high : numpy.ndarray, shape (n,)
        Interval of each model's rating; nan where none is available.
    components : list of list of int, optional
        Connected components of the comparison graph. Models are compared
        only with the models of their own component (ratings in different
        components are not comparable); default: one component.

    Returns
    -------
    best, worst : numpy.ndarray of int, shape (n,)
        ``best[i] = 1 + #{j : low[j] > high[i]}`` (models whose whole interval
        lies above ``i``'s) and ``worst[i] = #{j : high[j] >= low[i]}`` (every
        model not surely below ``i``, ``i`` itself included). Conservative:
        non-overlapping marginal intervals are a stricter test than an
        interval on the difference. A model with no interval (nan) could
        hold any rank of its component, and is never surely above or below
        another.
    """
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    n = lo.size
    if components is None:
        components = [list(range(n))]
    same = np.zeros((n, n), dtype=bool)
    for comp in components:
        same[np.ix_(comp, comp)] = True
    unknown = np.isnan(lo) | np.isnan(hi)
    # above[i, j]: j surely better than i (comparisons with nan are False).
    above = same & (lo[None, :] > hi[:, None])
    not_below = same & ((hi[None, :] >= lo[:, None]) | unknown[None, :] | unknown[:, None])
    return 1 + above.sum(axis=1), not_below.sum(axis=1)


def display_contrast(
    n: int, m: int, anchor: int | None, components: list[list[int]] | None = None
) -> np.ndarray:
    """(n, m) map from parameters to displayed theta.

    Each model's theta minus the mean of its component (or minus the anchor's
    theta), the only differences the votes inform: the offset between
    components that never met is set by the prior alone. With one component
    this is theta centred to mean 0. With an anchor, rows of models outside
    the anchor's component are left as theta itself (their contrast with the
    anchor is not estimable; the caller marks it unavailable).
    """
    a = np.zeros((n, m))
    a[:, :n] = np.eye(n)
    for comp in components or [list(range(n))]:
        if anchor is None:
            a[np.ix_(comp, comp)] -= 1.0 / len(comp)
        elif anchor in comp:
            a[comp, anchor] -= 1.0
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

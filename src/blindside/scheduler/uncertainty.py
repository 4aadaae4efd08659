"""The uncertainty the scheduler reduces, and how much one more comparison of two models reduces it.

Everything is on the log-strength scale ``theta`` of the Bradley-Terry model, in the Fisher
(linearised) approximation: a comparison of ``i`` and ``j`` adds ``w x x^T`` to the information,
with ``x = e_i - e_j`` and ``w = p (1 - p)``, ``p`` the predicted chance that ``i`` wins. That
information does not depend on the outcome, so the gain of a comparison is known before it is
voted, and the covariance can follow each vote by a rank-one (Sherman-Morrison) update.
"""

from __future__ import annotations

import numpy as np


def comparison_weights(theta: np.ndarray | None, n_models: int) -> np.ndarray:
    """Fisher information ``p (1 - p)`` of one comparison of each two models.

    Parameters
    ----------
    theta : numpy.ndarray of shape (n_models,), or None
        Current log-strengths; None (no fit yet) treats every model as equal.
    n_models : int

    Returns
    -------
    numpy.ndarray, shape (n_models, n_models)
        ``w[i, j] = p (1 - p)`` with ``p = 1 / (1 + exp(theta[j] - theta[i]))``: 0.25 for
        equal models, near 0 for a foregone conclusion. Symmetric.
    """
    if theta is None:
        return np.full((n_models, n_models), 0.25)
    th = np.asarray(theta, dtype=float)
    if th.shape != (n_models,) or not np.all(np.isfinite(th)):
        raise ValueError(f"theta must be {n_models} finite log-strengths, got shape {th.shape}")
    # p (1 - p) = e^-|d| / (1 + e^-|d|)^2, which never overflows.
    decay = np.exp(-np.abs(th[:, None] - th[None, :]))
    return decay / (1.0 + decay) ** 2


def target_matrix(theta: np.ndarray | None, n_models: int, adjacent_weight: float) -> np.ndarray:
    """The quadratic form ``M`` whose ``trace(M Cov)`` the scheduler drives down.

    Parameters
    ----------
    theta : numpy.ndarray of shape (n_models,), or None
        Current log-strengths; they give the rank order. None: no rank order is known yet, and
        only the interval term is used.
    n_models : int
    adjacent_weight : float
        Weight of the rank-adjacent term (0 leaves only the interval term).

    Returns
    -------
    numpy.ndarray, shape (n_models, n_models)
        ``I - 11^T / n`` (so that ``trace(M Cov) = sum_i Var(theta_i - mean(theta))``, the
        squared half-widths of the leaderboard's intervals up to a constant) plus
        ``adjacent_weight * sum_k c_k c_k^T`` with ``c_k = e_(k) - e_(k+1)`` the difference of
        the models ranked ``k`` and ``k + 1``.
    """
    target = np.eye(n_models) - 1.0 / n_models
    if theta is not None and adjacent_weight > 0 and n_models > 1:
        order = np.argsort(-np.asarray(theta, dtype=float), kind="stable")
        upper, lower = order[:-1], order[1:]
        # Each c c^T adds +1 on both diagonal entries and -1 off the diagonal.
        np.add.at(target, (upper, upper), adjacent_weight)
        np.add.at(target, (lower, lower), adjacent_weight)
        np.add.at(target, (upper, lower), -adjacent_weight)
        np.add.at(target, (lower, upper), -adjacent_weight)
    return target


def fisher_information(games: np.ndarray, weights: np.ndarray, prior: float) -> np.ndarray:
    """Information about ``theta`` from the games played so far, plus a Gaussian prior.

    Parameters
    ----------
    games : numpy.ndarray, shape (n, n)
        ``games[i, j]``: comparisons of ``i`` and ``j``, either side (symmetric).
    weights : numpy.ndarray, shape (n, n)
        :func:`comparison_weights`.
    prior : float
        Prior precision on each ``theta`` (> 0): it keeps the information invertible before
        every model has played, and it fixes the common shift, which no contrast depends on.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        The weighted graph Laplacian ``sum games[i, j] w[i, j] x x^T`` plus ``prior * I``.
    """
    weighted = games * weights
    np.fill_diagonal(weighted, 0.0)
    information = np.diag(weighted.sum(axis=1)) - weighted
    return information + prior * np.eye(games.shape[0])


class Uncertainty:
    """Covariance of ``theta`` and the gain of each possible comparison, kept up to date.

    Built at each refit from the counts and the fit's ratings (``O(n^3)`` once); each vote then
    costs ``O(n^2)`` (:meth:`add`), and scoring every pair ``O(n^2)`` (:meth:`gains`).

    Attributes
    ----------
    weights : numpy.ndarray, shape (n, n)
        ``p (1 - p)`` at the fit's ratings.
    target : numpy.ndarray, shape (n, n)
        ``M`` of :func:`target_matrix`.
    cov : numpy.ndarray, shape (n, n)
        Inverse of the information (games so far, prior included).
    spread : numpy.ndarray, shape (n, n)
        ``cov @ target @ cov``: how the covariance feeds the objective.
    """

    def __init__(self, weights: np.ndarray, target: np.ndarray, information: np.ndarray) -> None:
        self.weights = weights
        self.target = target
        self.cov = np.linalg.inv(information)
        self.cov = (self.cov + self.cov.T) / 2  # exactly symmetric, so rounding does not drift
        self.spread = self.cov @ target @ self.cov

    @classmethod
    def from_counts(
        cls,
        games: np.ndarray,
        theta: np.ndarray | None,
        *,
        prior: float,
        adjacent_weight: float,
    ) -> Uncertainty:
        """The uncertainty after ``games`` (symmetric counts), at the ratings ``theta``."""
        n = games.shape[0]
        weights = comparison_weights(theta, n)
        return cls(
            weights,
            target_matrix(theta, n, adjacent_weight),
            fisher_information(games, weights, prior),
        )

    def objective(self) -> float:
        """``trace(M Cov)``: what the scheduler drives down."""
        return float(np.sum(self.target * self.cov))

    def add(self, i: int, j: int) -> None:
        """Account for one more comparison of ``i`` and ``j`` (Sherman-Morrison, ``O(n^2)``)."""
        w = self.weights[i, j]
        u = self.cov[:, i] - self.cov[:, j]  # cov @ x
        scale = w / (1.0 + w * (u[i] - u[j]))
        g = self.cov @ (self.target @ u)  # spread @ x
        self.cov -= scale * np.outer(u, u)
        # (C - s u u^T) M (C - s u u^T) = S - s (g u^T + u g^T) + s^2 (u^T M u) u u^T
        cross = np.outer(g, u)
        self.spread -= scale * (cross + cross.T)
        self.spread += scale**2 * float(u @ self.target @ u) * np.outer(u, u)

    def gains(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Expected fall in :meth:`objective` from one more comparison of each pair.

        Parameters
        ----------
        first, second : numpy.ndarray of int, shape (k,)
            The two models of each candidate pair.

        Returns
        -------
        numpy.ndarray, shape (k,)
            ``w x^T S x / (1 + w x^T Cov x)`` with ``S`` = :attr:`spread`, ``x = e_i - e_j``.
        """
        cov, spread = self.cov, self.spread
        var = cov[first, first] + cov[second, second] - 2 * cov[first, second]
        fed = spread[first, first] + spread[second, second] - 2 * spread[first, second]
        w = self.weights[first, second]
        return w * fed / (1.0 + w * var)

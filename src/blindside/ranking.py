"""Bradley-Terry rankings with confidence intervals.

Everything here is a pure function on numpy arrays of *aggregated* counts: one
row per (left model, right model[, style cell]) with how often each side won
or it was a tie (:class:`Battles`). The caller builds those rows from votes (a
"both bad" vote is added to the ties); this module never sees vote rows, a
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

There is one solver: damped Newton on the aggregated rows (:class:`_Joint`,
:func:`_newton`). The number of parameters is small (models, not votes), so
the dense Hessian is cheap and Newton converges in a handful of steps;
bootstrap refits are warm-started and use fixed-Hessian (chord) steps first.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.special import expit, gammaln, log_expit, ndtri
from threadpoolctl import threadpool_limits

__all__ = [
    "ELO_SCALE",
    "Battles",
    "Ranking",
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

#: Elo points per unit of log-strength: a 400-point gap means 10:1 odds.
ELO_SCALE = 400 / math.log(10)

# Prior used when the caller asked for none (prior == 0) but the plain MLE does
# not exist (some model won or lost all its games, or the comparison graph is
# not connected). It is a Gaussian prior with standard deviation
# 1 / sqrt(1e-3) ~ 32 log-odds units (~5,500 Elo points), i.e. about as strong
# as 4e-3 tied games per model against an average model: enough to make the
# estimate finite and the Newton system well conditioned, far too weak to move
# a model that has even a few real games on both sides. A model that won all
# of its k games lands roughly ln(k / (1e-3 * theta)) above its opponents,
# e.g. ~1,300 Elo points for k = 10: "far ahead, exact gap unknown".
_FALLBACK_PRIOR = 1e-3

# Upper bound on the elements of one (rounds, pairs) or (rounds, n, n) block in
# the batched bootstrap (~16 MB of float64 per array).
_BATCH_ELEMENTS = 2_000_000


# --------------------------------------------------------------------------- #
# Input handling
# --------------------------------------------------------------------------- #


def _pair_rows(
    n_items: int,
    a: ArrayLike,
    b: ArrayLike,
    a_wins: ArrayLike,
    b_wins: ArrayLike,
    ties: ArrayLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate aggregated rows and return them as 1-D numpy arrays."""
    if int(n_items) != n_items or n_items < 1:
        raise ValueError(f"n_items must be a positive integer, got {n_items!r}")
    ai = np.asarray(a)
    bi = np.asarray(b)
    counts = [np.asarray(x, dtype=float) for x in (a_wins, b_wins, ties)]
    arrays = [ai, bi, *counts]
    if any(x.ndim != 1 for x in arrays):
        raise ValueError("a, b, a_wins, b_wins and ties must be 1-D arrays")
    if len({x.shape[0] for x in arrays}) != 1:
        raise ValueError(
            "a, b, a_wins, b_wins and ties must have the same length, got "
            + ", ".join(str(x.shape[0]) for x in arrays)
        )
    if ai.size:
        if not (np.issubdtype(ai.dtype, np.integer) and np.issubdtype(bi.dtype, np.integer)):
            raise ValueError("model indices a and b must be integers")
        if min(ai.min(), bi.min()) < 0 or max(ai.max(), bi.max()) >= n_items:
            raise ValueError(f"model indices must lie in [0, {n_items - 1}]")
        if np.any(ai == bi):
            raise ValueError(f"a model cannot be compared with itself (row {np.argmax(ai == bi)})")
        for name, x in zip(("a_wins", "b_wins", "ties"), counts, strict=True):
            if not np.all(np.isfinite(x)) or np.any(x < 0):
                raise ValueError(f"{name} must be finite and non-negative")
    return ai.astype(np.intp), bi.astype(np.intp), counts[0], counts[1], counts[2]


def _check_wins(wins: np.ndarray) -> np.ndarray:
    """Validate a win matrix and return it as a float array."""
    w = np.asarray(wins, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
        raise ValueError(f"wins must be a non-empty square (n, n) matrix, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("wins must be finite and non-negative")
    if np.any(np.diag(w) != 0):
        raise ValueError("wins has a non-zero diagonal: a model cannot be compared with itself")
    return w


def _strongly_connected(adjacency: np.ndarray) -> bool:
    """True if the directed graph ``i -> j`` when ``adjacency[i, j] > 0`` is strongly connected.

    With ``i -> j`` meaning "i beat j at least half a time", this is exactly the
    condition for the Bradley-Terry MLE to exist (Ford 1957; Hunter 2004):
    otherwise some group of models never lost to the rest and its strength
    can grow without bound.
    """
    if adjacency.shape[0] == 1:
        return True
    n_comp, _ = connected_components(adjacency > 0, directed=True, connection="strong")
    return n_comp == 1


def _strongly_connected_batch(
    n_items: int, ii: np.ndarray, jj: np.ndarray, wi: np.ndarray, wj: np.ndarray
) -> np.ndarray:
    """:func:`_strongly_connected` for many rounds on one pair list, vectorised.

    A graph is strongly connected iff every node is reachable from node 0
    and node 0 from every node; both are found by breadth-first sweeps done
    as batched matrix products (a handful of sweeps on dense designs).
    """
    adj = np.zeros((wi.shape[0], n_items, n_items))
    adj[:, ii, jj] = wi > 0
    adj[:, jj, ii] = wj > 0
    ok = np.ones(wi.shape[0], dtype=bool)
    for graph in (adj, adj.transpose(0, 2, 1)):
        reach = np.zeros((wi.shape[0], 1, n_items))
        reach[:, 0, 0] = 1.0
        for _ in range(n_items):
            grown = np.minimum(reach + reach @ graph, 1.0)
            if np.array_equal(grown, reach):
                break
            reach = grown
        ok &= reach.min(axis=(1, 2)) > 0
    return ok


# --------------------------------------------------------------------------- #
# Newton core
# --------------------------------------------------------------------------- #


def _newton(
    x0: np.ndarray,
    objective: Callable[[np.ndarray, np.ndarray], np.ndarray],
    derivatives: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    *,
    gauge: np.ndarray | None,
    tol: float,
    max_iter: int,
) -> np.ndarray:
    """Damped Newton minimisation of a batch of independent convex problems.

    Parameters
    ----------
    x0 : numpy.ndarray, shape (B, m)
        Starting points, one row per problem.
    objective : callable
        ``objective(x, rows)`` returns the objective of problems ``rows`` at
        ``x`` (shape ``(len(rows), m)``), shape ``(len(rows),)``.
    derivatives : callable
        ``derivatives(x, rows)`` returns the gradient ``(len(rows), m)`` and
        Hessian ``(len(rows), m, m)`` of the same problems.
    gauge : numpy.ndarray or None
        Unit vector ``v`` along which the objective is flat (e.g. adding a
        constant to every strength). The step solves ``(H + v v^T) d = -g``,
        which is the Newton step restricted to the orthogonal complement of
        ``v`` as long as ``g`` is orthogonal to ``v``; it keeps the system
        invertible without changing the minimiser. Kept separate from the
        Hessian so that callers (e.g. sandwich intervals) see the true one.
    tol : float
        Convergence when the largest step component is below ``tol``.
    max_iter : int
        Maximum number of Newton steps.

    Returns
    -------
    x : numpy.ndarray, shape (B, m)
        The minimisers.

    Raises
    ------
    RuntimeError
        If some problem did not converge within ``max_iter`` steps.
    """
    x = np.array(x0, dtype=float, copy=True)
    active = np.arange(x.shape[0])
    f = objective(x, active)  # objective at x, carried over from the line search
    for _ in range(max_iter):
        if active.size == 0:
            return x
        xa, f0 = x[active], f[active]
        g, h = derivatives(xa, active)
        if gauge is not None:
            h = h + np.outer(gauge, gauge)
        step = -np.linalg.solve(h, g[..., None])[..., 0]
        if not np.all(np.isfinite(step)):
            raise RuntimeError("Newton step is not finite (singular Hessian?)")
        # Backtracking (Armijo) line search: plain Newton can overshoot on the
        # flat tails of the logistic likelihood, e.g. for lopsided records.
        slope = np.einsum("bm,bm->b", g, step)
        slack = 64 * np.finfo(float).eps * (1 + np.abs(f0))  # rounding noise near the optimum
        t = np.ones(active.size)
        f1 = np.empty(active.size)
        todo = np.arange(active.size)
        for _ in range(60):
            f1[todo] = objective(xa[todo] + t[todo, None] * step[todo], active[todo])
            bad = f1[todo] > f0[todo] + 1e-4 * t[todo] * slope[todo] + slack[todo]
            todo = todo[bad]
            if todo.size == 0:
                break
            t[todo] *= 0.5
        x[active] = xa + t[:, None] * step
        f[active] = f1
        done = np.max(np.abs(t[:, None] * step), axis=1) < tol
        active = active[~done]
    if active.size:
        raise RuntimeError(
            f"Newton's method did not converge in {max_iter} iterations "
            f"for {active.size} of {x.shape[0]} problem(s)"
        )
    return x


def _chord(
    x0: np.ndarray,
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray],
    inverse: np.ndarray,
    *,
    tol: float,
    max_iter: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps with one fixed Hessian for a batch of similar problems.

    ``inverse`` is ``(H0 + v v^T)^-1`` for the shared Hessian ``H0`` and the
    gauge ``v`` (see :func:`_newton`), computed once by the caller (the
    bootstrap shares it between batches). It is symmetric, so the row-vector
    form ``g @ inverse`` is the step.

    Bootstrap rounds are small perturbations of the full data, so the
    full-data Hessian is a good stand-in for each round's own: iterating
    ``x -= H0^{-1} g(x)`` converges linearly at a fast rate and skips the
    per-round Hessian builds and solves that dominate a Newton step. A problem
    leaves this phase (unchanged by the offending step) as soon as a step is
    large or fails to shrink by half, and is then finished by :func:`_newton`.

    Returns
    -------
    x : numpy.ndarray, shape (B, m)
        Updated points.
    done : numpy.ndarray of bool, shape (B,)
        Problems that converged (last step below ``tol``).
    """
    x = np.array(x0, dtype=float, copy=True)
    done = np.zeros(x.shape[0], dtype=bool)
    active = np.arange(x.shape[0])
    last = np.full(x.shape[0], 1.0)  # first step may move each strength by < 1
    for _ in range(max_iter):
        if active.size == 0:
            break
        step = -(gradient(x[active], active) @ inverse)
        size = np.max(np.abs(step), axis=1)
        ok = np.isfinite(size) & (size < last[active])
        x[active[ok]] += step[ok]
        last[active[ok]] = 0.5 * size[ok]
        done[active[ok & (size < tol)]] = True
        active = active[ok & (size >= tol)]
    return x, done


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #


def win_matrix(
    n_items: int,
    a: ArrayLike,
    b: ArrayLike,
    a_wins: ArrayLike,
    b_wins: ArrayLike,
    ties: ArrayLike,
) -> np.ndarray:
    """Aggregate per-pair outcome counts into a win matrix.

    Parameters
    ----------
    n_items : int
        Number of models; indices run from 0 to ``n_items - 1``.
    a, b : array_like of int, shape (k,)
        The two models of each row. Pairs may repeat, in either orientation;
        repeated rows are summed.
    a_wins, b_wins, ties : array_like, shape (k,)
        How often ``a`` won, ``b`` won, or it was a tie (callers add "both
        bad" votes to the ties).

    Returns
    -------
    wins : numpy.ndarray, shape (n_items, n_items)
        ``wins[i, j]`` is the number of times ``i`` beat ``j``; each tie adds
        0.5 to both ``wins[a, b]`` and ``wins[b, a]``. The diagonal is 0.

    Raises
    ------
    ValueError
        On mismatched lengths, out-of-range or self-paired indices, or
        negative / non-finite counts.
    """
    ai, bi, aw, bw, t = _pair_rows(n_items, a, b, a_wins, b_wins, ties)
    w = np.zeros((n_items, n_items))
    # add.at, not fancy +=, so that repeated pairs accumulate.
    np.add.at(w, (ai, bi), aw + 0.5 * t)
    np.add.at(w, (bi, ai), bw + 0.5 * t)
    return w


def comparison_components(wins: np.ndarray) -> list[list[int]]:
    """Connected components of the comparison graph.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n)
        Win matrix (see :func:`win_matrix`).

    Returns
    -------
    components : list of list of int
        Models ``i`` and ``j`` are linked if they met at least once (either
        won, or a tie). Each component is sorted, and components are ordered
        by their smallest model index. A single list means the graph is
        connected; a model with no games is a component of its own. Ratings
        of models in different components are not comparable.
    """
    w = _check_wins(wins)
    n_comp, labels = connected_components((w + w.T) > 0, directed=False)
    # Labels come out in order of first appearance, i.e. by smallest member.
    return [np.flatnonzero(labels == c).tolist() for c in range(n_comp)]


def _effective_prior(w: np.ndarray, prior: float) -> float:
    """The prior that will actually be used to fit ``w`` (see fit_bradley_terry)."""
    if not (math.isfinite(prior) and prior >= 0):
        raise ValueError(f"prior must be finite and >= 0, got {prior!r}")
    if prior == 0 and not _strongly_connected(w):
        return _FALLBACK_PRIOR
    return float(prior)


def fit_bradley_terry(
    wins: np.ndarray,
    *,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 1000,
    initial: np.ndarray | None = None,
) -> np.ndarray:
    """Fit Bradley-Terry log-strengths to a win matrix.

    Maximises ``sum_ij wins[i, j] * log P(i beats j) - prior / 2 * ||theta||^2``
    with ``P(i beats j) = 1 / (1 + exp(theta[j] - theta[i]))``, by Newton's
    method with a backtracking line search (closed-form gradient and Hessian,
    O(n^2) per step plus an n x n solve).

    A positive ``prior`` is a Gaussian prior N(0, 1/prior) on each strength
    (about ``4 * prior`` tied games against an average model). It keeps the
    estimates finite when a model won or lost all its games, or when the
    comparison graph is disconnected; each connected component is then
    centred at 0, i.e. components are assumed equally strong on average.

    With ``prior == 0`` the plain MLE exists only if the directed "beat at
    least once" graph is strongly connected. If it is not, a weak fallback
    prior (1e-3, see ``_FALLBACK_PRIOR``) is applied instead of diverging and
    a ``RuntimeWarning`` is issued; :func:`rank_battles` reports the prior
    actually used in :attr:`Ranking.prior`.

    This is the joint model of :func:`rank_battles` reduced to strengths
    alone (no left advantage, no style, ties as halves), fitted by the same
    Newton solver.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n)
        ``wins[i, j]`` = times ``i`` beat ``j`` (ties as halves), e.g. from
        :func:`win_matrix`.
    prior : float, optional
        L2 penalty strength (>= 0).
    tol : float, optional
        Convergence when no strength moves by more than ``tol`` in a step.
    max_iter : int, optional
        Maximum number of Newton steps.
    initial : numpy.ndarray, optional
        Starting strengths (warm start), shape (n,).

    Returns
    -------
    theta : numpy.ndarray, shape (n,)
        Log-strengths with mean 0.

    Raises
    ------
    ValueError
        If ``wins`` is invalid, or it holds no comparisons at all while
        there are at least two models.
    RuntimeError
        If Newton's method does not converge (not expected: the problem is
        strictly convex once the MLE exists or a prior is used).
    """
    w = _check_wins(wins)
    n = w.shape[0]
    if n == 1:
        return np.zeros(1)  # nothing to compare, nothing unknown
    if not np.any(w):
        raise ValueError(f"no comparisons: cannot rank {n} models without any votes between them")
    used = _effective_prior(w, prior)
    if used != prior:
        warnings.warn(
            "Bradley-Terry MLE does not exist (some model won or lost all its games, "
            f"or the comparison graph is disconnected); using prior={used:g}",
            RuntimeWarning,
            stacklevel=2,
        )
    if initial is None:
        theta0 = np.zeros((1, n))
    else:
        theta0 = np.asarray(initial, dtype=float).reshape(1, -1)
        if theta0.shape[1] != n or not np.all(np.isfinite(theta0)):
            raise ValueError(f"initial must be {n} finite values")
    # One row per met pair (i < j): i's wins on the left, j's on the right,
    # tie halves already included in both.
    ii, jj = np.nonzero(np.triu(w + w.T, k=1))
    counts = np.stack([w[ii, jj], w[jj, ii], np.zeros(ii.size)])[:, :, None]
    model = _Joint(
        n, ii, jj, counts, np.zeros((ii.size, 0)), davidson=False, prior=np.array([used])
    )
    return model.fit(theta0, tol=tol, max_iter=max_iter)[0, :n]


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


def to_elo(theta: np.ndarray, *, base: float = 1000.0, anchor: int | None = None) -> np.ndarray:
    """Convert log-strengths to an Elo-like display scale.

    Parameters
    ----------
    theta : numpy.ndarray, shape (..., n)
        Log-strengths; a 2-D array (e.g. bootstrap samples) is converted row
        by row.
    base : float, optional
        Rating of the average model, or of the anchor model.
    anchor : int, optional
        Index of a model pinned at ``base`` (e.g. a reference model).

    Returns
    -------
    elo : numpy.ndarray, same shape as ``theta``
        ``base + ELO_SCALE * (theta - mean(theta))``, or with an anchor
        ``base + ELO_SCALE * (theta - theta[anchor])``. A gap of 400 points
        means odds of 10:1.
    """
    th = np.asarray(theta, dtype=float)
    if anchor is None:
        ref = th.mean(axis=-1, keepdims=True)
    else:
        if not -th.shape[-1] <= anchor < th.shape[-1]:
            raise ValueError(f"anchor {anchor} out of range for {th.shape[-1]} models")
        ref = np.take(th, [anchor], axis=-1)
    return base + ELO_SCALE * (th - ref)


def win_probabilities(theta: np.ndarray) -> np.ndarray:
    """Predicted head-to-head win probabilities.

    Parameters
    ----------
    theta : numpy.ndarray, shape (n,)
        Log-strengths.

    Returns
    -------
    probs : numpy.ndarray, shape (n, n)
        ``probs[i, j]`` = P(i beats j) (a tie counted as half); the diagonal
        is 0.5 and ``probs + probs.T == 1``.
    """
    th = np.asarray(theta, dtype=float)
    return expit(th[:, None] - th[None, :])


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


# --------------------------------------------------------------------------- #
# Battles: aggregated, position-aware data
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)  # eq=False: array fields make == ambiguous
class Battles:
    """Aggregated outcomes oriented by screen position.

    One row per (left item, right item[, style cell]); rows may repeat and
    are then simply summed by the likelihood.

    Attributes
    ----------
    n_items : int
        Number of models; indices run from 0 to ``n_items - 1``.
    left, right : numpy.ndarray of int64, shape (k,)
        The model shown on the left / right.
    left_wins, right_wins, ties : numpy.ndarray of float64, shape (k,)
        Vote counts; the caller adds "both bad" votes to ``ties``.
    style : numpy.ndarray of float64, shape (k, s), optional
        Left-minus-right covariates of the row's answers (e.g. the difference
        in log answer length), for style control.
    style_names : tuple of str
        One name per style column.
    position_known : bool
        False when ``left`` / ``right`` are an arbitrary orientation (see
        :meth:`from_unordered`); the left-side advantage is then not fitted.
    """

    n_items: int
    left: np.ndarray
    right: np.ndarray
    left_wins: np.ndarray
    right_wins: np.ndarray
    ties: np.ndarray
    style: np.ndarray | None = None
    style_names: tuple[str, ...] = ()
    position_known: bool = True

    def __post_init__(self) -> None:
        left, right, lw, rw, t = _pair_rows(
            self.n_items, self.left, self.right, self.left_wins, self.right_wins, self.ties
        )
        # Frozen: normalise the arrays in place of the caller's lists.
        object.__setattr__(self, "left", left.astype(np.int64))
        object.__setattr__(self, "right", right.astype(np.int64))
        object.__setattr__(self, "left_wins", lw)
        object.__setattr__(self, "right_wins", rw)
        object.__setattr__(self, "ties", t)
        object.__setattr__(self, "style_names", tuple(self.style_names))
        if self.style is None:
            if self.style_names:
                raise ValueError("style_names given without style covariates")
            return
        s = np.asarray(self.style, dtype=float)
        if s.ndim == 1:
            s = s[:, None]
        if s.ndim != 2 or s.shape[0] != left.size:
            raise ValueError(f"style must have shape ({left.size}, k), got {np.shape(self.style)}")
        if not np.all(np.isfinite(s)):
            raise ValueError("style covariates must be finite")
        names = self.style_names or tuple(f"style_{c}" for c in range(s.shape[1]))
        if len(names) != s.shape[1]:
            raise ValueError(f"{s.shape[1]} style columns but {len(names)} style_names")
        object.__setattr__(self, "style", s)
        object.__setattr__(self, "style_names", tuple(names))

    @property
    def total(self) -> float:
        """Number of votes (ties and "both bad" included)."""
        return float(self.left_wins.sum() + self.right_wins.sum() + self.ties.sum())

    @classmethod
    def from_unordered(
        cls,
        n_items: int,
        a: ArrayLike,
        b: ArrayLike,
        a_wins: ArrayLike,
        b_wins: ArrayLike,
        ties: ArrayLike,
    ) -> Battles:
        """Battles without position information: ``a`` is put on the left.

        The left-side advantage is then not identifiable, so the result has
        ``position_known=False`` and :func:`rank_battles` does not fit it.
        """
        return cls(n_items, a, b, a_wins, b_wins, ties, position_known=False)


# --------------------------------------------------------------------------- #
# The joint model: strengths, left advantage, style, Davidson ties
# --------------------------------------------------------------------------- #

# Ridge on the nuisance parameters (left advantage, style, log tie parameter).
# Far too weak to matter with data (one vote carries ~0.25 units of
# information), but keeps them finite under complete separation (e.g. the
# left answer won every single vote) instead of running off to infinity.
_NUISANCE_PRIOR = 1e-6


class _Joint:
    """Batched negative log-likelihood of the joint model on aggregated rows.

    Parameters are laid out as ``x = [theta (n) | z (q) | tau (0 or 1)]``
    where ``z`` holds the left advantage ``beta`` (if fitted) and the style
    coefficients ``gamma``, and ``tau = log(nu)`` is the Davidson tie
    parameter. Each row ``r`` has the linear predictor

        d_r = theta[left_r] - theta[right_r] + Z_r . z

    with ``Z_r = (1, style_r)`` (or ``style_r`` without position bias).

    ``half``: ties count half a win each way,
    ``loglik_r = (L + T/2) log s(d) + (R + T/2) log s(-d)`` (a quasi-likelihood:
    a tie is not a coin flip, which is why the sandwich is the default).

    ``davidson``: ``P(left) : P(right) : P(tie) = e^(d/2) : e^(-d/2) : nu``,
    a proper three-outcome likelihood.

    Counts are stored rows-major, shape (rows, B): one column per problem
    (bootstrap round), so the sparse incidence products serve the batch.
    """

    def __init__(
        self,
        n_items: int,
        left: np.ndarray,
        right: np.ndarray,
        counts: np.ndarray,
        z_design: np.ndarray,
        *,
        davidson: bool,
        prior: np.ndarray,
        shared: _Joint | None = None,
    ) -> None:
        self.n = n_items
        self.q = z_design.shape[1]
        self.davidson = davidson
        self.m = self.n + self.q + int(davidson)
        self.left, self.right = left, right
        self.z_design = z_design
        # counts: (3, rows, B) = left wins, right wins, ties.
        self.lw, self.rw, self.ties = counts
        self.games = self.lw + self.rw + self.ties
        # The row gradient is affine in tanh(d / 2) (half) or in the outcome
        # probabilities (Davidson); precomputing its constant parts per problem
        # keeps the bootstrap's repeated gradient evaluations to a few passes.
        self.half_games = 0.5 * self.games
        if davidson:
            self.target = 0.5 * (self.lw - self.rw)
        else:  # N p - (L + T/2) = N/2 tanh(d/2) + (N/2 - L - T/2)
            self.target = self.half_games - self.lw - 0.5 * self.ties
        self.prior = prior
        if shared is not None:  # same rows, other problems: reuse the sparse maps
            self.incidence, self.incidence_t, self.scatter = (
                shared.incidence,
                shared.incidence_t,
                shared.scatter,
            )
            return
        rows = np.arange(left.size)
        # (rows, n): +1 at left, -1 at right. Maps theta to per-row differences.
        self.incidence = csr_array(
            (
                np.r_[np.ones(rows.size), -np.ones(rows.size)],
                (np.r_[rows, rows], np.r_[left, right]),
            ),
            shape=(rows.size, n_items),
        )
        self.incidence_t = csr_array(self.incidence.T)
        # (n * n, rows): row r -> cell (left, right), for the Laplacian block.
        self.scatter = csr_array(
            (np.ones(rows.size), (left * n_items + right, rows)),
            shape=(n_items * n_items, rows.size),
        )

    # -- pieces -------------------------------------------------------------

    def subset(self, probs: np.ndarray) -> _Joint:
        """The same rows restricted to some problems."""
        counts = np.stack([self.lw[:, probs], self.rw[:, probs], self.ties[:, probs]])
        return _Joint(
            self.n,
            self.left,
            self.right,
            counts,
            self.z_design,
            davidson=self.davidson,
            prior=self.prior[probs],
            shared=self,
        )

    def _cols(self, a: np.ndarray, probs: np.ndarray) -> np.ndarray:
        return a if probs.size == a.shape[1] else a[:, probs]

    def predictor(self, x: np.ndarray) -> np.ndarray:
        """Linear predictor ``d``, shape (rows, B)."""
        d = self.incidence @ np.ascontiguousarray(x[:, : self.n].T)
        # Column by column rather than a BLAS product: q is small, and a
        # threaded BLAS on a busy 2-core machine made this 3x slower.
        for k in range(self.q):
            d += self.z_design[:, k, None] * x[:, self.n + k]
        return d

    def _tau(self, x: np.ndarray) -> np.ndarray:
        return x[:, -1] if self.davidson else np.zeros(x.shape[0])

    def _penalty(self, x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Prior on theta and ridge on the rest, per problem."""
        th, rest = x[:, : self.n], x[:, self.n :]
        return 0.5 * (
            self.prior[probs] * np.einsum("bm,bm->b", th, th)
            + _NUISANCE_PRIOR * np.einsum("bm,bm->b", rest, rest)
        )

    def _davidson_probs(
        self, d: np.ndarray, tau: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """P(left), P(right), P(tie) and log normaliser, overflow-free."""
        half = 0.5 * d
        top = np.maximum(np.abs(half), tau)
        el, er, et = np.exp(half - top), np.exp(-half - top), np.exp(tau - top)
        z = el + er + et
        return el / z, er / z, et / z, top + np.log(z)

    def objective(self, x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Negative penalised log-likelihood, shape (len(probs),)."""
        d = self.predictor(x)
        lw, rw, t = (self._cols(a, probs) for a in (self.lw, self.rw, self.ties))
        if self.davidson:
            tau = self._tau(x)
            log_z = self._davidson_probs(d, tau)[3]
            nll = (-(lw - rw) * 0.5 * d - t * tau + (lw + rw + t) * log_z).sum(axis=0)
        else:
            # (L + T/2) log s(d) + (R + T/2) log s(-d) = N log s(d) - (R + T/2) d
            nll = ((rw + 0.5 * t) * d - (lw + rw + t) * log_expit(d)).sum(axis=0)
        return nll + self._penalty(x, probs)

    def row_terms(
        self, x: np.ndarray, probs: np.ndarray, *, scores: bool = False
    ) -> tuple[np.ndarray, ...]:
        """Per-row derivatives of the negative log-likelihood w.r.t. (d, tau).

        Returns ``(g_d, g_tau, h_dd, h_dtau, h_tautau)``, each (rows, B), the
        row gradient and Hessian (``g_tau`` and the tau terms are None without
        Davidson). With ``scores=True`` the three Hessian weights are replaced
        by the per-row sums of vote-level score outer products (the "meat" of
        the sandwich): every vote in a (row, outcome) cell has the same score,
        so the sum over votes is a count-weighted sum over the three outcomes.
        """
        d = self.predictor(x)
        lw, rw, t = (self._cols(a, probs) for a in (self.lw, self.rw, self.ties))
        games = lw + rw + t
        if not self.davidson:
            p = 0.5 + 0.5 * np.tanh(0.5 * d)  # logistic via tanh: no overflow
            g_d = games * p - lw - 0.5 * t
            if scores:  # outcomes score 1, 0, 1/2 against an expectation of p
                h_dd = lw * (1 - p) ** 2 + rw * p**2 + t * (0.5 - p) ** 2
            else:
                h_dd = games * p * (1 - p)
            return g_d, None, h_dd, None, None
        pl, pr, pt, _ = self._davidson_probs(d, self._tau(x))
        # Exponential family in (d, tau) with statistics y_d = (1/2, -1/2, 0)
        # and y_tau = (0, 0, 1) for (left, right, tie): the Hessian is the
        # count times the covariance of (y_d, y_tau).
        mean_d = 0.5 * (pl - pr)
        g_d = games * mean_d - 0.5 * (lw - rw)
        g_t = games * pt - t
        if scores:
            sd = (0.5 - mean_d, -0.5 - mean_d, -mean_d)  # y_d - E[y_d] per outcome
            st = (-pt, -pt, 1 - pt)
            cnt = (lw, rw, t)
            h_dd = sum(c * a * a for c, a in zip(cnt, sd, strict=True))
            h_dt = sum(c * a * b for c, a, b in zip(cnt, sd, st, strict=True))
            h_tt = sum(c * b * b for c, b in zip(cnt, st, strict=True))
        else:
            h_dd = games * (0.25 * (pl + pr) - mean_d**2)
            h_dt = -games * mean_d * pt
            h_tt = games * pt * (1 - pt)
        return g_d, g_t, h_dd, h_dt, h_tt

    def _gradient_from(self, x: np.ndarray, probs: np.ndarray, g_d, g_t) -> np.ndarray:
        grad = np.empty_like(x)
        grad[:, : self.n] = (self.incidence_t @ g_d).T + self.prior[probs, None] * x[:, : self.n]
        for k in range(self.q):  # not BLAS, as in predictor
            grad[:, self.n + k] = np.einsum("r,rb->b", self.z_design[:, k], g_d)
        if self.davidson:
            grad[:, -1] = g_t.sum(axis=0)
        grad[:, self.n :] += _NUISANCE_PRIOR * x[:, self.n :]
        return grad

    def gradient(self, x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`objective`, shape (len(probs), m).

        The hot loop of the bootstrap: same values as :meth:`row_terms`, with
        fewer passes over the (rows, B) arrays.
        """
        if self.davidson:
            g_d, g_t, *_ = self.row_terms(x, probs)
            return self._gradient_from(x, probs, g_d, g_t)
        g_d = np.tanh(self.predictor(0.5 * x))  # the predictor is linear: d / 2
        g_d *= self._cols(self.half_games, probs)
        g_d += self._cols(self.target, probs)
        return self._gradient_from(x, probs, g_d, None)

    def assemble(self, h_dd: np.ndarray, h_dt: np.ndarray | None, h_tt: np.ndarray | None):
        """(B, m, m) matrix ``sum_r X_r^T W_r X_r`` from per-row weights.

        ``X_r`` maps x to (d_r, tau); used for both the Hessian and the
        sandwich meat. No prior / ridge is added here.
        """
        n, q, b = self.n, self.q, h_dd.shape[1]
        out = np.zeros((b, self.m, self.m))
        cell = (self.scatter @ h_dd).reshape(n, n, b).transpose(2, 0, 1)
        sym = cell + cell.transpose(0, 2, 1)
        out[:, :n, :n] = -sym
        out[:, np.arange(n), np.arange(n)] = sym.sum(axis=2)
        if q:
            zd = self.z_design
            cross = self.incidence_t @ (h_dd[:, :, None] * zd[:, None, :]).reshape(-1, b * q)
            cross = cross.reshape(n, b, q).transpose(1, 0, 2)
            out[:, :n, n : n + q] = cross
            out[:, n : n + q, :n] = cross.transpose(0, 2, 1)
            out[:, n : n + q, n : n + q] = np.einsum("rb,rk,rl->bkl", h_dd, zd, zd)
        if self.davidson and h_dt is not None:  # None: only the (theta, z) block wanted
            col = np.concatenate([(self.incidence_t @ h_dt).T, (self.z_design.T @ h_dt).T], axis=1)
            out[:, : n + q, -1] = col
            out[:, -1, : n + q] = col
            out[:, -1, -1] = h_tt.sum(axis=0)
        return out

    def derivatives(self, x: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian of :meth:`objective`."""
        g_d, g_t, h_dd, h_dt, h_tt = self.row_terms(x, probs)
        hess = self.assemble(h_dd, h_dt, h_tt)
        idx = np.arange(self.n)
        hess[:, idx, idx] += self.prior[probs, None]
        rest = np.arange(self.n, self.m)
        hess[:, rest, rest] += _NUISANCE_PRIOR
        return self._gradient_from(x, probs, g_d, g_t), hess

    def gauge(self) -> np.ndarray:
        """Unit vector along which the likelihood is flat (a common shift of theta)."""
        v = np.zeros(self.m)
        v[: self.n] = 1.0 / math.sqrt(self.n)
        return v

    def fit(
        self,
        x0: np.ndarray,
        *,
        tol: float,
        max_iter: int = 1000,
        inverse0: np.ndarray | None = None,
    ) -> np.ndarray:
        """Penalised MLE per problem, theta centred to mean 0.

        The optimum has mean-0 theta (the likelihood ignores a common shift and
        the prior, if any, is smallest at mean 0), and Newton steps with the
        gauge term keep the mean, so the start is centred and so is the result
        (again, to remove rounding drift).

        ``inverse0``, the inverse of a shared Hessian plus the gauge term,
        enables the chord phase of :func:`_chord` before Newton's method.
        """
        x = np.array(x0, dtype=float, copy=True)
        x[:, : self.n] -= x[:, : self.n].mean(axis=1, keepdims=True)
        gauge = self.gauge()
        rest = np.arange(x.shape[0])
        if inverse0 is not None:
            x, done = _chord(x, self.gradient, inverse0, tol=tol)
            rest = np.flatnonzero(~done)
        if rest.size:
            sub = self.subset(rest) if rest.size < x.shape[0] else self
            x[rest] = _newton(
                x[rest], sub.objective, sub.derivatives, gauge=gauge, tol=tol, max_iter=max_iter
            )
        x[:, : self.n] -= x[:, : self.n].mean(axis=1, keepdims=True)
        return x


def _z_design(battles: Battles, position_bias: bool, style: bool) -> np.ndarray:
    """Columns of Z: a constant for the left advantage, then the style covariates."""
    cols = [np.zeros((battles.left.size, 0))]
    if position_bias:
        cols.append(np.ones((battles.left.size, 1)))
    if style:
        cols.append(battles.style)
    return np.concatenate(cols, axis=1)


def _identified(model: _Joint, columns: np.ndarray) -> np.ndarray:
    """Which of the given columns of Z are identified given the strengths.

    Uses the information at d = 0 (weights N / 4 up to a constant): a column
    is identified iff its Schur complement given theta and all other columns
    of Z is non-zero. The pseudo-inverse on the theta block copes with a
    disconnected comparison graph.
    """
    n = model.n
    h = model.assemble(model.games[:, :1], None, None)[0][: n + model.q, : n + model.q]
    h_tt, h_tz, h_zz = h[:n, :n], h[:n, n:], h[n:, n:]
    schur = h_zz - h_tz.T @ np.linalg.pinv(h_tt, hermitian=True) @ h_tz
    ok = np.ones(columns.size, dtype=bool)
    for k, c in enumerate(columns):
        others = [j for j in range(model.q) if j != c]
        s_cc = schur[c, c]
        if others:
            o = np.asarray(others)
            s_cc -= schur[c, o] @ np.linalg.pinv(schur[np.ix_(o, o)], hermitian=True) @ schur[o, c]
        ok[k] = s_cc > 1e-9 * max(h_zz[c, c], 1e-300)
    return ok


# --------------------------------------------------------------------------- #
# Resampling for the bootstrap
# --------------------------------------------------------------------------- #

# Poisson draws for the bootstrap are made by inverse transform on a grid of
# 2**14 equally likely quantiles: exact Poisson quantiles for counts up to
# _POISSON_EXACT, a rounded normal approximation above (skewness < 0.09 there).
# This is ~10x faster than numpy's Poisson sampler on a million-vote data set
# and changes each draw's distribution by at most 1/16384 in probability.
_QUANTILE_BITS = 14
_POISSON_EXACT = 128


@functools.cache
def _poisson_quantiles() -> tuple[np.ndarray, np.ndarray]:
    """Quantiles at the grid points ``u_j = (j + 1/2) / 2**14``.

    Returns ``table`` (flat, float32: ``table[(c << 14) + j]`` is the Poisson(c)
    quantile at ``u_j`` for ``c <= _POISSON_EXACT``) and ``z`` (standard normal
    quantiles at ``u_j``).
    """
    grid = 2**_QUANTILE_BITS
    u = (np.arange(grid) + 0.5) / grid
    k = np.arange(2 * _POISSON_EXACT + 64)  # far beyond the 1 - 1/32768 quantile
    table = np.empty((_POISSON_EXACT + 1, grid), dtype=np.float32)
    table[0] = 0.0
    for c in range(1, _POISSON_EXACT + 1):
        cdf = np.cumsum(np.exp(k * math.log(c) - c - gammaln(k + 1)))
        # The quantile is the smallest k with cdf(k) >= u.
        table[c] = np.searchsorted(cdf, u * cdf[-1], side="left")
    return table.ravel(), ndtri(u)


def _poisson_resample(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson(counts) draws, shape (cells, size): the Poisson bootstrap of votes.

    Each vote gets an independent Poisson(1) weight; the votes of one cell
    are identical, so their total weight is Poisson(count).
    """
    table, z = _poisson_quantiles()
    out = np.zeros((counts.size, size))
    small = np.flatnonzero((counts > 0) & (counts <= _POISSON_EXACT))  # an empty cell stays empty
    big = np.flatnonzero(counts > _POISSON_EXACT)
    j = _grid_indices(rng, (small.size, size))
    out[small] = np.take(table, j + (counts[small].astype(np.int32) << _QUANTILE_BITS)[:, None])
    if big.size:
        mean = counts[big][:, None]
        zb = np.take(z, _grid_indices(rng, (big.size, size)))
        out[big] = np.maximum(np.rint(mean + np.sqrt(mean) * zb), 0.0)
    return out


def _grid_indices(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Uniform integers in [0, 2**14): four per raw 64-bit draw (a third of the cost)."""
    n = shape[0] * shape[1]
    raw = rng.bit_generator.random_raw(-(-n // 4)).view(np.uint16)[:n]
    return (raw & (2**_QUANTILE_BITS - 1)).astype(np.int32).reshape(shape)


# --------------------------------------------------------------------------- #
# Ranking
# --------------------------------------------------------------------------- #

_INTERVALS = ("sandwich", "bootstrap", "fisher", "none")
_TIE_MODELS = ("half", "davidson")

# Threads for the bootstrap batches (numpy releases the GIL in its array loops
# and samplers). Measured on the 2-core target next to a busy app: 2 threads
# took 1.4 s for 1,000 rounds on 1M votes, 1 thread 0.85 s, so 1 by default;
# results do not depend on this number (fixed batches, per-batch seeds).
_THREADS = 1


@dataclass(frozen=True, eq=False)  # eq=False: array fields make == ambiguous
class Ranking:
    """A fitted leaderboard; every per-model array has one entry per model.

    Attributes
    ----------
    theta : numpy.ndarray
        Log-strengths of the joint model (with style control: net of style),
        mean 0.
    elo : numpy.ndarray
        ``to_elo(theta, base=base, anchor=anchor)``.
    elo_low, elo_high : numpy.ndarray
        Interval of ``elo`` at the requested level (nan without intervals).
        With an anchor, the interval is for the difference to the anchor.
    rank : numpy.ndarray
        Competition rank of ``theta`` (1 = best).
    rank_best, rank_worst : numpy.ndarray
        Rank range from interval overlap: ``rank_best[i] = 1 + #{j : low[j] >
        high[i]}`` (models surely better) and ``rank_worst[i] = #{j : high[j]
        >= low[i]}`` (every model not surely worse, ``i`` included). Equal to
        ``rank`` without intervals.
    games : numpy.ndarray
        Votes per model, ties included.
    win_rate : numpy.ndarray
        ``(wins + 0.5 * ties) / games``; nan for a model with no games.
    components : list of list of int
        Connected components of the comparison graph.
    prior : float
        L2 prior on theta actually used (the fallback when the MLE did not exist).
    interval_method : str
        ``"sandwich"``, ``"bootstrap"``, ``"fisher"`` or ``"none"``.
    tie_model : str
        ``"half"`` or ``"davidson"``.
    tie_param : float or None
        Davidson's ``nu`` (None for ``"half"``): ``P(tie) = nu / (2 + nu)``
        between equal models.
    tie_param_low, tie_param_high : float or None
        Interval of ``nu``.
    left_advantage_elo, left_advantage_low, left_advantage_high : float or None
        Left-side advantage ``beta`` in Elo points and its interval (None when
        not fitted).
    style_names : tuple of str
    style_coef, style_low, style_high : numpy.ndarray or None
        Style coefficients in Elo points per unit of each covariate (None
        without style control).
    win_prob : numpy.ndarray, shape (n, n)
        Predicted expected score of ``i`` against ``j`` (a tie as half), no
        position advantage and equal style; ``win_prob + win_prob.T == 1``.
    """

    theta: np.ndarray
    elo: np.ndarray
    elo_low: np.ndarray
    elo_high: np.ndarray
    rank: np.ndarray
    rank_best: np.ndarray
    rank_worst: np.ndarray
    games: np.ndarray
    win_rate: np.ndarray
    components: list[list[int]]
    prior: float
    interval_method: str
    tie_model: str
    tie_param: float | None
    left_advantage_elo: float | None
    left_advantage_low: float | None
    left_advantage_high: float | None
    style_names: tuple[str, ...]
    style_coef: np.ndarray | None
    style_low: np.ndarray | None
    style_high: np.ndarray | None
    win_prob: np.ndarray
    tie_param_low: float | None = None
    tie_param_high: float | None = None


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


def davidson_expected_score(d: np.ndarray, nu: float) -> np.ndarray:
    """Expected score (win + half a tie) under Davidson's model at strength gap ``d``."""
    return expit(d) if nu == 0 else (np.exp(0.5 * d) + 0.5 * nu) / (2 * np.cosh(0.5 * d) + nu)


def _contrast(n: int, m: int, anchor: int | None) -> np.ndarray:
    """(n, m) map from parameters to displayed theta (centred or minus the anchor)."""
    a = np.zeros((n, m))
    a[:, :n] = np.eye(n)
    if anchor is None:
        a[:, :n] -= 1.0 / n
    else:
        a[:, anchor] -= 1.0
    return a


def _covariance(model: _Joint, x: np.ndarray, *, sandwich: bool) -> np.ndarray:
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


def _bootstrap(
    model: _Joint,
    x_hat: np.ndarray,
    n_rounds: int,
    seed: int | np.random.Generator | None,
    *,
    fallback: bool,
    tol: float,
) -> np.ndarray:
    """(n_rounds, m) refits on Poisson-resampled cells, warm-started at ``x_hat``.

    Rounds are fitted in batches (fixed size, own child generator each, so
    the result does not depend on the number of threads): chord steps with
    the full-data Hessian, then Newton for any round that needs it. With
    ``fallback``, rounds whose resample has no finite MLE for theta get the
    fallback prior.
    """
    counts = np.concatenate([model.lw[:, 0], model.rw[:, 0], model.ties[:, 0]])  # (3 rows,)
    rows = model.left.size
    hessian0 = model.derivatives(x_hat[None], np.zeros(1, dtype=np.intp))[1][0]
    inverse0 = np.linalg.inv(hessian0 + np.outer(model.gauge(), model.gauge()))
    batch = max(1, _BATCH_ELEMENTS // max(3 * rows, model.m * model.m))
    starts = list(range(0, n_rounds, batch))
    rngs = np.random.default_rng(seed).spawn(len(starts))
    watch = _EdgeWatch(model, counts) if fallback else None
    out = np.empty((n_rounds, model.m))

    def run(k: int) -> None:
        size = min(batch, n_rounds - starts[k])
        draws = _poisson_resample(counts, size, rngs[k]).reshape(3, rows, size)
        priors = np.full(size, model.prior[0])
        if watch is not None:
            priors[~watch.mle_exists(draws)] = _FALLBACK_PRIOR
        sub = _Joint(
            model.n,
            model.left,
            model.right,
            draws,
            model.z_design,
            davidson=model.davidson,
            prior=priors,
            shared=model,
        )
        x0 = np.broadcast_to(x_hat, (size, model.m))
        out[starts[k] : starts[k] + size] = sub.fit(x0, tol=tol, inverse0=inverse0)

    if _THREADS > 1 and len(starts) > 1:
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(run, range(len(starts))))
    else:
        for k in range(len(starts)):
            run(k)
    return out


class _EdgeWatch:
    """Finds bootstrap rounds in which the strengths have no finite MLE.

    The MLE exists iff the directed "beat at least half a time" graph is
    strongly connected (see :func:`_strongly_connected`). The full data pass
    that test, and a resample can only lose edges, so only rounds that lost
    an edge need the graph check. An edge supported by ``_SAFE_SUPPORT``
    or more votes is treated as never lost (probability < e^-50 per round).
    """

    _SAFE_SUPPORT = 50

    def __init__(self, model: _Joint, counts: np.ndarray) -> None:
        n, rows = model.n, model.left.size
        self.n = n
        r = np.arange(rows)
        # Cell c = outcome * rows + row supports the directed edge winner -> loser;
        # a tie supports both directions.
        cells = np.r_[r, rows + r, 2 * rows + r, 2 * rows + r]
        src = np.r_[model.left, model.right, model.left, model.right]
        dst = np.r_[model.right, model.left, model.right, model.left]
        edge_key, edge = np.unique(src * n + dst, return_inverse=True)
        support = csr_array((np.ones(cells.size), (edge, cells)), shape=(edge_key.size, 3 * rows))
        full = support @ counts
        fragile = np.flatnonzero((full > 0) & (full < self._SAFE_SUPPORT))
        self.fragile = support[fragile]
        # If the edges that are never lost already connect the graph strongly,
        # no round can lose the MLE (the common case at scale): skip all checks.
        src, dst = edge_key // n, edge_key % n
        robust = full >= self._SAFE_SUPPORT
        adjacency = np.zeros((n, n), dtype=bool)
        adjacency[src[robust], dst[robust]] = True
        self.always = _strongly_connected(adjacency)
        self.support = support
        # Pair form for _strongly_connected_batch: edge e is i -> j or j -> i of pair i < j.
        pair_key, self.pair = np.unique(np.minimum(src, dst) * n + np.maximum(src, dst),
                                        return_inverse=True)  # fmt: skip
        self.forward = src < dst
        self.ii, self.jj = pair_key // n, pair_key % n

    def mle_exists(self, draws: np.ndarray) -> np.ndarray:
        """Per round of ``draws`` (3, rows, B): does the MLE of theta exist?"""
        flat = draws.reshape(-1, draws.shape[2])
        ok = np.ones(flat.shape[1], dtype=bool)
        if self.always or self.fragile.shape[0] == 0:
            return ok
        lost = np.flatnonzero(np.any(self.fragile @ flat == 0, axis=0))
        if lost.size:
            weight = self.support @ flat[:, lost]  # (edges, lost rounds)
            wi = np.zeros((self.ii.size, lost.size))
            wj = np.zeros((self.ii.size, lost.size))
            wi[self.pair[self.forward]] = weight[self.forward]
            wj[self.pair[~self.forward]] = weight[~self.forward]
            ok[lost] = _strongly_connected_batch(self.n, self.ii, self.jj, wi.T, wj.T)
        return ok


def _single_model(battles: Battles, *, base: float, prior: float, tie_model: str) -> Ranking:
    """The trivial leaderboard of one model: at ``base``, nothing uncertain."""
    one = np.ones(1, dtype=int)
    return Ranking(
        theta=np.zeros(1),
        elo=np.full(1, base),
        elo_low=np.full(1, base),
        elo_high=np.full(1, base),
        rank=one,
        rank_best=one,
        rank_worst=one,
        games=np.zeros(1),
        win_rate=np.full(1, np.nan),
        components=[[0]],
        prior=float(prior),
        interval_method="none",
        tie_model=tie_model,
        tie_param=None,
        left_advantage_elo=None,
        left_advantage_low=None,
        left_advantage_high=None,
        style_names=(),
        style_coef=None,
        style_low=None,
        style_high=None,
        win_prob=np.full((1, 1), 0.5),
    )


# The fits are many small matrix operations: BLAS threads only fight each other
# (and Streamlit's threads) on a small machine. Measured on 2 cores, 500k votes,
# 100 models: 1,000-round bootstrap 1.27 s with OpenBLAS's 2 threads, 0.68 s with 1.
@threadpool_limits.wrap(limits=1, user_api="blas")
def rank_battles(
    battles: Battles,
    *,
    intervals: str = "sandwich",
    n_bootstrap: int = 1000,
    level: float = 0.95,
    tie_model: str = "half",
    position_bias: bool = True,
    style: bool = False,
    prior: float = 0.0,
    anchor: int | None = None,
    base: float = 1000.0,
    seed: int | np.random.Generator | None = 0,
) -> Ranking:
    """Fit the joint model to aggregated battles and summarise a leaderboard.

    The model (see ``docs/statistics.md``): each row's linear predictor is
    ``theta[left] - theta[right] + beta + style . gamma``; ties count half a
    win each way (``tie_model="half"``) or follow Davidson's model
    (``"davidson"``, tie parameter ``nu`` fitted). Fitted by damped Newton on
    the aggregated rows.

    Parameters
    ----------
    battles : Battles
        Aggregated, position-oriented counts.
    intervals : {"sandwich", "bootstrap", "fisher", "none"}, optional
        ``"sandwich"`` (default): Wald intervals from ``H^-1 J H^-1`` with ``J``
        the vote-level score outer products, robust to the half-tie
        quasi-likelihood. ``"bootstrap"``: percentile intervals from
        ``n_bootstrap`` Poisson-bootstrap refits. ``"fisher"``: Wald from
        ``H^-1`` alone. ``"none"``: nan intervals.
    n_bootstrap : int, optional
        Bootstrap rounds (only for ``intervals="bootstrap"``).
    level : float, optional
        Interval coverage.
    tie_model : {"half", "davidson"}, optional
    position_bias : bool, optional
        Fit the left-side advantage ``beta``. Ignored (not fitted) when the
        battles carry no position information or it is not identifiable
        (every pair always shown the same way round).
    style : bool, optional
        Fit the style coefficients (``battles.style`` required).
    prior : float, optional
        L2 prior on theta; 0 uses the weak fallback only if the MLE does not
        exist (see :func:`fit_bradley_terry`).
    anchor : int, optional
        Model pinned at ``base`` on the Elo scale; default: the mean is at ``base``.
    base : float, optional
        Elo of the anchor or of the average model.
    seed : int, numpy.random.Generator or None, optional
        Bootstrap seed (same seed, same intervals).

    Returns
    -------
    Ranking

    Raises
    ------
    ValueError
        No votes with two or more models ("no votes in this selection"),
        invalid options, style requested without covariates, or style
        covariates that are constant or collinear.
    """
    if intervals not in _INTERVALS:
        raise ValueError(f"intervals must be one of {_INTERVALS}, got {intervals!r}")
    if tie_model not in _TIE_MODELS:
        raise ValueError(f"tie_model must be one of {_TIE_MODELS}, got {tie_model!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    if int(n_bootstrap) != n_bootstrap or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a non-negative integer, got {n_bootstrap!r}")
    if intervals == "bootstrap" and n_bootstrap == 0:
        intervals = "none"
    if intervals == "bootstrap":
        counts = np.concatenate([battles.left_wins, battles.right_wins, battles.ties])
        # Resampling votes needs whole votes; silently rounding would change the data.
        if not np.all(counts == np.floor(counts)):
            raise ValueError("bootstrap intervals need whole vote counts")
    if style and battles.style is None:
        raise ValueError("style=True needs style covariates on the battles")
    n = battles.n_items
    if anchor is not None and not -n <= anchor < n:
        raise ValueError(f"anchor {anchor} out of range for {n} models")
    if n == 1:
        return _single_model(battles, base=base, prior=prior, tie_model=tie_model)
    if battles.total == 0:
        raise ValueError(
            f"no votes in this selection: no comparisons between the {n} models to rank"
        )
    keep = (battles.left_wins + battles.right_wins + battles.ties) > 0
    left, right = battles.left[keep].astype(np.intp), battles.right[keep].astype(np.intp)
    counts = np.stack([battles.left_wins[keep], battles.right_wins[keep], battles.ties[keep]])
    w = win_matrix(n, left, right, *counts)
    used = _effective_prior(w, prior)
    # Davidson with no ties at all: nu = 0 is the MLE, i.e. plain Bradley-Terry.
    davidson = tie_model == "davidson" and counts[2].sum() > 0
    fit_beta = position_bias and battles.position_known
    sub_battles = Battles(
        n, left, right, *counts, style=None if battles.style is None else battles.style[keep]
    )

    def joint(z: np.ndarray) -> _Joint:
        return _Joint(
            n, left, right, counts[:, :, None], z, davidson=davidson, prior=np.array([used])
        )

    # The left advantage is checked against the ratings alone; style columns
    # are then checked against everything else (a constant column is beta).
    if fit_beta and not _identified(joint(_z_design(sub_battles, True, False)), np.array([0]))[0]:
        warnings.warn(
            "every pair was shown the same way round: the left-side advantage cannot be "
            "separated from the ratings and is not fitted",
            RuntimeWarning,
            stacklevel=2,
        )
        fit_beta = False
    model = joint(_z_design(sub_battles, fit_beta, style))
    z = model.z_design
    n_beta = int(fit_beta)
    if style:
        cols = np.arange(n_beta, z.shape[1])
        bad = ~_identified(model, cols)
        if np.any(bad):
            names = [battles.style_names[c - n_beta] for c in cols[bad]]
            raise ValueError(
                "style covariates are constant or collinear with the others / the ratings: "
                + ", ".join(names)
            )

    x_hat = model.fit(np.zeros((1, model.m)), tol=1e-10)[0]
    theta = x_hat[:n]
    elo = to_elo(theta, base=base, anchor=anchor)
    contrast = _contrast(n, model.m, anchor)
    z_level = float(ndtri(0.5 + level / 2))

    # Intervals for every reported quantity, on the parameter scale x.
    if intervals in ("sandwich", "fisher"):
        cov = _covariance(model, x_hat, sandwich=intervals == "sandwich")
        se_x = np.sqrt(np.maximum(np.diag(cov), 0.0))
        se_theta = np.sqrt(np.maximum(np.einsum("im,mk,ik->i", contrast, cov, contrast), 0.0))
        theta_low = contrast @ x_hat - z_level * se_theta
        theta_high = contrast @ x_hat + z_level * se_theta
        x_low, x_high = x_hat - z_level * se_x, x_hat + z_level * se_x
    elif intervals == "bootstrap":
        samples = _bootstrap(
            model, x_hat, n_bootstrap, seed, fallback=prior == 0 and used == 0, tol=1e-6
        )
        theta_low, theta_high = percentile_intervals(samples @ contrast.T, level)
        x_low, x_high = percentile_intervals(samples, level)
    else:
        theta_low = theta_high = np.full(n, np.nan)
        x_low = x_high = np.full(model.m, np.nan)
    shift = elo - ELO_SCALE * (contrast @ x_hat)  # base, plus the centring of elo
    elo_low, elo_high = shift + ELO_SCALE * theta_low, shift + ELO_SCALE * theta_high

    rank = rank_order(theta, tol=1e-8)  # equal up to solver noise (~2e-6 Elo)
    if intervals == "none":
        rank_best = rank_worst = rank
    else:
        rank_best, rank_worst = rank_ranges(elo_low, elo_high)

    def elo_of(k: int) -> tuple[float, float, float]:
        return tuple(float(ELO_SCALE * v[k]) for v in (x_hat, x_low, x_high))  # type: ignore[return-value]

    left_adv = elo_of(n) if fit_beta else (None, None, None)
    style_idx = np.arange(n + n_beta, n + model.q)
    nu = nu_low = nu_high = None
    if tie_model == "davidson":
        nu, nu_low, nu_high = (float(np.exp(v[-1])) for v in (x_hat, x_low, x_high)) if davidson \
            else (0.0, 0.0, 0.0)  # fmt: skip
    games = (w + w.T).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(games > 0, w.sum(axis=1) / games, np.nan)
    gap = theta[:, None] - theta[None, :]
    win_prob = davidson_expected_score(gap, nu) if davidson else expit(gap)
    return Ranking(
        theta=theta,
        elo=elo,
        elo_low=elo_low,
        elo_high=elo_high,
        rank=rank,
        rank_best=rank_best,
        rank_worst=rank_worst,
        games=games,
        win_rate=win_rate,
        components=comparison_components(w),
        prior=used,
        interval_method=intervals,
        tie_model=tie_model,
        tie_param=nu,
        tie_param_low=nu_low,
        tie_param_high=nu_high,
        left_advantage_elo=left_adv[0],
        left_advantage_low=left_adv[1],
        left_advantage_high=left_adv[2],
        style_names=battles.style_names if style else (),
        style_coef=ELO_SCALE * x_hat[style_idx] if style else None,
        style_low=ELO_SCALE * x_low[style_idx] if style else None,
        style_high=ELO_SCALE * x_high[style_idx] if style else None,
        win_prob=win_prob,
    )

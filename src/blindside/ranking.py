"""Bradley-Terry rankings with bootstrap confidence intervals.

Everything here is a pure function on numpy arrays of *aggregated* counts: one
row per (model a, model b) with how often a won, b won, or it was a tie. The
caller builds those rows from votes (a "both bad" vote is added to the ties);
this module never sees vote rows, a database or a UI.

Model
-----
Model ``i`` has a log-strength ``theta[i]`` and

    P(i beats j) = 1 / (1 + exp(theta[j] - theta[i])).

A tie counts as half a win each way (as LMArena does), so the data reduce to a
win matrix ``W`` with ``W[i, j]`` = times ``i`` beat ``j`` (halves included).
``theta`` is only identified up to a constant; we report it with mean 0.

The maximum-likelihood estimate is computed with Newton's method on the
aggregated counts. The number of items is small (models, not votes), so the
dense ``(n, n)`` Hessian is cheap and Newton converges in a handful of steps,
which also makes warm-started bootstrap refits cheap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.special import expit, log_expit

__all__ = [
    "ELO_SCALE",
    "Ranking",
    "bootstrap_ratings",
    "comparison_components",
    "fit_bradley_terry",
    "percentile_intervals",
    "rank_models",
    "rank_order",
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


def _pairs_from_wins(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Met pairs (i < j) of a win matrix with the wins of each side."""
    ii, jj = np.nonzero(np.triu(w + w.T, k=1))
    return ii, jj, w[ii, jj], w[jj, ii]


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
    hessian: np.ndarray,
    *,
    gauge: np.ndarray | None,
    tol: float,
    max_iter: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps with one fixed Hessian for a batch of similar problems.

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
    h = hessian + np.outer(gauge, gauge) if gauge is not None else hessian
    inv = np.linalg.inv(h)  # symmetric, so row-vector form g @ inv is the step
    done = np.zeros(x.shape[0], dtype=bool)
    active = np.arange(x.shape[0])
    last = np.full(x.shape[0], 1.0)  # first step may move each strength by < 1
    for _ in range(max_iter):
        if active.size == 0:
            break
        step = -(gradient(x[active], active) @ inv)
        size = np.max(np.abs(step), axis=1)
        ok = np.isfinite(size) & (size < last[active])
        x[active[ok]] += step[ok]
        last[active[ok]] = 0.5 * size[ok]
        done[active[ok & (size < tol)]] = True
        active = active[ok & (size >= tol)]
    return x, done


class _PairData:
    """Batched Bradley-Terry likelihood on a fixed list of met pairs.

    ``wi[r, k]`` / ``wj[r, k]`` are the wins of ``ii[k]`` / ``jj[k]`` over the
    other in problem (bootstrap round) ``r``; ``prior[r]`` is its L2 penalty.
    Working on the pair list rather than the full matrix halves the work and
    exploits sparse designs (not every pair meets).
    """

    def __init__(
        self,
        n_items: int,
        ii: np.ndarray,
        jj: np.ndarray,
        wi: np.ndarray,
        wj: np.ndarray,
        prior: np.ndarray,
        incidence: csr_array | None = None,
    ) -> None:
        self.n = n_items
        self.ii, self.jj = ii, jj
        self.prior = prior
        # Per-pair data are stored pairs-major, (K, B): with the sparse incidence
        # products below this avoids fancy-index gathers over the whole batch.
        self.wi = np.ascontiguousarray(np.transpose(wi))
        self.wj = np.ascontiguousarray(np.transpose(wj))
        self.games = self.wi + self.wj
        # Incidence matrix (n, K): pair k -> +1 at ii[k], -1 at jj[k]. Its
        # transpose maps strengths to pair differences, itself scatters per-pair
        # quantities back onto items; both as one sparse product for the batch.
        if incidence is None:
            k = np.arange(ii.size)
            incidence = csr_array(
                (np.r_[np.ones(k.size), -np.ones(k.size)], (np.r_[ii, jj], np.r_[k, k])),
                shape=(n_items, ii.size),
            )
        self.incidence = incidence
        self.incidence_t = csr_array(incidence.T)
        self.degree = abs(incidence)

    @staticmethod
    def _rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Columns ``rows`` of a (K, B) array (no copy when all are wanted)."""
        return a if rows.size == a.shape[1] else a[:, rows]

    def _diff(self, theta: np.ndarray) -> np.ndarray:
        """theta[ii] - theta[jj] per pair, shape (K, len(theta))."""
        return self.incidence_t @ np.ascontiguousarray(theta.T)

    def objective(self, theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Negative penalised log-likelihood, shape (len(rows),)."""
        d = self._diff(theta)
        # wi*log(p) + wj*log(1-p) with log(1-p) = log(p) - d: one log_expit, not two.
        wj, games = self._rows(self.wj, rows), self._rows(self.games, rows)
        nll = (wj * d - games * log_expit(d)).sum(axis=0)
        return nll + 0.5 * self.prior[rows] * np.einsum("bm,bm->b", theta, theta)

    def _gradient(self, theta: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of :meth:`objective`, and P(ii beats jj) (K, B) for reuse."""
        # The logistic function via tanh: overflow-free and faster than expit.
        p = 0.5 + 0.5 * np.tanh(0.5 * self._diff(theta))
        # Score of pair k w.r.t. theta[ii]: observed minus expected wins.
        resid = self._rows(self.wi, rows) - self._rows(self.games, rows) * p
        grad = -(self.incidence @ resid).T + self.prior[rows, None] * theta
        return grad, p

    def gradient(self, theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`objective`, shape (len(rows), n)."""
        return self._gradient(theta, rows)[0]

    def derivatives(self, theta: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian of :meth:`objective`."""
        grad, p = self._gradient(theta, rows)
        # Fisher information: a weighted graph Laplacian plus the prior.
        info = self._rows(self.games, rows) * p * (1.0 - p)
        hess = np.zeros((theta.shape[0], self.n, self.n))
        hess[:, self.ii, self.jj] = -info.T
        hess[:, self.jj, self.ii] = -info.T
        diag = (self.degree @ info).T + self.prior[rows, None]
        hess[:, np.arange(self.n), np.arange(self.n)] = diag
        return grad, hess

    def fit(
        self,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        hessian0: np.ndarray | None = None,
    ) -> np.ndarray:
        """Penalised MLE for every problem, each centred to mean 0.

        ``hessian0`` (e.g. the full-data Hessian for bootstrap rounds) enables
        the fixed-Hessian phase of :func:`_chord` before Newton's method.
        """
        # Centre the start: the optimum has mean 0 (the likelihood ignores a
        # shift; the prior, if any, is minimised at mean 0) and Newton steps
        # with the gauge fix below preserve the mean.
        theta = theta0 - theta0.mean(axis=1, keepdims=True)
        gauge = np.full(self.n, 1.0 / math.sqrt(self.n))
        rest = np.arange(theta.shape[0])
        if hessian0 is not None:
            theta, done = _chord(theta, self.gradient, hessian0, gauge=gauge, tol=tol)
            rest = np.flatnonzero(~done)
        if rest.size:
            sub = self.subset(rest)
            theta[rest] = _newton(
                theta[rest], sub.objective, sub.derivatives, gauge=gauge, tol=tol, max_iter=max_iter
            )
        return theta - theta.mean(axis=1, keepdims=True)

    def subset(self, rows: np.ndarray) -> _PairData:
        """The same pairs restricted to some problems (rounds)."""
        return _PairData(
            self.n,
            self.ii,
            self.jj,
            self.wi[:, rows].T,
            self.wj[:, rows].T,
            self.prior[rows],
            incidence=self.incidence,
        )


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
    a ``RuntimeWarning`` is issued; :func:`rank_models` reports the prior
    actually used in :attr:`Ranking.prior`.

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
    ii, jj, wi, wj = _pairs_from_wins(w)
    data = _PairData(n, ii, jj, wi[None], wj[None], np.array([used]))
    return data.fit(theta0, tol=tol, max_iter=max_iter)[0]


def bootstrap_ratings(
    n_items: int,
    a: ArrayLike,
    b: ArrayLike,
    a_wins: ArrayLike,
    b_wins: ArrayLike,
    ties: ArrayLike,
    *,
    n_rounds: int = 1000,
    prior: float = 0.0,
    seed: int | np.random.Generator | None = 0,
    initial: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    """Bootstrap distribution of Bradley-Terry strengths.

    Each round redraws all votes at once: a multinomial with ``total`` trials
    (the number of votes) over every (pair, outcome) cell, with probabilities
    ``count / total``. This is the ordinary vote-level bootstrap, done on the
    aggregated counts. Each round is refitted by Newton's method, warm-started
    from the full-data estimate, and rounds are solved in vectorised batches.

    Parameters
    ----------
    n_items : int
        Number of models.
    a, b, a_wins, b_wins, ties : array_like, shape (k,)
        Aggregated rows as for :func:`win_matrix`. Counts must be whole
        numbers (they are vote counts).
    n_rounds : int, optional
        Number of bootstrap rounds.
    prior : float, optional
        L2 penalty as in :func:`fit_bradley_terry`. With ``prior == 0``, a
        round whose resampled data have no finite MLE (e.g. a model that lost
        once in the data lost zero times in the round) is fitted with the
        fallback prior instead, silently; such rounds put large values in the
        tails, which is the honest answer.
    seed : int, numpy.random.Generator or None, optional
        Seed or generator for the resampling; the same seed gives the same
        samples.
    initial : numpy.ndarray, optional
        Full-data estimate to warm-start from; computed if not given.
    tol, max_iter : optional
        Passed to the Newton solver of each round.

    Returns
    -------
    samples : numpy.ndarray, shape (n_rounds, n_items)
        One row of mean-0 log-strengths per round.

    Raises
    ------
    ValueError
        On invalid rows, non-integer counts, or no votes with >= 2 models.
    """
    ai, bi, aw, bw, t = _pair_rows(n_items, a, b, a_wins, b_wins, ties)
    if int(n_rounds) != n_rounds or n_rounds < 0:
        raise ValueError(f"n_rounds must be a non-negative integer, got {n_rounds!r}")
    for name, x in (("a_wins", aw), ("b_wins", bw), ("ties", t)):
        if np.any(x != np.round(x)):
            raise ValueError(f"{name} must be whole numbers of votes to bootstrap")
    rng = np.random.default_rng(seed)
    if n_items == 1:
        return np.zeros((n_rounds, 1))
    w = win_matrix(n_items, ai, bi, aw, bw, t)
    if not np.any(w):
        raise ValueError(
            f"no comparisons: cannot rank {n_items} models without any votes between them"
        )
    if initial is None:
        with warnings.catch_warnings():
            # The fallback is the caller's business here; rank_models reports it.
            warnings.simplefilter("ignore", RuntimeWarning)
            initial = fit_bradley_terry(w, prior=prior, tol=tol, max_iter=max_iter)
    used = _effective_prior(w, prior)
    theta_full = np.asarray(initial, dtype=float)

    # Canonical cells: one row per met pair (i < j) with counts
    # (i beat j, j beat i, tie). Merging repeated / flipped rows does not
    # change the multinomial (a sum of multinomial cells is a multinomial cell).
    lo, hi = np.minimum(ai, bi), np.maximum(ai, bi)
    flip = ai > bi
    cells = np.stack([np.where(flip, bw, aw), np.where(flip, aw, bw), t], axis=1)
    key = lo * n_items + hi
    uniq, inverse = np.unique(key, return_inverse=True)
    merged = np.zeros((uniq.size, 3))
    np.add.at(merged, inverse.ravel(), cells)
    keep = merged.sum(axis=1) > 0
    uniq, merged = uniq[keep], merged[keep]
    ii, jj = uniq // n_items, uniq % n_items
    total = int(merged.sum())
    probs = (merged / total).ravel()
    nonempty = np.flatnonzero(probs)
    wi_full = merged[:, 0] + 0.5 * merged[:, 2]
    wj_full = merged[:, 1] + 0.5 * merged[:, 2]

    # Full-data Hessian at the estimate, shared by all rounds' first steps.
    full = _PairData(n_items, ii, jj, wi_full[None], wj_full[None], np.array([used]))
    hessian0 = full.derivatives(theta_full[None], np.array([0]))[1][0]
    out = np.empty((n_rounds, n_items))
    batch = max(1, _BATCH_ELEMENTS // max(3 * uniq.size, n_items * n_items))
    for start in range(0, n_rounds, batch):
        size = min(batch, n_rounds - start)
        # Draw only the non-empty cells (cost grows with the number of cells).
        draws = np.zeros((size, probs.size))
        draws[:, nonempty] = rng.multinomial(total, probs[nonempty], size=size)
        draws = draws.reshape(size, -1, 3)
        wi = draws[:, :, 0] + 0.5 * draws[:, :, 2]
        wj = draws[:, :, 1] + 0.5 * draws[:, :, 2]
        priors = np.full(size, used)
        if used == 0:
            # Rounds whose resample has no finite MLE get the fallback prior.
            # The full data are strongly connected (else used > 0) and a resample
            # can only lose "beat" edges, never gain one, so only rounds that
            # lost an edge need the (slower) graph check.
            lost = np.flatnonzero(
                np.any((wi == 0) & (wi_full > 0), axis=1)
                | np.any((wj == 0) & (wj_full > 0), axis=1)
            )
            if lost.size:
                ok = _strongly_connected_batch(n_items, ii, jj, wi[lost], wj[lost])
                priors[lost[~ok]] = _FALLBACK_PRIOR
        data = _PairData(n_items, ii, jj, wi, wj, priors)
        theta0 = np.broadcast_to(theta_full, (size, n_items))
        out[start : start + size] = data.fit(theta0, tol=tol, max_iter=max_iter, hessian0=hessian0)
    return out


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


@dataclass(frozen=True, eq=False)  # eq=False: array fields make == ambiguous
class Ranking:
    """A fitted leaderboard; every array has one entry per model.

    Attributes
    ----------
    theta : numpy.ndarray
        Bradley-Terry log-strengths, mean 0.
    elo : numpy.ndarray
        ``to_elo(theta)``.
    elo_low, elo_high : numpy.ndarray
        Bootstrap percentile interval of ``elo`` (nan without bootstrap).
    rank : numpy.ndarray
        Competition rank of ``theta`` (1 = best).
    games : numpy.ndarray
        Comparisons per model, ties included.
    win_rate : numpy.ndarray
        ``(wins + 0.5 * ties) / games``; nan for a model with no games.
    components : list of list of int
        Connected components of the comparison graph; more than one means
        ratings across components are not comparable (the UI should warn,
        naming the models).
    prior : float
        L2 prior actually used (differs from the requested 0 when the plain
        MLE did not exist).
    """

    theta: np.ndarray
    elo: np.ndarray
    elo_low: np.ndarray
    elo_high: np.ndarray
    rank: np.ndarray
    games: np.ndarray
    win_rate: np.ndarray
    components: list[list[int]]
    prior: float


def rank_models(
    n_items: int,
    a: ArrayLike,
    b: ArrayLike,
    a_wins: ArrayLike,
    b_wins: ArrayLike,
    ties: ArrayLike,
    *,
    n_bootstrap: int = 1000,
    level: float = 0.95,
    prior: float = 0.0,
    seed: int | np.random.Generator | None = 0,
) -> Ranking:
    """Fit, bootstrap and summarise a leaderboard from aggregated counts.

    Parameters
    ----------
    n_items : int
        Number of models.
    a, b, a_wins, b_wins, ties : array_like, shape (k,)
        Aggregated rows as for :func:`win_matrix` ("both bad" in ties).
    n_bootstrap : int, optional
        Bootstrap rounds for the intervals; 0 skips them (intervals are nan).
    level : float, optional
        Interval coverage.
    prior : float, optional
        L2 penalty; see :func:`fit_bradley_terry` for the fallback at 0.
    seed : int, numpy.random.Generator or None, optional
        Bootstrap seed.

    Returns
    -------
    Ranking

    Raises
    ------
    ValueError
        On invalid rows, or no votes at all with two or more models.
    """
    ai, bi, aw, bw, t = _pair_rows(n_items, a, b, a_wins, b_wins, ties)
    w = win_matrix(n_items, ai, bi, aw, bw, t)
    used = _effective_prior(w, prior)  # a single model needs none: stays as given
    theta = fit_bradley_terry(w, prior=used)
    elo = to_elo(theta)
    if n_bootstrap > 0:
        samples = bootstrap_ratings(
            n_items, ai, bi, aw, bw, t, n_rounds=n_bootstrap, prior=used, seed=seed, initial=theta
        )
        # Samples are mean-0 like theta, so their Elo uses the same offset.
        elo_low, elo_high = percentile_intervals(to_elo(samples), level)
    else:
        elo_low = elo_high = np.full(n_items, np.nan)
    games = (w + w.T).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(games > 0, w.sum(axis=1) / games, np.nan)
    return Ranking(
        theta=theta,
        elo=elo,
        elo_low=elo_low,
        elo_high=elo_high,
        # Ratings that agree to 1e-8 log-units (~2e-6 Elo) are equal up to solver noise.
        rank=rank_order(theta, tol=1e-8),
        games=games,
        win_rate=win_rate,
        components=comparison_components(w),
        prior=used,
    )

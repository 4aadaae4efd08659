"""The joint model: strengths, left-side advantage, style and Davidson ties.

Model ``i`` has a log-strength ``theta[i]``; a row of battles has the linear
predictor ``theta[left] - theta[right] + beta + style . gamma`` and ties count
half a win each way or follow Davidson's model (``docs/statistics.md``).
:class:`JointModel` is its negative log-likelihood on aggregated rows, batched
over problems (bootstrap rounds), with closed-form derivatives for the Newton
solver; :func:`fit_bradley_terry` is the same model reduced to strengths alone.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_array
from scipy.special import log_expit

from blindside.ranking.battles import check_wins
from blindside.ranking.graph import effective_prior
from blindside.ranking.newton import chord, newton

if TYPE_CHECKING:
    from blindside.ranking.battles import Battles

# Ridge on the nuisance parameters (left advantage, style, log tie parameter).
# Far too weak to matter with data (one vote carries ~0.25 units of
# information), but keeps them finite under complete separation (e.g. the
# left answer won every single vote) instead of running off to infinity.
NUISANCE_PRIOR = 1e-6


class JointModel:
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
        shared: JointModel | None = None,
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

    def subset(self, probs: np.ndarray) -> JointModel:
        """The same rows restricted to some problems."""
        counts = np.stack([self.lw[:, probs], self.rw[:, probs], self.ties[:, probs]])
        return JointModel(
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
            + NUISANCE_PRIOR * np.einsum("bm,bm->b", rest, rest)
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
        grad[:, self.n :] += NUISANCE_PRIOR * x[:, self.n :]
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
        hess[:, rest, rest] += NUISANCE_PRIOR
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
        enables the chord phase of :func:`chord` before Newton's method.
        """
        x = np.array(x0, dtype=float, copy=True)
        x[:, : self.n] -= x[:, : self.n].mean(axis=1, keepdims=True)
        gauge = self.gauge()
        rest = np.arange(x.shape[0])
        if inverse0 is not None:
            x, done = chord(x, self.gradient, inverse0, tol=tol)
            rest = np.flatnonzero(~done)
        if rest.size:
            sub = self.subset(rest) if rest.size < x.shape[0] else self
            x[rest] = newton(
                x[rest], sub.objective, sub.derivatives, gauge=gauge, tol=tol, max_iter=max_iter
            )
        x[:, : self.n] -= x[:, : self.n].mean(axis=1, keepdims=True)
        return x


def design_matrix(battles: Battles, position_bias: bool, style: bool) -> np.ndarray:
    """Columns of Z: a constant for the left advantage, then the style covariates."""
    cols = [np.zeros((battles.left.size, 0))]
    if position_bias:
        cols.append(np.ones((battles.left.size, 1)))
    if style:
        cols.append(battles.style)
    return np.concatenate(cols, axis=1)


def identified(model: JointModel, columns: np.ndarray) -> np.ndarray:
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
    prior (1e-3, see :data:`~blindside.ranking.graph.FALLBACK_PRIOR`) is
    applied instead of diverging and a ``RuntimeWarning`` is issued;
    :func:`~blindside.ranking.rank_battles` reports the prior actually used in
    :attr:`~blindside.ranking.Ranking.prior`.

    This is the joint model of :func:`~blindside.ranking.rank_battles` reduced
    to strengths alone (no left advantage, no style, ties as halves), fitted by
    the same Newton solver.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n)
        ``wins[i, j]`` = times ``i`` beat ``j`` (ties as halves), e.g. from
        :func:`~blindside.ranking.win_matrix`.
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
    w = check_wins(wins)
    n = w.shape[0]
    if n == 1:
        return np.zeros(1)  # nothing to compare, nothing unknown
    if not np.any(w):
        raise ValueError(f"no comparisons: cannot rank {n} models without any votes between them")
    used = effective_prior(w, prior)
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
    model = JointModel(
        n, ii, jj, counts, np.zeros((ii.size, 0)), davidson=False, prior=np.array([used])
    )
    return model.fit(theta0, tol=tol, max_iter=max_iter)[0, :n]

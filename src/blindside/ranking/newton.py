"""Damped Newton for batches of small convex problems, and its fixed-Hessian variant.

Every fit in this package minimises a negative log-likelihood with few
parameters (models, not votes), so the dense Hessian is cheap and Newton
converges in a handful of steps. The bootstrap solves many such problems at
once: :func:`newton` takes a batch, and :func:`chord` reuses one Hessian for a
batch of small perturbations of the same data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def newton(
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


def chord(
    x0: np.ndarray,
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray],
    inverse: np.ndarray,
    *,
    tol: float,
    max_iter: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps with one fixed Hessian for a batch of similar problems.

    ``inverse`` is ``(H0 + v v^T)^-1`` for the shared Hessian ``H0`` and the
    gauge ``v`` (see :func:`newton`), computed once by the caller (the
    bootstrap shares it between batches). It is symmetric, so the row-vector
    form ``g @ inverse`` is the step.

    Bootstrap rounds are small perturbations of the full data, so the
    full-data Hessian is a good stand-in for each round's own: iterating
    ``x -= H0^{-1} g(x)`` converges linearly at a fast rate and skips the
    per-round Hessian builds and solves that dominate a Newton step. A problem
    leaves this phase (unchanged by the offending step) as soon as a step is
    large or fails to shrink by half, and is then finished by :func:`newton`.

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

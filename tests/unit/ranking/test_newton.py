"""blindside.ranking.newton: damped Newton and chord steps on batches of problems."""

from __future__ import annotations

import numpy as np
import pytest

from blindside.ranking.newton import chord, newton


def _quartic(centres: np.ndarray):
    """Convex problems sum((x - c)^2 + (x - c)^4 / 4), one per row of ``centres``."""

    def objective(x, rows):
        u = x - centres[rows]
        return (u**2 + u**4 / 4).sum(axis=1)

    def gradient(x, rows):
        u = x - centres[rows]
        return 2 * u + u**3

    def derivatives(x, rows):
        u = x - centres[rows]
        hess = np.zeros((len(rows), x.shape[1], x.shape[1]))
        idx = np.arange(x.shape[1])
        hess[:, idx, idx] = 2 + 3 * u**2
        return gradient(x, rows), hess

    return objective, gradient, derivatives


def test_newton_solves_each_problem_of_a_batch():
    centres = np.random.default_rng(0).normal(scale=5, size=(6, 3))
    objective, _, derivatives = _quartic(centres)
    x = newton(np.zeros((6, 3)), objective, derivatives, gauge=None, tol=1e-12, max_iter=100)
    np.testing.assert_allclose(x, centres, atol=1e-10)


def test_newton_says_when_it_did_not_converge():
    objective, _, derivatives = _quartic(np.full((2, 2), 50.0))
    with pytest.raises(RuntimeError, match="did not converge"):
        newton(np.zeros((2, 2)), objective, derivatives, gauge=None, tol=1e-12, max_iter=2)


def test_chord_steps_converge_near_the_shared_hessian_and_hand_over_otherwise():
    centres = np.array([[0.01, -0.02], [0.02, 0.0], [8.0, -8.0]])
    _, gradient, _ = _quartic(centres)
    inverse = np.linalg.inv(2 * np.eye(2))  # the Hessian at the origin
    x, done = chord(np.zeros((3, 2)), gradient, inverse, tol=1e-12)
    assert done.tolist() == [True, True, False]  # the far problem is left to Newton
    np.testing.assert_allclose(x[:2], centres[:2], atol=1e-10)
    assert np.all(np.isfinite(x[2]))

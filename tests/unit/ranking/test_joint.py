"""blindside.ranking.joint: fit_bradley_terry against hand-computed and choix results."""

from __future__ import annotations

import math
import warnings

import choix
import numpy as np
import pytest

from blindside.ranking import (
    ThinDataWarning,
    comparison_components,
    fit_bradley_terry,
    win_matrix,
)
from tests.unit.ranking.simulate import (
    rank_unordered,
    rows_of,
    simulate_all_pairs,
)

LN2 = math.log(2)


def test_hand_computed_three_models():
    # Strengths proportional to (4, 2, 1): P(A>B) = 4/6 = 2/3, P(B>C) = 2/3,
    # P(A>C) = 4/5. The counts below have exactly these empirical rates. The
    # score equation for model i is sum_j W[i, j] = sum_j N[i, j] * P(i > j);
    # since every pair's observed wins equal N * P, each term cancels, so
    # theta = log(4, 2, 1) solves it, and the likelihood is strictly concave
    # (connected graph, mean-0 gauge), so that solution is the unique MLE.
    w = win_matrix(3, [0, 1, 0], [1, 2, 2], [2, 2, 4], [1, 1, 1], [0, 0, 0])
    theta = fit_bradley_terry(w)
    assert theta[0] - theta[1] == pytest.approx(LN2, abs=1e-9)
    assert theta[1] - theta[2] == pytest.approx(LN2, abs=1e-9)
    assert theta.sum() == pytest.approx(0, abs=1e-12)
    expected = np.log([4, 2, 1]) - np.log([4, 2, 1]).mean()
    np.testing.assert_allclose(theta, expected, atol=1e-9)


def test_matches_choix_on_random_matrix():
    rng = np.random.default_rng(7)
    w = rng.integers(1, 15, (7, 7)).astype(float)  # every pair met both ways: finite MLE
    ties = np.triu(rng.integers(0, 4, (7, 7)), 1)
    w += 0.5 * (ties + ties.T)  # tie halves, as win_matrix makes them
    np.fill_diagonal(w, 0)
    ours = fit_bradley_terry(w)
    ref = choix.ilsr_pairwise_dense(w, tol=1e-13, max_iter=10_000)
    np.testing.assert_allclose(ours, ref - ref.mean(), atol=1e-6)


def test_matches_choix_with_prior():
    # choix.opt_pairwise penalises alpha * ||theta||^2, ours prior / 2 * ||theta||^2.
    rng = np.random.default_rng(3)
    data = [tuple(rng.choice(5, 2, replace=False)) for _ in range(40)]
    w = np.zeros((5, 5))
    for winner, loser in data:
        w[winner, loser] += 1
    ours = fit_bradley_terry(w, prior=0.2)
    ref = choix.opt_pairwise(5, data, alpha=0.1, method="Newton-CG", tol=1e-12)
    np.testing.assert_allclose(ours, ref - ref.mean(), atol=1e-6)


def test_symmetric_results_give_equal_ratings():
    # Every pair split 5-5 (rock-paper-scissors would also do).
    a, b = np.triu_indices(4, 1)
    w = win_matrix(4, a, b, np.full(6, 5), np.full(6, 5), np.zeros(6))
    np.testing.assert_allclose(fit_bradley_terry(w), 0, atol=1e-12)
    cyc = win_matrix(3, [0, 1, 2], [1, 2, 0], [3, 3, 3], [1, 1, 1], [0, 0, 0])
    np.testing.assert_allclose(fit_bradley_terry(cyc), 0, atol=1e-12)


def test_all_ties_give_equal_ratings():
    rows = ([0, 1, 0], [1, 2, 2], [0, 0, 0], [0, 0, 0], [4, 7, 1])
    np.testing.assert_allclose(fit_bradley_terry(win_matrix(3, *rows)), 0, atol=1e-12)
    with pytest.warns(ThinDataWarning, match="every vote is a tie"):
        ranking = rank_unordered(3, rows, n_bootstrap=50)
    np.testing.assert_allclose(ranking.theta, 0, atol=1e-12)
    np.testing.assert_array_equal(ranking.rank, [1, 1, 1])
    np.testing.assert_allclose(ranking.win_rate, 0.5)
    assert ranking.prior == 0.0  # ties link both ways: the plain MLE exists


def test_unbeaten_model_is_finite_and_on_top():
    w = win_matrix(3, [0, 0, 1], [1, 2, 2], [10, 10, 5], [0, 0, 5], [0, 0, 0])
    with pytest.warns(RuntimeWarning, match="prior"):
        theta = fit_bradley_terry(w)  # no finite MLE: fallback prior
    assert np.all(np.isfinite(theta))
    assert theta[0] > theta[1] + 3
    assert theta[1] == pytest.approx(theta[2], abs=1e-9)
    # An explicit prior is used as given, silently, and shrinks harder.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shrunk = fit_bradley_terry(w, prior=1.0)
    assert 0 < shrunk[0] < theta[0]
    with pytest.warns(ThinDataWarning, match="Fisher"):
        ranking = rank_unordered(3, ([0, 0, 1], [1, 2, 2], [10, 10, 5], [0, 0, 5], [0, 0, 0]))
    assert ranking.prior > 0 and ranking.interval_method == "fisher"
    assert ranking.rank.tolist() == [1, 2, 2]
    assert np.all(np.isfinite(ranking.elo_low)) and np.all(np.isfinite(ranking.elo_high))


def test_disconnected_graph():
    # {0, 1} and {2, 3} never met.
    rows = rows_of({(0, 1): (6, 2, 1), (2, 3): (3, 3, 0)})
    w = win_matrix(4, *rows)
    assert comparison_components(w) == [[0, 1], [2, 3]]
    with pytest.warns(ThinDataWarning, match="never compared"):
        ranking = rank_unordered(4, rows, n_bootstrap=100)
    assert len(ranking.components) == 2
    assert ranking.prior > 0
    assert np.all(np.isfinite(ranking.theta)) and np.all(np.isfinite(ranking.elo_high))
    # The weak prior centres each component and barely moves the in-component gap.
    assert ranking.theta[0] + ranking.theta[1] == pytest.approx(0, abs=1e-9)
    assert ranking.theta[0] - ranking.theta[1] == pytest.approx(math.log(6.5 / 2.5), rel=0.01)
    assert ranking.theta[2] == pytest.approx(ranking.theta[3], abs=1e-9)


def test_warm_start_gives_same_answer():
    rng = np.random.default_rng(1)
    w = win_matrix(6, *simulate_all_pairs(rng.normal(size=6), 30, rng))
    cold = fit_bradley_terry(w)
    np.testing.assert_allclose(fit_bradley_terry(w, initial=cold + 5), cold, atol=1e-10)
    np.testing.assert_allclose(fit_bradley_terry(w, initial=rng.normal(size=6)), cold, atol=1e-10)

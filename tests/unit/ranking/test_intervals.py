"""blindside.ranking.intervals: percentile and Wald intervals, ranks, rank ranges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blindside.ranking import (
    ELO_SCALE,
    Battles,
    percentile_intervals,
    rank_battles,
    rank_order,
    rank_ranges,
)
from tests.unit.ranking.simulate import (
    simulate_battles,
)


def test_percentile_intervals():
    samples = np.arange(1001, dtype=float)[:, None] * np.array([1.0, -1.0])
    low, high = percentile_intervals(samples, 0.9)
    np.testing.assert_allclose(low, [50, -950])
    np.testing.assert_allclose(high, [950, -50])
    with pytest.raises(ValueError, match="level"):
        percentile_intervals(samples, 1.0)


def test_rank_order_ties_share_better_rank():
    assert rank_order(np.array([1.0, 3.0, 3.0, 2.0])).tolist() == [4, 1, 1, 3]
    assert rank_order(np.array([5.0])).tolist() == [1]
    assert rank_order(np.array([1.0, 1.0 + 1e-12, 0.5]), tol=1e-9).tolist() == [1, 1, 3]
    assert rank_order(np.array([1.0, 1.0 + 1e-12, 0.5])).tolist() == [2, 1, 3]


def test_rank_ranges_hand_example():
    #        A            B            C            D
    low = np.array([10.0, 5.0, 0.0, -20.0])
    high = np.array([20.0, 12.0, 8.0, -10.0])
    best, worst = rank_ranges(low, high)
    # A: nobody surely above; B and C overlap it? B's high 12 >= A's low 10, C's 8 < 10.
    assert best.tolist() == [1, 1, 2, 4]
    assert worst.tolist() == [2, 3, 3, 4]
    r = rank_battles(simulate_battles(np.array([1.0, 0.0, -1.0]), 3000, np.random.default_rng(1)))
    assert np.all(r.rank_best <= r.rank) and np.all(r.rank <= r.rank_worst)


def test_sandwich_equals_fisher_without_ties_and_shrinks_with_ties():
    # One pair, 30-10: var(theta0 - theta1) = 1 / (N p (1 - p)) = 1 / 7.5 for
    # Fisher, and the sandwich J / H^2 is the same because J = L(1-p)^2 + Rp^2
    # = N p (1 - p) at p = L / N. Centred, theta0 = +gap / 2.
    z = 1.959963984540054
    b = Battles(2, [0], [1], [30], [10], [0], position_known=False)
    half_width = z * ELO_SCALE * math.sqrt(1 / 7.5) / 2
    for method in ("sandwich", "fisher"):
        r = rank_battles(b, intervals=method)
        assert r.elo_high[0] - r.elo[0] == pytest.approx(half_width, rel=1e-8)
        assert r.elo[0] - r.elo_low[0] == pytest.approx(half_width, rel=1e-8)
    # 10-10 with 20 ties: H = 40 / 4 = 10, J = 10/4 + 10/4 + 20 * 0 = 5: a tie
    # scores exactly its expectation, so the sandwich variance is J / H^2 =
    # 0.05, half the model-based 1 / H = 0.1.
    b = Battles(2, [0], [1], [10], [10], [20], position_known=False)
    sand = rank_battles(b, intervals="sandwich")
    fisher = rank_battles(b, intervals="fisher")
    assert sand.elo_high[0] - sand.elo[0] == pytest.approx(z * ELO_SCALE * math.sqrt(0.05) / 2)
    assert fisher.elo_high[0] - fisher.elo[0] == pytest.approx(z * ELO_SCALE * math.sqrt(0.1) / 2)


def test_interval_coverage_loose():
    # 40 simulations of 10 models x 5,000 votes; the full study is
    # benchmarks/bench_coverage.py. Bounds are wide: this guards against gross
    # miscalibration (e.g. a factor-2 error in the variance gives ~70% or ~99.9%).
    rng = np.random.default_rng(2024)
    truth = np.linspace(-1.2, 1.2, 10)
    elo_truth = 1000 + ELO_SCALE * (truth - truth.mean())
    hits = {"sandwich": [], "bootstrap": []}
    for sim in range(40):
        b = simulate_battles(truth, 5000, rng, beta=0.15)
        for method in hits:
            r = rank_battles(b, intervals=method, n_bootstrap=200, seed=sim)
            hits[method].append((r.elo_low <= elo_truth) & (elo_truth <= r.elo_high))
    for method, h in hits.items():
        assert 0.88 <= np.mean(h) <= 0.99, (method, np.mean(h))

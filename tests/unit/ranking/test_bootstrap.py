"""blindside.ranking.bootstrap: Poisson resampling and refits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blindside.ranking import (
    ELO_SCALE,
    Battles,
    rank_battles,
    to_elo,
)
from blindside.ranking import bootstrap as bootstrap_module
from blindside.ranking.joint import JointModel
from tests.unit.ranking.simulate import (
    rank_unordered,
    rows_of,
    simulate_all_pairs,
    simulate_battles,
)


def test_bootstrap_contains_estimate_and_narrows_with_data():
    rng = np.random.default_rng(5)
    a, b, aw, bw, t = simulate_all_pairs(np.array([0.8, 0.3, 0.0, -0.4, -0.7]), 12, rng)
    small = rank_unordered(5, (a, b, aw, bw, t), n_bootstrap=400, seed=1)
    big = rank_unordered(5, (a, b, 10 * aw, 10 * bw, 10 * t), n_bootstrap=400, seed=1)
    for r in (small, big):
        assert np.all(r.elo_low <= r.elo) and np.all(r.elo <= r.elo_high)
    # Same point estimate (same rates), ~1/sqrt(10) the width.
    np.testing.assert_allclose(big.theta, small.theta, atol=1e-9)
    ratio = (big.elo_high - big.elo_low) / (small.elo_high - small.elo_low)
    assert np.all(ratio < 0.5), ratio
    assert np.all(ratio > 0.15), ratio


def test_bootstrap_is_deterministic_with_seed():
    rng = np.random.default_rng(2)
    rows = simulate_all_pairs(rng.normal(size=4), 10, rng)
    r1, r2, r3 = (rank_unordered(4, rows, n_bootstrap=200, seed=s) for s in (11, 11, 12))
    np.testing.assert_array_equal(r1.elo_low, r2.elo_low)
    np.testing.assert_array_equal(r1.elo_high, r2.elo_high)
    assert not np.array_equal(r1.elo_low, r3.elo_low)


def test_bootstrap_rounds_are_exact_refits():
    # Each round must be the MLE of its own resample: with one pair, the
    # resample is two Poisson counts (k0, k1) and the gap is log(k0 / k1).
    counts = np.array([[[30.0]], [[10.0]], [[0.0]]])
    model = JointModel(
        2, np.array([0]), np.array([1]), counts, np.zeros((1, 0)), davidson=False,
        prior=np.zeros(1),
    )  # fmt: skip
    x_hat = model.fit(np.zeros((1, 2)), tol=1e-10)[0]
    assert x_hat[0] - x_hat[1] == pytest.approx(math.log(3), abs=1e-9)
    s = bootstrap_module.poisson_bootstrap(model, x_hat, 300, 4, fallback=True, tol=1e-10)
    # One batch: the same child generator and draws as inside _bootstrap.
    draws = bootstrap_module._poisson_resample(
        counts[:, 0, 0], 300, np.random.default_rng(4).spawn(1)[0]
    )
    ok = (draws[0] > 0) & (draws[1] > 0)  # else no finite MLE: fallback prior
    assert ok.mean() > 0.9
    gap = s[:, 0] - s[:, 1]
    np.testing.assert_allclose(gap[ok], np.log(draws[0, ok] / draws[1, ok]), atol=1e-6)
    assert np.all(np.isfinite(gap))
    # Row orientation of the input must not matter.
    one = rank_unordered(2, ([0], [1], [30], [10], [0]), n_bootstrap=300, seed=4)
    flipped = rank_unordered(2, ([1], [0], [10], [30], [0]), n_bootstrap=300, seed=4)
    np.testing.assert_allclose(flipped.theta, one.theta, atol=1e-9)
    widths = [r.elo_high - r.elo_low for r in (one, flipped)]
    np.testing.assert_allclose(widths[0], widths[1], rtol=0.2)


def test_bootstrap_handles_rounds_without_finite_mle():
    # Model 2 lost only once: many resamples make it winless; those rounds
    # must use the fallback prior instead of diverging.
    rows = rows_of({(0, 1): (5, 5, 0), (0, 2): (7, 0, 0), (1, 2): (6, 1, 0)})
    r = rank_unordered(3, rows, n_bootstrap=300, seed=0)
    assert r.prior == 0.0  # the full data have a finite MLE
    assert np.all(np.isfinite(r.elo_low)) and np.all(np.isfinite(r.elo_high))
    assert r.elo_high[2] - r.elo_low[2] > ELO_SCALE * 1.0  # honest: very uncertain


def test_bootstrap_coverage():
    # Loose calibration check on unordered data (no position term): the 95%
    # percentile interval of each model's centred strength should contain the
    # truth most of the time.
    rng = np.random.default_rng(2024)
    truth = np.array([1.0, 0.5, 0.0, -0.3, -1.2])
    elo_truth = to_elo(truth)
    hits = []
    for sim in range(40):
        r = rank_unordered(5, simulate_all_pairs(truth, 25, rng), n_bootstrap=200, seed=sim)
        hits.append((r.elo_low <= elo_truth) & (elo_truth <= r.elo_high))
    coverage = np.mean(hits)
    assert 0.8 <= coverage <= 1.0, coverage


def test_bootstrap_is_seeded_and_thread_independent(monkeypatch):
    rng = np.random.default_rng(5)
    b = simulate_battles(np.array([0.5, 0.0, -0.5, 0.2]), 800, rng, beta=0.2)
    kwargs = {"intervals": "bootstrap", "n_bootstrap": 300}
    monkeypatch.setattr(bootstrap_module, "_BATCH_ELEMENTS", 5_000)  # several batches
    monkeypatch.setattr(bootstrap_module, "_THREADS", 1)
    one = rank_battles(b, seed=1, **kwargs)
    monkeypatch.setattr(bootstrap_module, "_THREADS", 2)
    two = rank_battles(b, seed=1, **kwargs)
    other = rank_battles(b, seed=2, **kwargs)
    np.testing.assert_array_equal(one.elo_low, two.elo_low)
    np.testing.assert_array_equal(one.elo_high, two.elo_high)
    assert not np.array_equal(one.elo_low, other.elo_low)


def test_poisson_resample_matches_poisson():
    rng = np.random.default_rng(0)
    counts = np.array([0.0, 1.0, 7.0, 128.0, 400.0])
    draws = bootstrap_module._poisson_resample(counts, 40_000, rng)
    assert draws.shape == (5, 40_000) and np.all(draws[0] == 0)
    assert np.all(draws == np.round(draws)) and np.all(draws >= 0)
    np.testing.assert_allclose(draws.mean(axis=1), counts, rtol=0.02, atol=0.02)
    np.testing.assert_allclose(draws.var(axis=1), counts, rtol=0.05, atol=0.02)
    # P(Poisson(1) = 0) = e^-1.
    assert np.mean(draws[1] == 0) == pytest.approx(math.exp(-1), abs=0.01)


def test_bootstrap_rejects_fractional_counts() -> None:
    battles = Battles(2, [0], [1], [1.5], [1.0], [0.0], position_known=False)
    with pytest.raises(ValueError, match="whole vote counts"):
        rank_battles(battles, intervals="bootstrap", n_bootstrap=10)
    assert rank_battles(battles).elo.shape == (2,)  # sandwich intervals take any counts


def test_sandwich_and_bootstrap_agree_roughly():
    rng = np.random.default_rng(11)
    truth = np.array([0.9, 0.4, 0.0, -0.2, -0.5, -0.6])
    b = simulate_battles(truth, 3000, rng, beta=0.1)
    sand = rank_battles(b)
    boot = rank_battles(b, intervals="bootstrap", n_bootstrap=400, seed=3)
    np.testing.assert_allclose(boot.theta, sand.theta)  # same point estimate
    width_s, width_b = sand.elo_high - sand.elo_low, boot.elo_high - boot.elo_low
    np.testing.assert_allclose(width_b / width_s, 1.0, atol=0.2)
    beta_s = sand.left_advantage_high - sand.left_advantage_low
    beta_b = boot.left_advantage_high - boot.left_advantage_low
    assert beta_b / beta_s == pytest.approx(1.0, abs=0.2)

"""Unit tests for blindside.ranking (Bradley-Terry fit, intervals, display helpers)."""

from __future__ import annotations

import math
import warnings

import choix
import numpy as np
import pytest

from blindside.ranking import (
    ELO_SCALE,
    Battles,
    Ranking,
    comparison_components,
    fit_bradley_terry,
    percentile_intervals,
    rank_battles,
    rank_order,
    rank_ranges,
    to_elo,
    win_matrix,
    win_probabilities,
)
from blindside.ranking import bootstrap as bootstrap_module
from blindside.ranking.joint import JointModel

LN2 = math.log(2)


def _rows(pairs: dict[tuple[int, int], tuple[int, int, int]]):
    """(a, b, a_wins, b_wins, ties) arrays from {(a, b): (a_wins, b_wins, ties)}."""
    a, b = zip(*pairs, strict=True)
    aw, bw, t = zip(*pairs.values(), strict=True)
    return np.array(a), np.array(b), np.array(aw), np.array(bw), np.array(t)


def _unordered(n: int, rows, **kwargs) -> Ranking:
    """rank_battles on unordered (a, b, a_wins, b_wins, ties) rows (no position term)."""
    kwargs.setdefault("intervals", "bootstrap")
    return rank_battles(Battles.from_unordered(n, *rows), **kwargs)


def _simulate(theta: np.ndarray, games_per_pair: int, rng: np.random.Generator):
    """All-pairs counts drawn from the Bradley-Terry model, with ties.

    A tie scores half a win, so to stay inside the model the tie probability
    is taken out of both sides such that the expected score of a is still
    p = P(a beats b): P(tie) = 0.4 min(p, 1 - p), P(a wins) = p - P(tie) / 2.
    """
    a, b = np.triu_indices(theta.size, 1)
    p = 1 / (1 + np.exp(theta[b] - theta[a]))
    tie = 0.4 * np.minimum(p, 1 - p)
    probs = np.stack([p - tie / 2, 1 - p - tie / 2, tie], axis=1)
    counts = np.array([rng.multinomial(games_per_pair, q) for q in probs])
    return a, b, counts[:, 0], counts[:, 1], counts[:, 2]


# ---------------------------------------------------------------- win_matrix


def test_win_matrix_orientation_ties_and_repeats():
    # Row 0: 0 beat 1 three times, lost once, one tie. Row 1 is the same pair
    # flipped: 1 beat 0 twice, 0 beat 1 never, two ties.
    w = win_matrix(3, [0, 1, 2], [1, 0, 0], [3, 2, 1], [1, 0, 0], [1, 2, 0])
    assert w[0, 1] == 3 + 0 + 0.5 * (1 + 2)
    assert w[1, 0] == 1 + 2 + 0.5 * (1 + 2)
    assert w[2, 0] == 1 and w[0, 2] == 0
    assert np.all(np.diag(w) == 0)
    assert w.sum() == 3 + 1 + 1 + 2 + 0 + 2 + 1  # every vote counted once


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((2, [0], [0], [1], [0], [0]), "itself"),
        ((2, [0], [2], [1], [0], [0]), "indices"),
        ((2, [0], [1], [-1], [0], [0]), "non-negative"),
        ((2, [0, 1], [1], [1], [0], [0]), "same length"),
    ],
)
def test_win_matrix_rejects_bad_rows(args, match):
    with pytest.raises(ValueError, match=match):
        win_matrix(*args)


# ---------------------------------------------------------------- fit


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
    ranking = _unordered(3, rows, n_bootstrap=50)
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
    ranking = _unordered(3, ([0, 0, 1], [1, 2, 2], [10, 10, 5], [0, 0, 5], [0, 0, 0]))
    assert ranking.prior > 0
    assert ranking.rank.tolist() == [1, 2, 2]
    assert np.all(np.isfinite(ranking.elo_low)) and np.all(np.isfinite(ranking.elo_high))


def test_disconnected_graph():
    # {0, 1} and {2, 3} never met.
    rows = _rows({(0, 1): (6, 2, 1), (2, 3): (3, 3, 0)})
    w = win_matrix(4, *rows)
    assert comparison_components(w) == [[0, 1], [2, 3]]
    ranking = _unordered(4, rows, n_bootstrap=100)
    assert len(ranking.components) == 2
    assert ranking.prior > 0
    assert np.all(np.isfinite(ranking.theta)) and np.all(np.isfinite(ranking.elo_high))
    # The weak prior centres each component and barely moves the in-component gap.
    assert ranking.theta[0] + ranking.theta[1] == pytest.approx(0, abs=1e-9)
    assert ranking.theta[0] - ranking.theta[1] == pytest.approx(math.log(6.5 / 2.5), rel=0.01)
    assert ranking.theta[2] == pytest.approx(ranking.theta[3], abs=1e-9)


def test_comparison_components_connected_and_isolated():
    w = win_matrix(4, [0, 1, 2], [1, 2, 0], [1, 0, 2], [0, 1, 0], [0, 0, 0])
    assert comparison_components(w) == [[0, 1, 2], [3]]  # 3 has no games
    w = win_matrix(3, [0, 1], [1, 2], [1, 0], [0, 0], [0, 1])
    assert comparison_components(w) == [[0, 1, 2]]


def test_one_model():
    ranking = _unordered(1, ([], [], [], [], []), n_bootstrap=20)
    assert ranking.elo.tolist() == [1000.0]
    assert ranking.elo_low.tolist() == [1000.0] and ranking.elo_high.tolist() == [1000.0]
    assert ranking.rank.tolist() == [1]
    assert ranking.games.tolist() == [0]
    assert np.isnan(ranking.win_rate[0])
    assert ranking.components == [[0]]


def test_no_votes_is_a_clear_error():
    with pytest.raises(ValueError, match="no votes in this selection"):
        _unordered(3, ([], [], [], [], []))
    with pytest.raises(ValueError, match="no votes in this selection"):
        _unordered(2, ([0], [1], [0], [0], [0]))  # a row with zero counts
    with pytest.raises(ValueError, match="no comparisons"):
        fit_bradley_terry(np.zeros((2, 2)))


def test_warm_start_gives_same_answer():
    rng = np.random.default_rng(1)
    w = win_matrix(6, *_simulate(rng.normal(size=6), 30, rng))
    cold = fit_bradley_terry(w)
    np.testing.assert_allclose(fit_bradley_terry(w, initial=cold + 5), cold, atol=1e-10)
    np.testing.assert_allclose(fit_bradley_terry(w, initial=rng.normal(size=6)), cold, atol=1e-10)


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_contains_estimate_and_narrows_with_data():
    rng = np.random.default_rng(5)
    a, b, aw, bw, t = _simulate(np.array([0.8, 0.3, 0.0, -0.4, -0.7]), 12, rng)
    small = _unordered(5, (a, b, aw, bw, t), n_bootstrap=400, seed=1)
    big = _unordered(5, (a, b, 10 * aw, 10 * bw, 10 * t), n_bootstrap=400, seed=1)
    for r in (small, big):
        assert np.all(r.elo_low <= r.elo) and np.all(r.elo <= r.elo_high)
    # Same point estimate (same rates), ~1/sqrt(10) the width.
    np.testing.assert_allclose(big.theta, small.theta, atol=1e-9)
    ratio = (big.elo_high - big.elo_low) / (small.elo_high - small.elo_low)
    assert np.all(ratio < 0.5), ratio
    assert np.all(ratio > 0.15), ratio


def test_bootstrap_is_deterministic_with_seed():
    rng = np.random.default_rng(2)
    rows = _simulate(rng.normal(size=4), 10, rng)
    r1, r2, r3 = (_unordered(4, rows, n_bootstrap=200, seed=s) for s in (11, 11, 12))
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
    one = _unordered(2, ([0], [1], [30], [10], [0]), n_bootstrap=300, seed=4)
    flipped = _unordered(2, ([1], [0], [10], [30], [0]), n_bootstrap=300, seed=4)
    np.testing.assert_allclose(flipped.theta, one.theta, atol=1e-9)
    widths = [r.elo_high - r.elo_low for r in (one, flipped)]
    np.testing.assert_allclose(widths[0], widths[1], rtol=0.2)


def test_bootstrap_handles_rounds_without_finite_mle():
    # Model 2 lost only once: many resamples make it winless; those rounds
    # must use the fallback prior instead of diverging.
    rows = _rows({(0, 1): (5, 5, 0), (0, 2): (7, 0, 0), (1, 2): (6, 1, 0)})
    r = _unordered(3, rows, n_bootstrap=300, seed=0)
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
        r = _unordered(5, _simulate(truth, 25, rng), n_bootstrap=200, seed=sim)
        hits.append((r.elo_low <= elo_truth) & (elo_truth <= r.elo_high))
    coverage = np.mean(hits)
    assert 0.8 <= coverage <= 1.0, coverage


# ---------------------------------------------------------------- display helpers


def test_percentile_intervals():
    samples = np.arange(1001, dtype=float)[:, None] * np.array([1.0, -1.0])
    low, high = percentile_intervals(samples, 0.9)
    np.testing.assert_allclose(low, [50, -950])
    np.testing.assert_allclose(high, [950, -50])
    with pytest.raises(ValueError, match="level"):
        percentile_intervals(samples, 1.0)


def test_to_elo_scale_and_anchor():
    theta = np.array([LN2, 0.0, -LN2]) + 3.0  # offset must not matter
    elo = to_elo(theta)
    np.testing.assert_allclose(elo, 1000 + ELO_SCALE * LN2 * np.array([1, 0, -1]))
    np.testing.assert_allclose(to_elo(np.array([math.log(10), 0.0]), base=0)[0], 200)
    anchored = to_elo(theta, base=1500, anchor=2)
    assert anchored[2] == 1500
    np.testing.assert_allclose(anchored[0] - anchored[2], 2 * ELO_SCALE * LN2)
    np.testing.assert_allclose(to_elo(theta, anchor=-1), to_elo(theta, anchor=2))
    # Row-wise on bootstrap samples.
    np.testing.assert_allclose(to_elo(np.stack([theta, theta - 1])), np.stack([elo, elo]))
    with pytest.raises(ValueError, match="anchor"):
        to_elo(theta, anchor=3)


def test_win_probabilities():
    p = win_probabilities(np.log([4.0, 2.0, 1.0]))
    np.testing.assert_allclose(np.diag(p), 0.5)
    np.testing.assert_allclose(p + p.T, 1.0)
    assert p[0, 1] == pytest.approx(2 / 3) and p[0, 2] == pytest.approx(4 / 5)


def test_rank_order_ties_share_better_rank():
    assert rank_order(np.array([1.0, 3.0, 3.0, 2.0])).tolist() == [4, 1, 1, 3]
    assert rank_order(np.array([5.0])).tolist() == [1]
    assert rank_order(np.array([1.0, 1.0 + 1e-12, 0.5]), tol=1e-9).tolist() == [1, 1, 3]
    assert rank_order(np.array([1.0, 1.0 + 1e-12, 0.5])).tolist() == [2, 1, 3]


def test_ranking_summary_fields():
    rows = _rows({(0, 1): (8, 2, 2), (1, 2): (5, 3, 0), (2, 0): (1, 6, 1)})
    r = _unordered(3, rows, n_bootstrap=100, seed=0)
    assert isinstance(r, Ranking)
    np.testing.assert_allclose(r.games, [12 + 8, 12 + 8, 8 + 8])
    # Model 0: 8 wins + 1 tie-half vs 1, 6 wins + 0.5 vs 2, over 20 games.
    assert r.win_rate[0] == pytest.approx((8 + 1 + 6 + 0.5) / 20)
    np.testing.assert_allclose(r.elo, to_elo(r.theta))
    assert r.rank.tolist() == rank_order(r.theta).tolist() == [1, 2, 3]
    assert r.components == [[0, 1, 2]] and r.prior == 0.0
    no_ci = _unordered(3, rows, n_bootstrap=0)
    assert np.all(np.isnan(no_ci.elo_low)) and np.all(np.isnan(no_ci.elo_high))


# ================================================================ rank_battles


def _battles(
    theta: np.ndarray,
    n_votes: int,
    rng: np.random.Generator,
    *,
    beta: float = 0.0,
    nu: float | None = None,
    gamma: float | None = None,
) -> Battles:
    """Votes drawn from the joint model, aggregated per (left, right[, style value]).

    ``nu=None``: the half-tie model, with ties taken out of both sides so that
    the expected score of the left answer stays sigmoid(d). Otherwise
    Davidson's model with tie parameter ``nu``. ``gamma``: one style covariate
    taking values in {-1, -0.5, 0, 0.5, 1}, with coefficient ``gamma``.
    """
    n = theta.size
    left = rng.integers(0, n, n_votes)
    right = (left + rng.integers(1, n, n_votes)) % n
    levels = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    s_idx = rng.integers(0, levels.size, n_votes) if gamma is not None else np.zeros(n_votes, int)
    d = theta[left] - theta[right] + beta + (gamma or 0.0) * levels[s_idx]
    if nu is None:
        p = 1 / (1 + np.exp(-d))
        p_tie = 0.3 * np.minimum(p, 1 - p)
        p_left = p - p_tie / 2
    else:
        z = np.exp(d / 2) + np.exp(-d / 2) + nu
        p_left, p_tie = np.exp(d / 2) / z, nu / z
    u = rng.random(n_votes)
    outcome = np.where(u < p_left, 0, np.where(u < p_left + p_tie, 2, 1))
    key = ((left * n + right) * levels.size + s_idx) * 3 + outcome
    counts = np.bincount(key, minlength=n * n * levels.size * 3).reshape(-1, 3).astype(float)
    rows = np.flatnonzero(counts.sum(axis=1))
    pair, s_row = rows // levels.size, rows % levels.size
    return Battles(
        n,
        pair // n,
        pair % n,
        counts[rows, 0],
        counts[rows, 1],
        counts[rows, 2],
        style=levels[s_row][:, None] if gamma is not None else None,
        style_names=("length",) if gamma is not None else (),
    )


def test_battles_validates_and_normalises():
    b = Battles(3, [0, 1], [1, 2], [1, 2], [0, 1], [1, 0])
    assert b.left.dtype == np.int64 and b.left_wins.dtype == np.float64
    assert b.total == 5 and b.position_known and b.style is None
    assert not Battles.from_unordered(3, [0], [1], [1], [0], [0]).position_known
    with pytest.raises(ValueError, match="itself"):
        Battles(2, [0], [0], [1], [0], [0])
    with pytest.raises(ValueError, match="style"):
        Battles(2, [0], [1], [1], [0], [0], style=np.zeros((2, 1)))
    named = Battles(2, [0], [1], [1], [0], [0], style=np.zeros(1))
    assert named.style.shape == (1, 1) and named.style_names == ("style_0",)


def test_rank_battles_hand_computed_three_models():
    # As test_hand_computed_three_models: theta = log(4, 2, 1) exactly.
    battles = Battles.from_unordered(3, [0, 1, 0], [1, 2, 2], [2, 2, 4], [1, 1, 1], [0, 0, 0])
    r = rank_battles(battles)
    expected = np.log([4, 2, 1]) - np.log([4, 2, 1]).mean()
    np.testing.assert_allclose(r.theta, expected, atol=1e-9)
    np.testing.assert_allclose(r.elo, 1000 + ELO_SCALE * expected, atol=1e-6)
    assert r.left_advantage_elo is None  # no position information: not fitted
    assert r.interval_method == "sandwich" and r.tie_model == "half" and r.tie_param is None
    assert r.win_prob[0, 1] == pytest.approx(2 / 3) and r.win_prob[0, 2] == pytest.approx(4 / 5)
    np.testing.assert_allclose(r.win_prob + r.win_prob.T, 1.0)


def test_sandwich_equals_fisher_without_ties_and_shrinks_with_ties():
    # One pair, 30-10: var(theta0 - theta1) = 1 / (N p (1 - p)) = 1 / 7.5 for
    # Fisher, and the sandwich J / H^2 is the same because J = L(1-p)^2 + Rp^2
    # = N p (1 - p) at p = L / N. Centred, theta0 = +gap / 2.
    z = 1.959963984540054
    b = Battles.from_unordered(2, [0], [1], [30], [10], [0])
    half_width = z * ELO_SCALE * math.sqrt(1 / 7.5) / 2
    for method in ("sandwich", "fisher"):
        r = rank_battles(b, intervals=method)
        assert r.elo_high[0] - r.elo[0] == pytest.approx(half_width, rel=1e-8)
        assert r.elo[0] - r.elo_low[0] == pytest.approx(half_width, rel=1e-8)
    # 10-10 with 20 ties: H = 40 / 4 = 10, J = 10/4 + 10/4 + 20 * 0 = 5: a tie
    # scores exactly its expectation, so the sandwich variance is J / H^2 =
    # 0.05, half the model-based 1 / H = 0.1.
    b = Battles.from_unordered(2, [0], [1], [10], [10], [20])
    sand = rank_battles(b, intervals="sandwich")
    fisher = rank_battles(b, intervals="fisher")
    assert sand.elo_high[0] - sand.elo[0] == pytest.approx(z * ELO_SCALE * math.sqrt(0.05) / 2)
    assert fisher.elo_high[0] - fisher.elo[0] == pytest.approx(z * ELO_SCALE * math.sqrt(0.1) / 2)


def test_rank_battles_all_ties():
    b = Battles(3, [0, 1, 2, 1], [1, 2, 0, 0], [0] * 4, [0] * 4, [4, 7, 1, 3])
    r = rank_battles(b)
    np.testing.assert_allclose(r.theta, 0, atol=1e-9)
    assert r.rank.tolist() == [1, 1, 1] and r.prior == 0.0
    assert r.left_advantage_elo == pytest.approx(0, abs=1e-6)
    d = rank_battles(b, tie_model="davidson")
    np.testing.assert_allclose(d.theta, 0, atol=1e-6)
    assert d.tie_param > 100  # nothing but ties: nu is huge (only the ridge bounds it)
    assert np.all(np.isfinite(d.elo_low))


def test_rank_battles_disconnected_graph():
    b = Battles(4, [0, 1, 2, 3], [1, 0, 3, 2], [4, 3, 2, 1], [1, 2, 1, 2], [1, 0, 0, 0])
    r = rank_battles(b)
    assert r.components == [[0, 1], [2, 3]]
    assert r.prior > 0
    assert np.all(np.isfinite(r.theta)) and np.all(np.isfinite(r.elo_low))
    assert np.all(np.isfinite(r.elo_high)) and math.isfinite(r.left_advantage_elo)
    boot = rank_battles(b, intervals="bootstrap", n_bootstrap=200)
    assert np.all(np.isfinite(boot.elo_low)) and np.all(np.isfinite(boot.elo_high))


def test_rank_battles_one_model_and_no_votes():
    r = rank_battles(Battles(1, [], [], [], [], []), base=1500)
    assert r.elo.tolist() == [1500.0] and r.rank.tolist() == [1]
    assert r.rank_best.tolist() == [1] and r.rank_worst.tolist() == [1]
    assert r.win_prob.tolist() == [[0.5]] and r.components == [[0]]
    with pytest.raises(ValueError, match="no votes in this selection"):
        rank_battles(Battles(3, [], [], [], [], []))
    with pytest.raises(ValueError, match="no votes in this selection"):
        rank_battles(Battles(2, [0], [1], [0], [0], [0]))


def test_rank_battles_rejects_bad_options():
    b = Battles(2, [0], [1], [3], [1], [0])
    for kwargs, match in [
        ({"intervals": "jackknife"}, "intervals"),
        ({"tie_model": "rao-kupper"}, "tie_model"),
        ({"level": 1.0}, "level"),
        ({"style": True}, "style"),
        ({"anchor": 2}, "anchor"),
    ]:
        with pytest.raises(ValueError, match=match):
            rank_battles(b, **kwargs)


def test_rank_battles_matches_choix():
    rng = np.random.default_rng(7)
    w = rng.integers(1, 15, (6, 6)).astype(float)
    np.fill_diagonal(w, 0)
    a, b = np.nonzero(w)
    battles = Battles.from_unordered(6, a, b, w[a, b], np.zeros(a.size), np.zeros(a.size))
    ref = choix.ilsr_pairwise_dense(w, tol=1e-13, max_iter=10_000)
    r = rank_battles(battles, intervals="none")
    np.testing.assert_allclose(r.theta, ref - ref.mean(), atol=1e-6)
    assert np.all(np.isnan(r.elo_low)) and r.rank_best.tolist() == r.rank.tolist()


def test_sandwich_and_bootstrap_agree_roughly():
    rng = np.random.default_rng(11)
    truth = np.array([0.9, 0.4, 0.0, -0.2, -0.5, -0.6])
    b = _battles(truth, 3000, rng, beta=0.1)
    sand = rank_battles(b)
    boot = rank_battles(b, intervals="bootstrap", n_bootstrap=400, seed=3)
    np.testing.assert_allclose(boot.theta, sand.theta)  # same point estimate
    width_s, width_b = sand.elo_high - sand.elo_low, boot.elo_high - boot.elo_low
    np.testing.assert_allclose(width_b / width_s, 1.0, atol=0.2)
    beta_s = sand.left_advantage_high - sand.left_advantage_low
    beta_b = boot.left_advantage_high - boot.left_advantage_low
    assert beta_b / beta_s == pytest.approx(1.0, abs=0.2)


def test_bootstrap_is_seeded_and_thread_independent(monkeypatch):
    rng = np.random.default_rng(5)
    b = _battles(np.array([0.5, 0.0, -0.5, 0.2]), 800, rng, beta=0.2)
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


def test_position_bias_recovered():
    rng = np.random.default_rng(21)
    beta = 0.3  # ~52 Elo
    b = _battles(np.array([0.6, 0.2, 0.0, -0.3, -0.5]), 6000, rng, beta=beta)
    r = rank_battles(b)
    assert r.left_advantage_low < ELO_SCALE * beta < r.left_advantage_high
    assert r.left_advantage_low > 20  # clearly non-zero
    d = rank_battles(_battles(np.zeros(4), 6000, rng, beta=beta, nu=0.5), tie_model="davidson")
    assert d.left_advantage_low < ELO_SCALE * beta < d.left_advantage_high
    # Without the term, the same data are fine too, just without the estimate.
    assert rank_battles(b, position_bias=False).left_advantage_elo is None


def test_position_bias_not_identifiable_is_not_fitted():
    # Two models, always shown the same way round: beta and the gap are confounded.
    b = Battles(2, [0], [1], [30], [10], [5])
    with pytest.warns(RuntimeWarning, match="same way round"):
        r = rank_battles(b)
    assert r.left_advantage_elo is None


def test_davidson_tie_parameter_recovered():
    rng = np.random.default_rng(8)
    truth = np.array([0.8, 0.3, 0.0, -0.4, -0.7])
    nu = 0.6
    b = _battles(truth, 8000, rng, nu=nu)
    r = rank_battles(b, tie_model="davidson")
    assert r.tie_model == "davidson"
    assert r.tie_param_low < nu < r.tie_param_high
    assert r.tie_param == pytest.approx(nu, rel=0.15)
    elo_truth = 1000 + ELO_SCALE * (truth - truth.mean())
    assert np.all((r.elo_low <= elo_truth) & (elo_truth <= r.elo_high))
    np.testing.assert_allclose(r.win_prob + r.win_prob.T, 1.0)
    # No ties at all: nu = 0 is the MLE and the fit is plain Bradley-Terry.
    no_ties = Battles(b.n_items, b.left, b.right, b.left_wins, b.right_wins, 0 * b.ties)
    r0 = rank_battles(no_ties, tie_model="davidson")
    assert r0.tie_param == 0.0
    np.testing.assert_allclose(r0.theta, rank_battles(no_ties).theta, atol=1e-8)


def test_style_coefficient_recovered():
    rng = np.random.default_rng(4)
    truth = np.array([0.5, 0.2, 0.0, -0.2, -0.5])
    gamma = 0.4  # the longer answer is favoured
    b = _battles(truth, 8000, rng, beta=0.1, gamma=gamma)
    r = rank_battles(b, style=True)
    assert r.style_names == ("length",)
    assert r.style_low[0] < ELO_SCALE * gamma < r.style_high[0]
    assert r.style_low[0] > 20
    assert rank_battles(b).style_coef is None  # style control is opt-in
    flat = Battles(b.n_items, b.left, b.right, b.left_wins, b.right_wins, b.ties,
                   style=np.ones((b.left.size, 1)))  # fmt: skip
    with pytest.raises(ValueError, match="collinear"):
        rank_battles(flat, style=True)  # a constant column is the left advantage again


def test_anchor_pins_a_model():
    rng = np.random.default_rng(9)
    b = _battles(np.array([0.4, 0.0, -0.4]), 1500, rng)
    r = rank_battles(b, anchor=1, base=1200)
    assert r.elo[1] == pytest.approx(1200)
    assert r.elo_low[1] == pytest.approx(1200) and r.elo_high[1] == pytest.approx(1200)
    centred = rank_battles(b)
    np.testing.assert_allclose(r.elo - r.elo[1], centred.elo - centred.elo[1])


def test_rank_ranges_hand_example():
    #        A            B            C            D
    low = np.array([10.0, 5.0, 0.0, -20.0])
    high = np.array([20.0, 12.0, 8.0, -10.0])
    best, worst = rank_ranges(low, high)
    # A: nobody surely above; B and C overlap it? B's high 12 >= A's low 10, C's 8 < 10.
    assert best.tolist() == [1, 1, 2, 4]
    assert worst.tolist() == [2, 3, 3, 4]
    r = rank_battles(_battles(np.array([1.0, 0.0, -1.0]), 3000, np.random.default_rng(1)))
    assert np.all(r.rank_best <= r.rank) and np.all(r.rank <= r.rank_worst)


def test_interval_coverage_loose():
    # 40 simulations of 10 models x 5,000 votes; the full study is
    # benchmarks/bench_coverage.py. Bounds are wide: this guards against gross
    # miscalibration (e.g. a factor-2 error in the variance gives ~70% or ~99.9%).
    rng = np.random.default_rng(2024)
    truth = np.linspace(-1.2, 1.2, 10)
    elo_truth = 1000 + ELO_SCALE * (truth - truth.mean())
    hits = {"sandwich": [], "bootstrap": []}
    for sim in range(40):
        b = _battles(truth, 5000, rng, beta=0.15)
        for method in hits:
            r = rank_battles(b, intervals=method, n_bootstrap=200, seed=sim)
            hits[method].append((r.elo_low <= elo_truth) & (elo_truth <= r.elo_high))
    for method, h in hits.items():
        assert 0.88 <= np.mean(h) <= 0.99, (method, np.mean(h))


def test_bootstrap_rejects_fractional_counts() -> None:
    battles = Battles.from_unordered(2, [0], [1], [1.5], [1.0], [0.0])
    with pytest.raises(ValueError, match="whole vote counts"):
        rank_battles(battles, intervals="bootstrap", n_bootstrap=10)
    assert rank_battles(battles).elo.shape == (2,)  # sandwich intervals take any counts

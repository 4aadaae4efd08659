"""blindside.ranking.rank: rank_battles end to end (position bias, ties, style, anchors)."""

from __future__ import annotations

import math

import choix
import numpy as np
import pytest

from blindside.ranking import (
    ELO_SCALE,
    Battles,
    Ranking,
    ThinDataWarning,
    fit_bradley_terry,
    rank_battles,
    rank_order,
    to_elo,
)
from tests.unit.ranking.simulate import (
    rank_unordered,
    rows_of,
    simulate_battles,
)


def test_one_model():
    ranking = rank_unordered(1, ([], [], [], [], []), n_bootstrap=20)
    assert ranking.elo.tolist() == [1000.0]
    assert ranking.elo_low.tolist() == [1000.0] and ranking.elo_high.tolist() == [1000.0]
    assert ranking.rank.tolist() == [1]
    assert ranking.games.tolist() == [0]
    assert np.isnan(ranking.win_rate[0])
    assert ranking.components == [[0]]


def test_no_votes_is_a_clear_error():
    with pytest.raises(ValueError, match="no votes in this selection"):
        rank_unordered(3, ([], [], [], [], []))
    with pytest.raises(ValueError, match="no votes in this selection"):
        rank_unordered(2, ([0], [1], [0], [0], [0]))  # a row with zero counts
    with pytest.raises(ValueError, match="no comparisons"):
        fit_bradley_terry(np.zeros((2, 2)))


def test_ranking_summary_fields():
    rows = rows_of({(0, 1): (8, 2, 2), (1, 2): (5, 3, 0), (2, 0): (1, 6, 1)})
    r = rank_unordered(3, rows, n_bootstrap=100, seed=0)
    assert isinstance(r, Ranking)
    np.testing.assert_allclose(r.games, [12 + 8, 12 + 8, 8 + 8])
    # Model 0: 8 wins + 1 tie-half vs 1, 6 wins + 0.5 vs 2, over 20 games.
    assert r.win_rate[0] == pytest.approx((8 + 1 + 6 + 0.5) / 20)
    np.testing.assert_allclose(r.elo, to_elo(r.theta))
    assert r.rank.tolist() == rank_order(r.theta).tolist() == [1, 2, 3]
    assert r.components == [[0, 1, 2]] and r.prior == 0.0
    no_ci = rank_unordered(3, rows, n_bootstrap=0)
    assert np.all(np.isnan(no_ci.elo_low)) and np.all(np.isnan(no_ci.elo_high))


def test_rank_battles_hand_computed_three_models():
    # As test_joint.py::test_hand_computed_three_models: theta = log(4, 2, 1) exactly.
    battles = Battles(
        3, [0, 1, 0], [1, 2, 2], [2, 2, 4], [1, 1, 1], [0, 0, 0], position_known=False
    )
    r = rank_battles(battles)
    expected = np.log([4, 2, 1]) - np.log([4, 2, 1]).mean()
    np.testing.assert_allclose(r.theta, expected, atol=1e-9)
    np.testing.assert_allclose(r.elo, 1000 + ELO_SCALE * expected, atol=1e-6)
    assert r.left_advantage_elo is None  # no position information: not fitted
    assert r.interval_method == "sandwich" and r.tie_model == "half" and r.tie_param is None
    assert r.win_prob[0, 1] == pytest.approx(2 / 3) and r.win_prob[0, 2] == pytest.approx(4 / 5)
    np.testing.assert_allclose(r.win_prob + r.win_prob.T, 1.0)


def test_rank_battles_all_ties():
    b = Battles(3, [0, 1, 2, 1], [1, 2, 0, 0], [0] * 4, [0] * 4, [4, 7, 1, 3])
    with pytest.warns(ThinDataWarning, match="every vote is a tie"):
        r = rank_battles(b)
    np.testing.assert_allclose(r.theta, 0, atol=1e-9)
    assert r.rank.tolist() == [1, 1, 1] and r.prior == 0.0
    assert r.left_advantage_elo == pytest.approx(0, abs=1e-6)
    # Nothing decisive: no interval (see test_degenerate.py for why).
    assert r.interval_method == "unavailable" and np.all(np.isnan(r.elo_low))
    with pytest.warns(ThinDataWarning, match="unbounded"):
        d = rank_battles(b, tie_model="davidson")
    np.testing.assert_allclose(d.theta, 0, atol=1e-6)
    assert d.tie_param is None  # nothing but ties: nu's estimate is infinite


def test_rank_battles_disconnected_graph():
    b = Battles(4, [0, 1, 2, 3], [1, 0, 3, 2], [4, 3, 2, 1], [1, 2, 1, 2], [1, 0, 0, 0])
    with pytest.warns(ThinDataWarning, match="never compared"):
        r = rank_battles(b)
    assert r.components == [[0, 1], [2, 3]]
    assert r.prior > 0
    assert np.all(np.isfinite(r.theta)) and np.all(np.isfinite(r.elo_low))
    assert np.all(np.isfinite(r.elo_high)) and math.isfinite(r.left_advantage_elo)
    with pytest.warns(ThinDataWarning):
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
    battles = Battles(6, a, b, w[a, b], np.zeros(a.size), np.zeros(a.size), position_known=False)
    ref = choix.ilsr_pairwise_dense(w, tol=1e-13, max_iter=10_000)
    r = rank_battles(battles, intervals="none")
    np.testing.assert_allclose(r.theta, ref - ref.mean(), atol=1e-6)
    assert np.all(np.isnan(r.elo_low)) and r.rank_best.tolist() == r.rank.tolist()


def test_position_bias_recovered():
    rng = np.random.default_rng(21)
    beta = 0.3  # ~52 Elo
    b = simulate_battles(np.array([0.6, 0.2, 0.0, -0.3, -0.5]), 6000, rng, beta=beta)
    r = rank_battles(b)
    assert r.left_advantage_low < ELO_SCALE * beta < r.left_advantage_high
    assert r.left_advantage_low > 20  # clearly non-zero
    d = rank_battles(
        simulate_battles(np.zeros(4), 6000, rng, beta=beta, nu=0.5), tie_model="davidson"
    )
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
    b = simulate_battles(truth, 8000, rng, nu=nu)
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
    b = simulate_battles(truth, 8000, rng, beta=0.1, gamma=gamma)
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
    b = simulate_battles(np.array([0.4, 0.0, -0.4]), 1500, rng)
    r = rank_battles(b, anchor=1, base=1200)
    assert r.elo[1] == pytest.approx(1200)
    assert r.elo_low[1] == pytest.approx(1200) and r.elo_high[1] == pytest.approx(1200)
    centred = rank_battles(b)
    np.testing.assert_allclose(r.elo - r.elo[1], centred.elo - centred.elo[1])

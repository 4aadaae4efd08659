"""Degenerate vote files: each interval covers the truth in >= 90% of draws, or is
reported unavailable with a warning (issue 10). The full study with many more draws,
beside the intervals the fit used to report, is ``benchmarks/bench_degenerate.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from blindside.ranking import Battles, ThinDataWarning, rank_battles
from tests.unit.ranking.degenerate import ALL_TIES, DISCONNECTED, NEVER_LOSES, ONE_VOTE, coverage


def test_disconnected_intervals_cover_the_rating_within_its_group():
    result = coverage(DISCONNECTED, 60, seed=1)
    assert result.unavailable == 0
    assert result.rate >= 0.9, result


def test_never_loses_intervals_carry_the_prior_and_cover():
    result = coverage(NEVER_LOSES, 60, seed=2)
    assert result.methods == {"fisher"} and result.unavailable == 0
    assert result.rate >= 0.9, result


def test_all_ties_intervals_are_unavailable_with_a_warning():
    result = coverage(ALL_TIES, 30, seed=3)
    assert result.methods == {"unavailable"}
    assert result.covered + result.missed == 0 and result.unavailable == 30 * 3
    assert result.unwarned == 0


def test_one_vote_interval_covers_or_is_unavailable_with_a_warning():
    result = coverage(ONE_VOTE, 200, seed=4)
    assert result.unwarned == 0  # a single tie: unavailable, and said so
    assert result.covered + result.missed > 0 and result.rate >= 0.9, result


def test_disconnected_ranks_and_ranges_stay_within_a_group():
    # Group {0, 1} and group {2, 3}: each has a rank 1, and no range crosses groups.
    b = Battles(4, [0, 1, 2, 3], [1, 0, 3, 2], [9, 3, 8, 1], [3, 9, 1, 8], [1, 0, 0, 0])
    with pytest.warns(ThinDataWarning, match="never compared"):
        r = rank_battles(b)
    assert r.components == [[0, 1], [2, 3]] and r.interval_method == "sandwich"
    assert r.rank.tolist() == [1, 2, 1, 2]
    assert r.rank_worst.max() <= 2
    # Each group sits at 1000 on average; its intervals are about its own models.
    assert r.elo[:2].mean() == pytest.approx(1000) and r.elo[2:].mean() == pytest.approx(1000)
    assert np.all(r.elo_high - r.elo_low < 1000)


def test_all_ties_davidson_reports_no_tie_parameter():
    b = Battles(3, [0, 1, 2, 1], [1, 2, 0, 0], [0] * 4, [0] * 4, [4, 7, 1, 3])
    with pytest.warns(ThinDataWarning, match="every vote is a tie.*unbounded"):
        r = rank_battles(b, tie_model="davidson")
    assert r.all_ties and r.tie_param is None and r.tie_param_low is None
    assert r.rank_best.tolist() == [1, 1, 1] and r.rank_worst.tolist() == [3, 3, 3]


def test_a_model_with_no_games_has_no_interval():
    # The unplayed model is also a group of its own: both facts are warned about.
    with (
        pytest.warns(ThinDataWarning, match="no comparisons"),
        pytest.warns(ThinDataWarning, match="never compared"),
    ):
        r = rank_battles(Battles(3, [0, 1], [1, 0], [5, 4], [4, 5], [1, 1]))
    assert np.isnan(r.elo_low[2]) and np.isfinite(r.elo_low[:2]).all()
    assert r.rank[2] == 1 and r.rank_worst[2] == 1

"""blindside.ranking.elo: the display scale and predicted win probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blindside.ranking import (
    ELO_SCALE,
    to_elo,
    win_probabilities,
)

LN2 = math.log(2)


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

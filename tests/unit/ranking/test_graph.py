"""blindside.ranking.graph: comparison components and when the MLE exists."""

from __future__ import annotations

import numpy as np
import pytest

from blindside.ranking import comparison_components, win_matrix
from blindside.ranking.graph import (
    FALLBACK_PRIOR,
    effective_prior,
    strongly_connected,
    strongly_connected_batch,
)


def test_comparison_components_connected_and_isolated():
    w = win_matrix(4, [0, 1, 2], [1, 2, 0], [1, 0, 2], [0, 1, 0], [0, 0, 0])
    assert comparison_components(w) == [[0, 1, 2], [3]]  # 3 has no games
    w = win_matrix(3, [0, 1], [1, 2], [1, 0], [0, 0], [0, 1])
    assert comparison_components(w) == [[0, 1, 2]]


def test_batched_check_agrees_with_the_single_one():
    rng = np.random.default_rng(0)
    n = 5
    ii, jj = np.triu_indices(n, 1)
    # Sparse random outcomes: some rounds strongly connected, some not.
    wi = rng.binomial(1, 0.45, (200, ii.size)).astype(float)
    wj = rng.binomial(1, 0.45, (200, ii.size)).astype(float)
    batch = strongly_connected_batch(n, ii, jj, wi, wj)
    single = []
    for k in range(200):
        adjacency = np.zeros((n, n))
        adjacency[ii, jj], adjacency[jj, ii] = wi[k], wj[k]
        single.append(strongly_connected(adjacency))
    np.testing.assert_array_equal(batch, single)
    assert 0 < batch.sum() < 200  # both kinds were drawn


def test_fallback_prior_only_when_the_mle_does_not_exist():
    cycle = win_matrix(3, [0, 1, 2], [1, 2, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0])
    unbeaten = win_matrix(3, [0, 0, 1], [1, 2, 2], [2, 2, 1], [0, 0, 1], [0, 0, 0])
    assert effective_prior(cycle, 0.0) == 0.0
    assert effective_prior(unbeaten, 0.0) == FALLBACK_PRIOR
    assert effective_prior(unbeaten, 0.5) == 0.5  # an explicit prior is kept
    with pytest.raises(ValueError, match="prior"):
        effective_prior(cycle, -1.0)

"""The Poisson bootstrap: refits of the joint model on resampled vote counts.

Each vote gets an independent Poisson(1) weight, so a cell of ``c`` identical
votes gets a Poisson(``c``) count. Rounds are refitted in batches, warm-started
at the full-data estimate (:func:`poisson_bootstrap`); a round whose resample
has no finite MLE gets the fallback prior (:class:`_EdgeWatch` finds those).
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.sparse import csr_array
from scipy.special import gammaln, ndtri

from blindside.ranking.graph import FALLBACK_PRIOR, strongly_connected, strongly_connected_batch
from blindside.ranking.joint import JointModel

# Upper bound on the elements of one (rounds, pairs) or (rounds, n, n) block in
# the batched bootstrap (~16 MB of float64 per array).
_BATCH_ELEMENTS = 2_000_000

# Threads for the bootstrap batches (numpy releases the GIL in its array loops
# and samplers). Measured on the 2-core target next to a busy app: 2 threads
# took 1.4 s for 1,000 rounds on 1M votes, 1 thread 0.85 s, so 1 by default;
# results do not depend on this number (fixed batches, per-batch seeds).
_THREADS = 1


# Poisson draws for the bootstrap are made by inverse transform on a grid of
# 2**14 equally likely quantiles: exact Poisson quantiles for counts up to
# _POISSON_EXACT, a rounded normal approximation above (skewness < 0.09 there).
# This is ~10x faster than numpy's Poisson sampler on a million-vote data set
# and changes each draw's distribution by at most 1/16384 in probability.
_QUANTILE_BITS = 14
_POISSON_EXACT = 128


@functools.cache
def _poisson_quantiles() -> tuple[np.ndarray, np.ndarray]:
    """Quantiles at the grid points ``u_j = (j + 1/2) / 2**14``.

    Returns ``table`` (flat, float32: ``table[(c << 14) + j]`` is the Poisson(c)
    quantile at ``u_j`` for ``c <= _POISSON_EXACT``) and ``z`` (standard normal
    quantiles at ``u_j``).
    """
    grid = 2**_QUANTILE_BITS
    u = (np.arange(grid) + 0.5) / grid
    k = np.arange(2 * _POISSON_EXACT + 64)  # far beyond the 1 - 1/32768 quantile
    table = np.empty((_POISSON_EXACT + 1, grid), dtype=np.float32)
    table[0] = 0.0
    for c in range(1, _POISSON_EXACT + 1):
        cdf = np.cumsum(np.exp(k * math.log(c) - c - gammaln(k + 1)))
        # The quantile is the smallest k with cdf(k) >= u.
        table[c] = np.searchsorted(cdf, u * cdf[-1], side="left")
    return table.ravel(), ndtri(u)


def _poisson_resample(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson(counts) draws, shape (cells, size): the Poisson bootstrap of votes.

    Each vote gets an independent Poisson(1) weight; the votes of one cell
    are identical, so their total weight is Poisson(count).
    """
    table, z = _poisson_quantiles()
    out = np.zeros((counts.size, size))
    small = np.flatnonzero((counts > 0) & (counts <= _POISSON_EXACT))  # an empty cell stays empty
    big = np.flatnonzero(counts > _POISSON_EXACT)
    j = _grid_indices(rng, (small.size, size))
    out[small] = np.take(table, j + (counts[small].astype(np.int32) << _QUANTILE_BITS)[:, None])
    if big.size:
        mean = counts[big][:, None]
        zb = np.take(z, _grid_indices(rng, (big.size, size)))
        out[big] = np.maximum(np.rint(mean + np.sqrt(mean) * zb), 0.0)
    return out


def _grid_indices(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Uniform integers in [0, 2**14): four per raw 64-bit draw (a third of the cost)."""
    n = shape[0] * shape[1]
    raw = rng.bit_generator.random_raw(-(-n // 4)).view(np.uint16)[:n]
    return (raw & (2**_QUANTILE_BITS - 1)).astype(np.int32).reshape(shape)


def poisson_bootstrap(
    model: JointModel,
    x_hat: np.ndarray,
    n_rounds: int,
    seed: int | np.random.Generator | None,
    *,
    fallback: bool,
    tol: float,
) -> np.ndarray:
    """(n_rounds, m) refits on Poisson-resampled cells, warm-started at ``x_hat``.

    Rounds are fitted in batches (fixed size, own child generator each, so
    the result does not depend on the number of threads): chord steps with
    the full-data Hessian, then Newton for any round that needs it. With
    ``fallback``, rounds whose resample has no finite MLE for theta get the
    fallback prior.
    """
    counts = np.concatenate([model.lw[:, 0], model.rw[:, 0], model.ties[:, 0]])  # (3 rows,)
    rows = model.left.size
    hessian0 = model.derivatives(x_hat[None], np.zeros(1, dtype=np.intp))[1][0]
    inverse0 = np.linalg.inv(hessian0 + np.outer(model.gauge(), model.gauge()))
    batch = max(1, _BATCH_ELEMENTS // max(3 * rows, model.m * model.m))
    starts = list(range(0, n_rounds, batch))
    rngs = np.random.default_rng(seed).spawn(len(starts))
    watch = _EdgeWatch(model, counts) if fallback else None
    out = np.empty((n_rounds, model.m))

    def run(k: int) -> None:
        size = min(batch, n_rounds - starts[k])
        draws = _poisson_resample(counts, size, rngs[k]).reshape(3, rows, size)
        priors = np.full(size, model.prior[0])
        if watch is not None:
            priors[~watch.mle_exists(draws)] = FALLBACK_PRIOR
        sub = JointModel(
            model.n,
            model.left,
            model.right,
            draws,
            model.z_design,
            davidson=model.davidson,
            prior=priors,
            shared=model,
        )
        x0 = np.broadcast_to(x_hat, (size, model.m))
        out[starts[k] : starts[k] + size] = sub.fit(x0, tol=tol, inverse0=inverse0)

    if _THREADS > 1 and len(starts) > 1:
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(run, range(len(starts))))
    else:
        for k in range(len(starts)):
            run(k)
    return out


class _EdgeWatch:
    """Finds bootstrap rounds in which the strengths have no finite MLE.

    The MLE exists iff the directed "beat at least half a time" graph is
    strongly connected (see :func:`strongly_connected`). The full data pass
    that test, and a resample can only lose edges, so only rounds that lost
    an edge need the graph check. An edge supported by ``_SAFE_SUPPORT``
    or more votes is treated as never lost (probability < e^-50 per round).
    """

    _SAFE_SUPPORT = 50

    def __init__(self, model: JointModel, counts: np.ndarray) -> None:
        n, rows = model.n, model.left.size
        self.n = n
        r = np.arange(rows)
        # Cell c = outcome * rows + row supports the directed edge winner -> loser;
        # a tie supports both directions.
        cells = np.r_[r, rows + r, 2 * rows + r, 2 * rows + r]
        src = np.r_[model.left, model.right, model.left, model.right]
        dst = np.r_[model.right, model.left, model.right, model.left]
        edge_key, edge = np.unique(src * n + dst, return_inverse=True)
        support = csr_array((np.ones(cells.size), (edge, cells)), shape=(edge_key.size, 3 * rows))
        full = support @ counts
        fragile = np.flatnonzero((full > 0) & (full < self._SAFE_SUPPORT))
        self.fragile = support[fragile]
        # If the edges that are never lost already connect the graph strongly,
        # no round can lose the MLE (the common case at scale): skip all checks.
        src, dst = edge_key // n, edge_key % n
        robust = full >= self._SAFE_SUPPORT
        adjacency = np.zeros((n, n), dtype=bool)
        adjacency[src[robust], dst[robust]] = True
        self.always = strongly_connected(adjacency)
        self.support = support
        # Pair form for strongly_connected_batch: edge e is i -> j or j -> i of pair i < j.
        pair_key, self.pair = np.unique(np.minimum(src, dst) * n + np.maximum(src, dst),
                                        return_inverse=True)  # fmt: skip
        self.forward = src < dst
        self.ii, self.jj = pair_key // n, pair_key % n

    def mle_exists(self, draws: np.ndarray) -> np.ndarray:
        """Per round of ``draws`` (3, rows, B): does the MLE of theta exist?"""
        flat = draws.reshape(-1, draws.shape[2])
        ok = np.ones(flat.shape[1], dtype=bool)
        if self.always or self.fragile.shape[0] == 0:
            return ok
        lost = np.flatnonzero(np.any(self.fragile @ flat == 0, axis=0))
        if lost.size:
            weight = self.support @ flat[:, lost]  # (edges, lost rounds)
            wi = np.zeros((self.ii.size, lost.size))
            wj = np.zeros((self.ii.size, lost.size))
            wi[self.pair[self.forward]] = weight[self.forward]
            wj[self.pair[~self.forward]] = weight[~self.forward]
            ok[lost] = strongly_connected_batch(self.n, self.ii, self.jj, wi.T, wj.T)
        return ok

"""Data for the ranking tests: literal rows and draws from the models being fitted."""

from __future__ import annotations

import numpy as np

from blindside.ranking import Battles, Ranking, rank_battles


def rows_of(pairs: dict[tuple[int, int], tuple[int, int, int]]):
    """(a, b, a_wins, b_wins, ties) arrays from {(a, b): (a_wins, b_wins, ties)}."""
    a, b = zip(*pairs, strict=True)
    aw, bw, t = zip(*pairs.values(), strict=True)
    return np.array(a), np.array(b), np.array(aw), np.array(bw), np.array(t)


def rank_unordered(n: int, rows, **kwargs) -> Ranking:
    """rank_battles on unordered (a, b, a_wins, b_wins, ties) rows (no position term)."""
    kwargs.setdefault("intervals", "bootstrap")
    return rank_battles(Battles(n, *rows, position_known=False), **kwargs)


def simulate_all_pairs(theta: np.ndarray, games_per_pair: int, rng: np.random.Generator):
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


def simulate_battles(
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

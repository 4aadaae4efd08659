"""The comparison graph: which models are linked, and when the MLE exists.

The plain Bradley-Terry MLE exists iff the directed "beat at least half a
time" graph is strongly connected (Ford 1957; Hunter 2004). When it does not
and the caller asked for no prior, the fits fall back to a weak one
(:data:`FALLBACK_PRIOR`) instead of diverging.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.csgraph import connected_components

from blindside.ranking.battles import check_wins

# Prior used when the caller asked for none (prior == 0) but the plain MLE does
# not exist (some model won or lost all its games, or the comparison graph is
# not connected). It is a Gaussian prior with standard deviation
# 1 / sqrt(1e-3) ~ 32 log-odds units (~5,500 Elo points), i.e. about as strong
# as 4e-3 tied games per model against an average model: enough to make the
# estimate finite and the Newton system well conditioned, far too weak to move
# a model that has even a few real games on both sides. A model that won all
# of its k games lands roughly ln(k / (1e-3 * theta)) above its opponents,
# e.g. ~1,300 Elo points for k = 10: "far ahead, exact gap unknown".
FALLBACK_PRIOR = 1e-3


def strongly_connected(adjacency: np.ndarray) -> bool:
    """True if the directed graph ``i -> j`` when ``adjacency[i, j] > 0`` is strongly connected.

    With ``i -> j`` meaning "i beat j at least half a time", this is exactly the
    condition for the Bradley-Terry MLE to exist (Ford 1957; Hunter 2004):
    otherwise some group of models never lost to the rest and its strength
    can grow without bound.
    """
    if adjacency.shape[0] == 1:
        return True
    n_comp, _ = connected_components(adjacency > 0, directed=True, connection="strong")
    return n_comp == 1


def strongly_connected_batch(
    n_items: int, ii: np.ndarray, jj: np.ndarray, wi: np.ndarray, wj: np.ndarray
) -> np.ndarray:
    """:func:`strongly_connected` for many rounds on one pair list, vectorised.

    A graph is strongly connected iff every node is reachable from node 0
    and node 0 from every node; both are found by breadth-first sweeps done
    as batched matrix products (a handful of sweeps on dense designs).
    """
    adj = np.zeros((wi.shape[0], n_items, n_items))
    adj[:, ii, jj] = wi > 0
    adj[:, jj, ii] = wj > 0
    ok = np.ones(wi.shape[0], dtype=bool)
    for graph in (adj, adj.transpose(0, 2, 1)):
        reach = np.zeros((wi.shape[0], 1, n_items))
        reach[:, 0, 0] = 1.0
        for _ in range(n_items):
            grown = np.minimum(reach + reach @ graph, 1.0)
            if np.array_equal(grown, reach):
                break
            reach = grown
        ok &= reach.min(axis=(1, 2)) > 0
    return ok


def comparison_components(wins: np.ndarray) -> list[list[int]]:
    """Connected components of the comparison graph.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n)
        Win matrix (see :func:`~blindside.ranking.win_matrix`).

    Returns
    -------
    components : list of list of int
        Models ``i`` and ``j`` are linked if they met at least once (either
        won, or a tie). Each component is sorted, and components are ordered
        by their smallest model index. A single list means the graph is
        connected; a model with no games is a component of its own. Ratings
        of models in different components are not comparable.
    """
    w = check_wins(wins)
    n_comp, labels = connected_components((w + w.T) > 0, directed=False)
    # Labels come out in order of first appearance, i.e. by smallest member.
    return [np.flatnonzero(labels == c).tolist() for c in range(n_comp)]


def mle_exists_within(wins: np.ndarray, components: list[list[int]]) -> bool:
    """True if the Bradley-Terry MLE exists inside every component of the comparison graph.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n)
        Win matrix (see :func:`~blindside.ranking.win_matrix`).
    components : list of list of int
        From :func:`comparison_components`.

    Returns
    -------
    bool
        Whether each component's own "beat at least half a time" graph is
        strongly connected. If it is, a prior only fixes where each component
        sits against the others, and ratings *within* a component are
        estimated from the data alone; if not, some model won or lost all its
        games and its rating is bounded only by the prior.
    """
    w = check_wins(wins)
    return all(strongly_connected(w[np.ix_(c, c)]) for c in components)


def effective_prior(w: np.ndarray, prior: float) -> float:
    """The prior used to fit ``w``: ``prior``, or the fallback when the MLE does not exist."""
    if not (math.isfinite(prior) and prior >= 0):
        raise ValueError(f"prior must be finite and >= 0, got {prior!r}")
    if prior == 0 and not strongly_connected(w):
        return FALLBACK_PRIOR
    return float(prior)

"""How well human preference agrees with the automated scores, model by model."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["rank_correlation"]


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> tuple[float, int] | None:
    """Spearman's rank correlation of two per-model measures, e.g. rating and accuracy.

    Parameters
    ----------
    x, y : sequence of float
        Paired values, one pair per model.

    Returns
    -------
    (float, int) or None
        Spearman's rho and the number of models, or None with fewer than three
        models or when either measure is the same for every model (rho is then
        undefined).
    """
    if len(x) != len(y):
        raise ValueError("x and y must pair up")
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    # Imported here: scipy.stats costs about a second at import, and the engine (which
    # imports the scorers to score answers) never needs it.
    from scipy import stats

    rho = float(stats.spearmanr(x, y).statistic)
    return rho, len(x)

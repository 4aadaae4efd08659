"""The Elo display scale and predicted head-to-head scores."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

#: Elo points per unit of log-strength: a 400-point gap means 10:1 odds.
ELO_SCALE = 400 / math.log(10)


def to_elo(theta: np.ndarray, *, base: float = 1000.0, anchor: int | None = None) -> np.ndarray:
    """Convert log-strengths to an Elo-like display scale.

    Parameters
    ----------
    theta : numpy.ndarray, shape (..., n)
        Log-strengths; a 2-D array (e.g. bootstrap samples) is converted row
        by row.
    base : float, optional
        Rating of the average model, or of the anchor model.
    anchor : int, optional
        Index of a model pinned at ``base`` (e.g. a reference model).

    Returns
    -------
    elo : numpy.ndarray, same shape as ``theta``
        ``base + ELO_SCALE * (theta - mean(theta))``, or with an anchor
        ``base + ELO_SCALE * (theta - theta[anchor])``. A gap of 400 points
        means odds of 10:1.
    """
    th = np.asarray(theta, dtype=float)
    if anchor is None:
        ref = th.mean(axis=-1, keepdims=True)
    else:
        if not -th.shape[-1] <= anchor < th.shape[-1]:
            raise ValueError(f"anchor {anchor} out of range for {th.shape[-1]} models")
        ref = np.take(th, [anchor], axis=-1)
    return base + ELO_SCALE * (th - ref)


def win_probabilities(theta: np.ndarray) -> np.ndarray:
    """Predicted head-to-head win probabilities.

    Parameters
    ----------
    theta : numpy.ndarray, shape (n,)
        Log-strengths.

    Returns
    -------
    probs : numpy.ndarray, shape (n, n)
        ``probs[i, j]`` = P(i beats j) (a tie counted as half); the diagonal
        is 0.5 and ``probs + probs.T == 1``.
    """
    th = np.asarray(theta, dtype=float)
    return expit(th[:, None] - th[None, :])


def davidson_expected_score(d: np.ndarray, nu: float) -> np.ndarray:
    """Expected score (win + half a tie) under Davidson's model at strength gap ``d``."""
    return expit(d) if nu == 0 else (np.exp(0.5 * d) + 0.5 * nu) / (2 * np.cosh(0.5 * d) + nu)

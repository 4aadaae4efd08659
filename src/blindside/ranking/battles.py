"""Battles: aggregated vote counts, the one input type of every fit.

A :class:`Battles` holds one row per (left model, right model[, style cell])
with how often each side won or it was a tie; the caller builds those rows
from votes (a "both bad" vote is added to the ties). :func:`win_matrix` folds
rows into the ``W[i, j]`` = "times i beat j" matrix of the plain model.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def check_rows(
    n_items: int, rows: tuple[ArrayLike, ...], *, empty_ok: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate aggregated rows ``(a, b, a_wins, b_wins, ties)``; return them as 1-D arrays.

    ``empty_ok`` admits ``n_items == 0`` (then with no rows): an empty selection
    of votes is a valid, if unrankable, set of battles.
    """
    if int(n_items) != n_items or n_items < (0 if empty_ok else 1):
        raise ValueError(f"n_items must be a positive integer, got {n_items!r}")
    a, b, *wins_and_ties = rows
    ai = np.asarray(a)
    bi = np.asarray(b)
    counts = [np.asarray(x, dtype=float) for x in wins_and_ties]
    arrays = [ai, bi, *counts]
    if any(x.ndim != 1 for x in arrays):
        raise ValueError("a, b, a_wins, b_wins and ties must be 1-D arrays")
    if len({x.shape[0] for x in arrays}) != 1:
        raise ValueError(
            "a, b, a_wins, b_wins and ties must have the same length, got "
            + ", ".join(str(x.shape[0]) for x in arrays)
        )
    if ai.size:
        if not (np.issubdtype(ai.dtype, np.integer) and np.issubdtype(bi.dtype, np.integer)):
            raise ValueError("model indices a and b must be integers")
        if min(ai.min(), bi.min()) < 0 or max(ai.max(), bi.max()) >= n_items:
            raise ValueError(f"model indices must lie in [0, {n_items - 1}]")
        if np.any(ai == bi):
            raise ValueError(f"a model cannot be compared with itself (row {np.argmax(ai == bi)})")
        for name, x in zip(("a_wins", "b_wins", "ties"), counts, strict=True):
            if not np.all(np.isfinite(x)) or np.any(x < 0):
                raise ValueError(f"{name} must be finite and non-negative")
    return ai.astype(np.intp), bi.astype(np.intp), counts[0], counts[1], counts[2]


def check_wins(wins: np.ndarray) -> np.ndarray:
    """Validate a win matrix and return it as a float array."""
    w = np.asarray(wins, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
        raise ValueError(f"wins must be a non-empty square (n, n) matrix, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("wins must be finite and non-negative")
    if np.any(np.diag(w) != 0):
        raise ValueError("wins has a non-zero diagonal: a model cannot be compared with itself")
    return w


def win_matrix(
    n_items: int,
    a: ArrayLike,
    b: ArrayLike,
    a_wins: ArrayLike,
    b_wins: ArrayLike,
    ties: ArrayLike,
) -> np.ndarray:
    """Aggregate per-pair outcome counts into a win matrix.

    Parameters
    ----------
    n_items : int
        Number of models; indices run from 0 to ``n_items - 1``.
    a, b : array_like of int, shape (k,)
        The two models of each row. Pairs may repeat, in either orientation;
        repeated rows are summed.
    a_wins, b_wins, ties : array_like, shape (k,)
        How often ``a`` won, ``b`` won, or it was a tie (callers add "both
        bad" votes to the ties).

    Returns
    -------
    wins : numpy.ndarray, shape (n_items, n_items)
        ``wins[i, j]`` is the number of times ``i`` beat ``j``; each tie adds
        0.5 to both ``wins[a, b]`` and ``wins[b, a]``. The diagonal is 0.

    Raises
    ------
    ValueError
        On mismatched lengths, out-of-range or self-paired indices, or
        negative / non-finite counts.
    """
    ai, bi, aw, bw, t = check_rows(n_items, (a, b, a_wins, b_wins, ties))
    w = np.zeros((n_items, n_items))
    # add.at, not fancy +=, so that repeated pairs accumulate.
    np.add.at(w, (ai, bi), aw + 0.5 * t)
    np.add.at(w, (bi, ai), bw + 0.5 * t)
    return w


@dataclass(frozen=True, eq=False)  # eq=False: array fields make == ambiguous
class Battles:
    """Aggregated outcomes oriented by screen position.

    One row per (left item, right item[, style cell]); rows may repeat and
    are then simply summed by the likelihood.

    Attributes
    ----------
    n_items : int
        Number of models; indices run from 0 to ``n_items - 1``.
    left, right : numpy.ndarray of int64, shape (k,)
        The model shown on the left / right.
    left_wins, right_wins, ties : numpy.ndarray of float64, shape (k,)
        Vote counts; the caller adds "both bad" votes to ``ties``.
    style : numpy.ndarray of float64, shape (k, s), optional
        Left-minus-right covariates of the row's answers (e.g. the difference
        in log answer length), for style control.
    style_names : tuple of str
        One name per style column.
    position_known : bool
        False when ``left`` / ``right`` are an arbitrary orientation (e.g.
        battles read from a file that does not record the screen side); the
        left-side advantage is then not fitted.
    labels : tuple
        What each model index stands for (database model ids, or names read
        from a file), ``n_items`` of them; empty when the caller keeps its own
        map. The fit ignores them.
    """

    n_items: int
    left: np.ndarray
    right: np.ndarray
    left_wins: np.ndarray
    right_wins: np.ndarray
    ties: np.ndarray
    style: np.ndarray | None = None
    style_names: tuple[str, ...] = ()
    position_known: bool = True
    labels: tuple[Hashable, ...] = ()

    def __post_init__(self) -> None:
        rows = (self.left, self.right, self.left_wins, self.right_wins, self.ties)
        left, right, lw, rw, t = check_rows(self.n_items, rows, empty_ok=True)
        # Frozen: normalise the arrays in place of the caller's lists.
        object.__setattr__(self, "left", left.astype(np.int64))
        object.__setattr__(self, "right", right.astype(np.int64))
        object.__setattr__(self, "left_wins", lw)
        object.__setattr__(self, "right_wins", rw)
        object.__setattr__(self, "ties", t)
        object.__setattr__(self, "style_names", tuple(self.style_names))
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.labels and len(self.labels) != self.n_items:
            raise ValueError(f"{len(self.labels)} labels for {self.n_items} models")
        if self.style is None:
            if self.style_names:
                raise ValueError("style_names given without style covariates")
            return
        s = np.asarray(self.style, dtype=float)
        if s.ndim == 1:
            s = s[:, None]
        if s.ndim != 2 or s.shape[0] != left.size:
            raise ValueError(f"style must have shape ({left.size}, k), got {np.shape(self.style)}")
        if not np.all(np.isfinite(s)):
            raise ValueError("style covariates must be finite")
        names = self.style_names or tuple(f"style_{c}" for c in range(s.shape[1]))
        if len(names) != s.shape[1]:
            raise ValueError(f"{s.shape[1]} style columns but {len(names)} style_names")
        object.__setattr__(self, "style", s)
        object.__setattr__(self, "style_names", tuple(names))

    @property
    def total(self) -> float:
        """Number of votes (ties and "both bad" included)."""
        return float(self.left_wins.sum() + self.right_wins.sum() + self.ties.sum())

    def wins(self) -> np.ndarray:
        """The (n_items, n_items) :func:`win_matrix` of these rows (ties as halves).

        ``wins + wins.T`` is the number of battles between each two models.
        """
        return win_matrix(
            self.n_items, self.left, self.right, self.left_wins, self.right_wins, self.ties
        )

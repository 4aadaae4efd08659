"""Aggregation: the votes of a cut become :class:`~blindside.ranking.Battles`.

The database groups ``vote`` on its own denormalised columns (no join), so a
million votes become at most ``models² × 4`` rows before Python sees them.
Grouped per answer pair instead of per model pair, each cell also carries the
left-minus-right style covariates of its two answers (for style control).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import Select, func
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from blindside.cuts import Cut, vote_conditions
from blindside.identity import STYLE_NAMES, style_difference_array, style_features
from blindside.ranking.battles import Battles
from blindside.tables import Response, Vote

_CHOICE_COLUMN = {"left": 0, "right": 1, "tie": 2, "both_bad": 3}


def _pivot(
    left: np.ndarray, right: np.ndarray, choices: list[str], counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of (left, right, choice, count) into unique (left, right) and a (k, 4) table."""
    # One int64 key per (left, right): a 1-D unique is several times faster than axis=0.
    width = int(max(left.max(), right.max())) + 1
    unique, inverse = np.unique(left * width + right, return_inverse=True)
    table = np.zeros((unique.size, 4), dtype=np.int64)
    column = np.array([_CHOICE_COLUMN[c] for c in choices], dtype=np.int64)
    np.add.at(table, (inverse.ravel(), column), counts)
    return unique // width, unique % width, table


def _empty(by_response: bool) -> Battles:
    return Battles(
        0,
        [],
        [],
        [],
        [],
        [],
        style=np.zeros((0, len(STYLE_NAMES))) if by_response else None,
        style_names=STYLE_NAMES if by_response else (),
    )


def aggregation_query(conn: Connection, cut: Cut, *, by_response: bool = False) -> Select:
    """The GROUP BY of :func:`aggregate`: (left key, right key, choice, count) per cell.

    Its filters are columns of the covering indexes ``ix_vote_agg`` and
    ``ix_vote_tier_agg``, so the database reads no table row.
    """
    if by_response:
        keys = (col(Vote.left_response_id), col(Vote.right_response_id))
    else:
        keys = (col(Vote.left_model_id), col(Vote.right_model_id))
    return (
        select(*keys, col(Vote.choice), func.count())
        .where(*vote_conditions(conn, cut))
        .group_by(*keys, col(Vote.choice))
    )


def aggregate(engine: Engine, cut: Cut | None = None, *, by_response: bool = False) -> Battles:
    """The votes of a cut as :class:`~blindside.ranking.Battles`, counted by a GROUP BY.

    The database groups ``vote`` on its own denormalised columns (no join), so
    a million votes become at most ``models² × 4`` rows before Python sees them;
    the GROUP BY reads a covering index in key order.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes count (default: every vote).
    by_response : bool
        Group per (left answer, right answer) instead of per (left model, right
        model), and attach the left-minus-right style covariates of each cell
        (for style control). More rows, still far fewer than votes when answers
        get several votes each.

    Returns
    -------
    Battles
        One row per (left, right) model or answer cell, oriented by screen
        position; a "both bad" vote counts as a tie. ``labels`` holds the
        database id of each model index.
    """
    cut = cut or Cut()
    # Core, not ORM: tens of thousands of plain tuples need no identity map.
    with engine.connect() as conn:
        rows = conn.execute(aggregation_query(conn, cut, by_response=by_response)).all()
        if not rows:
            return _empty(by_response)
        left_key, right_key, choices, counts = zip(*rows, strict=True)
        left, right, table = _pivot(
            np.array(left_key, dtype=np.int64),
            np.array(right_key, dtype=np.int64),
            list(choices),
            np.array(counts, dtype=np.int64),
        )
        style = None
        if by_response:
            model_of, features = _response_features(conn, np.union1d(left, right))
            style = style_difference_array(features(left), features(right))
            left, right = model_of(left), model_of(right)
    model_ids, index = np.unique(np.concatenate([left, right]), return_inverse=True)
    n = left.size
    return Battles(
        n_items=model_ids.size,
        left=index[:n],
        right=index[n:],
        left_wins=table[:, 0],
        right_wins=table[:, 1],
        ties=table[:, 2] + table[:, 3],  # rankings count "both bad" as a tie
        style=style,
        style_names=STYLE_NAMES if by_response else (),
        labels=tuple(model_ids.tolist()),
    )


def _response_features(
    conn: Connection, response_ids: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """Lookups from answer ids to model ids and to (k, 4) style feature rows.

    Features come from the columns post-processing fills; an answer not yet
    analysed is measured here from its text.
    """
    ids = response_ids.astype(np.int64)
    model = np.zeros(ids.size, dtype=np.int64)
    feats = np.zeros((ids.size, 4), dtype=np.int64)
    missing: list[int] = []
    # Chunks keep the IN lists under every driver's bound-parameter limit.
    for start in range(0, ids.size, 5000):
        chunk = ids[start : start + 5000].tolist()
        rows = conn.execute(
            select(
                Response.id,
                Response.model_id,
                Response.text_chars,
                Response.md_headers,
                Response.md_list_items,
                Response.md_bold,
            ).where(col(Response.id).in_(chunk))
        ).all()
        for rid, model_id, chars, headers, items, bold in rows:
            i = int(np.searchsorted(ids, rid))
            model[i] = model_id
            if chars is None:
                missing.append(rid)
            else:
                feats[i] = (chars, headers or 0, items or 0, bold or 0)
        if missing:
            for rid, text in conn.execute(
                select(Response.id, Response.text).where(col(Response.id).in_(missing))
            ):
                f = style_features(text)
                feats[int(np.searchsorted(ids, rid))] = (f.chars, f.headers, f.list_items, f.bold)
            missing = []

    def model_of(x: np.ndarray) -> np.ndarray:
        return model[np.searchsorted(ids, x)]

    def features(x: np.ndarray) -> np.ndarray:
        return feats[np.searchsorted(ids, x)]

    return model_of, features

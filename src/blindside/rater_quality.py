"""Rater quality: the figures of the Raters page, and excluding a rater's votes.

The votes of a :class:`~blindside.cuts.Cut` are read once (one row each, a few
thousand at most per cut a lead looks at) and handed to the pure statistics of
:mod:`blindside.agreement`: per-rater figures, pairwise Cohen's kappa and
Krippendorff's alpha, each with the counts it rests on.

Exclusion
    :func:`set_rater_excluded` marks a rater (``rater.excluded``); from then on
    :func:`~blindside.cuts.vote_conditions` leaves their votes out of every
    ranking, export and cut, exactly as if they were deleted. The votes stay in
    the database, and including the rater again restores every figure. Their own
    figures here still show, so a lead can decide to take them back.

Gold answers
    A gold pair is a pair whose better answer an admin marked on the Rating
    setup page (:func:`~blindside.policy.mark_gold`; a tie is a mark too, and a
    rater who votes tie on it is right), or a pair on a gold prompt (``"gold":
    true`` in the suite's meta, :func:`~blindside.cuts.gold_prompt_ids`). An
    admin's mark decides. Without one, the better answer of a gold prompt's pair
    is read from the automated scores: when exactly one of the two answers is
    correct (``Response.correct``), that one is; a pair whose answers are both
    right, both wrong or unscored has no known answer and counts toward no
    rater's gold accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from blindside.agreement import (
    MIN_OTHERS,
    TOO_FAST_MS,
    Alpha,
    Kappa,
    RaterFigures,
    agrees_with_majority,
    krippendorff_alpha_nominal,
    mean_kappa,
    pairwise_kappa,
    rater_figures,
    verdicts,
)
from blindside.cuts import Cut, gold_prompt_ids, vote_conditions
from blindside.db import session_scope
from blindside.policy import GoldMark, gold_answers
from blindside.raters import RaterInfo, find_rater
from blindside.tables import Rater, Response, Vote


@dataclass(frozen=True)
class RaterRow:
    """One rater: who, whether their votes are left out of rankings, and their figures."""

    rater_id: int
    name: str
    excluded: bool
    figures: RaterFigures


@dataclass(frozen=True)
class RaterPair:
    """Cohen's kappa of two raters on the pairs both voted in the cut."""

    first: str
    second: str
    kappa: Kappa


@dataclass(frozen=True)
class RaterReport:
    """The Raters page: per-rater rows and the agreement of the raters whose votes count.

    Attributes
    ----------
    cut : Cut
    rows : list of RaterRow
        Every rater with a vote in the cut, by name, excluded raters included.
    pairs : list of RaterPair
        Every pair of raters in ``rows``, with the pairs they both voted.
    mean_kappa : float or None
        Light's kappa: the mean of the defined pairwise kappas of raters whose
        votes count (not excluded).
    alpha : Alpha
        Krippendorff's alpha over the votes that count.
    alpha_all : Alpha
        The same over every rater's votes, excluded raters included.
    too_fast_ms : float
        The dwell threshold of the "too fast" figure.
    """

    cut: Cut
    rows: list[RaterRow]
    pairs: list[RaterPair]
    mean_kappa: float | None
    alpha: Alpha
    alpha_all: Alpha
    too_fast_ms: float


def _gold_codes(
    conn: Connection,
    pair_id: np.ndarray,
    prompt_id: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    marks: dict[int, GoldMark],
) -> np.ndarray:
    """Per vote, the verdict code of its gold pair's better answer (2: a tie), or -1.

    An admin's mark decides; a pair on a gold prompt without one falls back to the scores.
    """
    gold = np.full(prompt_id.size, -1, dtype=np.int64)
    first, second = np.minimum(left, right), np.maximum(left, right)
    marked = np.isin(pair_id, list(marks))
    for k in np.flatnonzero(marked).tolist():
        better = marks[int(pair_id[k])].better_response_id
        gold[k] = 2 if better is None else 0 if better == first[k] else 1
    on_gold = np.isin(prompt_id, gold_prompt_ids(conn)) & ~marked
    if not on_gold.any():
        return gold
    first, second = first[on_gold], second[on_gold]
    ids = sorted(set(first.tolist()) | set(second.tolist()))
    correct: dict[int, bool | None] = {}
    for start in range(0, len(ids), 5000):  # under every driver's bound-parameter limit
        chunk = ids[start : start + 5000]
        query = select(Response.id, Response.correct).where(col(Response.id).in_(chunk))
        correct.update(conn.execute(query).all())  # type: ignore[arg-type]
    better = [
        0
        if correct.get(a) is True and correct.get(b) is False
        else 1
        if correct.get(a) is False and correct.get(b) is True
        else -1
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    gold[on_gold] = better
    return gold


def rater_quality(
    engine: Engine,
    cut: Cut | None = None,
    *,
    too_fast_ms: float = TOO_FAST_MS,
    min_others: int = MIN_OTHERS,
) -> RaterReport:
    """Per-rater quality figures and inter-rater agreement over the votes of a cut.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes (default: every vote). Votes of excluded raters are read too,
        so a lead can see the figures of a rater they left out.
    too_fast_ms : float
        A vote with a shorter dwell counts as too fast.
    min_others : int
        Other votes on a pair needed before a vote is compared with their majority.

    Returns
    -------
    RaterReport
    """
    cut = cut or Cut()
    marks = gold_answers(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Vote.rater_id,
                Vote.pair_id,
                Vote.prompt_id,
                Vote.left_response_id,
                Vote.right_response_id,
                Vote.choice,
                Vote.dwell_ms,
                Vote.flagged,
            )
            .where(*vote_conditions(conn, cut, include_excluded_raters=True))
            .order_by(col(Vote.id))
        ).all()
        raters = {
            rid: (name, bool(excluded))
            for rid, name, excluded in conn.execute(
                select(Rater.id, Rater.name, Rater.excluded)
            ).all()
        }
        columns = list(zip(*rows, strict=True)) if rows else [()] * 8
        rater, item, prompt, left, right = (np.array(c, dtype=np.int64) for c in columns[:5])
        gold = _gold_codes(conn, item, prompt, left, right, marks)
    choice = np.array(columns[5], dtype=object)
    dwell = np.array([np.nan if d is None else d for d in columns[6]], dtype=float)
    flagged = np.array(columns[7], dtype=bool)
    code = verdicts(choice, left, right)
    excluded_ids = [rid for rid, (_name, excluded) in raters.items() if excluded]
    counted = ~np.isin(rater, excluded_ids)
    majority = agrees_with_majority(item, code, counted=counted, min_others=min_others)

    report_rows = []
    for rid in np.unique(rater).tolist():
        mine = rater == rid
        figures = rater_figures(
            choice=choice[mine],
            code=code[mine],
            majority=majority[mine],
            gold_code=gold[mine],
            dwell_ms=dwell[mine],
            flagged=flagged[mine],
            too_fast_ms=too_fast_ms,
        )
        name, excluded = raters[rid]
        report_rows.append(RaterRow(rid, name, excluded, figures))
    report_rows.sort(key=lambda row: row.name.casefold())

    kappas = pairwise_kappa(item, rater, code)
    name_of = {rid: name for rid, (name, _excluded) in raters.items()}
    pairs = sorted(
        (
            RaterPair(
                *sorted((name_of[p.first_rater], name_of[p.second_rater]), key=str.casefold),
                p.kappa,
            )
            for p in kappas
        ),
        key=lambda p: (p.first.casefold(), p.second.casefold()),
    )
    counted_kappas = [
        p
        for p in kappas
        if p.first_rater not in excluded_ids and p.second_rater not in excluded_ids
    ]
    return RaterReport(
        cut=cut,
        rows=report_rows,
        pairs=pairs,
        mean_kappa=mean_kappa(counted_kappas),
        alpha=krippendorff_alpha_nominal(item[counted], code[counted]),
        alpha_all=krippendorff_alpha_nominal(item, code),
        too_fast_ms=too_fast_ms,
    )


def set_rater_excluded(engine: Engine, rater_id: int, excluded: bool) -> None:
    """Leave a rater's votes out of every ranking and cut, or count them again.

    The votes are never touched: excluding and including again is lossless.

    Raises
    ------
    ValueError
        When there is no rater with this id.
    """
    with session_scope(engine) as session:
        result = session.execute(
            update(Rater).where(col(Rater.id) == rater_id).values(excluded=excluded)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ValueError(f"no rater with id {rater_id}")


def set_rater_excluded_by_name(engine: Engine, name: str, excluded: bool) -> RaterInfo:
    """:func:`set_rater_excluded` for the rater called ``name`` (any case and spacing).

    Raises
    ------
    blindside.raters.RaterError
        When there is no rater called ``name``.
    """
    rater = find_rater(engine, name)
    set_rater_excluded(engine, rater.id, excluded)
    return replace(rater, excluded=excluded)

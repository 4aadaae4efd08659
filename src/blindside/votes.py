"""Raters and their votes: stored exactly once, aggregated by the database.

A vote is unique per (pair, rater): a double click, a resent form or two
browser tabs can never count it twice, and a stored vote is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, case, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from blindside.db import session_scope
from blindside.pairing import Impression
from blindside.tables import VOTE_CHOICES, Pair, Prompt, Rater, Response, Vote


def normalise_rater_name(name: str) -> str:
    """Names are compared trimmed and with inner whitespace collapsed."""
    return " ".join(name.split())


def sign_in(engine: Engine, name: str) -> Rater:
    """Find or create the rater with this name.

    Raises
    ------
    ValueError
        For an empty name.
    """
    clean = normalise_rater_name(name)
    if not clean:
        raise ValueError("enter your name to sign in")
    if len(clean) > 80:
        raise ValueError("names are at most 80 characters")
    for _ in range(2):
        try:
            with session_scope(engine) as session:
                rater = session.exec(select(Rater).where(Rater.name == clean)).first()
                if rater is None:
                    rater = Rater(name=clean)
                    session.add(rater)
                    session.flush()
                return rater
        except IntegrityError:
            continue  # created concurrently by another session: read it back
    raise RuntimeError(f"could not sign in {clean!r}")


def record_vote(
    engine: Engine,
    rater_id: int,
    impression: Impression,
    choice: str,
    *,
    dwell_ms: int | None = None,
    flagged: bool = False,
    comment: str | None = None,
) -> bool:
    """Store a vote once.

    Returns
    -------
    bool
        True when stored now, False when this rater had already voted on the pair.
    """
    if choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    try:
        with session_scope(engine) as session:
            session.add(
                Vote(
                    pair_id=impression.pair_id,
                    rater_id=rater_id,
                    left_response_id=impression.left_response_id,
                    choice=choice,
                    dwell_ms=dwell_ms,
                    flagged=flagged,
                    comment=comment,
                )
            )
        return True
    except IntegrityError:
        return False


def count_votes(engine: Engine, rater_id: int | None = None) -> int:
    """Votes in the database, or cast by one rater."""
    with Session(engine) as session:
        query = select(func.count(col(Vote.id)))
        if rater_id is not None:
            query = query.where(Vote.rater_id == rater_id)
        return int(session.exec(query).one())


def latest_vote_id(engine: Engine) -> int:
    """Id of the newest vote (0 when none): a cheap cache key for rankings."""
    with Session(engine) as session:
        return int(session.exec(select(func.coalesce(func.max(col(Vote.id)), 0))).one())


@dataclass(frozen=True)
class PairOutcomes:
    """Aggregated outcomes per unordered model pair (a < b by model id).

    Both-bad votes are kept apart from ties; rankings count them as ties.
    """

    model_a: np.ndarray
    model_b: np.ndarray
    a_wins: np.ndarray
    b_wins: np.ndarray
    ties: np.ndarray
    both_bad: np.ndarray

    @property
    def total(self) -> int:
        return int(self.a_wins.sum() + self.b_wins.sum() + self.ties.sum() + self.both_bad.sum())


def aggregate_outcomes(
    engine: Engine, *, tier: int | None = None, include_fallbacks: bool = True
) -> PairOutcomes:
    """Win / loss / tie / both-bad counts per model pair, computed by a GROUP BY.

    Parameters
    ----------
    engine : Engine
    tier : int, optional
        Only votes on prompts of this tier.
    include_fallbacks : bool
        False drops votes on pairs where a fallback model served either answer
        (the vote then says nothing about the model being ranked).
    """
    resp_a = aliased(Response)
    resp_b = aliased(Response)
    # The pair's "a" side won when it was on the left and left won, or on the right and right won.
    a_on_left = col(Vote.left_response_id) == col(Pair.response_a_id)
    a_won = case(
        (and_(a_on_left, col(Vote.choice) == "left"), 1),
        (and_(~a_on_left, col(Vote.choice) == "right"), 1),
        else_=0,
    )
    b_won = case(
        (and_(a_on_left, col(Vote.choice) == "right"), 1),
        (and_(~a_on_left, col(Vote.choice) == "left"), 1),
        else_=0,
    )
    tie = case((col(Vote.choice) == "tie", 1), else_=0)
    both_bad = case((col(Vote.choice) == "both_bad", 1), else_=0)
    query = (
        select(
            resp_a.model_id,
            resp_b.model_id,
            func.sum(a_won),
            func.sum(b_won),
            func.sum(tie),
            func.sum(both_bad),
        )
        .select_from(Vote)
        .join(Pair, col(Pair.id) == col(Vote.pair_id))
        .join(resp_a, resp_a.id == col(Pair.response_a_id))
        .join(resp_b, resp_b.id == col(Pair.response_b_id))
        .group_by(resp_a.model_id, resp_b.model_id)
    )
    if tier is not None:
        query = query.join(Prompt, col(Prompt.id) == col(Pair.prompt_id)).where(Prompt.tier == tier)
    with Session(engine) as session:
        rows = session.exec(query).all()
    # A pair stores responses in id order, so the same two models may come in
    # either orientation; fold them onto (min id, max id).
    folded: dict[tuple[int, int], list[int]] = {}
    for m_a, m_b, wa, wb, t, bb in rows:
        if m_a > m_b:
            m_a, m_b, wa, wb = m_b, m_a, wb, wa
        cell = folded.setdefault((m_a, m_b), [0, 0, 0, 0])
        cell[0] += int(wa or 0)
        cell[1] += int(wb or 0)
        cell[2] += int(t or 0)
        cell[3] += int(bb or 0)
    keys = sorted(folded)
    values = np.array([folded[k] for k in keys], dtype=np.int64).reshape(-1, 4)
    return PairOutcomes(
        model_a=np.array([k[0] for k in keys], dtype=np.int64),
        model_b=np.array([k[1] for k in keys], dtype=np.int64),
        a_wins=values[:, 0],
        b_wins=values[:, 1],
        ties=values[:, 2],
        both_bad=values[:, 3],
    )

"""Votes: each stored exactly once, and what a rater may see of their own.

A vote is unique per (pair, rater): a double click, a resent form or two
browser tabs can never count it twice, and a stored vote is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from blindside.db import session_scope
from blindside.pairing import DrawnPair
from blindside.tables import VOTE_CHOICES, Pair, Prompt, Response, Vote


def record_vote(
    engine: Engine,
    rater_id: int,
    drawn: DrawnPair,
    choice: str,
    *,
    dwell_ms: int | None = None,
    flagged: bool = False,
    comment: str | None = None,
) -> bool:
    """Store a vote once, without an impression (imports, tests, tools).

    The Vote page goes through :func:`blindside.rating.cast_vote`, which also checks
    that the vote answers the pair on the rater's screen.

    Returns
    -------
    bool
        True when stored now, False when this rater had already voted on the pair.
    """
    try:
        with session_scope(engine) as session:
            session.add(
                vote_row(
                    session,
                    rater_id,
                    drawn.pair_id,
                    drawn.left_response_id,
                    choice,
                    dwell_ms=dwell_ms,
                    flagged=flagged,
                    comment=comment,
                )
            )
        return True
    except IntegrityError:
        return False


def vote_row(
    session: Session,
    rater_id: int,
    pair_id: int,
    left_response_id: int,
    choice: str,
    *,
    impression_id: int | None = None,
    dwell_ms: int | None = None,
    flagged: bool = False,
    comment: str | None = None,
) -> Vote:
    """A vote on a pair, with the copies of the pair's facts the aggregation reads.

    Raises
    ------
    ValueError
        For an unknown choice or pair, or a left response that is not in the pair.
    """
    if choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    left, right = _LEFT_ANSWER, _RIGHT_ANSWER
    # One round trip for the pair, its prompt and both answers: this is on every vote's path.
    row = session.exec(
        select(
            Pair.prompt_id,
            Pair.response_a_id,
            Pair.response_b_id,
            Prompt.tier,
            left.model_id,
            left.run_id,
            left.is_fallback,
            left.identity_leak,
            right.id,
            right.model_id,
            right.is_fallback,
            right.identity_leak,
        )
        .select_from(Pair)
        .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
        .join(left, col(left.id) == left_response_id)
        .join(
            right,
            col(right.id)
            == case(
                (col(Pair.response_a_id) == left_response_id, col(Pair.response_b_id)),
                else_=col(Pair.response_a_id),
            ),
        )
        .where(col(Pair.id) == pair_id)
    ).first()
    if row is None:
        if session.get(Pair, pair_id) is None:
            raise ValueError(f"no pair {pair_id}")
        raise ValueError(f"response {left_response_id} is not in this pair")
    (
        prompt_id,
        response_a_id,
        response_b_id,
        tier,
        left_model_id,
        run_id,
        left_fallback,
        left_leak,
        right_id,
        right_model_id,
        right_fallback,
        right_leak,
    ) = row
    # The right answer is the pair's other one: taken from the pair, not the page.
    if left_response_id not in (response_a_id, response_b_id):
        raise ValueError(f"response {left_response_id} is not in this pair")
    return Vote(
        pair_id=pair_id,
        rater_id=rater_id,
        left_response_id=left_response_id,
        choice=choice,
        dwell_ms=dwell_ms,
        flagged=flagged,
        comment=comment,
        impression_id=impression_id,
        # Denormalised so the leaderboard's GROUP BY needs no join.
        prompt_id=prompt_id,
        tier=tier,
        right_response_id=right_id,
        left_model_id=left_model_id,
        right_model_id=right_model_id,
        run_id=run_id,
        fallback=bool(left_fallback or right_fallback),
        identity_leak=bool(left_leak or right_leak),
    )


# Built once: an alias copies every column of the table, which costs more than the query.
_LEFT_ANSWER = aliased(Response, name="left_answer")
_RIGHT_ANSWER = aliased(Response, name="right_answer")


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
class OwnVote:
    """One of a rater's own votes, as they may see it: never a model, a run or a response.

    Attributes
    ----------
    cast_at : datetime
    prompt_text : str
        What they read as the prompt.
    choice : str
        ``left``, ``right``, ``tie`` or ``both_bad``: a side, which names no model.
    flagged : bool
    comment : str or None
    """

    cast_at: datetime
    prompt_text: str
    choice: str
    flagged: bool
    comment: str | None


def own_votes(engine: Engine, rater_id: int, limit: int = 200) -> list[OwnVote]:
    """A rater's latest votes, newest first, without anything that identifies a model."""
    with Session(engine) as session:
        rows = session.exec(
            select(Vote.created_at, Prompt.text, Vote.choice, Vote.flagged, Vote.comment)
            .join(Prompt, col(Prompt.id) == col(Vote.prompt_id))
            .where(Vote.rater_id == rater_id)
            .order_by(col(Vote.id).desc())
            .limit(limit)
        ).all()
    return [OwnVote(*row) for row in rows]

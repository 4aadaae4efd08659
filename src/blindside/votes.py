"""Votes: each stored exactly once, and what a rater may see of their own.

A vote is unique per (pair, rater): a double click, a resent form or two
browser tabs can never count it twice, and a stored vote is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Insert, bindparam, case, func, insert, or_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.pairing import DrawnPair
from blindside.tables import VOTE_CHOICES, Pair, Prompt, Response, Vote, utc_now


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
        with engine.begin() as conn:
            insert_vote(
                conn,
                rater_id,
                drawn.pair_id,
                drawn.left_response_id,
                choice,
                dwell_ms=dwell_ms,
                flagged=flagged,
                comment=comment,
            )
        return True
    except IntegrityError:
        return False


@dataclass(frozen=True)
class StoredVote:
    """What the live scheduler counts of a vote just inserted."""

    vote_id: int
    left_model_id: int
    right_model_id: int


def insert_vote(
    conn: Connection,
    rater_id: int,
    pair_id: int,
    left_response_id: int,
    choice: str,
    *,
    impression_id: int | None = None,
    dwell_ms: int | None = None,
    flagged: bool = False,
    comment: str | None = None,
) -> StoredVote:
    """Insert a vote on a pair with the copies of the pair's facts the aggregation reads.

    One ``INSERT ... SELECT ... RETURNING`` statement (it is on every vote's path): the
    copies (prompt, tier, right answer, both models, run, fallback and identity-leak
    flags) are read by the database from the pair and its answers as they are now, never
    from the page. Runs in the caller's transaction.

    Raises
    ------
    ValueError
        For an unknown choice or pair, or a left response that is not in the pair.
    sqlalchemy.exc.IntegrityError
        When the rater voted on the pair already, or the impression has a vote.
    """
    if choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    row = conn.execute(
        _INSERT_VOTE,
        {
            "v_pair": pair_id,
            "v_rater": rater_id,
            "v_left": left_response_id,
            "v_choice": choice,
            "v_dwell": dwell_ms,
            "v_flagged": flagged,
            "v_comment": comment,
            "v_impression": impression_id,
            "v_created": utc_now(),
        },
    ).first()
    if row is None:
        if conn.execute(select(Pair.id).where(col(Pair.id) == pair_id)).first() is None:
            raise ValueError(f"no pair {pair_id}")
        raise ValueError(f"response {left_response_id} is not in this pair")
    return StoredVote(int(row[0]), int(row[1]), int(row[2]))


def vote_insert(closed: Any = None, dwell: Any = None, *, imported: bool = False) -> Insert:
    """The vote ``INSERT ... SELECT ... RETURNING`` (id and both models), built once per use
    (its compiled form is cached by SQLAlchemy).

    Parameters
    ----------
    closed : FromClause, optional
        A closed impression's row (columns ``id``, ``pair_id``, ``left_response_id``; e.g. the
        CTE of an ``UPDATE ... RETURNING``): the vote's impression, pair and left answer come
        from it. None: from the bind parameters ``v_impression``, ``v_pair`` and ``v_left``.
    dwell : ColumnElement, optional
        The dwell in milliseconds, with ``closed``; None: the bind parameter ``v_dwell``.
    imported : bool
        The form :func:`insert_imported_votes` runs many times in one call, with
        ``imported_from`` as a parameter and no RETURNING (which an executemany cannot have).
    """
    vote, pair, prompt = Vote.__table__, Pair.__table__, Prompt.__table__  # type: ignore[attr-defined]
    left = Response.__table__.alias("left_answer")  # type: ignore[attr-defined]
    right = Response.__table__.alias("right_answer")  # type: ignore[attr-defined]

    def given(name: str, column: str) -> BindParameter:
        return bindparam(name, type_=vote.c[column].type)

    if closed is None:
        pair_id, left_id = given("v_pair", "pair_id"), given("v_left", "left_response_id")
        impression_id, dwell = given("v_impression", "impression_id"), given("v_dwell", "dwell_ms")
        shown: Any = pair
    else:
        pair_id, left_id, impression_id = closed.c.pair_id, closed.c.left_response_id, closed.c.id
        shown = closed.join(pair, pair.c.id == closed.c.pair_id)
    copied = {
        "pair_id": pair_id,
        "rater_id": given("v_rater", "rater_id"),
        "left_response_id": left_id,
        "choice": given("v_choice", "choice"),
        "dwell_ms": dwell,
        "flagged": given("v_flagged", "flagged"),
        "comment": given("v_comment", "comment"),
        "created_at": given("v_created", "created_at"),
        "impression_id": impression_id,
        # Denormalised so the leaderboard's GROUP BY needs no join.
        "prompt_id": pair.c.prompt_id,
        "tier": prompt.c.tier,
        # The right answer is the pair's other one: taken from the pair, not the page.
        "right_response_id": right.c.id,
        "left_model_id": left.c.model_id,
        "right_model_id": right.c.model_id,
        "run_id": left.c.run_id,
        "fallback": or_(left.c.is_fallback, right.c.is_fallback),
        "identity_leak": or_(left.c.identity_leak, right.c.identity_leak),
    }
    if imported:
        copied["imported_from"] = given("v_imported", "imported_from")
    other = case(
        (pair.c.response_a_id == left_id, pair.c.response_b_id), else_=pair.c.response_a_id
    )
    source = (
        select(*copied.values())
        .select_from(
            shown.join(prompt, prompt.c.id == pair.c.prompt_id)
            .join(left, left.c.id == left_id)
            .join(right, right.c.id == other)
        )
        .where(pair.c.id == pair_id, left_id.in_([pair.c.response_a_id, pair.c.response_b_id]))
    )
    statement = insert(vote).from_select(list(copied), source)
    if imported:
        return statement
    return statement.returning(vote.c.id, vote.c.left_model_id, vote.c.right_model_id)


_INSERT_VOTE = vote_insert()
_INSERT_IMPORTED_VOTES = vote_insert(imported=True)


def insert_imported_votes(
    conn: Connection, votes: Sequence[Mapping[str, Any]], imported_from: str
) -> None:
    """Insert many votes read from a file in one executemany, with :func:`insert_vote`'s copies.

    Each vote is a mapping of ``rater_id``, ``pair_id``, ``left_response_id``, ``choice``,
    ``dwell_ms``, ``flagged``, ``comment`` and ``created_at``; none has an impression.
    Runs in the caller's transaction.

    Raises
    ------
    ValueError
        When fewer votes were stored than given (a pair unknown, or a left response not in
        it), where the driver counts the rows of an executemany.
    sqlalchemy.exc.IntegrityError
        When a rater voted on a pair already.
    """
    if not votes:
        return
    if unknown := {v["choice"] for v in votes} - set(VOTE_CHOICES):
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {sorted(unknown)!r}")
    params = [
        {
            "v_pair": v["pair_id"],
            "v_rater": v["rater_id"],
            "v_left": v["left_response_id"],
            "v_choice": v["choice"],
            "v_dwell": v["dwell_ms"],
            "v_flagged": v["flagged"],
            "v_comment": v["comment"],
            "v_impression": None,
            "v_created": v["created_at"],
            "v_imported": imported_from,
        }
        for v in votes
    ]
    stored = conn.execute(_INSERT_IMPORTED_VOTES, params).rowcount
    # -1: the driver did not count (psycopg through SQLAlchemy); SQLite's does.
    if stored >= 0 and stored != len(params):
        raise ValueError(f"{len(params) - stored} of {len(params)} votes name no pair of theirs")


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

"""Raters and their votes: sign-in, and each vote stored exactly once.

A vote is unique per (pair, rater): a double click, a resent form or two
browser tabs can never count it twice, and a stored vote is never dropped.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.cuts import normalise_rater_name
from blindside.db import session_scope
from blindside.pairing import Impression
from blindside.raters import rater_name_key
from blindside.tables import VOTE_CHOICES, Pair, Prompt, Rater, Response, Vote


def sign_in(engine: Engine, name: str) -> Rater:
    """Find or create the rater with this name (compared without case).

    Today's name-only sign-in of the app, until it signs in through :mod:`blindside.raters`.

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
                key = rater_name_key(clean)
                rater = session.exec(select(Rater).where(Rater.name_key == key)).first()
                if rater is None:
                    rater = Rater(name=clean, name_key=key)
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
            pair = session.get(Pair, impression.pair_id)
            if pair is None:
                raise ValueError(f"no pair {impression.pair_id}")
            left_id = impression.left_response_id
            sides = {pair.response_a_id, pair.response_b_id}
            if left_id not in sides:
                raise ValueError(f"response {left_id} is not in this pair")
            # The right answer is the pair's other one: taken from the pair, not the page.
            (right_id,) = sides - {left_id}
            left = session.get(Response, left_id)
            right = session.get(Response, right_id)
            prompt = session.get(Prompt, pair.prompt_id)
            assert left is not None and right is not None and prompt is not None
            session.add(
                Vote(
                    pair_id=impression.pair_id,
                    rater_id=rater_id,
                    left_response_id=left_id,
                    choice=choice,
                    dwell_ms=dwell_ms,
                    flagged=flagged,
                    comment=comment,
                    # Denormalised so the leaderboard's GROUP BY needs no join.
                    prompt_id=pair.prompt_id,
                    tier=prompt.tier,
                    right_response_id=right_id,
                    left_model_id=left.model_id,
                    right_model_id=right.model_id,
                    run_id=left.run_id,
                    fallback=left.is_fallback or right.is_fallback,
                    identity_leak=left.identity_leak or right.identity_leak,
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

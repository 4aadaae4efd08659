"""What the Vote page asks of the store: the pair on the rater's screen, and one vote for it.

Each pair shown to a rater is an impression (:class:`blindside.tables.Impression`): its
sides and when the server showed it. A rater has at most one open impression, the pair on
their screen, and a reload shows it again. A vote or a skip names its impression and is
accepted only while that impression is open and the rater's own. The conditional UPDATE
that closes the impression and the INSERT of the vote are one transaction, so of two key
presses, a double click or two tabs exactly one closes it; the others change nothing and
are answered "already counted". Dwell is the server's answer time minus its show time.

The page keeps a :class:`ShownPair` only: the impression id and the texts, never a model,
a response or a pair id.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.db import session_scope
from blindside.live_scheduler import live_scheduler
from blindside.pairing import DrawnPair, drawn_pair
from blindside.policy import identity_policy
from blindside.tables import VOTE_CHOICES, Impression, Pair, Prompt, Response, utc_now
from blindside.votes import vote_row


class VoteOutcome(StrEnum):
    """What became of a vote or a skip."""

    STORED = "stored"
    #: The impression was answered already, is not the rater's, or does not exist.
    ALREADY_COUNTED = "already_counted"


@dataclass(frozen=True)
class ShownPair:
    """What the Vote page holds and draws: the impression id and the texts, nothing else.

    Attributes
    ----------
    impression_id : int
        The id a vote or a skip names.
    prompt_text : str
        The prompt as one text (shown when it has no turns).
    system : str or None
        The prompt's system instructions.
    turns : tuple of (str, str)
        The prompt's chat messages as (role, content), system messages left out.
    left_text, right_text : str
        The two answers, in the sides drawn for this impression.
    """

    impression_id: int
    prompt_text: str
    system: str | None
    turns: tuple[tuple[str, str], ...]
    left_text: str
    right_text: str


@dataclass(frozen=True)
class SideExposure:
    """How often a model's answers were shown on each side (every impression, skips too)."""

    left: int
    right: int


def draw_next_pair(
    engine: Engine, rater_id: int, tiers: Collection[int] | None = None
) -> DrawnPair | None:
    """The one place the next pair is chosen: the adaptive scheduler over live counts.

    The pair is one the rater has never been shown, open for rating (under the ``hide``
    identity policy no answer flagged as a leak), on the rater's tiers, with the sides
    chosen to keep each model's left and right exposures balanced
    (:mod:`blindside.live_scheduler`). Costs ``O(models²)`` in memory and a few primary-key
    reads: no query over the votes.

    Parameters
    ----------
    engine : Engine
    rater_id : int
    tiers : collection of int, optional
        The tiers the rater chose; None for every tier open for rating.

    Returns
    -------
    DrawnPair or None
        None when the rater has been shown every open pair of those tiers.
    """
    scheduler = live_scheduler(engine)
    for _ in range(3):
        drawn = scheduler.draw(rater_id, tiers)
        if drawn is None:
            return None
        pair_id, left_response_id = drawn
        hide_leaks = not identity_policy(engine).offers_leaks
        with Session(engine) as session:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            shown = drawn_pair(session, pair, left_response_id)
            leaky = (
                hide_leaks
                and session.exec(
                    select(func.count()).where(
                        col(Response.id).in_((pair.response_a_id, pair.response_b_id)),
                        col(Response.identity_leak).is_(True),
                    )
                ).one()
            )
        if leaky:
            # Flagged since the counts were built: rebuild them without it, draw again.
            scheduler.invalidate()
            continue
        return shown
    return None


def current_or_next_impression(
    engine: Engine, rater_id: int, tiers: Collection[int] | None = None
) -> ShownPair | None:
    """The pair on the rater's screen: their open impression, or a newly drawn one.

    Parameters
    ----------
    engine : Engine
    rater_id : int
    tiers : collection of int, optional
        The tiers the rater chose; None for every tier. An open impression on another
        tier is closed as skipped (the rater changed their choice) and a new pair drawn.

    Returns
    -------
    ShownPair or None
        None when the rater has been shown every pair there is.
    """
    for _ in range(5):
        with session_scope(engine) as session:
            shown = _open_impression(session, rater_id, tiers)
        if shown is not None:
            return shown
        drawn = draw_next_pair(engine, rater_id, tiers)
        if drawn is None:
            return None
        try:
            with session_scope(engine) as session:
                impression = Impression(
                    pair_id=drawn.pair_id,
                    rater_id=rater_id,
                    left_response_id=drawn.left_response_id,
                )
                session.add(impression)
                session.flush()
                return _shown(impression.id, drawn)  # type: ignore[arg-type]
        except IntegrityError:
            # Another tab of this rater opened an impression (or another replica showed
            # them this pair) at the same moment: show theirs, re-reading what they saw.
            live_scheduler(engine).forget_rater(rater_id)
            continue
    raise RuntimeError(f"could not open an impression for rater {rater_id}")


def cast_vote(
    engine: Engine,
    rater_id: int,
    impression_id: int,
    choice: str,
    *,
    flagged: bool = False,
    comment: str | None = None,
) -> VoteOutcome:
    """Store the rater's vote on their open impression, or nothing.

    Returns
    -------
    VoteOutcome
        ``STORED``, or ``ALREADY_COUNTED`` when the impression is answered already (a
        second press, a double click, a stale tab), belongs to another rater or does not
        exist: then nothing is stored.

    Raises
    ------
    ValueError
        For a choice that is not one of ``VOTE_CHOICES``.
    """
    if choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    try:
        with session_scope(engine) as session:
            closed = _close(session, rater_id, impression_id, skipped=False)
            if closed is None:
                return VoteOutcome.ALREADY_COUNTED
            pair_id, left_response_id, shown_at, answered_at = closed
            vote = vote_row(
                session,
                rater_id,
                pair_id,
                left_response_id,
                choice,
                impression_id=impression_id,
                dwell_ms=dwell_ms(shown_at, answered_at),
                flagged=flagged,
                comment=comment,
            )
            session.add(vote)
            session.flush()
        live_scheduler(engine).voted(
            vote.id,  # type: ignore[arg-type]
            rater_id,
            pair_id,
            vote.left_model_id,
            vote.right_model_id,
            choice,
        )
        return VoteOutcome.STORED
    except IntegrityError:
        # A vote on this pair by this rater without an impression (stored before
        # impressions existed): the pair is counted already; the close is rolled back.
        return VoteOutcome.ALREADY_COUNTED


def skip(engine: Engine, rater_id: int, impression_id: int) -> VoteOutcome:
    """Close the rater's open impression without a vote; the pair is not shown again."""
    with session_scope(engine) as session:
        closed = _close(session, rater_id, impression_id, skipped=True)
    return VoteOutcome.ALREADY_COUNTED if closed is None else VoteOutcome.STORED


def dwell_ms(shown_at: datetime, answered_at: datetime) -> int:
    """Milliseconds from showing a pair to its answer, both server times."""
    return max(0, round((answered_at - shown_at).total_seconds() * 1000))


def side_exposure(engine: Engine) -> dict[int, SideExposure]:
    """Per model id, how many impressions showed its answer on the left and on the right."""
    right_response_id = case(
        (col(Pair.response_a_id) == col(Impression.left_response_id), col(Pair.response_b_id)),
        else_=col(Pair.response_a_id),
    )
    with Session(engine) as session:
        lefts = session.exec(
            select(Response.model_id, func.count())
            .select_from(Impression)
            .join(Response, col(Response.id) == col(Impression.left_response_id))
            .group_by(col(Response.model_id))
        ).all()
        rights = session.exec(
            select(Response.model_id, func.count())
            .select_from(Impression)
            .join(Pair, col(Pair.id) == col(Impression.pair_id))
            .join(Response, col(Response.id) == right_response_id)
            .group_by(col(Response.model_id))
        ).all()
    left_of, right_of = dict(lefts), dict(rights)
    return {
        model_id: SideExposure(left=left_of.get(model_id, 0), right=right_of.get(model_id, 0))
        for model_id in sorted(left_of.keys() | right_of.keys())
    }


def _close(
    session: Session, rater_id: int, impression_id: int, *, skipped: bool
) -> tuple[int, int, datetime, datetime] | None:
    """Mark the rater's open impression answered: (pair, left response, shown, answered).

    None when no row matched. The WHERE clause is the whole check: on PostgreSQL a
    concurrent UPDATE of the row waits for the first to commit and then finds it answered;
    on SQLite writers are serialised, so the second sees the first's commit.
    """
    now = utc_now()
    table = Impression.__table__  # type: ignore[attr-defined]
    row = session.execute(
        update(table)
        .where(
            table.c.id == impression_id,
            table.c.rater_id == rater_id,
            table.c.answered_at.is_(None),
        )
        .values(answered_at=now, skipped=skipped)
        .returning(table.c.pair_id, table.c.left_response_id, table.c.shown_at)
    ).first()
    if row is None:
        return None
    return int(row.pair_id), int(row.left_response_id), row.shown_at, now


def _open_impression(
    session: Session, rater_id: int, tiers: Collection[int] | None
) -> ShownPair | None:
    """The rater's open impression as shown, or None (closing one on an unchosen tier)."""
    impression = session.exec(
        select(Impression).where(
            Impression.rater_id == rater_id, col(Impression.answered_at).is_(None)
        )
    ).first()
    if impression is None:
        return None
    pair = session.get(Pair, impression.pair_id)
    assert pair is not None and impression.id is not None
    if tiers is not None:
        prompt = session.get(Prompt, pair.prompt_id)
        assert prompt is not None
        if prompt.tier not in tiers:
            _close(session, rater_id, impression.id, skipped=True)
            return None
    return _shown(impression.id, drawn_pair(session, pair, impression.left_response_id))


def _shown(impression_id: int, drawn: DrawnPair) -> ShownPair:
    return ShownPair(
        impression_id=impression_id,
        prompt_text=drawn.prompt_text,
        system=drawn.system,
        turns=drawn.turns,
        left_text=drawn.left_text,
        right_text=drawn.right_text,
    )

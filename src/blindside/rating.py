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
from enum import StrEnum

from sqlalchemy import case, func
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.impressions import (
    Closed,
    close_impression,
    drawn_if_open,
    dwell_ms,
    open_impression,
    rater_open_impression,
    writing,
)
from blindside.live_scheduler import NOT_PREPARED, LiveScheduler, live_scheduler
from blindside.pairing import DrawnPair
from blindside.press import NOT_DRAWN, Pressed, press, remember
from blindside.tables import VOTE_CHOICES, Impression, Pair, Response
from blindside.votes import insert_vote


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
    (:mod:`blindside.live_scheduler`). Costs ``O(models²)`` in memory and one read by
    primary keys: no query over the votes. Nothing is stored: the pair is marked shown
    to the rater in the scheduler's counts only.

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
    for attempt in range(4):
        # Nothing left in the counts: new pairs may have been built since the last read.
        scheduler.prepare(rater_id, force=attempt > 0)
        with engine.connect() as conn:
            drawn = _draw(conn, scheduler, rater_id, tiers)
        if (drawn is None and attempt == 0) or drawn is _TAKEN:
            continue
        return drawn  # type: ignore[return-value]
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
    scheduler = live_scheduler(engine)
    for attempt in range(6):
        with engine.connect() as conn:
            open_now = rater_open_impression(conn, rater_id)
        if open_now is not None and (tiers is None or open_now[1] in tiers):
            remember(engine, rater_id, open_now[0], open_now[2])
            return _shown(open_now[0], open_now[2])
        # Nothing left in the counts: new pairs may have been built since the last read.
        scheduler.prepare(rater_id, force=attempt > 0)
        with writing(engine) as conn:
            if open_now is not None:  # on a tier the rater no longer rates: skipped
                close_impression(conn, rater_id, open_now[0], skipped=True)
            shown = _open_next(conn, scheduler, rater_id, tiers)
        if shown is None and attempt > 0:
            return None
        if isinstance(shown, tuple):
            remember(engine, rater_id, shown[0], shown[1])
            return _shown(*shown)
        if shown is _TAKEN:
            # Another tab of this rater opened an impression (or another replica showed
            # them this pair) at the same moment: show theirs, re-reading what they saw.
            scheduler.forget_rater(rater_id)
    raise RuntimeError(f"could not open an impression for rater {rater_id}")


def answer_and_next(
    engine: Engine,
    rater_id: int,
    impression_id: int,
    choice: str | None,
    *,
    flagged: bool = False,
    comment: str | None = None,
    tiers: Collection[int] | None = None,
) -> tuple[VoteOutcome, ShownPair | None]:
    """What the Vote page does on a press: :func:`cast_vote` (or :func:`skip` when
    ``choice`` is None), then :func:`current_or_next_impression`.

    On PostgreSQL the next pair is drawn first, then closing the impression, inserting the
    vote and opening the next pair's impression are one statement
    (:func:`blindside.press.press`). On SQLite they are one transaction, the pair drawn
    after the vote is counted. Otherwise (``ALREADY_COUNTED``) nothing is stored and the
    pair shown is the rater's open impression, as :func:`current_or_next_impression` finds
    it.

    Returns
    -------
    tuple of (VoteOutcome, ShownPair or None)
        What became of the answer, and the pair now on the rater's screen (None when the
        rater has been shown every pair there is).

    Raises
    ------
    ValueError
        For a choice that is not one of ``VOTE_CHOICES``.
    """
    if choice is not None and choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    scheduler = live_scheduler(engine)
    scheduler.prepare(rater_id)  # reads only when due, on connections of its own
    if engine.dialect.name != "postgresql":
        return _answer_in_one_transaction(
            engine, scheduler, rater_id, impression_id, choice, flagged, comment, tiers
        )
    try:
        pressed = press(
            engine,
            scheduler,
            rater_id,
            impression_id,
            choice,
            flagged=flagged,
            comment=comment,
            tiers=tiers,
        )
    except IntegrityError:
        # A vote on this pair by this rater without an impression (stored before
        # impressions existed): the pair is counted already; nothing was stored.
        pressed = None
    if pressed is NOT_DRAWN:
        # No next pair in the counts as they are (every pair shown, or rebuilt since the
        # reads): the press on its own, then what a page load finds.
        if choice is None:
            outcome = skip(engine, rater_id, impression_id)
        else:
            outcome = cast_vote(
                engine, rater_id, impression_id, choice, flagged=flagged, comment=comment
            )
        return outcome, current_or_next_impression(engine, rater_id, tiers)
    if pressed is None:
        # Already counted (a second press, a stale tab): what is on the rater's screen.
        return VoteOutcome.ALREADY_COUNTED, current_or_next_impression(engine, rater_id, tiers)
    assert isinstance(pressed, Pressed)
    if pressed.impression_id is None:
        # The next pair was refused (flagged since, or another tab or replica opened one).
        return VoteOutcome.STORED, current_or_next_impression(engine, rater_id, tiers)
    return VoteOutcome.STORED, _shown(pressed.impression_id, pressed.drawn)


def _answer_in_one_transaction(
    engine: Engine,
    scheduler: LiveScheduler,
    rater_id: int,
    impression_id: int,
    choice: str | None,
    flagged: bool,
    comment: str | None,
    tiers: Collection[int] | None,
) -> tuple[VoteOutcome, ShownPair | None]:
    """:func:`answer_and_next` on SQLite: close, vote, count, draw, the drawn pair's texts
    and its impression, in one transaction while this process's writers take turns.

    SQLite runs in process (no round trips to save) and admits one writer at a time: doing
    the scheduler's work inside the turn, after the vote is counted, spares the lock
    handoffs of drawing outside it (5-10% more votes per second than blindside.press's
    order, measured with 50 threads).
    """
    opened: tuple[int, DrawnPair] | object | None = _TAKEN
    try:
        with writing(engine) as conn:
            closed = close_impression(conn, rater_id, impression_id, skipped=choice is None)
            if closed is None:
                outcome = VoteOutcome.ALREADY_COUNTED
            else:
                outcome = VoteOutcome.STORED
                if choice is not None:
                    counted = _store_vote(
                        conn, rater_id, impression_id, closed, choice, flagged, comment
                    )
                    # Counted before the draw, so the next pair's sides and gains know it.
                    scheduler.voted(*counted)
                try:
                    opened = _open_next(conn, scheduler, rater_id, tiers)
                except BaseException:
                    scheduler.invalidate()  # the vote just counted is rolled back
                    raise
    except IntegrityError:
        # A vote on this pair by this rater without an impression (stored before
        # impressions existed): the pair is counted already; the close is rolled back.
        outcome = VoteOutcome.ALREADY_COUNTED
    if not isinstance(opened, tuple):
        # Already counted, the impression refused, or nothing left in the counts: what
        # is on the rater's screen now, as a page load would find it.
        return outcome, current_or_next_impression(engine, rater_id, tiers)
    remember(engine, rater_id, *opened)
    return outcome, _shown(*opened)


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
    scheduler = live_scheduler(engine)
    try:
        with writing(engine) as conn:
            closed = close_impression(conn, rater_id, impression_id, skipped=False)
            if closed is None:
                return VoteOutcome.ALREADY_COUNTED
            counted = _store_vote(conn, rater_id, impression_id, closed, choice, flagged, comment)
        scheduler.voted(*counted)
        return VoteOutcome.STORED
    except IntegrityError:
        # A vote on this pair by this rater without an impression (stored before
        # impressions existed): the pair is counted already; the close is rolled back.
        return VoteOutcome.ALREADY_COUNTED


def skip(engine: Engine, rater_id: int, impression_id: int) -> VoteOutcome:
    """Close the rater's open impression without a vote; the pair is not shown again."""
    with writing(engine) as conn:
        closed = close_impression(conn, rater_id, impression_id, skipped=True)
    return VoteOutcome.ALREADY_COUNTED if closed is None else VoteOutcome.STORED


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


def _store_vote(
    conn: Connection,
    rater_id: int,
    impression_id: int,
    closed: Closed,
    choice: str,
    flagged: bool,
    comment: str | None,
) -> tuple[int, int, int, int, int, str]:
    """Insert the vote on a closed impression; what :meth:`LiveScheduler.voted` counts."""
    stored = insert_vote(
        conn,
        rater_id,
        closed.pair_id,
        closed.left_response_id,
        choice,
        impression_id=impression_id,
        dwell_ms=dwell_ms(closed.shown_at, closed.answered_at),
        flagged=flagged,
        comment=comment,
    )
    return (
        stored.vote_id,
        rater_id,
        closed.pair_id,
        stored.left_model_id,
        stored.right_model_id,
        choice,
    )


# Returned by _draw and _open_next when the impression could not be opened: the scheduler
# must be prepared again, or a unique index refused the impression.
_TAKEN = object()


def _draw(
    conn: Connection,
    scheduler: LiveScheduler,
    rater_id: int,
    tiers: Collection[int] | None,
) -> DrawnPair | object | None:
    """A pair from the scheduler with its texts (one read), still open for rating.

    None when nothing is left in the counts; ``_TAKEN`` when the scheduler must be
    prepared again (:meth:`LiveScheduler.prepare`).
    """
    for _ in range(3):
        drawn = scheduler.draw_prepared(rater_id, tiers)
        if drawn is None or drawn is NOT_PREPARED:
            return None if drawn is None else _TAKEN
        pair_id, left_response_id = drawn  # type: ignore[misc]
        shown = drawn_if_open(conn, pair_id, left_response_id)
        if shown is not None:
            return shown
        # Flagged since the counts were built: rebuild them without it, draw again.
        scheduler.invalidate()
    return None


def _open_next(
    conn: Connection, scheduler: LiveScheduler, rater_id: int, tiers: Collection[int] | None
) -> tuple[int, DrawnPair] | object | None:
    """Draw the rater's next pair and open its impression, in the caller's transaction.

    Returns the impression id and the pair, None when nothing is left, or ``_TAKEN`` when a
    unique index refused the impression (another tab opened one, another replica showed
    the pair).
    """
    drawn = _draw(conn, scheduler, rater_id, tiers)
    if not isinstance(drawn, DrawnPair):
        return drawn
    impression_id = open_impression(conn, rater_id, drawn.pair_id, drawn.left_response_id)
    return _TAKEN if impression_id is None else (impression_id, drawn)


def _shown(impression_id: int, drawn: DrawnPair) -> ShownPair:
    return ShownPair(
        impression_id=impression_id,
        prompt_text=drawn.prompt_text,
        system=drawn.system,
        turns=drawn.turns,
        left_text=drawn.left_text,
        right_text=drawn.right_text,
    )

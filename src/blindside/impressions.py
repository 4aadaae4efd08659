"""The impression rows of the vote path, as Core statements built once.

An impression is one pair on one rater's screen (:class:`blindside.tables.Impression`).
:mod:`blindside.rating` composes these into what the Vote page calls; each runs in the
caller's transaction, so a vote, the next draw and its impression commit together. The vote
path creates no ORM object and no session: SQLAlchemy caches each statement's compiled form.
"""

from __future__ import annotations

import collections
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import select

from blindside.pairing import DrawnPair, conversation
from blindside.policy import IdentityPolicy, identity_policy
from blindside.tables import Impression, Pair, Prompt, RatingPolicyRow, Response, utc_now

# The tables, aliases and joins of the vote path, shared with blindside.press.
IMPRESSION = Impression.__table__  # type: ignore[attr-defined]
PAIR = Pair.__table__  # type: ignore[attr-defined]
PROMPT = Prompt.__table__  # type: ignore[attr-defined]
POLICY = RatingPolicyRow.__table__  # type: ignore[attr-defined]
ANSWER_A = Response.__table__.alias("answer_a")  # type: ignore[attr-defined]
ANSWER_B = Response.__table__.alias("answer_b")  # type: ignore[attr-defined]

_CLOSE = (
    update(IMPRESSION)
    .where(
        IMPRESSION.c.id == bindparam("c_impression"),
        IMPRESSION.c.rater_id == bindparam("c_rater"),
        IMPRESSION.c.answered_at.is_(None),
    )
    .values(answered_at=bindparam("c_now"), skipped=bindparam("c_skipped"))
    .returning(IMPRESSION.c.pair_id, IMPRESSION.c.left_response_id, IMPRESSION.c.shown_at)
)

# The prompt and both answers of a pair: what a rater is shown.
PAIR_JOIN = (
    PAIR.join(PROMPT, PROMPT.c.id == PAIR.c.prompt_id)
    .join(ANSWER_A, ANSWER_A.c.id == PAIR.c.response_a_id)
    .join(ANSWER_B, ANSWER_B.c.id == PAIR.c.response_b_id)
)
TEXT_COLUMNS = (
    PROMPT.c.text,
    PROMPT.c.messages,
    PROMPT.c.system,
    ANSWER_A.c.id,
    ANSWER_A.c.text,
    ANSWER_B.c.id,
    ANSWER_B.c.text,
)

# A drawn pair's texts, with what decides whether it may still be shown: the answers'
# identity-leak flags and the admin's identity policy (NULL: the setting).
DRAWN = (
    select(
        *TEXT_COLUMNS,
        ANSWER_A.c.identity_leak,
        ANSWER_B.c.identity_leak,
        POLICY.c.identity_policy,
    )
    .select_from(PAIR_JOIN.outerjoin(POLICY, POLICY.c.id == 1))
    .where(PAIR.c.id == bindparam("d_pair"))
)

# The rater's open impression (at most one: a partial unique index) and its tier.
_OPEN_IMPRESSION = (
    select(
        IMPRESSION.c.id,
        IMPRESSION.c.pair_id,
        IMPRESSION.c.left_response_id,
        PROMPT.c.tier,
        *TEXT_COLUMNS,
    )
    .select_from(IMPRESSION.join(PAIR_JOIN, PAIR.c.id == IMPRESSION.c.pair_id))
    .where(IMPRESSION.c.rater_id == bindparam("o_rater"), IMPRESSION.c.answered_at.is_(None))
)


def _open_statement(dialect: str) -> Any:
    """INSERT an impression, or nothing when the rater has an open one or saw the pair."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(IMPRESSION)
        .values(
            pair_id=bindparam("i_pair"),
            rater_id=bindparam("i_rater"),
            left_response_id=bindparam("i_left"),
            shown_at=bindparam("i_now"),
            skipped=False,
        )
        .on_conflict_do_nothing()
        .returning(IMPRESSION.c.id)
    )


_OPEN = {dialect: _open_statement(dialect) for dialect in ("postgresql", "sqlite")}


class Closed(NamedTuple):
    """An impression just answered: its pair and sides, when it was shown and answered."""

    pair_id: int
    left_response_id: int
    shown_at: datetime
    answered_at: datetime


def close_impression(
    conn: Connection, rater_id: int, impression_id: int, *, skipped: bool
) -> Closed | None:
    """Mark the rater's open impression answered (one conditional UPDATE ... RETURNING).

    None when no row matched: answered already, another rater's, or no such impression.
    The WHERE clause is the whole check: on PostgreSQL a concurrent UPDATE of the row waits
    for the first to commit and then finds it answered; on SQLite writers are serialised,
    so the second sees the first's commit.
    """
    now = utc_now()
    row = conn.execute(
        _CLOSE,
        {"c_impression": impression_id, "c_rater": rater_id, "c_now": now, "c_skipped": skipped},
    ).first()
    if row is None:
        return None
    return Closed(int(row.pair_id), int(row.left_response_id), row.shown_at, now)


def dwell_ms(shown_at: datetime, answered_at: datetime) -> int:
    """Milliseconds from showing a pair to its answer, both server times."""
    return max(0, round((answered_at - shown_at).total_seconds() * 1000))


def open_impression(
    conn: Connection, rater_id: int, pair_id: int, left_response_id: int
) -> int | None:
    """Insert the impression of a drawn pair; its id, or None when a unique index refused it
    (the rater has an open impression already, or was shown this pair)."""
    return conn.execute(
        _OPEN[conn.dialect.name],
        {"i_pair": pair_id, "i_rater": rater_id, "i_left": left_response_id, "i_now": utc_now()},
    ).scalar()


def drawn_if_open(conn: Connection, pair_id: int, left_response_id: int) -> DrawnPair | None:
    """A drawn pair's texts with ``left_response_id`` on the left (one read by primary keys);
    None when an answer is flagged as an identity leak and the policy in force hides them."""
    row = conn.execute(DRAWN, {"d_pair": pair_id}).one()
    (*texts, leak_a, leak_b, chosen_policy) = row
    if (leak_a or leak_b) and not _offers_leaks(chosen_policy):
        return None
    return drawn_pair(pair_id, left_response_id, *texts)


def rater_open_impression(conn: Connection, rater_id: int) -> tuple[int, int, DrawnPair] | None:
    """The rater's open impression: (its id, its tier, the pair as shown); None if none."""
    row = conn.execute(_OPEN_IMPRESSION, {"o_rater": rater_id}).first()
    if row is None:
        return None
    impression_id, pair_id, left_response_id, tier, *texts = row
    return int(impression_id), int(tier), drawn_pair(pair_id, left_response_id, *texts)


def _offers_leaks(chosen: str | None) -> bool:
    """Whether the identity policy in force shows flagged answers (the admin's, else the
    setting: :func:`blindside.policy.identity_policy`)."""
    return (IdentityPolicy(chosen) if chosen else identity_policy(None)).offers_leaks


def drawn_pair(
    pair_id: int,
    left_response_id: int,
    prompt_text: str,
    messages: list[dict[str, Any]],
    prompt_system: str | None,
    response_a_id: int,
    text_a: str | None,
    response_b_id: int,
    text_b: str | None,
) -> DrawnPair:
    """A pair's texts with ``left_response_id`` on the left (rows of ``TEXT_COLUMNS``)."""
    system, turns = conversation(messages, prompt_system)
    a_left = left_response_id == response_a_id
    return DrawnPair(
        pair_id=pair_id,
        prompt_text=prompt_text,
        system=system,
        turns=turns,
        left_response_id=left_response_id,
        right_response_id=response_b_id if a_left else response_a_id,
        left_text=(text_a if a_left else text_b) or "",
        right_text=(text_b if a_left else text_a) or "",
    )


# ----------------------------------------------------------------------- transactions


class _TakingTurns:
    """A lock granted in the order it was asked for (``threading.Lock`` lets the thread that
    releases it take it again at once, so one busy rater could starve the others)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: collections.deque[threading.Lock] = collections.deque()
        self._held = False

    def __enter__(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by the holder, which hands the lock over

    def __exit__(self, *exc: object) -> None:
        with self._guard:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._held = False


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, _TakingTurns] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS_LOCK = threading.Lock()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction on the vote path: commits on success, rolls back on error.

    On SQLite the writers of this process take turns, first come first served, before they
    begin. SQLite admits one writer at a time anyway; without the turns the others wait in
    its busy handler, which sleeps in steps of up to 100 ms instead of waking when the
    writer commits. PostgreSQL locks rows, so writers there run side by side.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with _SQLITE_WRITERS_LOCK:
        turns = _SQLITE_WRITERS.setdefault(engine, _TakingTurns())
    with turns, engine.begin() as conn:
        yield conn

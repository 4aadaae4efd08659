"""A press on the Vote page in one statement on PostgreSQL: one round trip, one commit.

:func:`blindside.rating.answer_and_next` stores a vote (or a skip) on the rater's open
impression and opens the next pair's impression. On PostgreSQL this module does it with the
next pair drawn *before* the write, so that the write needs no result of its own to go on: one
statement in autocommit, where data-modifying CTEs close the impression (the same conditional
``UPDATE`` as :func:`blindside.impressions.close_impression`), insert the vote from the closed
row (the same ``INSERT ... SELECT`` as :func:`blindside.votes.insert_vote`) and insert the
next impression from the closed row, only if the drawn pair may still be shown (identity
policy) and with ``ON CONFLICT DO NOTHING``; the outer ``SELECT`` returns what was done and the
next pair's texts. (SQLite, in process, has no round trips to save: it keeps one transaction,
see :func:`blindside.rating.answer_and_next`.)

The guarantees are the database's, as on every other path: the ``UPDATE``'s ``WHERE`` accepts
only the rater's open impression (a second press finds it answered and the whole statement
stores nothing), the vote is unique per (pair, rater) and per impression, and the partial
unique index keeps one open impression per rater, also across replicas.

The draw needs the sides of the vote being stored (so the next pair's sides are placed as if
it were counted): the pair and left answer of each rater's open impression are kept in
process (:func:`remember`; facts of an impression never change), else read by primary key.
A draw whose vote is refused is undone (:meth:`LiveScheduler.unsee`).
"""

from __future__ import annotations

import enum
import threading
import weakref
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    extract,
    false,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from blindside.impressions import (
    ANSWER_A,
    ANSWER_B,
    IMPRESSION,
    PAIR,
    PAIR_JOIN,
    POLICY,
    TEXT_COLUMNS,
    drawn_pair,
)
from blindside.live_scheduler import NOT_PREPARED, LiveScheduler
from blindside.pairing import DrawnPair
from blindside.policy import IdentityPolicy
from blindside.tables import utc_now
from blindside.votes import StoredVote, vote_insert


@dataclass(frozen=True)
class Pressed:
    """What one press did.

    Attributes
    ----------
    vote : StoredVote or None
        The vote stored; None for a skip.
    impression_id : int or None
        The next pair's impression; None when it was not opened (``hidden``, or a unique
        index refused it: another tab or replica opened one).
    drawn : DrawnPair
        The next pair as drawn, with its texts.
    hidden : bool
        The next pair may no longer be shown (an answer flagged since the counts were built).
    """

    vote: StoredVote | None
    impression_id: int | None
    drawn: DrawnPair
    hidden: bool


class NotDrawn(enum.Enum):
    """What :func:`press` returns when it drew no next pair and stored nothing."""

    NOT_DRAWN = "not drawn"


#: The scheduler had no pair for the rater or must be prepared: the caller stores the press
#: on its own and then draws (:func:`blindside.rating.cast_vote`, ``skip``).
NOT_DRAWN = NotDrawn.NOT_DRAWN


# ----------------------------------------------------------------- what is on screen

_SCREENS: weakref.WeakKeyDictionary[Engine, dict[int, tuple[int, int, int]]] = (
    weakref.WeakKeyDictionary()
)
_SCREENS_LOCK = threading.Lock()


def _screens(engine: Engine) -> dict[int, tuple[int, int, int]]:
    screens = _SCREENS.get(engine)
    if screens is not None:
        return screens
    with _SCREENS_LOCK:
        return _SCREENS.setdefault(engine, {})


def remember(engine: Engine, rater_id: int, impression_id: int, drawn: DrawnPair) -> None:
    """Note the impression now on the rater's screen: its pair and left answer."""
    _screens(engine)[rater_id] = (impression_id, drawn.pair_id, drawn.left_response_id)


_FACTS = select(IMPRESSION.c.pair_id, IMPRESSION.c.left_response_id).where(
    IMPRESSION.c.id == bindparam("f_impression"),
    IMPRESSION.c.rater_id == bindparam("f_rater"),
    IMPRESSION.c.answered_at.is_(None),
)


def on_screen(engine: Engine, rater_id: int, impression_id: int) -> tuple[int, int] | None:
    """``(pair id, left response id)`` of the rater's impression while it is open: from
    memory when this process showed it, else one read by primary key. None when it is not
    the rater's open impression. Only a hint for the draw: the write checks again."""
    known = _screens(engine).get(rater_id)
    if known is not None and known[0] == impression_id:
        return known[1], known[2]
    with engine.connect() as conn:
        row = conn.execute(_FACTS, {"f_impression": impression_id, "f_rater": rater_id}).first()
    return None if row is None else (int(row[0]), int(row[1]))


# ----------------------------------------------------------------- the statements

_INT = Integer()
_SHOW = IdentityPolicy.SHOW_AND_EXCLUDE.value


def _offered(leaky_a: Any, leaky_b: Any, chosen: Any) -> Any:
    """SQL: a pair with these answers may be shown under the identity policy in force: the
    admin's, else the setting as the live scheduler last read it (``n_leaks_offered``)."""
    return or_(
        not_(or_(leaky_a, leaky_b)),
        chosen == _SHOW,
        and_(chosen.is_(None), bindparam("n_leaks_offered", type_=Boolean())),
    )


def _hidden(leaky_a: bool, leaky_b: bool, chosen: str | None, leaks_offered: bool) -> bool:
    """What :func:`_offered` decided, in Python: the pair may not be shown."""
    offered = chosen == _SHOW if chosen is not None else leaks_offered
    return bool(leaky_a or leaky_b) and not offered


def _next_rows(closed: Any) -> Select:
    """The next impression's row, when its pair is offered; the ``closed`` impression joined
    in, so that the row exists only when the press was accepted."""
    pair = closed.join(PAIR, true())
    return (
        select(
            bindparam("n_pair", type_=_INT),
            bindparam("p_rater", type_=_INT),
            bindparam("n_left", type_=_INT),
            bindparam("p_now", type_=IMPRESSION.c.shown_at.type),
            false(),
        )
        .select_from(
            pair.join(ANSWER_A, ANSWER_A.c.id == PAIR.c.response_a_id)
            .join(ANSWER_B, ANSWER_B.c.id == PAIR.c.response_b_id)
            .outerjoin(POLICY, POLICY.c.id == 1)
        )
        .where(
            PAIR.c.id == bindparam("n_pair", type_=_INT),
            _offered(ANSWER_A.c.identity_leak, ANSWER_B.c.identity_leak, POLICY.c.identity_policy),
        )
    )


_NEXT_COLUMNS = ["pair_id", "rater_id", "left_response_id", "shown_at", "skipped"]


def _postgresql_press(vote: bool) -> Select:
    """PostgreSQL: a whole press as one statement (see the module docstring).

    One row when the impression was closed: the vote's id and models (with ``vote``), the next
    impression's id (NULL when not opened) and the next pair's texts, leak flags and the
    admin's identity policy. No row when the impression was not the rater's open one.
    """
    now = bindparam("p_now", type_=IMPRESSION.c.shown_at.type)
    closed = (
        update(IMPRESSION)
        .where(
            IMPRESSION.c.id == bindparam("c_impression", type_=_INT),
            IMPRESSION.c.rater_id == bindparam("p_rater", type_=_INT),
            IMPRESSION.c.answered_at.is_(None),
        )
        .values(answered_at=now, skipped=bindparam("c_skipped", type_=Boolean()))
        .returning(
            IMPRESSION.c.id,
            IMPRESSION.c.pair_id,
            IMPRESSION.c.left_response_id,
            IMPRESSION.c.shown_at,
        )
        .cte("closed")
    )
    opened = (
        pg_insert(IMPRESSION)
        .from_select(_NEXT_COLUMNS, _next_rows(closed))
        .on_conflict_do_nothing()
        .returning(IMPRESSION.c.id)
        .cte("opened")
    )
    columns: list[Any] = [closed.c.pair_id]
    source: Any = closed
    if vote:
        # Rounded like dwell_ms (to the nearest millisecond, never below 0).
        dwell = cast(
            func.greatest(0, func.round(extract("epoch", now - closed.c.shown_at) * 1000)),
            Integer,
        )
        voted = vote_insert(closed, dwell).cte("voted")
        columns += [voted.c.id, voted.c.left_model_id, voted.c.right_model_id]
        source = source.outerjoin(voted, true())
    texts = PAIR_JOIN.outerjoin(POLICY, POLICY.c.id == 1)
    return select(
        *columns,
        opened.c.id,
        *TEXT_COLUMNS,
        ANSWER_A.c.identity_leak,
        ANSWER_B.c.identity_leak,
        POLICY.c.identity_policy,
    ).select_from(
        source.outerjoin(opened, true()).outerjoin(
            texts, PAIR.c.id == bindparam("n_pair", type_=_INT)
        )
    )


_PG_PRESS = {True: _postgresql_press(vote=True), False: _postgresql_press(vote=False)}


# ----------------------------------------------------------------- the press


def press(
    engine: Engine,
    scheduler: LiveScheduler,
    rater_id: int,
    impression_id: int,
    choice: str | None,
    *,
    flagged: bool = False,
    comment: str | None = None,
    tiers: Collection[int] | None = None,
) -> Pressed | NotDrawn | None:
    """Store a vote (or a skip, ``choice`` None) on the rater's open impression and open the
    next pair's impression, drawn beforehand, in one statement (PostgreSQL only).

    Returns
    -------
    Pressed, NOT_DRAWN or None
        What was done; ``NOT_DRAWN`` when no pair was drawn (nothing stored: the caller
        stores the press on its own); None when the impression is not the rater's open one
        (answered already, another rater's, or unknown): nothing stored.

    Raises
    ------
    sqlalchemy.exc.IntegrityError
        When the rater voted on the pair already without an impression: nothing stored.
    """
    facts = on_screen(engine, rater_id, impression_id)
    if facts is None:
        return None
    drawn = scheduler.draw_prepared(rater_id, tiers, pending=None if choice is None else facts)
    if drawn is None or drawn is NOT_PREPARED:
        return NOT_DRAWN
    pair_id, left_id = drawn  # type: ignore[misc]
    params = {
        "p_rater": rater_id,
        "p_now": utc_now(),
        "n_pair": pair_id,
        "n_left": left_id,
        "n_leaks_offered": scheduler.leaks_offered,
    }
    try:
        pressed = _press_postgresql(engine, impression_id, choice, flagged, comment, params)
    except BaseException:
        scheduler.unsee(rater_id, pair_id)  # nothing was stored
        raise
    if pressed is None:
        scheduler.unsee(rater_id, pair_id)
        return None
    if pressed.vote is not None:
        stored = pressed.vote
        scheduler.voted(
            stored.vote_id,
            rater_id,
            facts[0],
            stored.left_model_id,
            stored.right_model_id,
            choice,  # type: ignore[arg-type]
        )
    if pressed.impression_id is not None:
        remember(engine, rater_id, pressed.impression_id, pressed.drawn)
    elif pressed.hidden:
        scheduler.invalidate()  # rebuilt without the pair before the next draw
    else:
        # Another tab of this rater opened an impression, or another replica showed them
        # this pair: read what they were shown again.
        scheduler.forget_rater(rater_id)
    return pressed


def _press_postgresql(
    engine: Engine,
    impression_id: int,
    choice: str | None,
    flagged: bool,
    comment: str | None,
    params: dict[str, Any],
) -> Pressed | None:
    params |= {"c_impression": impression_id, "c_skipped": choice is None}
    if choice is not None:
        params |= {
            "v_rater": params["p_rater"],
            "v_choice": choice,
            "v_flagged": flagged,
            "v_comment": comment,
            "v_created": params["p_now"],
        }
    # One statement is atomic on its own: autocommit spares the BEGIN and COMMIT round trips.
    for attempt in range(2):
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                row = conn.execute(_PG_PRESS[choice is not None], params).first()
            break
        except DBAPIError as exc:
            # A pooled connection the server dropped a moment ago (db.ping_after_idle pings
            # only idle ones): SQLAlchemy has replaced the pool's connections, so once more.
            # Had the first try been committed, the second finds the impression answered.
            if attempt or not exc.connection_invalidated:
                raise
    if row is None:
        return None
    vote = None
    rest = list(row[1:])
    if choice is not None:
        vote_id, left_model, right_model, *rest = rest
        if vote_id is None:  # the close without its vote: impossible with the foreign keys
            raise RuntimeError(f"impression {impression_id} was closed without its vote")
        vote = StoredVote(int(vote_id), int(left_model), int(right_model))
    opened, *texts, leaky_a, leaky_b, chosen = rest
    return Pressed(
        vote=vote,
        impression_id=None if opened is None else int(opened),
        drawn=drawn_pair(params["n_pair"], params["n_left"], *texts),
        hidden=opened is None and _hidden(leaky_a, leaky_b, chosen, params["n_leaks_offered"]),
    )

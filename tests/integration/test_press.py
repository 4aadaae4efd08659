"""A press through ``rating.answer_and_next`` keeps every rule of the vote path, on SQLite (one
transaction) and PostgreSQL (``blindside.press``: the next pair drawn first, then one
statement)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.db import create_db_engine
from blindside.live_scheduler import live_scheduler
from blindside.pairing import DrawnPair
from blindside.rating import (
    ShownPair,
    VoteOutcome,
    answer_and_next,
    current_or_next_impression,
)
from blindside.tables import Impression, Pair, Response, Vote
from blindside.votes import record_vote
from tests.integration.rating_world import rating_world

CHOICES = ("left", "right", "tie", "both_bad")


def _impression(engine: Engine, impression_id: int) -> Impression:
    with Session(engine) as s:
        impression = s.get(Impression, impression_id)
        assert impression is not None
        return impression


def _votes(engine: Engine) -> list[Vote]:
    with Session(engine) as s:
        return list(s.exec(select(Vote).order_by(col(Vote.id))))


def _press_through(
    engine: Engine, rater: int, *, twice: bool = False, presses: int | None = None
) -> list[int]:
    """The rater presses until nothing is left, or ``presses`` times (with ``twice``, every
    press is repeated on the pair just answered); the pairs they voted, in order."""
    shown = current_or_next_impression(engine, rater)
    pairs: list[int] = []
    while shown is not None and len(pairs) != presses:
        pairs.append(_impression(engine, shown.impression_id).pair_id)
        choice = CHOICES[len(pairs) % 4]
        answered = shown.impression_id
        outcome, shown = answer_and_next(engine, rater, answered, choice)
        assert outcome is VoteOutcome.STORED
        if twice:
            outcome, again = answer_and_next(engine, rater, answered, "tie")
            assert outcome is VoteOutcome.ALREADY_COUNTED and again == shown
    return pairs


def test_presses_show_every_pair_once_and_keep_the_sides_balanced(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=4, prompts_per_tier=20)
    pairs = _press_through(engine, ada, presses=60)  # of 120 pairs: balance stays possible
    assert len(pairs) == len(set(pairs)) == 60
    votes = _votes(engine)
    assert len(votes) == 60 and all(v.impression_id is not None for v in votes)
    # Each next pair's sides were placed as if the vote stored with it were counted.
    net: dict[int, int] = {}
    for v in votes:
        net[v.left_model_id] = net.get(v.left_model_id, 0) + 1
        net[v.right_model_id] = net.get(v.right_model_id, 0) - 1
    assert all(abs(n) <= 1 for n in net.values()), net


def test_refused_presses_store_nothing_and_lose_no_pair(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=4, prompts_per_tier=3)
    pairs = _press_through(engine, ada, twice=True)
    with Session(engine) as s:
        every_pair = set(s.exec(select(Pair.id)).all())
    assert sorted(pairs) == sorted(every_pair)
    assert len(_votes(engine)) == len(every_pair)


def test_racing_presses_on_one_impression_store_one_vote(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=4, prompts_per_tier=3)
    first = current_or_next_impression(engine, ada)
    assert first is not None
    barrier = threading.Barrier(8)
    results: list[tuple[VoteOutcome, ShownPair | None]] = []
    lock = threading.Lock()

    def press(choice: str) -> None:
        barrier.wait()
        result = answer_and_next(engine, ada, first.impression_id, choice)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=press, args=(CHOICES[k % 4],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [outcome for outcome, _ in results].count(VoteOutcome.STORED) == 1
    # Every press is answered with the one pair now on screen.
    assert len({shown for _, shown in results}) == 1
    (vote,) = _votes(engine)
    assert vote.impression_id == first.impression_id
    with Session(engine) as s:
        open_now = s.exec(select(Impression).where(col(Impression.answered_at).is_(None))).all()
    assert [i.id for i in open_now] == [results[0][1].impression_id]  # type: ignore[union-attr]
    # The pairs drawn for the seven refused presses were put back: every pair is shown once.
    pairs = [vote.pair_id, *_press_through(engine, ada)]
    with Session(engine) as s:
        assert sorted(pairs) == sorted(s.exec(select(Pair.id)).all())


def test_a_press_on_a_pair_another_replica_showed(db_url: str) -> None:
    first, second = create_db_engine(db_url), create_db_engine(db_url)
    try:
        from blindside.db import upgrade_schema

        upgrade_schema(first)
        ada, bob = rating_world(first, models=3, prompts_per_tier=2)
        shown = current_or_next_impression(first, ada)
        assert shown is not None
        # The second replica never showed it: it reads the impression, stores the vote.
        outcome, following = answer_and_next(second, ada, shown.impression_id, "right")
        assert outcome is VoteOutcome.STORED and following is not None
        (vote,) = _votes(first)
        assert (vote.impression_id, vote.choice) == (shown.impression_id, "right")
        assert vote.left_response_id == _impression(first, shown.impression_id).left_response_id
        # A stale tab on the first replica: already counted, the new pair stays.
        outcome, again = answer_and_next(first, ada, shown.impression_id, "left")
        assert outcome is VoteOutcome.ALREADY_COUNTED and again == following
        # Another rater's impression is refused too.
        outcome, _ = answer_and_next(first, bob, following.impression_id, "left")
        assert outcome is VoteOutcome.ALREADY_COUNTED
        assert len(_votes(first)) == 1
    finally:
        first.dispose()
        second.dispose()


def test_a_press_skips_without_a_vote(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=3, prompts_per_tier=1)
    shown = current_or_next_impression(engine, ada)
    assert shown is not None
    outcome, following = answer_and_next(engine, ada, shown.impression_id, None)
    assert outcome is VoteOutcome.STORED and following is not None
    skipped = _impression(engine, shown.impression_id)
    assert skipped.skipped and skipped.answered_at is not None
    assert not _votes(engine)
    assert _press_through(engine, ada).count(skipped.pair_id) == 0


def test_a_press_records_dwell_from_server_times(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=3, prompts_per_tier=1)
    shown = current_or_next_impression(engine, ada)
    assert shown is not None
    with Session(engine) as s:
        earlier = _impression(engine, shown.impression_id).shown_at - timedelta(seconds=42)
        s.execute(
            update(Impression).where(col(Impression.id) == shown.impression_id),
            {"shown_at": earlier},
        )
        s.commit()
    outcome, _ = answer_and_next(engine, ada, shown.impression_id, "tie", flagged=True)
    assert outcome is VoteOutcome.STORED
    (vote,) = _votes(engine)
    assert vote.dwell_ms is not None and 42_000 <= vote.dwell_ms < 60_000
    assert vote.flagged and vote.choice == "tie"


def test_answers_flagged_after_the_counts_were_built_are_not_shown(engine: Engine) -> None:
    ada, bob = rating_world(engine, models=3, prompts_per_tier=4)
    assert current_or_next_impression(engine, bob) is not None  # the counts exist already
    with Session(engine) as s:
        leaky = s.exec(select(Response.id).order_by(col(Response.id))).first()
        s.execute(update(Response).where(col(Response.id) == leaky).values(identity_leak=True))
        s.commit()
        leaky_pairs = set(
            s.exec(
                select(Pair.id).where(
                    (col(Pair.response_a_id) == leaky) | (col(Pair.response_b_id) == leaky)
                )
            ).all()
        )
    shown = _press_through(engine, ada)
    assert len(shown) == 12 - len(leaky_pairs) == 10
    assert not leaky_pairs & set(shown)


def test_a_press_on_a_pair_voted_before_impressions_stores_nothing(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=3, prompts_per_tier=1)
    shown = current_or_next_impression(engine, ada)
    assert shown is not None
    impression = _impression(engine, shown.impression_id)
    old = DrawnPair(impression.pair_id, "", None, impression.left_response_id, 0, "", "")
    assert record_vote(engine, ada, old, "left")  # a vote stored without an impression
    outcome, again = answer_and_next(engine, ada, shown.impression_id, "right")
    assert outcome is VoteOutcome.ALREADY_COUNTED and again == shown
    assert [v.choice for v in _votes(engine)] == ["left"]


def test_a_due_read_of_new_votes_does_not_hold_up_a_press(sqlite_engine: Engine) -> None:
    ada, _ = rating_world(sqlite_engine, models=3, prompts_per_tier=2)
    shown = current_or_next_impression(sqlite_engine, ada)
    assert shown is not None
    scheduler = live_scheduler(sqlite_engine)
    reading, release = threading.Event(), threading.Event()
    read_new_votes = scheduler._read_new_votes

    def slow_read() -> None:
        reading.set()
        release.wait()
        read_new_votes()

    scheduler._read_new_votes = slow_read  # type: ignore[method-assign]
    scheduler._synced_at = 0.0  # a read is due
    timer = threading.Timer(60, release.set)  # had the press waited for the read
    timer.start()
    try:
        outcome, following = answer_and_next(sqlite_engine, ada, shown.impression_id, "left")
        released = release.is_set()
        assert outcome is VoteOutcome.STORED and following is not None
        assert not released  # the press did not wait for the read
        assert reading.wait(60)  # which started, on a thread of its own
    finally:
        release.set()
        timer.cancel()


def test_a_press_on_a_connection_the_server_just_dropped_is_stored_once(
    postgres_url: str,
) -> None:
    engine = create_db_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        from blindside.db import upgrade_schema

        upgrade_schema(engine)
        ada, _ = rating_world(engine, models=3, prompts_per_tier=2)
        shown = current_or_next_impression(engine, ada)
        assert shown is not None
        live_scheduler(engine).sync_seconds = 3600.0  # no read of new votes meanwhile
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        # Dropped a moment after it was returned: handed out unchecked, it fails the press's
        # statement, and the press tries once more on a new connection.
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        outcome, following = answer_and_next(engine, ada, shown.impression_id, "left")
        assert outcome is VoteOutcome.STORED and following is not None
        (vote,) = _votes(engine)
        assert vote.impression_id == shown.impression_id
    finally:
        engine.dispose()

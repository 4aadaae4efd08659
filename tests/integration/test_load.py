"""Load: 50 raters voting for 60 s, as threads calling what the Vote page calls, on SQLite and
PostgreSQL.

Each rater votes as fast as it can for ``BLINDSIDE_LOAD_SECONDS`` (60 by default, as CI runs
it; set it lower to run the test quickly). A press goes through ``rating.answer_and_next``
(the vote and the next pair in one transaction), as the page's does; now and then a rater
presses twice (the second press names the pair already answered), skips, reloads, or votes
through the two separate calls (``cast_vote`` then ``current_or_next_impression``).

Checked by counting, never by time: every vote a thread was told was stored is in the database
exactly once, tied to the impression it answered, with the choice pressed; the database holds
no other vote; no rater voted a pair twice or was shown one twice; every skip closed its
impression without a vote; no call raised.
"""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.rating import (
    VoteOutcome,
    answer_and_next,
    cast_vote,
    current_or_next_impression,
)
from blindside.tables import Impression, Vote
from tests.integration.rating_world import rating_world

RATERS = 50
SECONDS = float(os.environ.get("BLINDSIDE_LOAD_SECONDS", "60"))
CHOICES = ("left", "right", "tie", "both_bad")


class Rater:
    """One simulated rater: what the server told it, to be checked against the database."""

    def __init__(self, engine: Engine, rater_id: int) -> None:
        self.engine = engine
        self.rater_id = rater_id
        self.stored: dict[int, str] = {}  # impression id -> choice, as told "stored"
        self.skipped: set[int] = set()
        self.refused = 0  # second presses answered "already counted"
        self.ran_out = False

    def rate_until(self, end: float) -> None:
        engine, rater = self.engine, self.rater_id
        shown = current_or_next_impression(engine, rater)
        step = 0
        while shown is not None and time.monotonic() < end:
            step += 1
            impression = shown.impression_id
            choice = CHOICES[step % 4]
            if step % 13 == 5:
                outcome, shown = answer_and_next(engine, rater, impression, None)  # skip
                assert outcome is VoteOutcome.STORED
                self.skipped.add(impression)
                continue
            if step % 17 == 3:  # the two calls the page made before answer_and_next
                assert cast_vote(engine, rater, impression, choice) is VoteOutcome.STORED
                self.stored[impression] = choice
                shown = current_or_next_impression(engine, rater)
                continue
            outcome, shown = answer_and_next(engine, rater, impression, choice)
            assert outcome is VoteOutcome.STORED
            self.stored[impression] = choice
            if step % 5 == 0:  # a double press: the second names the pair just answered
                outcome, again = answer_and_next(engine, rater, impression, "tie")
                assert outcome is VoteOutcome.ALREADY_COUNTED
                assert again == shown  # and the pair on screen stays
                self.refused += 1
            if step % 11 == 0:  # a reload shows the same pair
                assert current_or_next_impression(engine, rater) == shown
        self.ran_out = shown is None


def test_fifty_raters_for_a_minute_lose_nothing_and_store_nothing_twice(engine: Engine) -> None:
    # 8 models on 2 tiers of 60 prompts: 3,360 pairs, more than a rater can vote in a minute.
    ids = rating_world(engine, models=8, prompts_per_tier=60, tiers=(1, 2), raters=RATERS)
    raters = [Rater(engine, rater_id) for rater_id in ids]
    errors: list[BaseException] = []
    barrier = threading.Barrier(RATERS)

    def run(rater: Rater) -> None:
        try:
            barrier.wait()
            rater.rate_until(time.monotonic() + SECONDS)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in raters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]

    with Session(engine) as s:
        votes = s.exec(select(Vote.rater_id, Vote.impression_id, Vote.choice, Vote.pair_id)).all()
        impressions = s.exec(
            select(
                Impression.id, Impression.rater_id, Impression.pair_id, Impression.skipped
            ).where(col(Impression.answered_at).is_not(None))
        ).all()
        shown_pairs = s.exec(select(Impression.rater_id, Impression.pair_id)).all()
    told = {
        (r.rater_id, impression, choice) for r in raters for impression, choice in r.stored.items()
    }
    stored = [(rater, impression, choice) for rater, impression, choice, _ in votes]
    total = sum(len(r.stored) for r in raters)
    print(
        f"\n{engine.dialect.name}: {total} votes, {sum(len(r.skipped) for r in raters)} skips, "
        f"{sum(r.refused for r in raters)} second presses refused by {RATERS} threads in "
        f"{SECONDS:.0f} s; {sum(r.ran_out for r in raters)} raters ran out of pairs"
    )
    assert total > 0 and all(r.stored for r in raters)
    assert len(stored) == len(set(stored)) == total  # nothing stored twice
    assert set(stored) == told  # nothing lost, nothing stored that a rater was not told
    assert len({(rater, pair) for rater, _, _, pair in votes}) == total  # no pair voted twice
    # Each vote is tied to the impression it answered, of the same rater and pair.
    closed = {
        impression: (rater, pair, skipped) for impression, rater, pair, skipped in impressions
    }
    for rater, impression, _, pair in votes:
        assert closed[impression] == (rater, pair, False)
    skipped = {(r.rater_id, i) for r in raters for i in r.skipped}
    assert {(rater, i) for i, (rater, _, was_skipped) in closed.items() if was_skipped} == skipped
    assert len(closed) == total + len(skipped)  # every other impression is still open
    assert len(set(shown_pairs)) == len(shown_pairs)  # no pair shown twice to a rater

"""Load: 50 raters at once, as threads calling what the Vote page calls, on SQLite and PostgreSQL.

Each rater casts a fixed number of votes as fast as it can (a fixed count rather than 60 s of
wall time keeps the test short and its result exact), pressing twice now and then and skipping
now and then. Nothing is lost, nothing is stored twice, nothing fails.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.rating import VoteOutcome, cast_vote, current_or_next_impression, skip
from blindside.tables import Impression, Vote
from tests.integration.rating_world import rating_world

RATERS = 50
VOTES_EACH = 20


def test_fifty_raters_lose_nothing_and_store_nothing_twice(engine: Engine) -> None:
    raters = rating_world(engine, models=6, prompts_per_tier=10, raters=RATERS)
    stored: Counter[int] = Counter()
    skipped: Counter[int] = Counter()
    errors: list[BaseException] = []
    barrier = threading.Barrier(RATERS)

    def rate(rater: int) -> None:
        try:
            barrier.wait()
            while stored[rater] < VOTES_EACH:
                shown = current_or_next_impression(engine, rater)
                assert shown is not None, "ran out of pairs"
                step = stored[rater] + skipped[rater]
                if step % 7 == 3:
                    assert skip(engine, rater, shown.impression_id) is VoteOutcome.STORED
                    skipped[rater] += 1
                    continue
                outcome = cast_vote(engine, rater, shown.impression_id, "left")
                assert outcome is VoteOutcome.STORED
                stored[rater] += 1
                if step % 5 == 0:  # a double press: the second stores nothing
                    again = cast_vote(engine, rater, shown.impression_id, "right")
                    assert again is VoteOutcome.ALREADY_COUNTED
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(r,)) for r in raters]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    assert not errors, errors[:3]
    with Session(engine) as s:
        votes = s.exec(select(Vote.rater_id, Vote.pair_id, Vote.impression_id, Vote.choice)).all()
        impressions = s.exec(select(Impression.rater_id, Impression.pair_id)).all()
    total = RATERS * VOTES_EACH
    print(f"\n{engine.dialect.name}: {total} votes by {RATERS} threads in {elapsed:.1f} s")
    assert len(votes) == total  # none lost
    assert Counter(rater for rater, *_ in votes) == dict.fromkeys(raters, VOTES_EACH)
    assert len({(rater, pair) for rater, pair, *_ in votes}) == total  # none twice
    assert len({impression for _, _, impression, _ in votes}) == total
    assert {choice for *_, choice in votes} == {"left"}  # no second press stored
    assert len(set(impressions)) == len(impressions)  # no pair shown twice to a rater

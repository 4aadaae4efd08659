"""The Vote page's draw (rating.draw_next_pair over live_scheduler) keeps every rule of a draw,
on SQLite and PostgreSQL, and two replicas on one database keep each other's counts."""

from __future__ import annotations

import numpy as np
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.db import create_db_engine
from blindside.live_scheduler import LiveScheduler, live_scheduler
from blindside.policy import RatingPolicy, active_tiers, set_rating_policy
from blindside.rating import (
    VoteOutcome,
    cast_vote,
    current_or_next_impression,
    side_exposure,
    skip,
)
from blindside.tables import Impression, Pair, Prompt, Rater, Response, Run, Vote
from tests.integration.rating_world import rating_world


def _pair_of(engine: Engine, impression_id: int) -> int:
    with Session(engine) as s:
        impression = s.get(Impression, impression_id)
        assert impression is not None
        return impression.pair_id


def _vote_through(engine: Engine, rater: int, tiers: tuple[int, ...] | None = None) -> list[int]:
    """The rater votes until nothing is left; the pairs they were shown, in order."""
    shown_pairs = []
    choices = ["left", "right", "tie", "both_bad"]
    while (shown := current_or_next_impression(engine, rater, tiers)) is not None:
        shown_pairs.append(_pair_of(engine, shown.impression_id))
        choice = choices[len(shown_pairs) % 4]
        assert cast_vote(engine, rater, shown.impression_id, choice) is VoteOutcome.STORED
    return shown_pairs


def test_a_rater_is_shown_every_open_pair_once(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=4, prompts_per_tier=6)
    shown = _vote_through(engine, ada)
    assert len(shown) == len(set(shown)) == 36


def test_sides_stay_balanced_per_model(engine: Engine) -> None:
    ada, bob = rating_world(engine, models=4, prompts_per_tier=20)
    for k in range(60):
        rater = (ada, bob)[k % 2]
        shown = current_or_next_impression(engine, rater)
        assert shown is not None
        assert cast_vote(engine, rater, shown.impression_id, "left") is VoteOutcome.STORED
    exposures = side_exposure(engine)
    assert sum(e.left for e in exposures.values()) == 60
    for exposure in exposures.values():
        assert abs(exposure.left - exposure.right) <= 1


def test_skips_and_shown_pairs_are_never_drawn_again(engine: Engine) -> None:
    ada, bob = rating_world(engine, models=3, prompts_per_tier=4)
    first = current_or_next_impression(engine, ada)
    assert first is not None
    assert skip(engine, ada, first.impression_id) is VoteOutcome.STORED
    # A fresh scheduler (a restarted process) reads what ada was shown from the database.
    fresh = LiveScheduler(engine)
    drawn = {fresh.draw(ada) for _ in range(11)}
    assert None not in drawn
    assert _pair_of(engine, first.impression_id) not in {pair for pair, _ in drawn}  # type: ignore[misc]
    assert fresh.draw(ada) is None
    assert fresh.draw(bob) is not None


def test_answers_flagged_as_identity_leaks_are_never_offered(engine: Engine) -> None:
    ada, bob = rating_world(engine, models=3, prompts_per_tier=4)
    with Session(engine) as s:
        leaky = s.exec(select(Response.id).order_by(col(Response.id))).first()
    assert current_or_next_impression(engine, bob) is not None  # the counts exist already
    # Flagged after the counts were built: the draw finds out and leaves the pair out.
    with Session(engine) as s:
        s.execute(update(Response).where(col(Response.id) == leaky).values(identity_leak=True))
        s.commit()
    with Session(engine) as s:
        leaky_pairs = set(
            s.exec(
                select(Pair.id).where(
                    (col(Pair.response_a_id) == leaky) | (col(Pair.response_b_id) == leaky)
                )
            ).all()
        )
    shown = _vote_through(engine, ada)
    assert len(shown) == 12 - len(leaky_pairs) == 10
    assert not leaky_pairs & set(shown)


def test_excluded_raters_votes_count_for_nothing(engine: Engine) -> None:
    ada, bob = rating_world(engine, models=3, prompts_per_tier=2)
    _vote_through(engine, bob)
    scheduler = live_scheduler(engine)
    assert scheduler.counted_votes() == {1: 6}
    with Session(engine) as s:
        s.execute(update(Rater).where(col(Rater.id) == bob).values(excluded=True))
        s.commit()
    scheduler.sync(force=True)
    assert scheduler.counted_votes() == {1: 0}
    # ada's draws still never repeat, and bob's pairs are fresh again for her.
    assert sorted(_vote_through(engine, ada)) == sorted(_pair_of_all(engine))
    assert scheduler.counted_votes() == {1: 6}


def _pair_of_all(engine: Engine) -> list[int]:
    with Session(engine) as s:
        return list(s.exec(select(Pair.id)).all())


def test_a_rater_chooses_among_the_tiers(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=3, prompts_per_tier=2, tiers=(1, 2, 3))
    assert active_tiers(engine) == (1, 2, 3)
    shown = _vote_through(engine, ada, tiers=(2,))
    with Session(engine) as s:
        tiers = {
            s.exec(select(Prompt.tier).join(Pair).where(Pair.id == pair_id)).one()
            for pair_id in shown
        }
    assert len(shown) == 6 and tiers == {2}
    assert len(_vote_through(engine, ada)) == 12  # the other two tiers


def test_new_pairs_are_offered_as_soon_as_they_are_built(engine: Engine) -> None:
    ada, _ = rating_world(engine, models=3, prompts_per_tier=1)
    assert len(_vote_through(engine, ada)) == 3
    rating_world(engine, models=3, prompts_per_tier=1, suite="later", raters=0)
    assert len(_vote_through(engine, ada)) == 3


def test_two_replicas_on_one_database_share_votes_and_never_repeat_a_pair(db_url: str) -> None:
    first, second = create_db_engine(db_url), create_db_engine(db_url)
    try:
        from blindside.db import upgrade_schema

        upgrade_schema(first)
        ada, bob = rating_world(first, models=4, prompts_per_tier=5)
        # ada alternates between the two replicas (say her proxy lost its sticky cookie).
        shown_pairs = []
        for k in range(30):
            engine = (first, second)[k % 2]
            shown = current_or_next_impression(engine, ada)
            assert shown is not None
            shown_pairs.append(_pair_of(engine, shown.impression_id))
            assert cast_vote(engine, ada, shown.impression_id, "left") is VoteOutcome.STORED
        assert len(set(shown_pairs)) == 30
        assert current_or_next_impression(second, ada) is None
        # bob votes on the second; the first counts his votes at its next read.
        for _ in range(5):
            shown = current_or_next_impression(second, bob)
            assert shown is not None
            cast_vote(second, bob, shown.impression_id, "right")
        live_scheduler(first).sync(force=True)
        live_scheduler(second).sync(force=True)
        assert live_scheduler(first).counted_votes() == {1: 35}
        assert live_scheduler(second).counted_votes() == {1: 35}
        with Session(first) as s:
            assert len(s.exec(select(Vote.id)).all()) == 35
            assert s.exec(select(Run.id)).all()
    finally:
        first.dispose()
        second.dispose()


def test_the_fit_follows_the_votes(sqlite_engine: Engine) -> None:
    ada, bob = rating_world(sqlite_engine, models=3, prompts_per_tier=20, raters=2)
    # The first model always wins: after a refit its rating is on top.
    for rater in (ada, bob):
        while (shown := current_or_next_impression(sqlite_engine, rater)) is not None:
            choice = "left" if "s-m0 " in shown.left_text else "right"
            if "s-m0 " not in shown.left_text + shown.right_text:
                choice = "tie"
            cast_vote(sqlite_engine, rater, shown.impression_id, choice)
    theta = live_scheduler(sqlite_engine).theta(1)
    assert theta is not None and int(np.argmax(theta)) == 0


def test_only_active_tiers_are_offered_and_a_policy_change_applies_at_once(
    engine: Engine,
) -> None:
    ada, bob = rating_world(engine, models=3, prompts_per_tier=2, tiers=(1, 2))
    assert current_or_next_impression(engine, bob) is not None  # the counts exist already
    set_rating_policy(engine, RatingPolicy(active_tiers=(2,)))
    live_scheduler(engine).sync(force=True)
    shown = _vote_through(engine, ada)
    with Session(engine) as s:
        tiers = {
            s.exec(select(Prompt.tier).join(Pair).where(Pair.id == pair_id)).one()
            for pair_id in shown
        }
    assert len(shown) == 6 and tiers == {2}

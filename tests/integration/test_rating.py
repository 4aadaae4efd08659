"""Impressions on SQLite and PostgreSQL: one vote for the pair on screen, under races too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.rating import (
    SideExposure,
    VoteOutcome,
    cast_vote,
    current_or_next_impression,
    side_exposure,
    skip,
)
from blindside.tables import Impression, Pair, Prompt, Rater, Response, Vote
from blindside.votes import record_vote
from tests.integration.rating_world import rating_world

T = TypeVar("T")
MODELS = 3  # three answers per prompt: three pairs


def _world(engine: Engine, tiers: tuple[int, ...] = (1, 2)) -> tuple[int, int]:
    """Two raters and, per tier, one prompt with three answers (three pairs)."""
    ada, bob = rating_world(engine, models=MODELS, prompts_per_tier=1, tiers=tiers, raters=2)
    return ada, bob


def _race(n: int, action: Callable[[], T]) -> list[T]:
    """``action`` in ``n`` threads released at once; their results."""
    barrier = threading.Barrier(n)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(action())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def _votes(engine: Engine) -> list[Vote]:
    with Session(engine) as s:
        return list(s.exec(select(Vote).order_by(col(Vote.id))))


def test_a_reload_shows_the_same_pair_until_it_is_answered(engine: Engine) -> None:
    ada, _ = _world(engine)
    first = current_or_next_impression(engine, ada)
    assert first is not None
    assert current_or_next_impression(engine, ada) == first  # the reload
    assert cast_vote(engine, ada, first.impression_id, "left") is VoteOutcome.STORED
    second = current_or_next_impression(engine, ada)
    assert second is not None and second.impression_id != first.impression_id
    (vote,) = _votes(engine)
    with Session(engine) as s:
        impression = s.get(Impression, first.impression_id)
        assert impression is not None and impression.answered_at is not None
        assert not impression.skipped
        assert (vote.impression_id, vote.pair_id) == (impression.id, impression.pair_id)
        assert vote.left_response_id == impression.left_response_id
        left = s.get(Response, vote.left_response_id)
        right = s.get(Response, vote.right_response_id)
    # The vote is for the texts that were shown, on the sides they were shown.
    assert (left.text, right.text) == (first.left_text, first.right_text)


def test_one_vote_when_eight_threads_race_the_same_impression(engine: Engine) -> None:
    ada, _ = _world(engine)
    shown = current_or_next_impression(engine, ada)
    assert shown is not None
    choices = iter(["left", "right", "tie", "both_bad"] * 2)
    lock = threading.Lock()

    def press() -> VoteOutcome:
        with lock:
            choice = next(choices)
        return cast_vote(engine, ada, shown.impression_id, choice)

    outcomes = _race(8, press)
    assert outcomes.count(VoteOutcome.STORED) == 1
    assert outcomes.count(VoteOutcome.ALREADY_COUNTED) == 7
    (vote,) = _votes(engine)
    assert vote.impression_id == shown.impression_id


def test_racing_tabs_open_one_impression(engine: Engine) -> None:
    ada, _ = _world(engine)
    shown = _race(8, lambda: current_or_next_impression(engine, ada))
    assert len({s.impression_id for s in shown if s is not None}) == 1
    with Session(engine) as s:
        assert len(s.exec(select(Impression)).all()) == 1


def test_racing_votes_and_draws_of_many_raters_lose_nothing(engine: Engine) -> None:
    """Raters voting in parallel, each pressing twice: every pair voted once per rater."""
    with Session(engine, expire_on_commit=False) as s:
        s.add_all(Rater(name=f"r{i}", name_key=f"r{i}") for i in range(6))
        s.commit()
    _world(engine)
    with Session(engine) as s:
        raters = [r.id for r in s.exec(select(Rater))]
        n_pairs = len(s.exec(select(Pair.id)).all())
    pending = iter(raters)
    lock = threading.Lock()

    def rate() -> list[VoteOutcome]:
        with lock:
            rater = next(pending)
        outcomes = []
        while (shown := current_or_next_impression(engine, rater)) is not None:
            for choice in ("left", "right"):  # a double press
                outcomes.append(cast_vote(engine, rater, shown.impression_id, choice))
        return outcomes

    results = _race(len(raters), rate)
    for outcomes in results:
        assert outcomes.count(VoteOutcome.STORED) == n_pairs
        assert outcomes.count(VoteOutcome.ALREADY_COUNTED) == n_pairs
    votes = _votes(engine)
    assert len(votes) == len(raters) * n_pairs
    assert len({(v.rater_id, v.pair_id) for v in votes}) == len(votes)
    assert {v.choice for v in votes} == {"left"}


def test_stale_foreign_and_unknown_impressions_store_nothing(engine: Engine) -> None:
    ada, bob = _world(engine)
    first = current_or_next_impression(engine, ada)
    assert first is not None
    assert cast_vote(engine, bob, first.impression_id, "left") is VoteOutcome.ALREADY_COUNTED
    assert cast_vote(engine, ada, 10_000, "left") is VoteOutcome.ALREADY_COUNTED
    assert cast_vote(engine, ada, first.impression_id, "tie") is VoteOutcome.STORED
    # A second tab still showing the first pair: its vote is refused, the new pair stays open.
    second = current_or_next_impression(engine, ada)
    assert second is not None
    assert cast_vote(engine, ada, first.impression_id, "left") is VoteOutcome.ALREADY_COUNTED
    assert skip(engine, ada, first.impression_id) is VoteOutcome.ALREADY_COUNTED
    assert current_or_next_impression(engine, ada) == second
    assert [v.choice for v in _votes(engine)] == ["tie"]
    with pytest.raises(ValueError, match="choice"):
        cast_vote(engine, ada, second.impression_id, "maybe")


def test_dwell_is_server_answer_time_minus_show_time(engine: Engine) -> None:
    ada, _ = _world(engine)
    shown = current_or_next_impression(engine, ada)
    assert shown is not None
    # As if the pair had been on screen for 42 seconds.
    with Session(engine) as s:
        impression = s.get(Impression, shown.impression_id)
        assert impression is not None
        earlier = impression.shown_at - timedelta(seconds=42)
        s.execute(
            update(Impression).where(col(Impression.id) == shown.impression_id),
            {"shown_at": earlier},
        )
        s.commit()
    assert cast_vote(engine, ada, shown.impression_id, "right") is VoteOutcome.STORED
    (vote,) = _votes(engine)
    assert vote.dwell_ms is not None and 42_000 <= vote.dwell_ms < 60_000


def test_no_pair_twice_skips_included_then_none(engine: Engine) -> None:
    ada, _ = _world(engine)
    seen = []
    while (shown := current_or_next_impression(engine, ada)) is not None:
        with Session(engine) as s:
            seen.append(s.get(Impression, shown.impression_id).pair_id)  # type: ignore[union-attr]
        if len(seen) % 2:
            assert skip(engine, ada, shown.impression_id) is VoteOutcome.STORED
        else:
            assert cast_vote(engine, ada, shown.impression_id, "left") is VoteOutcome.STORED
    with Session(engine) as s:
        assert sorted(seen) == sorted(s.exec(select(Pair.id)).all())
    assert len(_votes(engine)) == len(seen) // 2


def test_tiers_narrow_the_draw_and_close_an_open_pair_of_another_tier(engine: Engine) -> None:
    ada, _ = _world(engine)

    def tier_of(impression_id: int) -> int:
        with Session(engine) as s:
            pair = s.get(Pair, s.get(Impression, impression_id).pair_id)  # type: ignore[union-attr]
            return s.get(Prompt, pair.prompt_id).tier  # type: ignore[union-attr]

    on_one = current_or_next_impression(engine, ada, tiers=[1])
    assert on_one is not None and tier_of(on_one.impression_id) == 1
    on_two = current_or_next_impression(engine, ada, tiers=[2])
    assert on_two is not None and tier_of(on_two.impression_id) == 2
    assert cast_vote(engine, ada, on_one.impression_id, "left") is VoteOutcome.ALREADY_COUNTED
    with Session(engine) as s:
        assert s.get(Impression, on_one.impression_id).skipped  # type: ignore[union-attr]


def test_a_pair_voted_before_impressions_is_not_drawn_or_counted_twice(engine: Engine) -> None:
    from blindside.pairing import next_impression

    ada, _ = _world(engine, tiers=(1,))
    drawn = next_impression(engine, ada)
    assert drawn is not None and record_vote(engine, ada, drawn, "left")  # an old-style vote
    pairs = set()
    while (shown := current_or_next_impression(engine, ada)) is not None:
        with Session(engine) as s:
            pairs.add(s.get(Impression, shown.impression_id).pair_id)  # type: ignore[union-attr]
        cast_vote(engine, ada, shown.impression_id, "tie")
    assert drawn.pair_id not in pairs and len(pairs) == MODELS - 1
    assert len(_votes(engine)) == MODELS


def test_side_exposure_counts_every_impression_by_side(engine: Engine) -> None:
    ada, bob = _world(engine)
    for rater in (ada, bob):
        while (shown := current_or_next_impression(engine, rater)) is not None:
            skip(engine, rater, shown.impression_id)
    exposure = side_exposure(engine)
    with Session(engine) as s:
        impressions = s.exec(select(Impression)).all()
        pairs = {p.id: p for p in s.exec(select(Pair))}
        model_of = {r.id: r.model_id for r in s.exec(select(Response))}
    expected: dict[int, list[int]] = {}
    for imp in impressions:
        pair = pairs[imp.pair_id]
        (right,) = {pair.response_a_id, pair.response_b_id} - {imp.left_response_id}
        expected.setdefault(model_of[imp.left_response_id], [0, 0])[0] += 1
        expected.setdefault(model_of[right], [0, 0])[1] += 1
    assert exposure == {m: SideExposure(*lr) for m, lr in expected.items()}
    # Each impression shows two models: one on each side.
    assert sum(e.left for e in exposure.values()) == len(impressions) == 12
    assert sum(e.right for e in exposure.values()) == 12

"""The admin's rating policy on SQLite and PostgreSQL: stored, validated, and obeyed by the draw.

A small hand-made database: two suites ("alpha", "beta"), prompts on every tier, three
models and the pairs of their answers.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.cuts import Cut, vote_conditions
from blindside.pairing import DrawnPair, build_pairs, next_impression
from blindside.policy import (
    MAX_SHARE,
    IdentityPolicy,
    RatingPolicy,
    active_tiers,
    gold_answers,
    identity_policy,
    mark_gold,
    rating_policy,
    set_rating_policy,
    unmark_gold,
)
from blindside.rater_quality import rater_quality
from blindside.raters import add_rater, revoke_rater
from blindside.scheduler import Policy as SchedulerPolicy
from blindside.tables import Model, Pair, Prompt, Response, Run, Suite, Vote
from blindside.votes import record_vote

MODELS = ("m-one", "m-two", "m-three")


@pytest.fixture
def rated(engine: Engine) -> Engine:
    """Suites alpha and beta, two prompts per tier each, three models' answers, their pairs."""
    with Session(engine) as s:
        models = [Model(name=name, endpoint="demo", model_id=name) for name in MODELS]
        suites = [Suite(name=name) for name in ("alpha", "beta")]
        s.add_all([*models, *suites])
        s.flush()
        for suite in suites:
            run = Run(suite_id=suite.id, config_hash="x", model_names=list(MODELS))  # type: ignore[arg-type]
            s.add(run)
            s.flush()
            for tier in (1, 2, 3):
                for k in range(2):
                    prompt = Prompt(
                        suite_id=suite.id,  # type: ignore[arg-type]
                        external_id=f"{suite.name}-{tier}-{k}",
                        tier=tier,
                        category="c",
                        text=f"{suite.name} tier {tier} prompt {k}",
                        messages=[],
                    )
                    s.add(prompt)
                    s.flush()
                    s.add_all(
                        Response(
                            run_id=run.id,  # type: ignore[arg-type]
                            prompt_id=prompt.id,  # type: ignore[arg-type]
                            model_id=model.id,  # type: ignore[arg-type]
                            text=f"{model.name} answers {prompt.external_id}",
                        )
                        for model in models
                    )
        s.commit()
        run_ids = s.exec(select(Run.id)).all()
    for run_id in run_ids:
        build_pairs(engine, run_id)  # type: ignore[arg-type]
    return engine


def _pairs_by_suite_and_tier(engine: Engine) -> dict[int, tuple[str, int]]:
    with Session(engine) as s:
        rows = s.exec(
            select(Pair.id, Suite.name, Prompt.tier)
            .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
            .join(Suite, col(Suite.id) == col(Prompt.suite_id))
        ).all()
    return {pair_id: (suite, tier) for pair_id, suite, tier in rows}


def _offered(engine: Engine, rater_id: int) -> list[int]:
    """Every pair the draw offers this rater, skipping each (no vote is cast)."""
    shown: list[int] = []
    rng = random.Random(0)
    while (imp := next_impression(engine, rater_id, exclude_pair_ids=shown, rng=rng)) is not None:
        assert imp.pair_id not in shown
        shown.append(imp.pair_id)
    return shown


def test_no_stored_policy_is_todays_behaviour(
    rated: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "show-and-exclude")
    policy = rating_policy(rated)
    assert policy == RatingPolicy()
    assert (policy.active_suites, policy.active_tiers, policy.identity_policy) == (None,) * 3
    assert policy.updated_at is None
    defaults = SchedulerPolicy()
    assert (policy.gold_share, policy.repeat_share) == (defaults.gold_share, defaults.repeat_share)
    assert identity_policy(rated) is IdentityPolicy.SHOW_AND_EXCLUDE  # the setting
    assert active_tiers(rated) == (1, 2, 3)
    rater = add_rater(rated, "Ada").rater
    assert sorted(_offered(rated, rater.id)) == sorted(_pairs_by_suite_and_tier(rated))


def test_the_policy_round_trips(rated: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLINDSIDE_IDENTITY_POLICY", raising=False)
    admin = add_rater(rated, "Root", "admin").rater
    chosen = RatingPolicy(
        active_suites=("beta", "alpha", "beta"),
        active_tiers=(3, 1),
        identity_policy=IdentityPolicy.SHOW_AND_EXCLUDE,
        gold_share=0.1,
        repeat_share=0.0,
    )
    stored = set_rating_policy(rated, chosen, admin_id=admin.id)
    assert stored == chosen
    read = rating_policy(rated)
    assert read == chosen
    assert read.active_suites == ("alpha", "beta") and read.active_tiers == (1, 3)
    assert read.updated_by == admin.id and read.updated_at is not None
    assert identity_policy(rated) is IdentityPolicy.SHOW_AND_EXCLUDE  # the choice beats hide
    assert read.scheduler_policy(explore=0.2) == SchedulerPolicy(
        explore=0.2, gold_share=0.1, repeat_share=0.0
    )

    # Saved again (one row), back to "everything, and the setting".
    set_rating_policy(rated, RatingPolicy(gold_share=0.5, repeat_share=0.5))
    again = rating_policy(rated)
    assert again == RatingPolicy(gold_share=MAX_SHARE, repeat_share=MAX_SHARE)
    assert again.updated_by is None
    assert identity_policy(rated) is IdentityPolicy.HIDE
    assert active_tiers(rated) == (1, 2, 3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"active_tiers": (1, 4)}, "4 is not a tier: choose among 1, 2, 3"),
        ({"active_tiers": (True,)}, "True is not a tier"),
        ({"gold_share": 0.6}, "the gold share must lie in [0, 0.5], got 0.6"),
        ({"repeat_share": -0.1}, "the repeat share must lie in [0, 0.5], got -0.1"),
        ({"gold_share": float("nan")}, "the gold share must be a number"),
        ({"identity_policy": "show"}, "unknown identity policy 'show': choose one of hide,"),
        ({"active_suites": "alpha"}, "active_suites is a collection of suite names, not one name"),
    ],
)
def test_bad_values_are_refused_clearly(
    rated: Engine, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        set_rating_policy(rated, replace(rating_policy(rated), **changes))  # type: ignore[arg-type]
    assert rating_policy(rated) == RatingPolicy()  # nothing stored


def test_unknown_suites_and_non_admins_are_refused(rated: Engine) -> None:
    with pytest.raises(ValueError, match=r"^unknown suite 'gamma': choose among alpha, beta$"):
        set_rating_policy(rated, RatingPolicy(active_suites=("alpha", "gamma")))
    lead = add_rater(rated, "Lee", "lead").rater
    with pytest.raises(PermissionError, match="Lee may not change the rating policy"):
        set_rating_policy(rated, RatingPolicy(active_tiers=(1,)), admin_id=lead.id)
    add_rater(rated, "Old", "admin")
    revoked = revoke_rater(rated, "Old")
    with pytest.raises(PermissionError):
        set_rating_policy(rated, RatingPolicy(active_tiers=(1,)), admin_id=revoked.id)
    with pytest.raises(ValueError, match="no rater with id 999"):
        set_rating_policy(rated, RatingPolicy(), admin_id=999)
    assert rating_policy(rated) == RatingPolicy()


def test_inactive_suites_and_tiers_are_never_offered(rated: Engine) -> None:
    where = _pairs_by_suite_and_tier(rated)
    ada = add_rater(rated, "Ada").rater
    bob = add_rater(rated, "Bob").rater
    set_rating_policy(rated, RatingPolicy(active_suites=("beta",), active_tiers=(2, 3)))
    assert active_tiers(rated) == (2, 3)
    offered = _offered(rated, ada.id)
    expected = {p for p, (suite, tier) in where.items() if suite == "beta" and tier != 1}
    assert set(offered) == expected and len(offered) == len(expected) > 0

    # A rater's tier pick narrows the open tiers and never widens them.
    picked = next_impression(rated, ada.id, tiers=[3, 1], rng=random.Random(2))
    assert picked is not None and where[picked.pair_id] == ("beta", 3)
    assert next_impression(rated, ada.id, tiers=[1]) is None

    # Votes cannot reopen a closed pair; and with everything voted, nothing is offered.
    rng = random.Random(1)
    while (imp := next_impression(rated, bob.id, rng=rng)) is not None:
        assert where[imp.pair_id][0] == "beta" and where[imp.pair_id][1] in (2, 3)
        assert record_vote(rated, bob.id, imp, "left")
    with Session(rated) as s:
        assert len(s.exec(select(Vote.id)).all()) == len(expected)

    # Closing everything closes rating; the tier picker is empty.
    set_rating_policy(rated, RatingPolicy(active_tiers=()))
    assert next_impression(rated, ada.id) is None
    assert active_tiers(rated) == ()
    set_rating_policy(rated, RatingPolicy(active_suites=()))
    assert next_impression(rated, ada.id) is None


def test_the_identity_hide_filter_holds_inside_the_active_suites(
    rated: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "show-and-exclude")
    where = _pairs_by_suite_and_tier(rated)
    with Session(rated) as s:
        leaky = s.exec(select(Response.id).order_by(col(Response.id)).limit(4)).all()
    with rated.begin() as conn:
        conn.execute(update(Response).where(col(Response.id).in_(leaky)).values(identity_leak=True))
    with Session(rated) as s:
        touching = {
            p.id for p in s.exec(select(Pair)) if {p.response_a_id, p.response_b_id} & set(leaky)
        }
    open_alpha = {p for p, (suite, _tier) in where.items() if suite == "alpha"}
    assert touching and touching <= open_alpha
    set_rating_policy(
        rated, RatingPolicy(active_suites=("alpha",), identity_policy=IdentityPolicy.HIDE)
    )
    ada = add_rater(rated, "Ada").rater
    assert set(_offered(rated, ada.id)) == open_alpha - touching
    set_rating_policy(rated, replace(rating_policy(rated), identity_policy=None))  # the setting
    bob = add_rater(rated, "Bob").rater
    assert set(_offered(rated, bob.id)) == open_alpha


def test_gold_marks_are_stored_read_and_scored(rated: Engine) -> None:
    admin = add_rater(rated, "Root", "admin").rater
    rater = add_rater(rated, "Ada").rater
    with Session(rated) as s:
        first, second, third = s.exec(select(Pair).order_by(col(Pair.id)).limit(3)).all()
    assert gold_answers(rated) == {}

    mark = mark_gold(rated, first.id, first.response_b_id, admin.id)  # type: ignore[arg-type]
    assert (mark.pair_id, mark.better_response_id, mark.marked_by) == (
        first.id,
        first.response_b_id,
        admin.id,
    )
    tie = mark_gold(rated, second.id, None, admin.id)  # type: ignore[arg-type]
    assert tie.is_tie and not mark.is_tie
    # Marked again: changed in place, one mark per pair.
    mark_gold(rated, third.id, third.response_a_id, admin.id)  # type: ignore[arg-type]
    mark_gold(rated, third.id, third.response_b_id, admin.id)  # type: ignore[arg-type]
    marks = gold_answers(rated)
    assert {p: m.better_response_id for p, m in marks.items()} == {
        first.id: first.response_b_id,
        second.id: None,
        third.id: third.response_b_id,
    }
    assert all(m.marked_at is not None for m in marks.values())
    assert unmark_gold(rated, third.id, admin.id)  # type: ignore[arg-type]
    assert not unmark_gold(rated, third.id, admin.id)  # type: ignore[arg-type]
    assert set(gold_answers(rated)) == {first.id, second.id}

    outsider = (
        {third.response_a_id, third.response_b_id} - {first.response_a_id, first.response_b_id}
    ).pop()
    with pytest.raises(ValueError, match="is not an answer of pair"):
        mark_gold(rated, first.id, outsider, admin.id)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no pair with id 99999"):
        mark_gold(rated, 99999, None, admin.id)  # type: ignore[arg-type]
    with pytest.raises(PermissionError):
        mark_gold(rated, first.id, None, rater.id)  # type: ignore[arg-type]

    # A rater right on one gold pair (the marked answer) and wrong on the tie.
    _vote_on(rated, rater.id, first.id, better=first.response_b_id)  # type: ignore[arg-type]
    _vote_on(rated, rater.id, second.id, better=second.response_a_id)  # type: ignore[arg-type]
    figures = rater_quality(rated).rows[0].figures
    assert (figures.gold_accuracy.count, figures.gold_accuracy.value) == (2, 0.5)

    # Gold items leave a cut that excludes them.
    with rated.connect() as conn:
        kept = conn.execute(
            select(Vote.pair_id).where(*vote_conditions(conn, Cut(exclude_gold=True)))
        ).all()
    assert kept == []


def _vote_on(engine: Engine, rater_id: int, pair_id: int, *, better: int) -> None:
    """A vote on one pair for the answer ``better``, whichever side it is shown on."""
    with Session(engine) as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        a, b = s.get(Response, pair.response_a_id), s.get(Response, pair.response_b_id)
        prompt = s.get(Prompt, pair.prompt_id)
    assert a is not None and b is not None and prompt is not None
    left, right = (b, a) if pair_id % 2 else (a, b)  # both sides get exercised
    imp = DrawnPair(pair_id, prompt.text, None, left.id, right.id, left.text, right.text)  # type: ignore[arg-type]
    assert record_vote(engine, rater_id, imp, "left" if left.id == better else "right")


def test_migration_0008_goes_down_and_up_and_keeps_one_row(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import insert, inspect
    from sqlalchemy.exc import IntegrityError

    from blindside.db import alembic_config, schema_drift
    from blindside.tables import RatingPolicyRow

    set_rating_policy(engine, RatingPolicy(active_tiers=(1,)))
    with engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(insert(RatingPolicyRow).values(id=2, gold_share=0.1, repeat_share=0.1))
    config = alembic_config(engine)
    command.downgrade(config, "0007")  # below 0008, whatever revisions came after it
    assert not {"rating_policy", "gold_pair"} & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert schema_drift(engine) == []
    assert rating_policy(engine) == RatingPolicy()  # a fresh table: today's behaviour

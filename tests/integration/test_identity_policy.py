"""The identity-leak policy on real databases with real demo answers.

Some demo answers are rewritten to name their author, directly or indirectly;
``blindside init`` re-checks the stored answers, and then:

* under ``hide`` (the default) no rater is ever offered a pair with a flagged answer;
* under ``show-and-exclude`` every pair is offered, and rankings leave out the
  votes on flagged answers unless asked to keep them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import Settings
from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.engine.run import generate
from blindside.leaderboard.board import build_leaderboard
from blindside.pairing import DrawnPair, next_impression
from blindside.policy import IdentityPolicy, identity_policy
from blindside.project import init_project
from blindside.tables import Model, Pair, Response, Vote
from blindside.votes import record_vote
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli, rater_id

MODELS = ["Demo careful", "Demo verbose", "Demo fast-cheap", "Demo erratic"]
# What the rewritten answers say: a direct self-reference and two indirect ones.
LEAKS = (
    "As an AI model developed by OpenAI, I think the answer is this.",
    "I was trained by the makers of Gemini, and here is my answer.",
    "My developers at Anthropic asked me to keep this short.",
)


@pytest.fixture
def leaky_engine(settings: Settings) -> Iterator[Engine]:
    """Demo answers to one suite; every fifth answer of Demo erratic (and one other) leaks.

    The leaking texts are written after generation with stale flags, as a database made
    under older rules would hold them; ``init_project`` must bring the flags up to date.
    """
    engine, report = init_project(settings, create_db_engine(settings.database_url))
    generate(engine, report.config, settings, suite_name="high_volume", model_names=MODELS)
    with Session(engine) as s:
        ids = dict(s.exec(select(Model.name, Model.id)).all())
        erratic = s.exec(
            select(Response.id)
            .where(Response.model_id == ids["Demo erratic"])
            .order_by(col(Response.id))
        ).all()
        careful = s.exec(
            select(Response.id).where(Response.model_id == ids["Demo careful"]).limit(1)
        ).all()
    leaking = [*erratic[::5], *careful]
    with engine.begin() as conn:
        for k, response_id in enumerate(leaking):
            conn.execute(
                update(Response)
                .where(col(Response.id) == response_id)
                .values(text=LEAKS[k % len(LEAKS)], identity_leak=False)
            )
    engine, report = init_project(settings, engine)
    assert report.leaks.flagged == len(leaking)
    assert report.leaks.answers_changed == len(leaking)
    yield engine
    engine.dispose()


def _flagged(engine: Engine) -> set[int]:
    with Session(engine) as s:
        return set(s.exec(select(Response.id).where(col(Response.identity_leak))).all())


def _pairs(engine: Engine) -> dict[int, tuple[int, int]]:
    with Session(engine) as s:
        rows = s.exec(select(Pair.id, Pair.response_a_id, Pair.response_b_id)).all()
    return {pair_id: (a, b) for pair_id, a, b in rows}


def _rate_everything(engine: Engine, rater: str, seed: int) -> list[DrawnPair]:
    """Draw and vote until the rater has no pair left; every impression drawn."""
    voter = rater_id(engine, rater)
    rng = random.Random(seed)
    shown = []
    for _ in range(10_000):
        impression = next_impression(engine, voter, rng=rng)
        if impression is None:
            return shown
        shown.append(impression)
        choice = rng.choice(["left", "right", "tie", "both_bad"])
        assert record_vote(engine, voter, impression, choice)
    raise AssertionError("the rater kept getting pairs: votes are not being stored")


def test_the_policy_setting_is_read_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLINDSIDE_IDENTITY_POLICY", raising=False)
    assert identity_policy() is IdentityPolicy.HIDE
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "show-and-exclude")
    assert identity_policy() is IdentityPolicy.SHOW_AND_EXCLUDE


def test_hide_never_offers_a_flagged_answer(
    leaky_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLINDSIDE_IDENTITY_POLICY", raising=False)  # the default is hide
    flagged = _flagged(leaky_engine)
    pairs = _pairs(leaky_engine)
    clean = {p for p, sides in pairs.items() if not flagged & set(sides)}
    assert flagged and 0 < len(clean) < len(pairs)
    for k, rater in enumerate(("ann", "bob", "cy")):
        shown = _rate_everything(leaky_engine, rater, seed=k)
        assert not flagged & {i.left_response_id for i in shown}
        assert not flagged & {i.right_response_id for i in shown}
        # Everything else is still offered, each pair once.
        assert sorted(i.pair_id for i in shown) == sorted(clean)
    with Session(leaky_engine) as s:
        assert not s.exec(select(Vote.id).where(col(Vote.identity_leak))).all()


def test_show_and_exclude_offers_them_and_rankings_leave_their_votes_out(
    leaky_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "show-and-exclude")
    flagged = _flagged(leaky_engine)
    pairs = _pairs(leaky_engine)
    leaky_pairs = {p for p, sides in pairs.items() if flagged & set(sides)}
    for k, rater in enumerate(("ann", "bob")):
        shown = _rate_everything(leaky_engine, rater, seed=k)
        assert sorted(i.pair_id for i in shown) == sorted(pairs)
    with Session(leaky_engine) as s:
        leaky_votes = set(s.exec(select(Vote.pair_id).where(col(Vote.identity_leak))).all())
    assert leaky_votes == leaky_pairs  # the flag reached every vote on a flagged answer

    everything = 2 * len(pairs)
    counted = 2 * (len(pairs) - len(leaky_pairs))
    assert build_leaderboard(leaky_engine, Cut()).total_votes == everything
    excluding = build_leaderboard(leaky_engine, Cut(exclude_identity_leaks=True))
    assert excluding.total_votes == counted

    base = ["--db", settings.database_url, "--config", str(MODELS_TOML)]
    base += ["--suites", str(SEED_PROMPTS)]
    ranked = cli("rank", "--format", "json", *base)
    assert ranked.returncode == 0, ranked.stderr
    summary = json.loads(ranked.stdout)
    assert summary["votes"] == counted
    assert "excluding identity-leaking answers" in summary["cut"]
    ratings = {m["model"].removesuffix(" (simulated)"): m["rating"] for m in summary["models"]}
    assert ratings == {r.name: pytest.approx(r.rating, abs=0.05) for r in excluding.rows}
    # A lead may still look at every vote, on request.
    kept = cli("rank", "--format", "json", "--no-exclude-identity-leaks", *base)
    assert json.loads(kept.stdout)["votes"] == everything

    # Under hide, rank counts every vote unless asked (the golden outputs rely on it).
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "hide")
    assert json.loads(cli("rank", "--format", "json", *base).stdout)["votes"] == everything


def test_a_bad_policy_is_one_line_and_exit_2(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", "show")
    result = cli("rank", "--db", sqlite_url)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "BLINDSIDE_IDENTITY_POLICY" in line and "hide or show-and-exclude" in line

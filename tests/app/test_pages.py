"""The Streamlit app through AppTest: sign-in by link, roles, a stored vote, the leaderboard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, col, select, update
from streamlit.testing.v1 import AppTest

from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.leaderboard.board import TIERS
from blindside.policy import rating_policy, set_rating_policy
from blindside.raters import add_rater, revoke_rater
from blindside.tables import Impression, Pair, Prompt, Response, Suite, Vote
from blindside.ui.vote_panel import button_key
from tests.app.conftest import APP, opened_by_link


def _signed_in(db_url: str, name: str = "Ada", role: str = "admin") -> AppTest:
    """An app whose visitor opened a fresh sign-in link for ``name`` (the real link path)."""
    return opened_by_link(add_rater(create_db_engine(db_url), name, role).token)


def _vote(at: AppTest, choice: str) -> AppTest:
    """Press a vote button of the pair on screen (keys carry the impression id)."""
    shown = at.session_state["impression"]
    return at.button(key=button_key(choice, shown.impression_id)).click().run()


def test_signed_out_sees_only_sign_in(app_env: str) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "blindside"
    assert "sign-in link" in at.info[0].value
    assert all(not b.key.startswith("vote_") for b in at.button)
    # Name-only sign-up is off by default.
    assert not at.text_input


def test_a_used_link_is_one_line_and_signs_nobody_in(app_env: str) -> None:
    invite = add_rater(create_db_engine(app_env), "Ada")
    first = AppTest.from_file(APP, default_timeout=30)
    first.query_params["invite"] = invite.token
    first.run()
    assert any(s.value == "Which answer is better?" for s in first.subheader)
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params["invite"] = invite.token
    again.run()
    assert not again.exception
    assert again.title[0].value == "blindside"
    assert "not valid" in again.error[0].value
    assert "\n" not in again.error[0].value


def test_open_signup_creates_a_rater_only(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLINDSIDE_OPEN_SIGNUP", "rater")
    add_rater(create_db_engine(app_env), "Ada", "admin")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="signin_name").input("ada")
    at.button[0].click().run()
    assert "taken" in at.error[0].value  # typing a name never signs in as that person
    at.text_input(key="signin_name").input("Grace")
    at.button[0].click().run()
    assert not at.exception
    assert any(s.value == "Which answer is better?" for s in at.subheader)
    assert "Grace** (rater)" in at.sidebar.caption[0].value


def test_sign_out_ends_the_session(app_env: str) -> None:
    at = _signed_in(app_env)
    token = at.session_state["session_token"]
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "blindside"
    from blindside.raters import resume_session

    assert resume_session(create_db_engine(app_env), token) is None


def test_a_revoked_rater_is_signed_out_at_the_next_rerun(app_env: str) -> None:
    at = _signed_in(app_env, role="rater")
    revoke_rater(create_db_engine(app_env), "Ada")
    _vote(at, "left")
    assert not at.exception
    assert at.title[0].value == "blindside"
    with Session(create_db_engine(app_env)) as s:
        assert s.exec(select(Vote)).all() == []  # the click after revocation stored nothing


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("rater", ["vote", "my_votes"]),
        (
            "lead",
            ["vote", "my_votes", "leaderboard", "runs", "drift", "raters", "stress", "export"],
        ),
        (
            "admin",
            [
                "vote",
                "my_votes",
                "leaderboard",
                "runs",
                "drift",
                "raters",
                "stress",
                "export",
                "setup",
            ],
        ),
    ],
)
def test_each_role_sees_exactly_its_pages(app_env: str, role: str, pages: list[str]) -> None:
    from blindside.ui.navigation import PAGES, visible_pages

    assert [p.url_path for p in visible_pages(role)] == pages
    at = _signed_in(app_env, role=role)
    for spec in PAGES:
        at.switch_page(spec.path).run()
        assert not at.exception
        refused = [e.value for e in at.error if "is for the" in e.value]
        assert bool(refused) == (spec.url_path not in pages), (role, spec.path)
        if refused:
            assert at.title[0].value == "Not available"


def test_runs_generate_form_is_for_admins_only(app_env: str) -> None:
    lead = _signed_in(app_env, "Lena", role="lead")
    lead.switch_page("app_pages/runs.py").run()
    assert not lead.exception
    assert lead.dataframe  # the run table, read only
    assert not [b for b in lead.button if b.label == "Generate"]
    admin = _signed_in(app_env, "Ada", role="admin")
    admin.switch_page("app_pages/runs.py").run()
    assert [b for b in admin.button if b.label == "Generate"]


def test_my_votes_shows_choices_not_models(app_env: str) -> None:
    at = _signed_in(app_env, role="rater")
    _vote(at, "left")
    _vote(at, "tie")
    at.switch_page("app_pages/my_votes.py").run()
    assert not at.exception
    assert any("**2** votes" in m.value for m in at.markdown)
    frame = at.dataframe[0].value
    assert list(frame["Your choice"]) == ["Tie", "Left"]
    assert set(frame.columns) == {"When (UTC)", "Prompt", "Your choice", "Flagged", "Note"}


def test_a_vote_is_stored(app_env: str) -> None:
    at = _signed_in(app_env)
    assert any("Votes cast: **0**" in m.value for m in at.markdown)
    first = at.session_state["impression"]
    assert set(vars(first)) == {  # the page holds no model, response or pair id
        "impression_id",
        "prompt_text",
        "system",
        "turns",
        "left_text",
        "right_text",
    }
    _vote(at, "left")
    assert not at.exception
    with Session(create_db_engine(app_env)) as s:
        votes = s.exec(select(Vote)).all()
        impression = s.get(Impression, first.impression_id)
        left = s.get(Response, votes[0].left_response_id)
    assert len(votes) == 1
    assert votes[0].impression_id == first.impression_id
    assert votes[0].pair_id == impression.pair_id
    assert votes[0].choice == "left"
    assert votes[0].left_response_id == impression.left_response_id
    assert left.text == first.left_text
    assert at.session_state["impression"].impression_id != first.impression_id
    assert any("Votes cast: **1**" in m.value for m in at.markdown)
    assert not at.info  # nothing was refused


def test_a_press_for_an_answered_pair_stores_nothing(app_env: str) -> None:
    at = _signed_in(app_env)
    first = at.session_state["impression"]
    left_key = button_key("left", first.impression_id)
    at.button(key=left_key).click().run()
    # The same press again, as from a page still showing the first pair (a stale tab).
    at.session_state["impression"] = first
    at.run()
    at.button(key=left_key).click().run()
    assert not at.exception
    assert any("Already counted" in i.value for i in at.info)
    with Session(create_db_engine(app_env)) as s:
        assert len(s.exec(select(Vote)).all()) == 1
    assert at.session_state["impression"].impression_id != first.impression_id


def test_leaderboard_renders(app_env: str) -> None:
    at = _signed_in(app_env)
    for choice in ("left", "right", "tie", "both_bad", "left", "left"):
        _vote(at, choice)
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    assert at.title[0].value == "Leaderboard"
    assert len(at.tabs) == 4
    frame = at.dataframe[0].value
    assert len(frame) == 4
    assert frame["Model"].str.endswith("(simulated)").all()
    assert frame["Votes"].sum() == 2 * 6
    # Automated scores beside the ratings: every demo model answered scored tier 3 prompts.
    assert frame["Accuracy"].between(0, 1).all()
    assert frame["Scored answers"].gt(0).all()
    assert frame["Accuracy 95% CI"].str.fullmatch(r"\d+%–\d+%").all()
    # A tab with answers: a compact table; a tier tab: a recommendation with its reason.
    assert len(at.table) >= 2
    advice = [a.value for a in [*at.success, *at.info] if a.value.startswith("**Tier")]
    assert any(a.startswith("**Tier 3:** ") for a in advice)
    # A lead types a volume: the monthly cost follows it.
    at.number_input(key="volume_3").set_value(1_000_000).run()
    compact = at.table[-1].value
    assert compact["Monthly cost (USD)"].str.startswith("$").all()
    # The rule's limits: 0 stands for none; a minimum accuracy, typed in percent, becomes a
    # share in the rule and a condition in the recommendation's reason.
    limit = at.number_input(key="rule_max_cost_3")
    assert (limit.value, limit.help) == (0.0, "0: no limit.")
    assert at.number_input(key="rule_min_accuracy_3").help == "0: no minimum."
    at.number_input(key="rule_min_accuracy_3").set_value(100.0).run()
    advice = [a.value for a in [*at.success, *at.info] if a.value.startswith("**Tier 3:**")]
    assert any("at least 100% accurate" in a and "accuracy ≥ 100%" in a for a in advice)


def test_runs_page_renders(app_env: str) -> None:
    at = _signed_in(app_env)
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["Answers"].sum() > 0
    assert frame["Accuracy"].between(0, 1).all()


def test_drift_page_shows_a_rebench(app_env: str) -> None:
    from blindside.config import load_models_toml
    from blindside.drift.rebench import assess_run

    at = _signed_in(app_env, role="lead")
    at.switch_page("app_pages/drift.py").run()
    assert not at.exception
    assert "No rebench yet" in at.info[0].value
    # The demo's run judged against itself: a real rebench record, and no drift.
    engine = create_db_engine(app_env)
    config = load_models_toml(Path(APP).parent / "models.toml")
    result = assess_run(engine, config, 1, baseline_run_id=1)
    assert result.findings and not result.drifted
    at.run()
    assert not at.exception
    assert at.selectbox(key="drift_suite").value == "high_volume"
    assert "No drift in the latest rebench." in at.success[0].value
    assert at.get("vega_lite_chart")


def test_leaderboard_filters_apply_a_cut(app_env: str) -> None:
    at = _signed_in(app_env)
    for choice in ("left", "right", "left", "tie"):
        _vote(at, choice)
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    assert at.multiselect(key="cut_raters").options == ["Ada"]
    assert "high_volume" in at.selectbox(key="cut_suite").options
    # Four votes: under MIN_VOTES, so the page says so instead of a rating and a rank range.
    summary = at.markdown
    assert any("Not enough votes to rate" in m.value for m in summary)
    assert not any("could be" in m.value for m in summary)
    assert any("Not enough votes to show a rating" in w.value for w in at.warning)

    # A rater cut that keeps everything, then bootstrap intervals: same votes, new method.
    at.multiselect(key="cut_raters").select("Ada").run()
    at.radio(key="opt_intervals").set_value("bootstrap").run()
    assert not at.exception
    assert at.dataframe[0].value["Votes"].sum() == 2 * 4
    assert any("bootstrap" in c.value for c in at.caption)

    # A suite with no votes: a clear message on every tab, no table, no crash.
    other = next(
        s for s in at.selectbox(key="cut_suite").options if s not in ("All", "high_volume")
    )
    at.selectbox(key="cut_suite").set_value(other).run()
    assert not at.exception
    assert len(at.info) == 4
    assert all("No votes in this selection" in i.value for i in at.info)

    # Excluding flagged votes with none flagged changes nothing.
    at.selectbox(key="cut_suite").set_value("All").run()
    at.checkbox(key="cut_exclude_flagged").check().run()
    assert not at.exception
    assert at.dataframe[0].value["Votes"].sum() == 2 * 4


def test_generate_from_the_runs_page(
    app_env: str, demo_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLINDSIDE_DEMO_URL", demo_server.base_url)
    at = _signed_in(app_env)
    at.switch_page("app_pages/runs.py").run()
    at.selectbox(key="gen_suite").select("creative")
    at.multiselect(key="gen_models").set_value(["Demo careful", "Demo fast-cheap"])
    next(b for b in at.button if b.label == "Generate").click().run()  # the form's button
    assert not at.exception
    assert "Run " in at.success[0].value
    with Session(create_db_engine(app_env)) as s:
        rows = s.exec(select(Response).join(Prompt).join(Suite).where(Suite.name == "creative"))
        answered = {(r.model_id, r.prompt_id) for r in rows if r.error is None}
    assert len(answered) > 0
    frame = at.dataframe[0].value
    assert set(frame["Suite"]) >= {"creative", "high_volume"}


def test_a_flag_and_note_go_with_the_vote(app_env: str) -> None:
    at = _signed_in(app_env)
    at.checkbox(key="vote_flag").check()
    at.text_input(key="vote_comment").input("the right answer names its vendor")
    _vote(at, "right")
    _vote(at, "left")  # the next pair: flag and note were cleared
    with Session(create_db_engine(app_env)) as s:
        first, second = s.exec(select(Vote).order_by(Vote.id)).all()
    assert (first.flagged, first.comment) == (True, "the right answer names its vendor")
    assert (second.flagged, second.comment) == (False, None)


@pytest.mark.parametrize(("policy", "excluded"), [("hide", False), ("show-and-exclude", True)])
def test_the_leaderboard_says_what_the_identity_policy_does(
    app_env: str, monkeypatch: pytest.MonkeyPatch, policy: str, excluded: bool
) -> None:
    monkeypatch.setenv("BLINDSIDE_IDENTITY_POLICY", policy)
    at = _signed_in(app_env)
    _vote(at, "left")
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    # Under show-and-exclude, leaking votes are left out unless the lead unticks the box.
    assert at.checkbox(key="cut_exclude_identity_leaks").value is excluded
    assert any(f"identity policy: {policy}" in c.value for c in at.caption)


def test_a_multi_turn_prompt_shows_as_chat_messages(app_env: str) -> None:
    conversation = [
        {"role": "system", "content": "Answer as a pirate."},
        {"role": "user", "content": "Line one\nline two"},
        {"role": "assistant", "content": "Arr."},
        {"role": "user", "content": "And ![a beacon](https://tracker.example.com/p.png)?"},
    ]
    engine = create_db_engine(app_env)
    with engine.begin() as conn:
        conn.execute(update(Prompt).values(messages=conversation, system="Answer as a pirate."))
    at = _signed_in(app_env)
    assert not at.exception
    messages = at.chat_message
    assert [m.name for m in messages] == ["user", "assistant", "user"]
    first, _, last = (m.markdown[0].value for m in messages)
    assert first == "Line one  \nline two"  # a hard break: the line break shows
    assert "![" not in last and "](" not in last  # the image shows as text
    # The system instructions are apart from the turns, not one of them.
    assert any("Answer as a pirate." in c.value for c in at.caption)
    assert all("pirate" not in m.markdown[0].value for m in messages)


def _tier_on_screen(db_url: str, at: AppTest) -> int:
    """The tier of the prompt on the rater's screen (read from the store, not the page)."""
    with Session(create_db_engine(db_url)) as s:
        impression = s.get(Impression, at.session_state["impression"].impression_id)
        pair = s.get(Pair, impression.pair_id)
        return s.get(Prompt, pair.prompt_id).tier


@pytest.fixture
def three_tiers(app_env: str) -> str:
    """The demo database with its prompts spread over the three tiers (it has tier 3 only)."""
    with create_db_engine(app_env).begin() as conn:
        conn.execute(update(Prompt).values(tier=col(Prompt.id) % 3 + 1))
    return app_env


def test_a_rater_who_picks_tier_2_rates_only_tier_2(three_tiers: str) -> None:
    app_env = three_tiers
    at = _signed_in(app_env, role="rater")
    picker = at.button_group(key="vote_tiers")
    assert picker.value == [1, 2, 3]  # every active tier by default
    assert picker.options[1] == TIERS[2]  # in words; nothing about models
    picker.set_value([2]).run()
    assert not at.exception
    for choice in ("left", "right", "tie", "left", "both_bad"):
        assert _tier_on_screen(app_env, at) == 2
        _vote(at, choice)
    assert _tier_on_screen(app_env, at) == 2
    assert at.button_group(key="vote_tiers").value == [2]  # kept through the sitting
    with Session(create_db_engine(app_env)) as s:
        skipped = s.exec(select(Impression).where(Impression.skipped)).all()
    # The pair on screen when the rater switched, unless it was tier 2 already.
    assert len(skipped) <= 1
    # Another page and back: the choice is still tier 2.
    at.switch_page("app_pages/my_votes.py").run()
    at.switch_page("app_pages/vote.py").run()
    assert at.button_group(key="vote_tiers").value == [2]
    assert _tier_on_screen(app_env, at) == 2


def test_only_active_tiers_are_offered(three_tiers: str) -> None:
    app_env = three_tiers
    engine = create_db_engine(app_env)
    set_rating_policy(engine, replace(rating_policy(engine), active_tiers=(1, 3)))
    at = _signed_in(app_env, role="rater")
    picker = at.button_group(key="vote_tiers")
    assert list(picker.options) == [TIERS[1], TIERS[3]]
    assert picker.value == [1, 3]
    for choice in ("left", "right", "tie"):
        assert _tier_on_screen(app_env, at) in (1, 3)
        _vote(at, choice)


def test_one_active_tier_is_text_not_a_control(three_tiers: str) -> None:
    app_env = three_tiers
    engine = create_db_engine(app_env)
    set_rating_policy(engine, replace(rating_policy(engine), active_tiers=(3,)))
    at = _signed_in(app_env, role="rater")
    assert not at.exception
    assert not at.button_group
    assert any(TIERS[3] in c.value for c in at.caption)
    assert _tier_on_screen(app_env, at) == 3

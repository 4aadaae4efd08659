"""The Rating setup page through AppTest, on the demo database (pairs in high_volume, tier 3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from blindside.db import create_db_engine
from blindside.policy import IdentityPolicy, RatingPolicy, gold_answers, rating_policy
from blindside.raters import add_rater, issue_invite
from tests.app.conftest import app_reading, opened_by_link
from tests.conftest import rater_id


@pytest.fixture
def engine(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.delenv("BLINDSIDE_IDENTITY_POLICY", raising=False)
    with app_reading(demo_db_url, monkeypatch):
        engine = create_db_engine(demo_db_url)
        add_rater(engine, "Root", "admin")
        yield engine
        engine.dispose()


def _setup_page(engine: Engine, name: str) -> AppTest:
    """The Rating setup page opened by ``name`` (a rater unless they exist), signed in by link."""
    rater_id(engine, name)
    at = opened_by_link(issue_invite(engine, name).token, timeout=60, page="app_pages/setup.py")
    assert not at.exception
    return at


def test_only_admins_may_change_the_setup(engine: Engine) -> None:
    at = _setup_page(engine, "Ada")  # a rater
    assert at.title[0].value == "Not available"
    assert "for the admin role" in at.error[0].value
    assert not [b for b in at.button if b.key == "setup_save"]
    assert not at.selectbox  # no pair, no model name


def test_the_admin_opens_suites_and_tiers_and_chooses_the_policy(engine: Engine) -> None:
    at = _setup_page(engine, "Root")
    assert not at.error
    assert at.checkbox(key="setup_every_suite").value
    assert all(at.checkbox(key=f"setup_tier_{t}").value for t in (1, 2, 3))
    assert at.button(key="setup_save").disabled  # nothing changed yet
    assert any("No setup saved yet" in c.value for c in at.caption)
    assert at.radio(key="setup_identity").value == "setting"

    at.checkbox(key="setup_every_suite").uncheck().run()
    at.multiselect(key="setup_suites").set_value(["high_volume", "creative"]).run()
    at.checkbox(key="setup_tier_1").uncheck().run()
    at.radio(key="setup_identity").set_value(IdentityPolicy.SHOW_AND_EXCLUDE.value).run()
    at.slider(key="setup_gold_share").set_value(10).run()
    at.slider(key="setup_repeat_share").set_value(0).run()
    assert any("Unsaved changes" in c.value for c in at.caption)
    at.button(key="setup_save").click().run()
    assert not at.exception
    assert "Saved" in at.success[0].value
    assert rating_policy(engine) == RatingPolicy(
        active_suites=("creative", "high_volume"),
        active_tiers=(2, 3),
        identity_policy=IdentityPolicy.SHOW_AND_EXCLUDE,
        gold_share=0.1,
        repeat_share=0.0,
    )
    assert rating_policy(engine).updated_by is not None

    # Closing the only tier with pairs warns that raters have nothing to rate.
    at.checkbox(key="setup_tier_3").uncheck().run()
    assert "No pair is open for rating" in at.warning[0].value


def test_the_admin_marks_gold_pairs_with_model_names(engine: Engine) -> None:
    at = _setup_page(engine, "Root")
    prompt = at.selectbox(key="gold_prompt")
    assert prompt.value is not None and "high_volume · tier 3" in prompt.format_func(prompt.value)
    pair = at.selectbox(key="gold_pair")
    label = pair.format_func(pair.value)
    assert " vs " in label and "Demo" in label  # model names, for the admin
    better = next(b for b in at.button if (b.key or "").startswith("gold_better_"))
    better_id = int(better.key.removeprefix("gold_better_"))
    assert better.label.endswith(" is better") and better.label.removesuffix(" is better") in label
    better.click().run()
    assert not at.exception
    marks = gold_answers(engine)
    assert [(m.pair_id, m.better_response_id) for m in marks.values()] == [(pair.value, better_id)]
    assert "gold:" in at.selectbox(key="gold_pair").format_func(pair.value)
    table = at.dataframe[0].value
    assert table["Verdict"].tolist() == [better.label.replace(" is better", " better")]
    assert table["Marked by"].tolist() == ["Root"]

    at.button(key="gold_tie").click().run()
    assert gold_answers(engine)[pair.value].is_tie
    at.button(key="gold_clear").click().run()
    assert gold_answers(engine) == {}
    assert at.button(key="gold_clear").disabled

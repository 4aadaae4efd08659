"""The Raters page through AppTest, over the golden fixture (4 raters, 1,985 votes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from blindside.db import open_database
from blindside.raters import issue_invite, set_role
from tests.app.conftest import app_reading, opened_by_link


@pytest.fixture
def raters_page(golden_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_reading(golden_db_url, monkeypatch):
        # Ada, one of the fixture's raters, made a lead and opening a fresh sign-in link.
        engine = open_database(golden_db_url)
        set_role(engine, "Ada", "lead")
        token = issue_invite(engine, "Ada").token
        at = opened_by_link(token, timeout=60, page="app_pages/raters.py")
        assert not at.exception
        yield at


def test_the_raters_page_shows_every_rater_and_agreement(raters_page: AppTest) -> None:
    at = raters_page
    assert at.title[0].value == "Raters"
    table = at.dataframe[0].value
    assert table["Rater"].tolist() == ["Ada", "Barbara", "Grace", "Linus"]
    assert table["Votes"].sum() == 1985
    assert table["Counted"].all()
    assert table["Majority"].between(0, 100).all()
    assert table["Left wins"].between(0, 100).all()
    assert table["Gold votes"].eq(0).all()  # the shipped suites have no gold prompts
    pairs = at.dataframe[1].value
    assert len(pairs) == 6  # every pair of four raters
    assert pairs["Shared pairs"].gt(0).all()
    labels = [m.label for m in at.metric]
    assert labels == ["Mean pairwise Cohen's kappa", "Krippendorff's alpha (nominal)"]
    assert all(-1 <= float(m.value) <= 1 for m in at.metric)
    assert any("pairable votes" in c.value for c in at.caption)


def test_the_tier_filter_narrows_the_votes(raters_page: AppTest) -> None:
    at = raters_page
    at.selectbox(key="raters_tier").set_value(at.selectbox(key="raters_tier").options[1]).run()
    assert not at.exception
    assert 0 < at.dataframe[0].value["Votes"].sum() < 1985
    assert any("tier 1" in c.value for c in at.caption)


def test_the_too_fast_threshold_is_applied(raters_page: AppTest) -> None:
    at = raters_page
    before = at.dataframe[0].value["Too fast"].sum()
    at.number_input(key="raters_too_fast").set_value(60.0).run()
    after = at.dataframe[0].value["Too fast"].sum()
    assert before < after
    assert any("under 60.0 s" in c.value for c in at.caption)


def test_exclude_and_include_a_rater(raters_page: AppTest) -> None:
    at = raters_page
    table = at.dataframe[0].value
    linus_votes = int(table.loc[table["Rater"] == "Linus", "Votes"].iloc[0])
    linus = next(b for b in at.button if b.label == "Exclude Linus")
    linus.click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.set_index("Rater")["Counted"].to_dict() == {
        "Ada": True,
        "Barbara": True,
        "Grace": True,
        "Linus": False,
    }
    assert table["Votes"].sum() == 1985  # the votes are kept and still shown here
    assert any(b.label == "Include Linus" for b in at.button)
    assert any("With excluded raters" in c.value for c in at.caption)

    # The leaderboard leaves them out at once (the cached fit is keyed on exclusions).
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    assert at.dataframe[0].value["Votes"].sum() == 2 * (1985 - linus_votes)
    assert any("1 excluded rater are left out" in c.value for c in at.caption)

    at.switch_page("app_pages/raters.py").run()
    next(b for b in at.button if b.label == "Include Linus").click().run()
    assert at.dataframe[0].value["Counted"].all()
    at.switch_page("app_pages/leaderboard.py").run()
    assert at.dataframe[0].value["Votes"].sum() == 2 * 1985
    assert not any("excluded rater" in c.value for c in at.caption)

"""The Export page through AppTest, over the golden fixture (4 raters, 1,985 votes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from blindside.cuts import Cut
from blindside.db import open_database
from blindside.export.run import row_counts
from blindside.raters import issue_invite, set_role
from tests.app.conftest import app_reading, opened_by_link


def _page(db_url: str, name: str, role: str) -> AppTest:
    engine = open_database(db_url)
    set_role(engine, name, role)
    at = opened_by_link(issue_invite(engine, name).token, timeout=60, page="app_pages/export.py")
    assert not at.exception
    return at


@pytest.fixture
def golden_app(golden_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app over the golden fixture's database (its URL)."""
    with app_reading(golden_db_url, monkeypatch):
        yield golden_db_url


def _downloads(at: AppTest) -> list[str]:
    """The keys of the page's download buttons."""
    return [e.proto.id for e in at.get("download_button")]


def _row_counts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.endswith(" rows")]


def test_a_rater_is_refused_and_gets_no_file(golden_app: str) -> None:
    at = _page(golden_app, "Linus", "rater")
    assert at.title[0].value == "Not available"
    assert any("is for the lead role" in e.value for e in at.error)
    assert not at.get("download_button")
    assert not _row_counts(at)


def test_a_lead_sees_the_counts_of_each_format(golden_app: str) -> None:
    at = _page(golden_app, "Ada", "lead")
    assert at.title[0].value == "Export"
    counts = row_counts(open_database(golden_app))
    assert counts["jsonl"] == 1985
    assert any(m.value.startswith("**1,985 votes**") for m in at.markdown)
    # jsonl, csv, parquet, arena: every vote; preference: only votes naming a better answer.
    shown = _row_counts(at)
    assert shown == [f"{counts[f]:,} rows" for f in ("jsonl", "csv", "parquet", "arena")] + [
        f"{counts['preference']:,} rows"
    ]
    assert counts["preference"] < 1985
    assert len(at.get("download_button")) == 5 + 4

    at.toggle(key="export_keep_ties").set_value(True).run()
    assert _row_counts(at)[-1] == "1,985 rows"

    # The same cuts as the leaderboard, plus a tier.
    at.selectbox(key="export_tier").set_value(at.selectbox(key="export_tier").options[1]).run()
    tier1 = row_counts(open_database(golden_app), Cut(tier=1))["jsonl"]
    assert 0 < tier1 < 1985
    assert any(m.value.startswith(f"**{tier1:,} votes**") for m in at.markdown)
    at.multiselect(key="cut_raters").select("Grace").run()
    grace = row_counts(open_database(golden_app), Cut(tier=1, raters=("Grace",)))["jsonl"]
    assert 0 < grace < tier1
    assert any(m.value.startswith(f"**{grace:,} votes**") for m in at.markdown)

"""The Leaderboard as a decision page in a 1,280x800 window, over the golden fixture's votes.

On every tab the compact table's rating, accuracy, p95 latency and cost per task cells sit
inside the window (no sideways scrolling); each tier tab states a recommendation. The
tier 3 screenshot goes to the test's temporary folder; with ``BLINDSIDE_UPDATE_DOCS=1`` it
replaces ``docs/leaderboard.png`` (so a test run never edits the source tree by default).
"""

from __future__ import annotations

import os
from pathlib import Path

from blindside.db import open_database
from blindside.raters import invite_link, issue_invite, set_role
from tests.conftest import ROOT
from tests.e2e.conftest import serve_app, wait_ready

WIDTH, HEIGHT = 1280, 800
MUST_SEE = ("Rating (95% CI)", "Accuracy (95% CI)", "Latency p95 (ms)", "Cost per task (USD)")
TABS = {
    "all": "Overall",
    "1": "Tier 1 · high-stakes reasoning",
    "2": "Tier 2 · creative",
    "3": "Tier 3 · high-volume",
}
DOCS_SCREENSHOT = ROOT / "docs" / "leaderboard.png"


def test_the_decision_columns_fit_a_1280_window_on_every_tab(  # type: ignore[no-untyped-def]
    golden_db_url: str, tmp_path: Path, chromium_browser
) -> None:
    context = chromium_browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    # Ada, one of the fixture's raters, as a lead with a fresh sign-in link.
    engine = open_database(golden_db_url)
    set_role(engine, "Ada", "lead")
    token = issue_invite(engine, "Ada").token
    engine.dispose()
    with serve_app(golden_db_url, tmp_path) as base:
        page.goto(invite_link(base, token))
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("link", name="Leaderboard", exact=True).click()
        page.wait_for_selector(".st-key-decision_table_3 table", state="attached", timeout=60_000)
        wait_ready(page)
        # Nothing on the page is wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        for key, label in TABS.items():
            page.get_by_role("tab", name=label).click()
            table = page.locator(f".st-key-decision_table_{key} table")
            table.wait_for(state="visible")
            headers = table.locator("thead th")
            labels = [h.inner_text().strip() for h in headers.all()]
            rows = table.locator("tbody tr").all()
            assert len(rows) == 4, label
            for name in MUST_SEE:
                column = labels.index(name)
                cells = [headers.nth(column), *(row.locator("td, th").nth(column) for row in rows)]
                for cell in cells:
                    box = cell.bounding_box()
                    assert box is not None, (label, name)
                    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (label, name, box)
                    text = cell.inner_text().strip()
                    assert text and text != "None", (label, name)
            if key != "all":
                advice = page.locator(f".st-key-recommendation_{key}")
                assert f"Tier {key}:" in advice.inner_text()
        recommendation = page.locator(".st-key-recommendation_3").inner_text()
        assert "Demo fast-cheap (simulated): the cheapest model per task" in recommendation
        tab = page.get_by_role("tab", name=TABS["3"])
        tab.click()
        wait_ready(page)
        tab.evaluate("tab => tab.scrollIntoView()")
        update_docs = os.environ.get("BLINDSIDE_UPDATE_DOCS")
        shot = DOCS_SCREENSHOT if update_docs else tmp_path / "tier3.png"
        page.screenshot(path=str(shot))
    context.close()

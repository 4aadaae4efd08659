"""The Drift page in Chromium at 1280x800, for a lead, over three real rebenches of the demo:
the chart renders with its alert, the latest rebench names the drifted model, and a rater
is refused. The screenshot goes to the test's folder (``BLINDSIDE_UPDATE_DOCS=1``: docs/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from blindside.db import open_database
from blindside.raters import add_rater, invite_link
from tests.conftest import ROOT
from tests.e2e.conftest import serve_app, sign_in_for_typed_addresses, wait_ready
from tests.integration.drift_world import drifted_database

DOCS_SCREENSHOT = ROOT / "docs" / "drift.png"


@pytest.fixture(scope="session")
def drift_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three rebenches, the last drifted. Session scope: built before Playwright's event
    loop starts (a module fixture), since generation runs its own loop."""
    root = tmp_path_factory.mktemp("drift")
    db_url = f"sqlite:///{root / 'drift.db'}"
    drifted_database(root, db_url)
    return db_url


def test_drift_chart_and_alert_render_for_a_lead(  # type: ignore[no-untyped-def]
    drift_db_url: str, tmp_path: Path, chromium_browser
) -> None:
    db_url = drift_db_url
    engine = open_database(db_url)
    lead = add_rater(engine, "Lena", "lead").token
    rater = add_rater(engine, "Ravi", "rater").token
    engine.dispose()

    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    with serve_app(db_url, tmp_path) as base:
        page.goto(invite_link(base, lead))
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("link", name="Drift", exact=True).click()
        page.get_by_role("heading", name="Drift").wait_for()
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.wait_for(state="visible", timeout=60_000)
        wait_ready(page)
        # Vega drew its marks (a canvas or an SVG inside the chart element).
        assert chart.locator("canvas, svg").count() > 0
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        alert = page.get_by_text("Demo careful (simulated), tier 1: Accuracy")
        alert.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shot = tmp_path / "drift.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("BLINDSIDE_UPDATE_DOCS"):
            shutil.copyfile(shot, DOCS_SCREENSHOT)

        # A rater typing the address is refused.
        other = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
        rater_page = other.new_page()
        sign_in_for_typed_addresses(rater_page, base, rater)
        rater_page.goto(f"{base}/drift")
        rater_page.get_by_role("heading", name="Not available").wait_for(timeout=30_000)
        assert rater_page.get_by_text("Demo careful").count() == 0
        other.close()
    context.close()

"""The Leaderboard at 1,280x800 shows an LLM judge's ranking beside the raters', in a browser.

The golden fixture's votes (four raters) and a demo judge's verdicts on its pairs, judged
over real HTTP by the demo provider. The judge section's chart and its sentences are on
the page, inside the window's width; the screenshot goes to the test's folder, or with
``BLINDSIDE_UPDATE_DOCS=1`` to ``docs/judge.png``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from blindside.config import load_settings
from blindside.demo.server import LoopbackServer
from blindside.judge.run import judge_suite
from blindside.project import init_project
from blindside.raters import invite_link, issue_invite, set_role
from tests.conftest import MODELS_TOML, ROOT, SEED_PROMPTS
from tests.e2e.conftest import serve_app, wait_ready

WIDTH, HEIGHT = 1280, 800
DOCS_SCREENSHOT = ROOT / "docs" / "judge.png"


def test_the_judge_chart_sits_beside_the_raters_ranking(  # type: ignore[no-untyped-def]
    golden_db_url: str, tmp_path: Path, demo_server: LoopbackServer, chromium_browser
) -> None:
    settings = load_settings(
        database_url=golden_db_url,
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    engine, report = init_project(settings)
    # In a thread of its own: Playwright's sync API keeps an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(
            judge_suite,
            engine,
            report.config,
            settings,
            suite_name="high_volume",
            judge_name="Demo careful",
            max_pairs=40,
            concurrency=16,
        ).result()
    assert result.verdicts > 40
    set_role(engine, "Ada", "lead")
    token = issue_invite(engine, "Ada").token
    engine.dispose()
    context = chromium_browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    with serve_app(golden_db_url, tmp_path) as base:
        page.goto(invite_link(base, token))
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("link", name="Leaderboard", exact=True).click()
        page.get_by_role("tab", name="Tier 3 · high-volume").click()
        section = page.locator(".st-key-judge_section_3")
        section.wait_for(state="attached", timeout=90_000)
        wait_ready(page)
        section.scroll_into_view_if_needed()
        chart = section.locator("canvas, svg").first
        chart.wait_for(state="visible", timeout=30_000)
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        text = section.inner_text()
        assert "Agreement with raters:" in text and "Position bias of the judge:" in text
        assert "answer shown first won" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot = (
            DOCS_SCREENSHOT if os.environ.get("BLINDSIDE_UPDATE_DOCS") else tmp_path / "judge.png"
        )
        page.screenshot(path=str(shot))
    context.close()

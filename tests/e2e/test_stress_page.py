"""The Stress page in Chromium at 1280x800: a lead sees real sweeps and the time of day drawn.

The data is real: the demo database's generation answers, and a `blindside stress` sweep of
two models against `blindside serve-demo --capacity 2` (both real processes). Each chart
must be drawn with that data: Vega's SVG holds a point for each row, not only axes.
The screenshot goes to the test's temporary folder; with ``BLINDSIDE_UPDATE_DOCS=1`` it
replaces ``docs/stress.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

from blindside.db import create_db_engine
from blindside.latency_history import by_hour_of_week, latency_samples
from blindside.raters import add_rater, invite_link
from tests.conftest import MODELS_TOML, ROOT
from tests.e2e.conftest import serve_app, wait_ready
from tests.processes import blindside, serve_demo_process

WIDTH, HEIGHT = 1280, 800
CHARTS = ("stress_latency_chart", "stress_throughput_chart", "tod_latency_chart", "tod_error_chart")
DOCS_SCREENSHOT = ROOT / "docs" / "stress.png"

# What Vega drew in a chart's SVG: line paths, points (one per data row) and rules (knees).
DRAWN = """
el => {
  const svg = el.querySelector('.vega-embed svg');
  if (!svg) return null;
  const count = selector => svg.querySelectorAll(selector).length;
  return {
    lines: count('g.mark-line.role-mark path'),
    points: count('g.mark-symbol.role-mark path'),
    rules: count('g.mark-rule.role-mark line, g.mark-rule.role-mark path'),
  };
}
"""


def test_a_lead_sees_stress_and_time_of_day_charts_drawn_from_stored_data(  # type: ignore[no-untyped-def]
    demo_db_url: str, tmp_path: Path, chromium_browser
) -> None:
    with serve_demo_process("--capacity", "2", "--latency-ms", "100", "--no-access-log") as url:
        done = blindside(
            "stress",
            "Demo careful",
            "--models",
            "Demo fast-cheap",
            "--concurrency",
            "1,2,4,8",
            "--requests",
            "8",
            "--max-tokens",
            "8",
            "--db",
            demo_db_url,
            "--config",
            str(MODELS_TOML),
            env={"BLINDSIDE_DEMO_URL": url},
        )
    assert done.returncode == 0, done.stderr
    assert "knee: best at concurrency 2" in done.stdout, done.stdout
    engine = create_db_engine(demo_db_url)
    invite = add_rater(engine, "Lena", "lead")
    # Generation answers of four models and the sweeps' requests of two, by hour.
    rows = by_hour_of_week(latency_samples(engine))
    hours, models = len(rows), {row.model for row in rows}
    assert len(models) == 4 and any(row.summary.requests > 8 for row in rows)
    engine.dispose()

    context = chromium_browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    with serve_app(demo_db_url, tmp_path) as base:
        page.goto(invite_link(base, invite.token))
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("link", name="Stress", exact=True).click()
        for key in CHARTS:
            page.wait_for_selector(f".st-key-{key} .vega-embed svg", timeout=60_000)
        wait_ready(page)
        assert page.get_by_role("heading", name="Stress").count() == 1
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "Demo careful" in text and "Demo fast-cheap" in text
        assert "knee at 2" in text  # the sweep's knee, in words beside the chart
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        drawn = {}
        for key in CHARTS:
            chart = page.locator(f".st-key-{key}")
            box = chart.bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 150, key
            drawn[key] = chart.evaluate(DRAWN)
        # Two sweeps of four steps: a p50 and a p95 line each, a point per step and
        # percentile, and each sweep's knee as a rule.
        assert drawn["stress_latency_chart"] == {"lines": 4, "points": 16, "rules": 2}
        assert drawn["stress_throughput_chart"] == {"lines": 2, "points": 8, "rules": 0}
        # By hour of the week: a point per model and hour (two for latency: p50 and p95).
        assert drawn["tod_latency_chart"]["points"] == 2 * hours
        assert drawn["tod_error_chart"]["points"] == hours
        assert drawn["tod_latency_chart"]["lines"] == 2 * len(models)
        page.locator(".st-key-stress_latency_chart").scroll_into_view_if_needed()
        shot = DOCS_SCREENSHOT if os.environ.get("BLINDSIDE_UPDATE_DOCS") else tmp_path / "s.png"
        page.screenshot(path=str(shot))
    context.close()

"""The Export page in Chromium at 1280x800: a lead downloads files whose rows match the count.

Over the golden fixture (4 raters, 1,985 votes). A rater is not offered the page, and its
address shows a refusal with no download. The screenshot goes to the test's temporary folder;
with ``BLINDSIDE_UPDATE_DOCS=1`` it replaces ``docs/export.png``.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pyarrow.parquet as pq

from blindside.db import open_database
from blindside.raters import invite_link, issue_invite, set_role
from tests.conftest import ROOT
from tests.e2e.conftest import serve_app, sign_in_for_typed_addresses, wait_ready

WIDTH, HEIGHT = 1280, 800
DOCS_SCREENSHOT = ROOT / "docs" / "export.png"


def _rows_shown(page, fmt: str) -> int:  # type: ignore[no-untyped-def]
    text = page.locator(f".st-key-export_row_{fmt}").inner_text()
    match = re.search(r"([\d,]+) rows", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def _download(page, fmt: str, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    with page.expect_download(timeout=60_000) as info:
        page.locator(f".st-key-export_download_{fmt} button").click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_a_lead_downloads_files_whose_rows_match_the_count(  # type: ignore[no-untyped-def]
    golden_db_url: str, tmp_path: Path, chromium_browser
) -> None:
    engine = open_database(golden_db_url)
    set_role(engine, "Ada", "lead")
    lead_token = issue_invite(engine, "Ada").token
    rater_token = issue_invite(engine, "Linus").token  # Linus stays a rater
    engine.dispose()
    context = chromium_browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, accept_downloads=True
    )
    page = context.new_page()
    with serve_app(golden_db_url, tmp_path) as base:
        page.goto(invite_link(base, lead_token))
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("link", name="Export", exact=True).click()
        page.locator(".st-key-export_download_scores_json button").wait_for(timeout=60_000)
        wait_ready(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot = DOCS_SCREENSHOT if os.environ.get("BLINDSIDE_UPDATE_DOCS") else tmp_path / "e.png"
        page.screenshot(path=str(shot))

        votes = _rows_shown(page, "jsonl")
        assert votes == 1985
        jsonl = _download(page, "jsonl", tmp_path)
        assert jsonl.name.endswith(".jsonl")
        records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
        assert len(records) == votes
        assert all(r["rater"].startswith("rater-") for r in records)

        parquet = _download(page, "parquet", tmp_path)
        assert pq.read_metadata(parquet).num_rows == _rows_shown(page, "parquet") == votes

        preference = _rows_shown(page, "preference")
        assert 0 < preference < votes
        lines = _download(page, "preference", tmp_path).read_text(encoding="utf-8").splitlines()
        assert len(lines) == preference

        with _download(page, "csv", tmp_path).open(encoding="utf-8", newline="") as handle:
            assert len(list(csv.DictReader(handle))) == _rows_shown(page, "csv")

        # A rater in another browser: no Export link, and the address refuses them.
        rater = context.browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        other = rater.new_page()
        sign_in_for_typed_addresses(other, base, rater_token)
        assert other.get_by_role("link", name="Export", exact=True).count() == 0
        other.goto(f"{base}/export")
        other.get_by_text("Not available").wait_for(timeout=30_000)
        wait_ready(other)
        assert other.locator("[data-testid='stDownloadButton']").count() == 0
        assert "1,985" not in other.content()
        rater.close()
    context.close()

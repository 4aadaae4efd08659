"""A lead in a real browser: sign in by link, vote with the keyboard, read the leaderboard."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from blindside.db import create_db_engine
from blindside.raters import add_rater, invite_link
from blindside.tables import Rater, Vote
from tests.e2e.conftest import assert_blind, wait_ready


def _votes_cast(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator(".st-key-votes_cast_counter").inner_text()
    return int(re.search(r"Votes cast:\s*(\d+)", text).group(1))


def test_sign_in_vote_with_keyboard_and_read_leaderboard(streamlit_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page = browser_page
    # A lead, to read the leaderboard too; the link is what `blindside raters add` prints.
    invite = add_rater(create_db_engine(db_url), "Ada", "lead")
    page.goto(invite_link(base, invite.token))
    page.wait_for_selector(".st-key-votes_cast_counter", timeout=30_000)
    wait_ready(page)
    assert _votes_cast(page) == 0
    assert_blind(page)

    for i, key in enumerate(["1", "2", "3", "4", "1"], start=1):
        page.wait_for_selector(".st-key-vote_left button:not([disabled])")
        page.keyboard.press(key)
        page.wait_for_function(
            "n => /Votes cast:\\s*" + str(i) + "\\b/.test("
            "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
            arg=i,
            timeout=15_000,
        )
        wait_ready(page)
        assert _votes_cast(page) == i
        assert_blind(page)
        # The next pair is already on screen.
        assert page.locator(".st-key-answer_left").count() == 1

    engine = create_db_engine(db_url)
    with Session(engine) as s:
        ada = s.exec(select(Rater).where(Rater.name == "Ada")).one()
        votes = s.exec(select(Vote).where(Vote.rater_id == ada.id)).all()
    assert [v.choice for v in votes] == ["left", "right", "tie", "both_bad", "left"]
    assert len({v.pair_id for v in votes}) == 5

    page.get_by_role("link", name="Leaderboard").click()
    page.wait_for_selector(".st-key-ranking_summary_all", timeout=30_000)
    wait_ready(page)
    summary = page.locator(".st-key-ranking_summary_all").inner_text()
    # Five votes: every model is under MIN_VOTES, so no rating or rank is shown, only words.
    assert "Not enough votes to rate" in summary and "(simulated)" in summary
    assert not re.findall(r"rank (\d+)", summary) and "could be" not in summary

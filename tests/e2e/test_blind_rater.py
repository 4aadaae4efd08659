"""A rater votes 20 pairs with the keyboard only; nothing the browser receives names a model.

Blinding is checked twice: in the DOM after every vote, and in every websocket frame the
page sent or received during the whole sitting (Streamlit's protobuf messages carry the
page's text as UTF-8, so a model name in any element, widget or state sent to the browser
would show up there).
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from blindside.db import create_db_engine
from blindside.raters import add_rater, invite_link
from blindside.tables import Rater, Vote
from tests.e2e.conftest import assert_blind, identities, wait_ready

VOTES = 20


def _votes_cast(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator(".st-key-votes_cast_counter").inner_text()
    return int(re.search(r"Votes cast:\s*(\d+)", text).group(1))  # type: ignore[union-attr]


def test_twenty_keyboard_votes_no_repeat_and_no_model_in_any_frame(  # type: ignore[no-untyped-def]
    streamlit_server, browser_page
) -> None:
    base, db_url = streamlit_server
    page = browser_page
    frames: list[bytes] = []

    def watch(ws) -> None:  # type: ignore[no-untyped-def]
        for event in ("framereceived", "framesent"):
            ws.on(event, lambda payload: frames.append(_as_bytes(payload)))

    page.on("websocket", watch)
    invite = add_rater(create_db_engine(db_url), "Rita Rater", "rater")
    page.goto(invite_link(base, invite.token))
    page.wait_for_selector(".st-key-votes_cast_counter", timeout=30_000)
    wait_ready(page)
    assert _votes_cast(page) == 0

    for i in range(1, VOTES + 1):
        page.wait_for_selector(".st-key-vote_left button:not([disabled])")
        page.keyboard.press("1234"[i % 4])
        page.wait_for_function(
            "n => new RegExp('Votes cast:\\\\s*' + n + '\\\\b').test("
            "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
            arg=i,
            timeout=15_000,
        )
        wait_ready(page)
        assert_blind(page)

    engine = create_db_engine(db_url)
    with Session(engine) as s:
        rita = s.exec(select(Rater).where(Rater.name == "Rita Rater")).one()
        votes = s.exec(select(Vote).where(Vote.rater_id == rita.id)).all()
    assert len(votes) == VOTES
    assert len({v.pair_id for v in votes}) == VOTES, "a pair was shown twice"
    assert all(v.impression_id is not None for v in votes)

    # The frames are the whole conversation between the page and the server.
    assert len(frames) > 2 * VOTES, "the websocket was not observed"
    received = b"\n".join(frames).lower()
    assert b"which answer is better" in received  # the frames do carry the page's text
    leaks = [name for name in identities() if name.lower().encode() in received]
    assert not leaks, f"websocket frames name {leaks}"


def _as_bytes(payload: str | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")

"""One vote, for the pair on screen, in a real browser: fast keys, a double click, a reload.

Each test reads what the page shows, checks it is the rater's open impression in the
database, acts, and checks the votes stored against that impression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.db import create_db_engine
from blindside.raters import add_rater, invite_link
from blindside.tables import Impression, Pair, Rater, Response, Vote
from tests.e2e.conftest import assert_blind, wait_ready

NAME = "Ada"


@dataclass(frozen=True)
class Screen:
    """The texts of the pair on screen, as the browser shows them."""

    prompt: str
    left: str
    right: str


def _sign_in(page, base: str, db_url: str) -> None:  # type: ignore[no-untyped-def]
    invite = add_rater(create_db_engine(db_url), NAME)
    page.goto(invite_link(base, invite.token))
    _wait_for_pair(page)


def _wait_for_pair(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(".st-key-vote_left button:not([disabled])", timeout=30_000)
    wait_ready(page)


def _screen(page) -> Screen:  # type: ignore[no-untyped-def]
    def text(key: str) -> str:
        return page.locator(f".st-key-{key}").inner_text()

    return Screen(text("prompt_box"), text("answer_left"), text("answer_right"))


def _words(text: str) -> list[str]:
    # Words survive markdown rendering; list markers, emphasis and escapes do not.
    return re.findall(r"[A-Za-z]{3,}", text)


def _rater_id(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(Rater.id).where(Rater.name == NAME)).one()  # type: ignore[return-value]


def _open_impression_on_screen(engine: Engine, rater_id: int, screen: Screen) -> Impression:
    """The rater's one open impression, checked to be the pair and sides on screen."""
    with Session(engine) as s:
        (impression,) = s.exec(
            select(Impression).where(
                Impression.rater_id == rater_id, col(Impression.answered_at).is_(None)
            )
        ).all()
        pair = s.get(Pair, impression.pair_id)
        (right_id,) = {pair.response_a_id, pair.response_b_id} - {impression.left_response_id}
        left = s.get(Response, impression.left_response_id)
        right = s.get(Response, right_id)
    assert _words(screen.left) == _words(left.text)
    assert _words(screen.right) == _words(right.text)
    return impression


def _votes(engine: Engine, rater_id: int) -> list[Vote]:
    with Session(engine) as s:
        return list(s.exec(select(Vote).where(Vote.rater_id == rater_id)))


def _assert_one_vote_for(engine: Engine, rater_id: int, shown: Impression) -> Vote:
    (vote,) = _votes(engine, rater_id)
    assert vote.impression_id == shown.id
    assert (vote.pair_id, vote.left_response_id) == (shown.pair_id, shown.left_response_id)
    return vote


def test_keys_1_then_2_store_one_vote_for_the_pair_on_screen(
    streamlit_server, browser_page
) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page = browser_page
    _sign_in(page, base, db_url)
    engine = create_db_engine(db_url)
    rater_id = _rater_id(engine)
    before = _screen(page)
    shown = _open_impression_on_screen(engine, rater_id, before)

    # Back to back: the second press leaves while the first pair is still on screen.
    page.keyboard.press("1")
    page.keyboard.press("2")
    page.wait_for_function(
        "() => /Votes cast:\\s*1\\b/.test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        timeout=15_000,
    )
    page.wait_for_timeout(500)  # let a late second press arrive, if it is going to
    _wait_for_pair(page)

    vote = _assert_one_vote_for(engine, rater_id, shown)
    assert vote.choice in ("left", "right")
    after = _screen(page)
    assert after != before
    # The pair now on screen is open and has no vote: the second press did not reach it.
    following = _open_impression_on_screen(engine, rater_id, after)
    assert following.id != shown.id
    assert_blind(page)


def test_a_double_click_stores_one_vote(streamlit_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page = browser_page
    _sign_in(page, base, db_url)
    engine = create_db_engine(db_url)
    rater_id = _rater_id(engine)
    shown = _open_impression_on_screen(engine, rater_id, _screen(page))

    page.locator(".st-key-vote_right button").dblclick()
    page.wait_for_function(
        "() => /Votes cast:\\s*1\\b/.test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        timeout=15_000,
    )
    page.wait_for_timeout(500)
    _wait_for_pair(page)

    vote = _assert_one_vote_for(engine, rater_id, shown)
    assert vote.choice == "right"
    _open_impression_on_screen(engine, rater_id, _screen(page))


def test_a_reload_mid_pair_shows_the_same_pair(streamlit_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page = browser_page
    _sign_in(page, base, db_url)
    engine = create_db_engine(db_url)
    rater_id = _rater_id(engine)
    page.keyboard.press("3")  # one vote first, so the pair on screen is not the first drawn
    page.wait_for_function(
        "() => /Votes cast:\\s*1\\b/.test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        timeout=15_000,
    )
    _wait_for_pair(page)
    before = _screen(page)
    shown = _open_impression_on_screen(engine, rater_id, before)

    page.reload()
    wait_ready(page)
    _wait_for_pair(page)  # still signed in: the session cookie came back with the reload

    assert _screen(page) == before
    assert _open_impression_on_screen(engine, rater_id, before).id == shown.id
    assert len(_votes(engine, rater_id)) == 1
    page.keyboard.press("1")
    page.wait_for_function(
        "() => /Votes cast:\\s*2\\b/.test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        timeout=15_000,
    )
    wait_ready(page)
    assert _votes(engine, rater_id)[-1].impression_id == shown.id

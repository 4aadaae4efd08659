"""Sign-in in a real browser: every address is closed before it, a link signs in once, the
session survives a reload and a server restart, and a rater is refused the lead's pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

from blindside.db import create_db_engine
from blindside.raters import add_rater, invite_link, list_raters
from tests.e2e.conftest import AppServer

READY = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)
COUNTER = ".st-key-votes_cast_counter"
# Set to a folder to keep screenshots of the sign-in page, a vote page and a refusal.
SHOTS = os.environ.get("BLINDSIDE_E2E_SHOTS")


def _wait_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(READY, timeout=30_000)


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def _assert_no_traceback(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("[data-testid='stException']").count() == 0
    text = page.locator("[data-testid='stApp']").inner_text()
    assert "Traceback" not in text and "Error:" not in text, text[:500]


def _assert_only_sign_in(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="blindside").wait_for(timeout=30_000)
    _wait_ready(page)
    assert "sign-in link" in page.locator("[data-testid='stApp']").inner_text()
    # No page list (the sidebar navigation), no page's own content, no vote buttons.
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
    for name in ("Vote", "Leaderboard", "Runs", "My votes", "Raters"):
        assert page.get_by_role("link", name=name).count() == 0
    assert page.locator(COUNTER).count() == 0
    assert page.get_by_role("heading", name="Leaderboard").count() == 0
    assert page.get_by_role("heading", name="Runs").count() == 0
    _assert_no_traceback(page)


def _votes_cast(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator(COUNTER).inner_text()
    return int(re.search(r"Votes cast:\s*(\d+)", text).group(1))


def _vote_with_key(page, key: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(".st-key-vote_left button:not([disabled])", timeout=30_000)
    _wait_ready(page)
    page.keyboard.press(key)
    page.wait_for_function(
        "n => new RegExp('Votes cast:\\\\s*' + n + '\\\\b').test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        arg=expected,
        timeout=15_000,
    )


def _session_cookie(page) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    cookies = [c for c in page.context.cookies() if c["name"] == "blindside_session"]
    return cookies[0] if cookies else None


def test_signed_out_every_address_shows_only_sign_in(app_server: AppServer, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    # /leaderboard first: the first run after a server start is where Streamlit's old
    # pages/ folder mode would have run a page file past the gate.
    for path in ("/leaderboard", "/", "/runs", "/vote", "/my_votes", "/raters", "/no-such-page"):
        page.goto(app_server.base + path)
        _assert_only_sign_in(page)
    page.goto(app_server.base)
    _assert_only_sign_in(page)
    _shot(page, "signin")


def test_a_rater_signs_in_by_link_votes_is_refused_and_stays_signed_in(  # type: ignore[no-untyped-def]
    app_server: AppServer, browser_page
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    engine = create_db_engine(app_server.db_url)
    invite = add_rater(engine, "Rita", "rater")
    page.goto(invite_link(app_server.base, invite.token))
    page.wait_for_selector(COUNTER, timeout=30_000)
    _wait_ready(page)
    # The spent link leaves the address bar; the session is a strict, path-wide cookie.
    page.wait_for_function("() => !location.search.includes('invite')", timeout=10_000)
    page.wait_for_function("() => document.cookie.includes('blindside_session=')", timeout=10_000)
    cookie = _session_cookie(page)
    assert cookie is not None
    assert (cookie["sameSite"], cookie["path"], cookie["secure"]) == ("Strict", "/", False)
    assert cookie["expires"] > 0  # Max-Age: it outlives the browser session
    assert invite.token not in cookie["value"]
    _assert_no_traceback(page)
    # A rater's page list: Vote and My votes only.
    listed = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    # Each link's last line is its title (an icon's ligature name may come first).
    assert [t.strip().splitlines()[-1] for t in listed] == ["Vote", "My votes"], listed

    for n, key in enumerate(("1", "2", "3"), start=1):
        _vote_with_key(page, key, n)
    _shot(page, "vote_rater")

    # Typed addresses of the lead's pages: refused, on the server, by the page itself.
    for path in ("/leaderboard", "/runs", "/raters"):
        page.goto(app_server.base + path)
        page.get_by_role("heading", name="Not available").wait_for(timeout=30_000)
        _wait_ready(page)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "for the lead role" in text and "Rita (rater)" in text
        assert page.locator("[data-testid='stDataFrame']").count() == 0
        _assert_no_traceback(page)
        if path == "/leaderboard":
            _shot(page, "refused")

    # A reload mid-pair keeps the rater signed in (the cookie, not server memory).
    page.goto(app_server.base + "/")
    page.wait_for_selector(COUNTER, timeout=30_000)
    page.reload()
    page.wait_for_selector(COUNTER, timeout=30_000)
    _wait_ready(page)
    assert _votes_cast(page) == 3
    _vote_with_key(page, "4", 4)

    # The server dies and comes back: a reload resumes the session, voting works.
    app_server.kill()
    app_server.start()
    page.reload()
    page.wait_for_selector(COUNTER, timeout=30_000)
    _wait_ready(page)
    _assert_no_traceback(page)
    assert _votes_cast(page) == 4
    _vote_with_key(page, "1", 5)
    [rita] = [r for r in list_raters(engine) if r.name == "Rita"]
    assert rita.signed_in_at is not None


def test_sign_out_and_revocation_end_the_session(app_server: AppServer, browser_page) -> None:  # type: ignore[no-untyped-def]
    from blindside.raters import revoke_rater

    page = browser_page
    engine = create_db_engine(app_server.db_url)
    page.goto(invite_link(app_server.base, add_rater(engine, "Sam").token))
    page.wait_for_selector(COUNTER, timeout=30_000)
    page.wait_for_function("() => document.cookie.includes('blindside_session=')", timeout=10_000)
    page.get_by_role("button", name="Sign out").click()
    _assert_only_sign_in(page)
    page.wait_for_function("() => !document.cookie.includes('blindside_session=')", timeout=10_000)
    page.reload()
    _assert_only_sign_in(page)

    # Revoked while the page is open: the next click signs the page out and stores nothing.
    page.goto(invite_link(app_server.base, add_rater(engine, "Tom").token))
    page.wait_for_selector(COUNTER, timeout=30_000)
    _wait_ready(page)
    revoke_rater(engine, "Tom")
    page.wait_for_selector(".st-key-vote_left button:not([disabled])")
    page.keyboard.press("1")
    _assert_only_sign_in(page)
    page.reload()
    _assert_only_sign_in(page)

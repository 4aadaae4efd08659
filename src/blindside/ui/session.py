"""Who is signed in on this browser: the session token, where the browser keeps it, role checks.

The token is what :func:`blindside.raters.redeem_invite` returned. Within one connection it
sits in ``st.session_state``; across a reload or a server restart the browser presents it
again as the cookie :data:`COOKIE`, which a one-line script writes once the invite is
redeemed (``docs/raters.md`` says why that is safe). Every run checks it against the
database, so a sign-out, a revocation or a role change applies at the next rerun. A
browser with no session token may be signed in with an OIDC provider instead
(:mod:`blindside.ui.oidc`), checked as often.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import NoReturn

import streamlit as st

from blindside.db import DatabaseUnavailable
from blindside.raters import RaterInfo, SignedIn, end_session, resume_session
from blindside.roles import MINIMUM_ROLE, Action, can
from blindside.ui.oidc import oidc_rater_now, sign_out_of_provider
from blindside.ui.state import get_engine

#: The cookie that carries the session token across reloads.
COOKIE = "blindside_session"
#: session_state: this connection's session token (until a reload, the cookie may lag it).
TOKEN = "session_token"
#: session_state: when that token expires (for the cookie's Max-Age).
TOKEN_EXPIRES = "session_expires_at"
#: session_state: the browser holds a cookie that no longer signs anyone in; delete it.
CLEAR_COOKIE = "clear_session_cookie"


def _browser_cookie() -> str | None:
    """The cookie the browser sent when this connection opened (None without one)."""
    value = st.context.cookies.get(COOKIE)
    # Not a string where no browser connected (AppTest's context holds stand-ins).
    return value if isinstance(value, str) and value else None


def session_token() -> str | None:
    """The token this browser presents: the one redeemed on this connection, else the cookie."""
    return st.session_state.get(TOKEN) or _browser_cookie()


def current_rater() -> RaterInfo | None:
    """The signed-in rater, checked against the database now; None when signed out.

    A token that no longer works (signed out elsewhere, revoked, expired) is forgotten,
    and a cookie holding it is deleted at the next sign-in page. Without a working token:
    the rater an OIDC provider's account maps to, if any (:mod:`blindside.ui.oidc`).

    Raises
    ------
    DatabaseUnavailable
        The database cannot be reached (its message is one line, password hidden).
    """
    token = session_token()
    if token is None:
        return oidc_rater_now()
    rater = resume_session(get_engine(), token)
    if rater is None:
        st.session_state.pop(TOKEN, None)
        if _browser_cookie():
            st.session_state[CLEAR_COOKIE] = True
        return oidc_rater_now()
    return rater


def remember(signed: SignedIn) -> None:
    """Keep a new session for this connection; :func:`write_cookie` hands it to the browser."""
    st.session_state[TOKEN] = signed.session_token
    st.session_state[TOKEN_EXPIRES] = signed.expires_at
    st.session_state.pop(CLEAR_COOKIE, None)


def _cookie_script(value: str, max_age: int) -> str:
    # Secure is added by the browser's own view of the scheme: behind a TLS proxy the
    # server sees http, the page sees https.
    cookie = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict"
    return (
        f"<script>document.cookie = {json.dumps(cookie)}"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>"
    )


def write_cookie() -> None:
    """Hand this connection's session to the browser, until the browser presents it back.

    Renders a script element (no visible output) while the cookie the browser sent at
    connection time differs from the session token, that is until the next reload.
    """
    token = st.session_state.get(TOKEN)
    if not token or _browser_cookie() == token:
        return
    expires: datetime | None = st.session_state.get(TOKEN_EXPIRES)
    if expires is None:
        return
    # Whole minutes keep the element unchanged between reruns, so the script runs once.
    remaining = int((expires - datetime.now(UTC)).total_seconds()) // 60 * 60
    st.html(_cookie_script(token, max(remaining, 0)), unsafe_allow_javascript=True)


def clear_cookie() -> None:
    """Delete a cookie that no longer signs anyone in (after a sign-out, a revocation)."""
    if st.session_state.get(CLEAR_COOKIE):
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True)


def sign_out() -> None:
    """End this browser's session on the server and forget it here (a button callback)."""
    token = session_token()
    # Nothing to end on a database that cannot be reached; the browser forgets it anyway.
    with contextlib.suppress(DatabaseUnavailable):
        end_session(get_engine(), token)
    # Everything this connection held for the rater goes: the session, the pair on screen.
    st.session_state.clear()
    st.session_state[CLEAR_COOKIE] = True
    sign_out_of_provider()  # and the provider's account, which would sign them in again


def refuse(rater: RaterInfo | None, action: Action) -> NoReturn:
    """Show why this page is closed to ``rater``, and stop the page there."""
    st.title("Not available")
    if rater is None:
        st.error("Sign in first: open the sign-in link you were sent.")
    else:
        needed = MINIMUM_ROLE[action]
        st.error(
            f"This page is for the {needed} role and above; you are signed in as "
            f"{rater.name} ({rater.role})."
        )
    st.stop()


def require(action: Action) -> RaterInfo:
    """The signed-in rater if their role allows ``action``; otherwise refuse and stop.

    Each page calls it first. ``app.py`` lists only the pages a role may open, but a page
    list is not authorisation: a page typed by URL is checked here, on the server.
    """
    try:
        rater = current_rater()
    except DatabaseUnavailable as exc:
        st.error(str(exc))
        st.stop()
    if rater is None or not can(rater.role, action):
        refuse(rater, action)
    return rater

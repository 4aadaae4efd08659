"""Sign-in: redeem a ``?invite=`` link, sign in with an OIDC provider when ``[auth]`` is
configured (:mod:`blindside.ui.oidc`), or sign up by name when an admin allows it.

The only page a visitor who is not signed in can reach (``app.py``). Every failure is one
line on this page: a used or expired link, a taken name, an address the role table does not
map, a database that cannot be reached.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAuthError

from blindside.answer_text import inert_markdown
from blindside.db import DatabaseUnavailable
from blindside.oidc_roles import DEFAULT_PROVIDER
from blindside.raters import RaterError, RaterInfo, redeem_invite, sign_up
from blindside.ui.oidc import REFUSED, provider_labels, signed_in_with_provider
from blindside.ui.session import clear_cookie, current_rater, remember
from blindside.ui.state import get_engine, get_settings

#: The query parameter of a sign-in link (``raters.invite_link``).
INVITE_PARAM = "invite"
#: session_state: the last sign-in failure, one line.
ERROR = "signin_error"
#: session_state: signed in on this run from a form, to land on the first page.
JUST_SIGNED_IN = "just_signed_in"


def _redeem_link() -> RaterInfo | None:
    """Redeem the ``?invite=`` of the address, if any, and take it off the address."""
    token = st.query_params.get(INVITE_PARAM)
    if token is None:
        return None
    # Spent or not, the token leaves the address bar, the history and any copied link.
    del st.query_params[INVITE_PARAM]
    try:
        signed = redeem_invite(get_engine(), token)
    except RaterError as exc:
        st.session_state[ERROR] = str(exc)
        return None
    remember(signed)
    st.session_state.pop(ERROR, None)
    return signed.rater


def signed_in_rater() -> RaterInfo | None:
    """The rater this run is for: a link being opened now, else the browser's session.

    None when signed out; any failure is kept for the sign-in page to show.
    """
    try:
        return _redeem_link() or current_rater()
    except DatabaseUnavailable as exc:
        # Its message names the database URL with the password hidden.
        st.session_state[ERROR] = str(exc)
        return None


def _sign_up() -> None:
    try:
        signed = sign_up(
            get_engine(), st.session_state.get("signin_name", ""), get_settings().open_signup
        )
    except (RaterError, DatabaseUnavailable) as exc:
        st.session_state[ERROR] = str(exc)
        return
    remember(signed)
    st.session_state.pop(ERROR, None)
    st.session_state[JUST_SIGNED_IN] = True


def _provider_sign_in(labels: dict[str, str]) -> None:
    """A "Sign in with ..." button per provider; for a refused account, why, and sign-out."""
    if signed_in_with_provider():
        refused = st.session_state.get(REFUSED)
        if refused:
            # It quotes what the provider sent (the address): drawn inert, it links nowhere.
            st.error(inert_markdown(refused, hard_breaks=False))
        # Signing out of the provider's account here lets them pick another one.
        if st.button("Sign out", key="oidc_sign_out"):
            st.logout()
        return
    for name, label in labels.items():
        if st.button(f"Sign in with {label}", key=f"oidc_login_{name}", type="primary"):
            try:
                st.login(None if name == DEFAULT_PROVIDER else name)
            except StreamlitAuthError as exc:  # [auth] lacks redirect_uri or cookie_secret
                st.error(f"Sign-in with {label} is not set up right: {exc}")


def render_sign_in() -> None:
    """The sign-in page: how to get in, and name sign-up when it is on."""
    clear_cookie()
    st.title("blindside")
    st.caption("Blind side-by-side evaluation of LLM answers on your own prompts.")
    if ERROR in st.session_state:
        st.error(st.session_state[ERROR])
    labels = provider_labels()
    if labels:
        _provider_sign_in(labels)
    st.info(
        ("Or open" if labels else "To sign in, open")
        + " the sign-in link you were sent. Lost it, or did it expire? Ask an "
        "admin for a new one. Running blindside yourself: `make run` prints an admin link "
        "each time it starts."
    )
    if get_settings().open_signup is not None:
        with st.form("signin", border=True):
            st.markdown("**New here?** Sign up as a rater with your name.")
            st.text_input("Your name", key="signin_name", placeholder="e.g. Ada Lovelace")
            st.form_submit_button("Sign up", type="primary", on_click=_sign_up)

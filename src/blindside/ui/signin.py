"""Sign-in by name (roles come later)."""

from __future__ import annotations

import streamlit as st

from blindside.db import DatabaseUnavailable
from blindside.ui.state import RATER_ID, RATER_NAME, get_engine
from blindside.votes import sign_in


def _sign_in() -> None:
    try:
        # Its message names the database URL with the password hidden.
        engine = get_engine()
    except DatabaseUnavailable as exc:
        st.session_state["signin_error"] = str(exc)
        return
    try:
        rater = sign_in(engine, st.session_state.get("signin_name", ""))
    except ValueError as exc:
        st.session_state["signin_error"] = str(exc)
        return
    st.session_state.pop("signin_error", None)
    st.session_state[RATER_ID] = rater.id
    st.session_state[RATER_NAME] = rater.name


def render_sign_in() -> None:
    """The sign-in form shown before any page."""
    st.title("blindside")
    st.caption("Blind side-by-side evaluation of LLM answers on your own prompts.")
    with st.form("signin", border=True):
        st.text_input("Your name", key="signin_name", placeholder="e.g. Ada Lovelace")
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in)
    if "signin_error" in st.session_state:
        st.error(st.session_state["signin_error"])


def sign_out() -> None:
    for key in (RATER_ID, RATER_NAME, "impression", "skipped_pairs"):
        st.session_state.pop(key, None)

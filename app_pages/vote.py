"""Vote: a rater compares two anonymous answers to one prompt."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action
from blindside.ui.session import current_rater, require
from blindside.ui.vote_panel import render_vote_panel

rater = require(Action.VOTE)


@st.fragment
def voting_panel() -> None:
    # A fragment: a vote reruns only this panel, so the next pair appears at once. It skips
    # app.py's check, so it checks the session itself: a revoked rater is out at once.
    still = current_rater()
    if still is None or still.id != rater.id:
        st.rerun(scope="app")
    render_vote_panel(rater.id)


voting_panel()

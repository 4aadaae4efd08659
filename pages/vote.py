"""Vote: a rater compares two anonymous answers to one prompt."""

from __future__ import annotations

import streamlit as st

from blindside.ui.state import signed_in_rater
from blindside.ui.vote_panel import render_vote_panel

rater = signed_in_rater()
assert rater is not None  # app.py gates every page behind sign-in


@st.fragment
def voting_panel() -> None:
    # A fragment: a vote reruns only this panel, so the next pair appears at once.
    render_vote_panel(rater[0])


voting_panel()

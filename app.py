"""blindside: Streamlit entry point (sign-in gate, then navigation over pages/)."""

from __future__ import annotations

import streamlit as st

from blindside.ui.signin import render_sign_in, sign_out
from blindside.ui.state import signed_in_rater

# The tab icon is set here: left to st.navigation, a :material/...: page icon makes the
# browser fetch its SVG from fonts.gstatic.com (the sidebar draws it with the bundled font).
st.set_page_config(page_title="blindside", page_icon="⚖️", layout="wide")

rater = signed_in_rater()
if rater is None:
    render_sign_in()
    st.stop()

with st.sidebar:
    st.caption(f"Signed in as **{rater[1]}**")
    st.button("Sign out", key="sign_out", on_click=sign_out)

navigation = st.navigation(
    {
        "Rate": [
            st.Page("pages/vote.py", title="Vote", icon=":material/how_to_vote:", default=True)
        ],
        "Results": [
            st.Page("pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:"),
            st.Page("pages/runs.py", title="Runs", icon=":material/play_circle:"),
            # gate: lead (visible to every signed-in rater until roles exist)
            st.Page("pages/raters.py", title="Raters", icon=":material/group:"),
        ],
        "Admin": [
            # gate: admin (pages/setup.py refuses anyone else on the server)
            st.Page("pages/setup.py", title="Rating setup", icon=":material/tune:"),
        ],
    }
)
navigation.run()

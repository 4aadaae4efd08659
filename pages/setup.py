"""Rating setup: what is open for rating, the identity policy, quality checks, gold pairs."""

from __future__ import annotations

import streamlit as st

from blindside.ui.setup_view import is_admin, render_gold, render_policy_form
from blindside.ui.state import get_engine, signed_in_rater

# gate: admin (the page checks the role itself; the page list follows roles once sign-in does)
rater = signed_in_rater()
assert rater is not None  # app.py gates every page behind sign-in

st.title("Rating setup")
engine = get_engine()
if not is_admin(engine, rater[0]):
    st.error("Rating setup is for admins. Ask an admin to change what is open for rating.")
    st.stop()

st.caption(
    "What raters are asked to rate, and how rating treats answers that reveal their model. "
    "Changes reach raters with their next pair."
)
render_policy_form(engine, rater[0])
st.divider()
render_gold(engine, rater[0])

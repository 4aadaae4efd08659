"""Rating setup: what is open for rating, the identity policy, quality checks, gold pairs."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action
from blindside.ui.session import require
from blindside.ui.setup_view import render_gold, render_policy_form
from blindside.ui.state import get_engine

# Admins only, checked here on the server; saving checks the role again (blindside.policy).
rater = require(Action.MANAGE_POLICIES)

st.title("Rating setup")
engine = get_engine()
st.caption(
    "What raters are asked to rate, and how rating treats answers that reveal their model. "
    "Changes reach raters with their next pair."
)
render_policy_form(engine, rater.id)
st.divider()
render_gold(engine, rater.id)

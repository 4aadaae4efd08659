"""Export: votes, the leaderboard and scores of a cut, as files (leads and admins)."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action
from blindside.ui.export_view import render_export_page
from blindside.ui.session import require

require(Action.EXPORT)

st.title("Export")
st.caption(
    "Votes with the models that wrote each answer, for notebooks, audits and reward-model "
    "training. Raters appear as stable pseudonyms, never by name; every file says which model "
    "was shown on the left. Fields: docs/exports.md."
)
render_export_page()

"""Raters: each rater's quality figures and the agreement between raters (for leads)."""

from __future__ import annotations

import streamlit as st

from blindside.cuts import cut_choices
from blindside.roles import Action
from blindside.ui.raters_view import current_report, cut_filters, render_report
from blindside.ui.session import require
from blindside.ui.state import get_engine

require(Action.VIEW_RATERS)

st.title("Raters")
st.caption(
    "How each rater votes and how far raters agree. Verdicts are about answers, not screen "
    "sides: two raters who saw a pair mirrored and preferred the same answer agree."
)

cut, too_fast_ms = cut_filters(cut_choices(get_engine()))
render_report(current_report(cut, too_fast_ms))

"""Drift: each metric over time per model, against its baseline, with the alerts."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action
from blindside.ui.drift_view import render_drift
from blindside.ui.session import require

require(Action.VIEW_RUNS)

st.title("Drift")
render_drift()

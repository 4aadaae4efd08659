"""Stress: stored load sweeps against load with their knees, and latency by time of day (leads)."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action
from blindside.ui.session import require
from blindside.ui.stress_view import render_sweeps, render_time_of_day

require(Action.VIEW_STRESS)

st.title("Stress")
st.caption(
    "How each model's endpoint behaved as load grew, sweep by sweep (`blindside stress`), "
    "and how its latency and errors vary over the week."
)
render_sweeps()
st.divider()
render_time_of_day()

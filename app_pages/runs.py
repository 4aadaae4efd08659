"""Runs: what each run produced; admins also launch generation from here."""

from __future__ import annotations

import streamlit as st

from blindside.roles import Action, can
from blindside.ui.runs_view import render_generate_form, render_run_table
from blindside.ui.session import require

rater = require(Action.VIEW_RUNS)

st.title("Runs")
# Generating spends money on real providers: admins only; leads read the table.
if can(rater.role, Action.LAUNCH_RUNS):
    render_generate_form()
    st.divider()
render_run_table()

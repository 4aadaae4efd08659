"""Runs: launch generation and see what each run produced."""

from __future__ import annotations

import streamlit as st

from blindside.ui.runs_view import render_generate_form, render_run_table

st.title("Runs")
render_generate_form()
st.divider()
render_run_table()

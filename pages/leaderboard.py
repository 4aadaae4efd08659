"""Leaderboard: Bradley-Terry ratings per tier beside measured latency and cost."""

from __future__ import annotations

import streamlit as st

from blindside.leaderboard import TIERS
from blindside.ui.leaderboard_view import current_leaderboard, render_leaderboard

st.title("Leaderboard")
st.caption(
    "Human preference from blinded side-by-side votes, next to what each model costs and how "
    "fast it answers. Models marked (simulated) are the built-in demo provider."
)

labels = ["Overall", *TIERS.values()]
tiers: list[int | None] = [None, *TIERS.keys()]
for tab, tier in zip(st.tabs(labels), tiers, strict=True):
    with tab:
        render_leaderboard(current_leaderboard(tier), key=str(tier or "all"))

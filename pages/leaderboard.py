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

include_fallbacks = st.toggle(
    "Include answers served by fallback models",
    value=True,
    key="include_fallbacks",
    help="When a model failed and a fallback answered in its place, the vote judged the "
    "fallback. Turn off to rank each model on its own answers only.",
)
labels = ["Overall", *TIERS.values()]
tiers: list[int | None] = [None, *TIERS.keys()]
for tab, tier in zip(st.tabs(labels), tiers, strict=True):
    with tab:
        board = current_leaderboard(tier, include_fallbacks=include_fallbacks)
        render_leaderboard(board, key=str(tier or "all"))

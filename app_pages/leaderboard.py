"""Leaderboard: Bradley-Terry ratings per tier beside measured latency and cost."""

from __future__ import annotations

import streamlit as st

from blindside.leaderboard.board import TIERS
from blindside.roles import Action
from blindside.ui.leaderboard_view import (
    current_choices,
    current_excluded_raters,
    current_leaderboard,
    cut_filters,
    render_leaderboard,
)
from blindside.ui.published_view import render_published
from blindside.ui.session import require

require(Action.LEADERBOARD)

st.title("Leaderboard")
st.caption(
    "Human preference from blinded side-by-side votes, next to how often each model passes the "
    "prompts' scorers, what it costs and how fast it answers. Models marked (simulated) are the "
    "built-in demo provider."
)

cut, options = cut_filters(current_choices())
if excluded := current_excluded_raters():
    st.caption(
        f"The votes of {len(excluded)} excluded rater{'s' if len(excluded) > 1 else ''} are "
        "left out of every tab; a lead can include them again on the Raters page."
    )
labels = ["Overall", *TIERS.values()]
tiers: list[int | None] = [None, *TIERS.keys()]
for tab, tier in zip(st.tabs(labels), tiers, strict=True):
    with tab:
        board = current_leaderboard(cut.with_tier(tier), options)
        render_leaderboard(board, key=str(tier or "all"))

render_published()

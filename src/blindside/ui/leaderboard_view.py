"""Leaderboard tables and the ratings chart (Altair)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from blindside.leaderboard import Leaderboard, build_leaderboard
from blindside.ui.state import get_engine, get_settings


@st.cache_data(show_spinner="Fitting Bradley-Terry…", max_entries=64)
def cached_leaderboard(
    database_url: str, tier: int | None, include_fallbacks: bool, latest_vote_id: int, answers: int
) -> Leaderboard:
    # Keyed on the newest vote id and the number of answers: a rerun with no
    # new vote or answer is served from the cache.
    del database_url, latest_vote_id, answers
    return build_leaderboard(get_engine(), tier=tier, include_fallbacks=include_fallbacks)


def leaderboard_frame(board: Leaderboard) -> pd.DataFrame:
    """One row per model: rating and interval beside the measured columns."""
    return pd.DataFrame(
        [
            {
                "Rank": r.rank,
                "Model": r.display_name,
                "Rating": r.rating,
                "95% CI low": r.rating_low,
                "95% CI high": r.rating_high,
                "Votes": r.votes,
                "Win rate": r.win_rate,
                "Mean latency (ms)": r.stats.mean_latency_ms,
                "Time to first token (ms)": r.stats.mean_ttft_ms,
                "Cost per task (USD)": r.stats.cost_per_task_usd,
                "Error rate": r.stats.error_rate,
            }
            for r in board.rows
        ]
    )


def ranking_summary(board: Leaderboard) -> str:
    """The ranking as a numbered markdown list, readable at a glance (and by screen readers)."""
    lines = []
    for position, row in enumerate((r for r in board.rows if r.rank is not None), start=1):
        lines.append(
            f"{position}. **{row.display_name}**: {row.rating:.0f} "
            f"(95% CI {row.rating_low:.0f} to {row.rating_high:.0f}), rank {row.rank}, "
            f"{row.votes} votes"
        )
    unrated = [r.display_name for r in board.rows if r.rank is None]
    if unrated:
        lines.append("")
        lines.append("No votes yet: " + ", ".join(unrated))
    return "\n".join(lines)


def ratings_chart(frame: pd.DataFrame) -> alt.Chart:
    """Ratings with their 95% intervals, best on top."""
    rated = frame.dropna(subset=["Rating"])
    order = rated.sort_values("Rating", ascending=False)["Model"].tolist()
    base = alt.Chart(rated).encode(
        y=alt.Y("Model:N", sort=order, title=None, axis=alt.Axis(labelLimit=400))
    )
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("95% CI low:Q", title="Rating (Elo scale, 95% CI)", scale=alt.Scale(zero=False)),
        x2="95% CI high:Q",
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="Rating:Q",
        tooltip=["Model", alt.Tooltip("Rating:Q", format=".0f"), "Votes", "Rank"],
    )
    return (interval + point).properties(height=max(120, 40 * len(rated)))


def render_leaderboard(board: Leaderboard, *, key: str) -> None:
    """Table, chart and warnings of one leaderboard."""
    if board.total_votes == 0:
        st.info("No votes in this cut yet. Rate some pairs on the Vote page.")
    for warning in board.warnings:
        st.warning(warning)
    frame = leaderboard_frame(board)
    if frame.empty:
        return
    with st.container(key=f"ranking_summary_{key}"):
        st.markdown(ranking_summary(board))
    st.dataframe(
        frame,
        key=f"leaderboard_{key}",
        hide_index=True,
        column_config={
            "Rating": st.column_config.NumberColumn(format="%.0f"),
            "95% CI low": st.column_config.NumberColumn(format="%.0f"),
            "95% CI high": st.column_config.NumberColumn(format="%.0f"),
            "Win rate": st.column_config.NumberColumn(format="percent"),
            "Mean latency (ms)": st.column_config.NumberColumn(format="%.0f"),
            "Time to first token (ms)": st.column_config.NumberColumn(format="%.0f"),
            "Cost per task (USD)": st.column_config.NumberColumn(format="$%.5f"),
            "Error rate": st.column_config.NumberColumn(format="percent"),
        },
    )
    if frame["Rating"].notna().any():
        st.altair_chart(ratings_chart(frame), key=f"chart_{key}")
    st.caption(
        f"{board.total_votes} votes. Bradley-Terry fitted on aggregated win counts; a tie or "
        "'both bad' counts half a win each way; interval from 1,000 bootstrap rounds. "
        "Latency, time to first token, cost and error rate come from the generation runs."
    )


def current_leaderboard(tier: int | None, *, include_fallbacks: bool = True) -> Leaderboard:
    from blindside.runs import count_answers
    from blindside.votes import latest_vote_id

    engine = get_engine()
    return cached_leaderboard(
        get_settings().database_url,
        tier,
        include_fallbacks,
        latest_vote_id(engine),
        count_answers(engine),
    )

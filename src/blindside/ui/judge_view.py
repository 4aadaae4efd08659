"""The Leaderboard's LLM-judge section: the judge's ranking beside the raters', in words too.

Shown to leads only (the Leaderboard page's role check): a rater's page never reads the
judge's verdicts. The report is cached on the newest verdict and vote ids.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from blindside.cuts import Cut
from blindside.judge.report import (
    JudgeReport,
    compare_rankings,
    describe_agreement,
    describe_bias,
    describe_verdicts,
    judge_models,
    judge_report,
)
from blindside.leaderboard.board import Leaderboard
from blindside.tables import JudgeVerdict
from blindside.ui.leaderboard_charts import judge_chart
from blindside.ui.state import get_engine, get_settings


@st.cache_data(show_spinner="Reading the judge's verdicts…", max_entries=32)
def cached_judge_report(
    database_url: str, judge_model_id: int, cut: Cut, latest_verdict: int, latest_vote: int
) -> JudgeReport:
    # The URL and the newest verdict and vote ids are cache keys only.
    del database_url, latest_verdict, latest_vote
    return judge_report(get_engine(), judge_model_id, cut)


def _latest_verdict_id() -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(select(func.max(JudgeVerdict.id))).scalar() or 0)


def render_judge(board: Leaderboard, *, key: str) -> None:
    """The judge's ranking beside the raters' for this tab's cut, with bias and agreement."""
    from blindside.votes import latest_vote_id

    judges = judge_models(get_engine())
    st.subheader("LLM judge beside the raters")
    if not judges:
        st.caption(
            "No LLM judge has judged any pair yet. Run `blindside judge --suite SUITE "
            "--judge MODEL` to have a configured model judge the pairs raters see, in both "
            "orders."
        )
        return
    labels = {label: model_id for model_id, label in judges}
    label = st.selectbox("Judge", list(labels), key=f"judge_model_{key}")
    report = cached_judge_report(
        get_settings().database_url,
        labels[label],
        board.cut,
        _latest_verdict_id(),
        latest_vote_id(get_engine()),
    )
    comparison = compare_rankings(report, board.rows)
    chart = judge_chart(comparison)
    with st.container(key=f"judge_section_{key}"):
        if chart is None:
            st.caption(f"{report.judge} has no verdicts on two models in this selection.")
        else:
            st.altair_chart(chart, key=f"judge_chart_{key}")
        rho = (
            f" Spearman's ρ between the two rankings is {comparison.rho:+.2f} over "
            f"{comparison.rho_models} models."
            if comparison.rho is not None
            else ""
        )
        st.markdown(describe_agreement(report) + rho)
        st.markdown(describe_bias(report))
        st.caption(describe_verdicts(report))

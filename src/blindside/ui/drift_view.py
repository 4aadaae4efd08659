"""Drift page components: each metric over time per model, the baseline band, the alerts."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from blindside.drift.history import DriftPoint, drift_history, latest_report, rebench_suites
from blindside.drift.metrics import DRIFT_METRICS
from blindside.drift.report import alert_lines
from blindside.ui.published_view import published_frame
from blindside.ui.state import get_engine

_SHARE_METRICS = {m.name for m in DRIFT_METRICS if m.unit == "share"}


def drift_frame(points: list[DriftPoint]) -> pd.DataFrame:
    """One row per finding, with the columns the chart reads."""
    return pd.DataFrame(
        [
            {
                "Rebench": p.rebench_id,
                "When": p.at,
                "Model": p.model,
                "Tier": p.tier,
                "Metric": p.label,
                "metric": p.metric,
                "Measured": p.current,
                "Baseline": p.baseline,
                "Band edge": p.limit,
                "Verdict": p.verdict,
                "Alert": "alert" if p.verdict == "drift" else "within the band",
            }
            for p in points
        ]
    )


def drift_chart(frame: pd.DataFrame, metric: str) -> alt.Chart:
    """The metric over rebenches per model: measured line, baseline dashes, band, alerts."""
    fmt = ".0%" if metric in _SHARE_METRICS else ",.0f" if "p95" in metric else "$.6f"
    x = alt.X("Rebench:O", title="Rebench", axis=alt.Axis(labelAngle=0))
    color = alt.Color(
        "Model:N",
        title="Model",
        scale=alt.Scale(scheme="category10"),
        legend=alt.Legend(orient="bottom", labelLimit=400),
    )
    base = alt.Chart(frame).encode(x=x, color=color)
    band = base.mark_area(opacity=0.12).encode(
        y=alt.Y(
            "Baseline:Q",
            title=frame["Metric"].iloc[0],
            axis=alt.Axis(format=fmt),
            scale=alt.Scale(zero=False),
        ),
        y2="Band edge:Q",
    )
    baseline = base.mark_line(strokeDash=[4, 4], opacity=0.6).encode(y="Baseline:Q")
    measured = base.mark_line(point=True).encode(
        y="Measured:Q",
        tooltip=[
            "Model",
            "Tier",
            "Rebench",
            alt.Tooltip("When:T", format="%Y-%m-%d %H:%M"),
            alt.Tooltip("Measured:Q", format=fmt),
            alt.Tooltip("Baseline:Q", format=fmt),
            alt.Tooltip("Band edge:Q", format=fmt),
            "Verdict",
        ],
    )
    alerts = (
        alt.Chart(frame[frame["Verdict"] == "drift"])
        .mark_point(shape="diamond", size=160, filled=True, color="#d62728")
        .encode(x=x, y="Measured:Q", tooltip=["Model", "Tier", "Rebench", "Verdict"])
    )
    return (band + baseline + measured + alerts).properties(height=320)


def render_drift() -> None:
    """The Drift page: pick a suite, tier and metric; the chart; the latest alerts."""
    engine = get_engine()
    suites = rebench_suites(engine)
    if not suites:
        st.info(
            "No rebench yet. Run `blindside rebench --suite NAME` (by hand, from cron or CI): "
            "each one compares every model with its previous comparable run. "
            "See docs/drift.md."
        )
        return
    left, middle, right = st.columns([2, 1, 2])
    suite = left.selectbox("Suite", suites, key="drift_suite")
    frame = drift_frame(drift_history(engine, suite))
    if frame.empty:
        st.info("The rebenches of this suite had no baseline to compare with yet.")
        return
    tiers = sorted(frame["Tier"].unique())
    tier = middle.selectbox("Tier", tiers, format_func=lambda t: f"Tier {t}", key="drift_tier")
    labels = {m.label: m.name for m in DRIFT_METRICS if m.name in set(frame["metric"])}
    label = right.selectbox("Metric", list(labels), key="drift_metric")
    shown = frame[(frame["Tier"] == tier) & (frame["metric"] == labels[label])]
    shown = shown.dropna(subset=["Measured"])
    if shown.empty:
        st.info(f"No measurement of {label.lower()} on tier {tier} yet.")
    else:
        st.altair_chart(drift_chart(shown, labels[label]), width="stretch")
        st.caption(
            "Solid: measured at each rebench. Dashed: the baseline it was compared with. "
            "Shaded: the tolerated band up to the threshold. Red diamonds: alerts "
            "(beyond the band and significant after Holm's correction)."
        )
    report = latest_report(engine, suite)
    if report is not None:
        st.subheader(f"Latest rebench: run {report['run_id']}")
        lines = alert_lines(report)
        if lines:
            st.error("Drift:\n\n" + "\n".join(f"- {line}" for line in lines))
        else:
            st.success("No drift in the latest rebench.")
        if report.get("published"):
            st.markdown(
                "**Published against measured** (the score is on the vendor's benchmark, "
                "the accuracy on your suite)"
            )
            st.dataframe(published_frame(report["published"]), hide_index=True, width="stretch")

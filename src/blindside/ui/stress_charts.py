"""The Stress page's charts (Altair): latency and throughput against load, and time of day.

Each chart reads a long data frame made by :mod:`blindside.ui.stress_view` (one row per
step, or per model and hour of the week). Legends and axes are in words.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from blindside.latency_history import DAYS

SWEEP = "Sweep"
LOAD = "Load"
STATISTIC = "Statistic"
LATENCY = "Latency (ms)"
THROUGHPUT = "Requests/s"
TOKENS = "Output tokens/s"
ERROR_RATE = "Error rate"
KNEE = "Knee"
MODEL = "Model"
HOUR = "Hour of week (UTC)"
WHEN = "When (UTC)"
REQUESTS = "Requests"

_HEIGHT = 240


def _load_axis(title: str, loads: list[float]) -> alt.X:
    """Load on a log scale (loads usually double), ticked at the loads swept."""
    return alt.X(
        f"{LOAD}:Q",
        title=title,
        scale=alt.Scale(type="log", base=2, nice=False),
        axis=alt.Axis(values=loads, format="~g"),
    )


def _legend() -> alt.Legend:
    return alt.Legend(orient="right", title=None, labelLimit=300, symbolType="stroke")


def _dash_legend() -> alt.Legend:
    """The percentiles' legend: grey dashes (the colour says the sweep or model)."""
    return alt.Legend(
        orient="right",
        title=None,
        symbolType="stroke",
        symbolStrokeColor="#808495",
        symbolStrokeWidth=2,
    )


def latency_chart(steps: pd.DataFrame, knees: pd.DataFrame, load_title: str) -> alt.LayerChart:
    """p50 (dashed) and p95 (solid) latency against load, one colour per sweep, knees marked.

    Parameters
    ----------
    steps : DataFrame
        Long form: Sweep, Load, Statistic (``p50``/``p95``), Latency (ms).
    knees : DataFrame
        Sweep, Load of each sweep's knee (may be empty).
    load_title : str
        The load axis' title (concurrency or rate).
    """
    loads = sorted(steps[LOAD].unique().tolist())
    base = alt.Chart(steps).encode(
        x=_load_axis(load_title, loads),
        y=alt.Y(f"{LATENCY}:Q", title="Latency (ms)"),
        color=alt.Color(f"{SWEEP}:N", legend=_legend()),
        strokeDash=alt.StrokeDash(f"{STATISTIC}:N", sort=["p95", "p50"], legend=_dash_legend()),
        tooltip=[SWEEP, LOAD, STATISTIC, alt.Tooltip(f"{LATENCY}:Q", format=".0f")],
    )
    chart = alt.layer(base.mark_line(point=True))
    if not knees.empty:
        rule = (
            alt.Chart(knees)
            .mark_rule(strokeDash=[2, 2], strokeWidth=2)
            .encode(
                x=_load_axis(load_title, loads),
                color=alt.Color(f"{SWEEP}:N", legend=None),
                tooltip=[SWEEP, alt.Tooltip(f"{LOAD}:Q", title=KNEE), "Why"],
            )
        )
        label = (
            alt.Chart(knees)
            .mark_text(align="left", dx=4, dy=-6, baseline="top", fontWeight="bold")
            .encode(
                x=_load_axis(load_title, loads),
                y=alt.value(0),
                text=alt.value(KNEE),
                color=alt.Color(f"{SWEEP}:N", legend=None),
            )
        )
        chart = chart + rule + label
    return chart.properties(
        height=_HEIGHT, title="Latency against load: p95 solid, p50 dashed, the knee dotted"
    )


def throughput_chart(steps: pd.DataFrame, load_title: str) -> alt.Chart:
    """Successful requests per second against load, one colour per sweep."""
    return (
        alt.Chart(steps)
        .mark_line(point=True)
        .encode(
            x=_load_axis(load_title, sorted(steps[LOAD].unique().tolist())),
            y=alt.Y(f"{THROUGHPUT}:Q", title="Successful requests/s"),
            color=alt.Color(f"{SWEEP}:N", legend=_legend()),
            tooltip=[
                SWEEP,
                LOAD,
                alt.Tooltip(f"{THROUGHPUT}:Q", format=".1f"),
                alt.Tooltip(f"{TOKENS}:Q", format=".0f"),
                alt.Tooltip(f"{ERROR_RATE}:Q", format=".0%"),
            ],
        )
        .properties(height=_HEIGHT, title="Throughput against load")
    )


def _hour_axis() -> alt.X:
    # One tick a day, labelled with its name.
    labels = " + ".join(f"(datum.value == {24 * i} ? '{day}' : '')" for i, day in enumerate(DAYS))
    return alt.X(
        f"{HOUR}:Q",
        title="Hour of week (UTC)",
        scale=alt.Scale(domain=[0, 168]),
        axis=alt.Axis(values=[24 * i for i in range(8)], labelExpr=labels, grid=True),
    )


def time_of_day_latency_chart(hours: pd.DataFrame) -> alt.Chart:
    """p50 (dashed) and p95 (solid) latency by hour of the week, one colour per model.

    ``hours`` has Model, Hour of week (UTC), When (UTC), Statistic, Latency (ms), Requests.
    """
    return (
        alt.Chart(hours)
        .mark_line(point=True)
        .encode(
            x=_hour_axis(),
            y=alt.Y(f"{LATENCY}:Q", title="Latency (ms)"),
            color=alt.Color(f"{MODEL}:N", legend=_legend()),
            strokeDash=alt.StrokeDash(f"{STATISTIC}:N", sort=["p95", "p50"], legend=_dash_legend()),
            tooltip=[MODEL, WHEN, STATISTIC, alt.Tooltip(f"{LATENCY}:Q", format=".0f"), REQUESTS],
        )
        .properties(height=_HEIGHT, title="Latency by hour of the week: p95 solid, p50 dashed")
    )


def time_of_day_error_chart(hours: pd.DataFrame) -> alt.Chart:
    """Error rate by hour of the week, one colour per model.

    ``hours`` has Model, Hour of week (UTC), When (UTC), Error rate, Requests.
    """
    return (
        alt.Chart(hours)
        .mark_line(point=True)
        .encode(
            x=_hour_axis(),
            y=alt.Y(
                f"{ERROR_RATE}:Q",
                title="Error rate",
                axis=alt.Axis(format=".0%"),
                # At least 0-5%, so that a week without errors still has an axis.
                scale=alt.Scale(domain=[0, max(0.05, float(hours[ERROR_RATE].max()))]),
            ),
            color=alt.Color(f"{MODEL}:N", legend=_legend()),
            tooltip=[MODEL, WHEN, alt.Tooltip(f"{ERROR_RATE}:Q", format=".1%"), REQUESTS],
        )
        .properties(height=200, title="Error rate by hour of the week")
    )

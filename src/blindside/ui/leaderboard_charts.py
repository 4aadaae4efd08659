"""The leaderboard's charts (Altair), drawn from the page's full data frame.

Every chart reads the frame by column label (:mod:`blindside.leaderboard.columns`):
ratings with intervals (a forest plot), model-against-model heatmaps, and rating
against cost per task (with the Pareto frontier), p95 latency and accuracy, and an LLM
judge's ratings beside the raters'.
Legends are in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from blindside.leaderboard.columns import (
    ACCURACY,
    COST_PER_TASK,
    LATENCY_P95,
    MODEL,
    RANK_RANGE,
    RATING,
    RATING_HIGH,
    RATING_LOW,
    VOTES,
)

if TYPE_CHECKING:
    from blindside.judge.report import Comparison


def forest_plot(frame: pd.DataFrame) -> alt.Chart:
    """Ratings with their 95% intervals, best on top (a forest plot)."""
    model, rating, low, high = MODEL.label, RATING.label, RATING_LOW.label, RATING_HIGH.label
    rated = frame.dropna(subset=[rating])
    order = rated.sort_values(rating, ascending=False)[model].tolist()
    base = alt.Chart(rated).encode(
        y=alt.Y(f"{model}:N", sort=order, title=None, axis=alt.Axis(labelLimit=400))
    )
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(f"{low}:Q", title="Rating (Elo scale, 95% CI)", scale=alt.Scale(zero=False)),
        x2=f"{high}:Q",
    )
    point = base.mark_point(filled=True, size=80).encode(
        x=f"{rating}:Q",
        tooltip=[
            model,
            alt.Tooltip(f"{rating}:Q", format=".0f"),
            alt.Tooltip(f"{low}:Q", format=".0f"),
            alt.Tooltip(f"{high}:Q", format=".0f"),
            RANK_RANGE.label,
            VOTES.label,
        ],
    )
    # A height per band: Streamlit's layout otherwise squeezes nominal axes flat.
    return (interval + point).properties(height=alt.Step(32))


def matrix_frame(names: list[str], matrix: np.ndarray, value: str) -> pd.DataFrame:
    """Long form of an (n, n) matrix for a heatmap: row model, column model, value."""
    n = len(names)
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return pd.DataFrame(
        {
            "Model": [names[i] for i in rows.ravel()],
            "Opponent": [names[j] for j in cols.ravel()],
            value: matrix.ravel(),
        }
    )


def heatmap(names: list[str], matrix: np.ndarray, value: str, *, fmt: str) -> alt.Chart:
    """A model × opponent heatmap, best model first on both axes."""
    data = matrix_frame(names, matrix, value).dropna()
    axis = alt.Axis(labelLimit=200)
    scale = (
        alt.Scale(scheme="redblue", domain=[0, 1])
        if value != "Battles"
        else alt.Scale(scheme="blues")
    )
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("Opponent:N", sort=names, title="against", axis=axis),
            y=alt.Y("Model:N", sort=names, title=None, axis=axis),
            color=alt.Color(f"{value}:Q", scale=scale),
            tooltip=["Model", "Opponent", alt.Tooltip(f"{value}:Q", format=fmt)],
        )
    )
    return chart.properties(height=alt.Step(28))


#: The cost chart's legend, in words.
ON_FRONTIER = "On the Pareto frontier (no cheaper model rates higher)"
OFF_FRONTIER = "A cheaper model rates as high or higher"


def pareto_frontier(costs: list[float], ratings: list[float]) -> list[bool]:
    """For each model, whether no cheaper (or equally cheap) model rates at least as high."""
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -ratings[i]))
    on = [False] * len(costs)
    best = -np.inf
    for i in order:
        on[i] = ratings[i] > best
        best = max(best, ratings[i])
    return on


def _against_rating(
    data: pd.DataFrame, x: str, title: str, fmt: str, *, log: bool = False
) -> alt.Chart:
    """Points of ``x`` against rating, labelled with the model."""
    model, rating = MODEL.label, RATING.label
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", scale=scale, title=title, axis=alt.Axis(format=fmt)),
        y=alt.Y(f"{rating}:Q", scale=alt.Scale(zero=False), title="Rating (Elo scale)"),
        tooltip=[
            model,
            alt.Tooltip(f"{rating}:Q", format=".0f"),
            alt.Tooltip(f"{x}:Q", format=fmt),
        ],
    )


def _labels(base: alt.Chart) -> alt.Chart:
    return base.mark_text(align="left", dx=7, dy=-7, fontSize=11).encode(text=f"{MODEL.label}:N")


def cost_scatter(frame: pd.DataFrame) -> alt.Chart | None:
    """Cost per task against rating, with the Pareto frontier (cheapest for its rating)."""
    rating, cost = RATING.label, COST_PER_TASK.label
    data = frame.dropna(subset=[rating, cost]).copy()
    if data.empty:
        return None
    on = pareto_frontier(data[cost].tolist(), data[rating].tolist())
    data["Cost frontier"] = [ON_FRONTIER if o else OFF_FRONTIER for o in on]
    base = _against_rating(data, cost, cost, "$.6f", log=True)
    points = base.mark_point(filled=True, size=90).encode(
        color=alt.Color(
            "Cost frontier:N",
            title=None,
            scale=alt.Scale(domain=[ON_FRONTIER, OFF_FRONTIER], range=["#d62728", "#9aa0a6"]),
            legend=alt.Legend(orient="bottom", labelLimit=400),
        )
    )
    line = (
        alt.Chart(data[data["Cost frontier"] == ON_FRONTIER].sort_values(cost))
        .mark_line(strokeDash=[4, 3], color="#d62728")
        .encode(x=f"{cost}:Q", y=f"{rating}:Q")
    )
    return (line + points + _labels(base)).properties(height=320)


def latency_scatter(frame: pd.DataFrame) -> alt.Chart | None:
    """p95 latency against rating: fast and preferred sits top left."""
    rating, latency = RATING.label, LATENCY_P95.label
    data = frame.dropna(subset=[rating, latency])
    if data.empty:
        return None
    base = _against_rating(data, latency, latency, ",.0f", log=True)
    return (base.mark_point(filled=True, size=90) + _labels(base)).properties(height=320)


def accuracy_scatter(frame: pd.DataFrame) -> alt.Chart | None:
    """Accuracy against rating: does preference follow correctness?"""
    rating, accuracy = RATING.label, ACCURACY.label
    data = frame.dropna(subset=[rating, accuracy])
    if data.empty:
        return None
    base = _against_rating(data, accuracy, accuracy, ".0%")
    return (base.mark_point(filled=True, size=90) + _labels(base)).properties(height=320)


#: The judge chart's legend, in words.
BY_RATERS = "Raters (human votes)"
BY_JUDGE = "LLM judge"


def judge_frame(comparison: Comparison) -> pd.DataFrame:
    """Long form of the judge's ranking beside the raters': one row per model and source."""
    rows = []
    for m in comparison.models:
        for source, value, low, high in (
            (BY_RATERS, m.human, m.human_low, m.human_high),
            (BY_JUDGE, m.judge, m.judge_low, m.judge_high),
        ):
            if value is not None:
                rows.append(
                    {
                        "Model": m.name,
                        "Ranked by": source,
                        "Rating": value,
                        "Low": low,
                        "High": high,
                    }
                )
    return pd.DataFrame(rows, columns=["Model", "Ranked by", "Rating", "Low", "High"])


def judge_chart(comparison: Comparison) -> alt.Chart | None:
    """The judge's ratings beside the raters', per model, with 95% intervals.

    Each model's band holds two rows, the raters' rating and the judge's, each a point with
    its interval, coloured by who ranked it. Models are ordered by the raters' rating.
    """
    data = judge_frame(comparison)
    if data.empty:
        return None
    order = [
        m.name
        for m in sorted(
            comparison.models,
            key=lambda m: (-(m.human if m.human is not None else -1e9), -(m.judge or 0.0)),
        )
    ]
    y = alt.Y("Model:N", sort=order, title=None, axis=alt.Axis(labelLimit=400))
    colour = alt.Color(
        "Ranked by:N",
        title=None,
        scale=alt.Scale(domain=[BY_RATERS, BY_JUDGE], range=["#1f77b4", "#ff7f0e"]),
        legend=alt.Legend(orient="bottom", labelLimit=400),
    )
    offset = alt.YOffset("Ranked by:N", scale=alt.Scale(domain=[BY_RATERS, BY_JUDGE]))
    base = alt.Chart(data).encode(y=y, yOffset=offset, color=colour)
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("Low:Q", title="Rating (Elo scale, 95% CI)", scale=alt.Scale(zero=False)),
        x2="High:Q",
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="Rating:Q",
        tooltip=[
            "Model",
            "Ranked by",
            alt.Tooltip("Rating:Q", format=".0f"),
            alt.Tooltip("Low:Q", format=".0f"),
            alt.Tooltip("High:Q", format=".0f"),
        ],
    )
    return (interval + point).properties(height=alt.Step(22))

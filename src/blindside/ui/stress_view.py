"""The Stress page: stored sweeps against load with their knees, and latency by time of day.

Sweeps are read from the ``stress_*`` tables (:mod:`blindside.stress.store`); a lead picks
which to overlay (by default each model's newest), so sweeps from different days compare
on one chart. The time-of-day charts pool generation answers and stress requests
(:mod:`blindside.latency_history`) by UTC hour of the week.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from blindside.latency_history import SOURCES, by_hour_of_week, latency_samples
from blindside.stress.knee import load_label
from blindside.stress.results import StepResult
from blindside.stress.store import StoredSweep, read_steps, read_sweeps
from blindside.ui.state import get_engine, get_settings
from blindside.ui.stress_charts import (
    ERROR_RATE,
    HOUR,
    LATENCY,
    LOAD,
    MODEL,
    REQUESTS,
    STATISTIC,
    SWEEP,
    THROUGHPUT,
    TOKENS,
    WHEN,
    latency_chart,
    throughput_chart,
    time_of_day_error_chart,
    time_of_day_latency_chart,
)

MODES = {"concurrency": "Concurrency (closed loop)", "rate": "Rate, requests/s (open loop)"}
SOURCE_LABELS = {"generation": "Generation runs", "stress": "Stress sweeps"}
STEP_COLUMNS = {
    SWEEP: "The sweep: its id, model, mode and start (UTC).",
    LOAD: "Requests in flight (concurrency) or sent per second (rate) at this step.",
    REQUESTS: "Requests that ended at this step (answered or failed).",
    THROUGHPUT: "Successful requests per second of the step's wall time.",
    TOKENS: "Output tokens per second of the step's wall time.",
    "p50 ms": "Median end-to-end latency of the successful requests.",
    "p95 ms": "95th percentile end-to-end latency.",
    "p99 ms": "99th percentile end-to-end latency.",
    "TTFT p95 ms": "95th percentile time to first token.",
    "ITL p95 ms": "95th percentile gap between streamed tokens.",
    ERROR_RATE: "Failed requests over requests that ended.",
    "Errors": "Failed requests by class (rate_limit, timeout, server_error, ...).",
}


def step_frame(sweeps: Sequence[StoredSweep], steps: dict[int, list[StepResult]]) -> pd.DataFrame:
    """One row per step of ``sweeps``, headed by :data:`STEP_COLUMNS`."""
    rows = []
    for sweep in sweeps:
        for step in steps.get(sweep.id, []):
            errors = ", ".join(f"{k} {v}" for k, v in sorted(step.errors_by_class.items()))
            rows.append(
                {
                    SWEEP: sweep.label,
                    LOAD: step.load,
                    REQUESTS: step.requests,
                    THROUGHPUT: step.throughput_rps,
                    TOKENS: step.tokens_per_s,
                    "p50 ms": step.latency.p50,
                    "p95 ms": step.latency.p95,
                    "p99 ms": step.latency.p99,
                    "TTFT p95 ms": step.ttft.p95,
                    "ITL p95 ms": step.itl.p95,
                    ERROR_RATE: step.error_rate,
                    "Errors": errors,
                }
            )
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def latency_frame(steps: pd.DataFrame) -> pd.DataFrame:
    """The step frame in long form for the latency chart: p50 and p95 rows per step."""
    long = steps.melt(
        id_vars=[SWEEP, LOAD],
        value_vars=["p50 ms", "p95 ms"],
        var_name=STATISTIC,
        value_name=LATENCY,
    ).dropna(subset=[LATENCY])
    long[STATISTIC] = long[STATISTIC].str.removesuffix(" ms")
    return long


def knee_frame(sweeps: Sequence[StoredSweep]) -> pd.DataFrame:
    """The knee of each sweep that has one above 0: Sweep, Load, Why."""
    rows = [
        {SWEEP: s.label, LOAD: s.knee_load, "Why": s.knee_reason or ""}
        for s in sweeps
        if s.knee_load
    ]
    return pd.DataFrame(rows, columns=[SWEEP, LOAD, "Why"])


def _default_sweeps(sweeps: Sequence[StoredSweep]) -> list[str]:
    """Each model's newest sweep (``sweeps`` is newest first)."""
    newest: dict[str, str] = {}
    for sweep in sweeps:
        newest.setdefault(sweep.model_name, sweep.label)
    return list(newest.values())


def _sweep_notes(sweeps: Sequence[StoredSweep]) -> str:
    lines = []
    for s in sweeps:
        if s.knee_load is None:
            knee = "no knee reached: every step scaled"
        elif s.knee_load == 0:
            knee = f"no load scaled: {s.knee_reason}"
        else:
            knee = f"knee at {load_label(s.knee_load)}: {s.knee_reason}"
        stop = f"; stopped early ({s.stop_reason})" if s.stop_reason else ""
        lines.append(f"- **{s.label}**: {knee}{stop}")
    return "\n".join(lines)


def render_sweeps() -> None:
    """Pick sweeps; chart latency and throughput against load with the knees; list steps."""
    sweeps = read_sweeps(get_engine())
    if not sweeps:
        st.info(
            "No stress sweep is stored yet. Run `blindside stress MODEL` "
            "(see docs/stress.md); every step it runs is stored and shown here."
        )
        return
    modes = [m for m in MODES if any(s.mode == m for s in sweeps)]
    mode = modes[0]
    if len(modes) > 1:
        mode = st.radio(
            "Load", modes, format_func=MODES.__getitem__, horizontal=True, key="stress_mode"
        )
    of_mode = [s for s in sweeps if s.mode == mode]
    labels = [s.label for s in of_mode]
    picked = st.multiselect(
        "Sweeps to compare",
        labels,
        default=_default_sweeps(of_mode),
        key=f"stress_sweeps_{mode}",
        help="Each model's newest sweep by default; add older ones to compare days.",
    )
    chosen = [s for s in of_mode if s.label in picked]
    if not chosen:
        st.info("Pick at least one sweep.")
        return
    steps = step_frame(chosen, read_steps(get_engine(), [s.id for s in chosen]))
    load_title = MODES[mode]
    with st.container(key="stress_latency_chart"):
        st.altair_chart(latency_chart(latency_frame(steps), knee_frame(chosen), load_title))
    with st.container(key="stress_throughput_chart"):
        st.altair_chart(throughput_chart(steps, load_title))
    st.markdown(_sweep_notes(chosen))
    st.caption(
        "The knee is the highest load that still scaled: the next step failed more than 5% "
        "of its requests, or its p95 latency passed 1.5x the lowest load's, or its "
        "throughput gained less than half of the load it added."
    )
    st.dataframe(
        steps,
        key="stress_steps",
        hide_index=True,
        column_config={
            LOAD: st.column_config.NumberColumn(LOAD, help=STEP_COLUMNS[LOAD], format="%g"),
            THROUGHPUT: st.column_config.NumberColumn(
                THROUGHPUT, help=STEP_COLUMNS[THROUGHPUT], format="%.1f"
            ),
            TOKENS: st.column_config.NumberColumn(TOKENS, help=STEP_COLUMNS[TOKENS], format="%.0f"),
            ERROR_RATE: st.column_config.NumberColumn(
                ERROR_RATE, help=STEP_COLUMNS[ERROR_RATE], format="percent"
            ),
            **{
                label: st.column_config.NumberColumn(label, help=STEP_COLUMNS[label], format="%.0f")
                for label in ("p50 ms", "p95 ms", "p99 ms", "TTFT p95 ms", "ITL p95 ms")
            },
            SWEEP: st.column_config.TextColumn(SWEEP, help=STEP_COLUMNS[SWEEP]),
            REQUESTS: st.column_config.NumberColumn(REQUESTS, help=STEP_COLUMNS[REQUESTS]),
            "Errors": st.column_config.TextColumn("Errors", help=STEP_COLUMNS["Errors"]),
        },
    )


@st.cache_data(show_spinner="Reading latencies…", ttl=60, max_entries=16)
def hour_frame(database_url: str, sources: tuple[str, ...]) -> pd.DataFrame:
    """Per model and UTC hour of the week: p50 and p95 latency, error rate, requests.

    ``database_url`` keys the cache (the engine comes from :func:`get_engine`).
    """
    del database_url
    rows = [
        {
            MODEL: row.model,
            HOUR: row.hour,
            WHEN: row.label,
            "p50": row.summary.latency_p50_ms,
            "p95": row.summary.latency_p95_ms,
            ERROR_RATE: row.summary.error_rate,
            REQUESTS: row.summary.requests,
        }
        for row in by_hour_of_week(latency_samples(get_engine(), sources=sources))
    ]
    return pd.DataFrame(rows, columns=[MODEL, HOUR, WHEN, "p50", "p95", ERROR_RATE, REQUESTS])


def render_time_of_day() -> None:
    """Latency p50 and p95 and error rate by hour of the week, per model."""
    st.subheader("Time of day")
    st.caption(
        "Every answer of a generation run and every request of a stress sweep, by the UTC hour "
        "of the week it was sent or stored in. Latency counts successful requests only."
    )
    left, right = st.columns(2)
    with left:
        sources = st.multiselect(
            "From",
            SOURCES,
            default=list(SOURCES),
            format_func=SOURCE_LABELS.__getitem__,
            key="tod_sources",
        )
    hours = hour_frame(get_settings().database_url, tuple(sources))
    with right:
        models = sorted(hours[MODEL].unique())
        shown = st.multiselect("Models", models, default=models, key="tod_models")
    hours = hours[hours[MODEL].isin(shown)]
    if hours.empty:
        st.info("No stored request matches: generate answers or run `blindside stress`.")
        return
    long = hours.melt(
        id_vars=[MODEL, HOUR, WHEN, REQUESTS],
        value_vars=["p50", "p95"],
        var_name=STATISTIC,
        value_name=LATENCY,
    ).dropna(subset=[LATENCY])
    with st.container(key="tod_latency_chart"):
        st.altair_chart(time_of_day_latency_chart(long))
    with st.container(key="tod_error_chart"):
        st.altair_chart(time_of_day_error_chart(hours))

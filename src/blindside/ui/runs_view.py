"""Runs page components: the generate form (with st.progress) and the run table."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session, select

from blindside.config import load_models_toml
from blindside.engine.run import GenerationError, Progress, generate
from blindside.errors import InputError
from blindside.leaderboard import views
from blindside.runs import run_model_summaries
from blindside.tables import Suite
from blindside.ui.columns import column_config, view_frame
from blindside.ui.state import get_engine, get_settings


def render_generate_form() -> None:
    """Pick a suite and models, then generate the missing answers with a progress bar."""
    settings = get_settings()
    engine = get_engine()
    try:
        config = load_models_toml(settings.models_path)
    except InputError as exc:
        st.error(f"models.toml has problems:\n\n{exc}")
        return
    with Session(engine) as session:
        suites = list(session.exec(select(Suite.name).order_by(Suite.name)))
    if not suites:
        st.info("No suites loaded yet: run `blindside init` (or `make run`).")
        return
    with st.form("generate_form"):
        st.subheader("Generate answers")
        suite = st.selectbox("Suite", suites, key="gen_suite")
        names = [m.name for m in config.models]
        labels = {m.name: m.display_name for m in config.models}
        chosen = st.multiselect(
            "Models",
            names,
            default=[m.name for m in config.active_models()],
            format_func=labels.__getitem__,
            key="gen_models",
        )
        left, right = st.columns(2)
        samples = left.number_input("Samples per prompt", 1, 20, 1, key="gen_samples")
        concurrency = right.number_input("Concurrency", 1, 256, 16, key="gen_concurrency")
        max_cost = st.number_input(
            "Stop before spending more than (USD, 0 = no limit)",
            min_value=0.0,
            value=0.0,
            step=1.0,
            key="gen_max_cost",
        )
        new_run = st.checkbox("Start a new run (otherwise resume the matching one)", key="gen_new")
        submitted = st.form_submit_button("Generate", type="primary")
    if not submitted:
        return
    bar = st.progress(0.0, text="starting…")

    def on_progress(progress: Progress) -> None:
        fraction = progress.done / progress.total if progress.total else 1.0
        bar.progress(
            fraction,
            text=f"{progress.done}/{progress.total} answers · {progress.errors} errors · "
            f"{progress.retries} retries · ${progress.cost_usd:.4f}",
        )

    try:
        result = generate(
            engine,
            config,
            settings,
            suite_name=suite,
            model_names=chosen,
            samples=int(samples),
            concurrency=int(concurrency),
            new_run=new_run,
            max_cost_usd=float(max_cost) or None,
            on_progress=on_progress,
        )
    except (GenerationError, InputError) as exc:
        st.error(str(exc))
        return
    bar.progress(1.0, text="done")
    st.success(
        f"Run {result.run_id}: {result.succeeded} answers, {result.failed} failed, "
        f"{result.skipped} already done, {result.retries} retries, {result.fallbacks} served by "
        f"fallbacks, ${result.cost_usd:.4f}, {result.wall_s:.1f}s."
    )
    if result.stop_reason:
        st.warning(f"Stopped early: {result.stop_reason}")


def render_run_table() -> None:
    summaries = run_model_summaries(get_engine())
    if not summaries:
        st.info("No runs yet.")
        return
    st.subheader("Recent runs")
    st.dataframe(
        view_frame(views.RUNS_PAGE, summaries),
        hide_index=True,
        key="runs_table",
        column_config=column_config(views.RUNS_PAGE),
        placeholder="–",
    )

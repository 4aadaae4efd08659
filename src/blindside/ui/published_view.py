"""Published against measured, as a table (the leaderboard's expander, the Drift page)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from blindside.config import load_models_toml
from blindside.drift.published import measured_by_name, published_rows
from blindside.errors import InputError
from blindside.formatting import milliseconds, percent
from blindside.ui.state import get_engine, get_settings


def published_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of :func:`~blindside.drift.published.published_rows`, in words and units."""
    return pd.DataFrame(
        [
            {
                "Model": r.get("display_name", r["model"]),
                "Benchmark": r["benchmark"] or "–",
                "Published score": percent(r["published_score"]),
                "Measured accuracy (your suites)": percent(r["measured_accuracy"]),
                "Published TTFT": milliseconds(r["published_ttft_ms"]),
                "Measured TTFT p50": milliseconds(r["measured_ttft_p50_ms"]),
                "Published latency": milliseconds(r["published_latency_ms"]),
                "Measured latency p50": milliseconds(r["measured_latency_p50_ms"]),
            }
            for r in rows
        ]
    )


def render_published() -> None:
    """An expander with published against measured, when a model carries ``published``."""
    try:
        config = load_models_toml(get_settings().models_path)
    except (InputError, OSError):
        return  # the Runs page and `blindside validate` say what is wrong with the file
    if not any(m.published for m in config.models):
        return
    rows = published_rows(config, measured_by_name(get_engine()))
    if not rows:
        return
    with st.expander("Published against measured"):
        st.caption(
            "What each vendor published (models.toml `published`) beside what blindside "
            "measured on your prompts. A published score is on the vendor's benchmark, the "
            "accuracy on your suites: the gap is the point."
        )
        st.dataframe(published_frame(rows), hide_index=True, width="stretch")

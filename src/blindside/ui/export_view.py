"""The Export page: the leaderboard's cut controls, row counts and one download per format.

Downloads are made when pressed (Streamlit's deferred ``data``), from the engine and cut
of the render, so drawing the page reads only counts: one GROUP BY over ``vote``.
Every file names raters by pseudonym and says which model was on the left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from blindside.cuts import Cut
from blindside.export.boards import table_document, write_table
from blindside.export.run import FORMATS, export_bytes, row_counts
from blindside.leaderboard.board import TIERS, RankOptions
from blindside.ui.leaderboard_view import current_choices, cut_filters
from blindside.ui.state import get_engine

#: Each vote format: label, what it holds, MIME type.
VOTE_FORMATS: dict[str, tuple[str, str, str]] = {
    "jsonl": ("Labelled pairs (JSON lines)", "Every field of every vote.", "application/jsonl"),
    "csv": ("Labelled pairs (CSV)", "The same fields, for spreadsheets.", "text/csv"),
    "parquet": (
        "Labelled pairs (Parquet)",
        "The same fields, typed, for pandas and pyarrow.",
        "application/vnd.apache.parquet",
    ),
    "arena": (
        "Arena battles (JSON lines)",
        "LMArena's fields; model_a is the left answer.",
        "application/jsonl",
    ),
    "preference": (
        "Preference pairs (JSON lines)",
        "prompt, chosen, rejected (DPO, reward models).",
        "application/jsonl",
    ),
}

#: The download buttons' labels (the icon says "download").
BUTTON_LABELS = {
    "jsonl": "JSONL",
    "csv": "CSV",
    "parquet": "Parquet",
    "arena": "Arena",
    "preference": "Preference",
}

ALL_TIERS = "All tiers"


def tier_filter() -> int | None:
    """The tier of the export (the Leaderboard shows tiers as tabs; here one choice)."""
    labels = {ALL_TIERS: None, **{label: tier for tier, label in TIERS.items()}}
    return labels[st.selectbox("Tier", list(labels), key="export_tier")]


def _file_name(kind: str, suffix: str) -> str:
    return f"blindside-{kind}-{datetime.now(UTC):%Y%m%d-%H%M}{suffix}"


def _votes_file(engine: Engine, cut: Cut, fmt: str, keep_ties: bool) -> Callable[[], bytes]:
    def make() -> bytes:
        return export_bytes(engine, cut, fmt, keep_ties=keep_ties)[0]

    return make


def _table_file(
    engine: Engine, table: str, cut: Cut, options: RankOptions, fmt: str
) -> Callable[[], bytes]:
    def make() -> bytes:
        import io

        text = io.StringIO()
        write_table(table_document(engine, table, cut, options), fmt, text)  # type: ignore[arg-type]
        return text.getvalue().encode("utf-8")

    return make


def render_export_page() -> None:
    """Filters, counts and the download buttons."""
    engine = get_engine()
    top = st.columns([2, 3], vertical_alignment="bottom")
    with top[0]:
        tier = tier_filter()
    cut, options = cut_filters(current_choices())
    cut = cut.with_tier(tier)
    counts = row_counts(engine, cut)
    top[1].markdown(f"**{counts['jsonl']:,} votes** in this cut ({cut.describe()}).")
    st.subheader("Votes")
    keep_ties = False
    for fmt, (label, about, mime) in VOTE_FORMATS.items():
        if fmt == "preference":
            keep_ties = st.session_state.get("export_keep_ties", False)
        rows = counts["preference+ties" if keep_ties else fmt]
        row = st.container(key=f"export_row_{fmt}")
        c1, c2, c3 = row.columns([5, 1.2, 1.6], vertical_alignment="center")
        c1.markdown(f"**{label}** · {about}")
        c2.markdown(f"{rows:,} rows")
        c3.download_button(
            BUTTON_LABELS[fmt],
            data=_votes_file(engine, cut, fmt, keep_ties),
            file_name=_file_name(fmt if fmt in ("arena", "preference") else "votes", FORMATS[fmt]),
            mime=mime,
            key=f"export_download_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            disabled=rows == 0,
            width="stretch",
        )
    st.toggle(
        "Keep ties and both-bad votes in preference pairs",
        key="export_keep_ties",
        help="Off: only votes that name a better answer (what DPO needs). On: every vote, "
        "with outcome tie or both_bad.",
    )
    st.subheader("Leaderboard and scores")
    for table, about in (
        ("leaderboard", "ratings fitted as on the Leaderboard page, with the cut in the file"),
        ("scores", "accuracy, latency and cost per model (the cut's tier, suite, category, run)"),
    ):
        row = st.container(key=f"export_row_{table}")
        c1, c2, c3 = row.columns([5, 1.4, 1.4], vertical_alignment="center")
        c1.markdown(f"**{table.capitalize()}** · {about}")
        for column, fmt, mime in ((c2, "csv", "text/csv"), (c3, "json", "application/json")):
            column.download_button(
                fmt.upper(),
                data=_table_file(engine, table, cut, options, fmt),
                file_name=_file_name(table, f".{fmt}"),
                mime=mime,
                key=f"export_download_{table}_{fmt}",
                on_click="ignore",
                icon=":material/download:",
                disabled=table == "leaderboard" and counts["jsonl"] == 0,
                width="stretch",
            )
    st.caption(
        "A file is made when its button is pressed and held in the server's memory while it "
        "downloads; for very large exports use `blindside export` on the command line."
    )

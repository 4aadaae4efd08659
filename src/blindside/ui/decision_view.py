"""The decision part of a tier tab: tasks per month, the rule, the recommendation, the table.

A lead types the tier's monthly volume (it starts from ``[volume]`` in models.toml),
may change the tier's recommendation rule (it starts from
:data:`blindside.leaderboard.recommend.DEFAULT_RULES`), and reads the recommendation
with its reason above a compact table (:data:`blindside.leaderboard.views.DECISION_PAGE`)
narrow enough for a 1,280 px window. Every other column is one click away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from blindside.config import load_models_toml
from blindside.errors import InputError
from blindside.leaderboard import views
from blindside.leaderboard.board import Leaderboard
from blindside.leaderboard.recommend import (
    DEFAULT_RULES,
    PICKS,
    TierRule,
    describe_rule,
    recommend,
)
from blindside.leaderboard.views import cost_source_note
from blindside.ui.state import get_settings


@st.cache_data(show_spinner=False, max_entries=8)
def _volumes_of(path: str, modified: float) -> dict[int, int]:
    # ``modified`` is only a cache key: an edited models.toml is read again.
    del modified
    try:
        return load_models_toml(path).monthly_volume
    except InputError:
        # An invalid file is reported where it is used to generate; here it only means
        # no planned volume, and the lead can type one.
        return {}


def planned_volumes() -> dict[int, int]:
    """Tasks per month per tier from ``[volume]`` of models.toml (empty without a file)."""
    path = Path(get_settings().models_path)
    try:
        modified = path.stat().st_mtime
    except OSError:
        return {}
    return _volumes_of(str(path), modified)


def volume_input(tier: int, planned: int | None) -> int | None:
    """The tier's tasks per month as the lead types it (None: 0, not costed)."""
    volume = st.number_input(
        "Tasks per month",
        min_value=0,
        value=planned or 0,
        step=10_000,
        key=f"volume_{tier}",
        help="The monthly cost column multiplies each model's cost per task by this. It "
        "starts from [volume] in models.toml; 0 leaves the column empty.",
    )
    return int(volume) or None


def rule_editor(tier: int) -> TierRule:
    """The tier's recommendation rule, starting from its default, as the lead sets it."""
    default = DEFAULT_RULES[tier]
    with st.expander("Recommendation rule", icon=":material/rule:"):
        picks = list(PICKS)
        pick = st.selectbox(
            "Choose",
            picks,
            index=picks.index(default.pick),
            format_func=lambda p: PICKS[p],
            key=f"rule_pick_{tier}",
        )
        near = st.checkbox(
            "Only models whose accuracy interval overlaps that of the most accurate model",
            value=default.near_best_accuracy,
            key=f"rule_near_{tier}",
        )
        c1, c2, c3 = st.columns(3)
        min_accuracy = _optional_input(
            c1,
            "Minimum accuracy (%)",
            default.min_accuracy,
            scale=100.0,
            max_value=100.0,
            step=5.0,
            key=f"rule_min_accuracy_{tier}",
            none="no minimum",
        )
        max_latency = _optional_input(
            c2,
            "Maximum p95 latency (ms)",
            default.max_p95_latency_ms,
            step=100.0,
            key=f"rule_max_latency_{tier}",
            none="no limit",
        )
        max_cost = _optional_input(
            c3,
            "Maximum cost per task (USD)",
            default.max_cost_per_task_usd,
            step=0.0001,
            format="%.6f",
            key=f"rule_max_cost_{tier}",
            none="no limit",
        )
    return TierRule(
        pick=pick,  # type: ignore[arg-type]
        near_best_accuracy=near,
        min_accuracy=min_accuracy,
        max_p95_latency_ms=max_latency,
        max_cost_per_task_usd=max_cost,
    )


def _optional_input(
    place: Any, label: str, default: float | None, *, none: str, scale: float = 1.0, **options: Any
) -> float | None:
    """A number input in which 0 stands for None, said in its help as ``"0: {none}."``.

    The input shows the value times ``scale`` (a share as a percentage) and returns it unscaled.
    """
    shown = place.number_input(
        label, min_value=0.0, value=scale * (default or 0.0), help=f"0: {none}.", **options
    )
    return shown / scale or None


def decision_frame(board: Leaderboard) -> pd.DataFrame:
    """The compact table's cells as the page shows them ("–" where nothing was measured)."""
    view = views.DECISION_PAGE
    return pd.DataFrame(
        [{c.label: c.page_text(row) for c in view} for row in board.rows],
        columns=[c.label for c in view],
    )


def render_decision(board: Leaderboard, rule: TierRule | None, *, key: str) -> None:
    """The recommendation under ``rule`` (None: none, the overall tab) and the compact table."""
    if rule is not None:
        chosen = recommend(board.rows, rule)
        text = f"**Tier {board.tier}:** {chosen.reason}  \n*Rule: {describe_rule(rule)}.*"
        with st.container(key=f"recommendation_{key}"):
            if chosen.model is None:
                st.info(text, icon=":material/help:")
            else:
                st.success(text, icon=":material/recommend:")
    with st.container(key=f"decision_table_{key}"):
        st.table(decision_frame(board), hide_index=True)
        note = cost_source_note(board.rows)
        if note is not None:
            st.caption(note)


def tier_controls(tier: int | None) -> tuple[int | None, TierRule | None]:
    """The tier's volume input and rule editor side by side (nothing on the overall tab)."""
    if tier is None:
        return None, None
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    with left:
        volume = volume_input(tier, planned_volumes().get(tier))
    with right:
        rule = rule_editor(tier)
    return volume, rule

"""A view of leaderboard columns as a page table: its data frame and its column config.

Both come from the view (:mod:`blindside.leaderboard.views`), so a column added
to a view shows up on the page with its label, format and tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from blindside.leaderboard.column import Column
from blindside.leaderboard.views import View


def view_frame(view: View, rows: Iterable[Any]) -> pd.DataFrame:
    """One frame row per row, one frame column per view column, headed by its label."""
    return pd.DataFrame(
        [{c.label: c.page_value(row) for c in view} for row in rows],
        columns=[c.label for c in view],
    )


def column_config(view: View) -> dict[str, Any]:
    """``st.dataframe``'s ``column_config`` of a view: format and tooltip per label."""
    return {c.label: _config(c) for c in view}


def _config(column: Column) -> Any:
    help_text = column.help or None
    if column.format == "datetime":
        return st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss", help=help_text)
    if column.format == "flag":
        return st.column_config.CheckboxColumn(help=help_text)
    if column.format == "text" or column.joiner:
        return st.column_config.TextColumn(help=help_text)
    return st.column_config.NumberColumn(format=column.page_format(), help=help_text)

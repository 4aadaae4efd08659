"""Which columns each table shows, in order, and how a view becomes records or text.

A view is a tuple of :class:`~blindside.leaderboard.column.Column`. Where two
outputs round one figure differently (``rank`` prints latency as measured,
``scores`` to 0.1 ms), the view says so with :meth:`Column.rounded`; the column
itself is defined once. Readers look a view up here when they draw, so a column
added to a view shows up in every output built from it.

=====================  ================================================
view                   read by
=====================  ================================================
``RANK_RECORD``        ``rank --format json|csv`` (one record a model)
``RANK_TABLE``         ``rank --format table``
``SCORES_RECORD``      ``scores --format json|csv``
``SCORES_TABLE``       ``scores --format table``
``LEADERBOARD_PAGE``   the Leaderboard page's full table ("All columns")
``DECISION_PAGE``      the Leaderboard page's compact table per tier
``RUNS_PAGE``          the Runs page's table
``RUN_SUMMARY_TABLE``  ``generate``'s closing summary
=====================  ================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from blindside.leaderboard.column import Column
from blindside.leaderboard.columns import (
    ACCURACY,
    ACCURACY_CI,
    ACCURACY_HIGH,
    ACCURACY_LOW,
    ACCURACY_WITH_CI,
    ANSWERS,
    CACHED_SHARE,
    CONSISTENCY,
    CONSISTENCY_PROMPTS,
    COST_PER_CORRECT,
    COST_PER_TASK,
    COST_PER_TASK_BATCH,
    COST_PER_TASK_NO_CACHE,
    COST_SOURCE,
    ERROR_RATE,
    ERRORS,
    ERRORS_BY_CLASS,
    FALLBACKS,
    FEW_VOTES,
    LATENCY,
    LATENCY_P50,
    LATENCY_P95,
    LATENCY_P99,
    MODEL,
    MONTHLY_COST,
    MONTHLY_VOLUME,
    NOTE,
    PASS_K,
    PASS_K_PROMPTS,
    RANK,
    RANK_BEST,
    RANK_RANGE,
    RANK_WORST,
    RATING,
    RATING_CI,
    RATING_HIGH,
    RATING_LOW,
    RATING_WITH_CI,
    RETRIES,
    RUN,
    SCORED,
    SPENT,
    STARTED,
    STATUS,
    SUCCESS_RATE,
    SUITE,
    TOKENS_PER_S,
    TTFT,
    TTFT_P50,
    TTFT_P95,
    TTFT_P99,
    VOTES,
    WIN_RATE,
)

View = tuple[Column, ...]

#: The automated scores, as ``rank`` and ``scores`` both report them.
SCORE_RECORD: View = (
    ACCURACY,
    ACCURACY_LOW,
    ACCURACY_HIGH,
    SCORED,
    CONSISTENCY,
    CONSISTENCY_PROMPTS,
)

#: Latency, reliability and cost per model, after the figures both reports had first.
DECISION_RECORD: View = (
    LATENCY_P50,
    LATENCY_P95,
    LATENCY_P99,
    TTFT_P50,
    TTFT_P95,
    TTFT_P99,
    TOKENS_PER_S,
    RETRIES,
    PASS_K,
    PASS_K_PROMPTS,
    COST_PER_CORRECT,
    CACHED_SHARE,
    COST_PER_TASK_NO_CACHE,
    COST_PER_TASK_BATCH,
    MONTHLY_VOLUME,
    MONTHLY_COST,
)

RANK_RECORD: View = (
    RANK,
    RANK_BEST,
    RANK_WORST,
    MODEL,
    RATING,
    RATING_LOW,
    RATING_HIGH,
    VOTES,
    FEW_VOTES,
    WIN_RATE,
    *SCORE_RECORD,
    LATENCY,
    TTFT,
    COST_PER_TASK,
    COST_SOURCE,
    ERROR_RATE,
    *DECISION_RECORD,
)
RANK_TABLE: View = (
    RANK,
    RANK_RANGE,
    MODEL,
    RATING,
    RATING_CI,
    VOTES,
    WIN_RATE,
    ACCURACY,
    LATENCY_P95,
    COST_PER_TASK,
    MONTHLY_COST,
)

SCORES_RECORD: View = (
    MODEL,
    *SCORE_RECORD,
    ANSWERS,
    ERROR_RATE.rounded(4),
    LATENCY.rounded(1),
    TTFT.rounded(1),
    COST_PER_TASK,
    COST_SOURCE,
    *DECISION_RECORD,
)
SCORES_TABLE: View = (
    MODEL,
    ACCURACY,
    ACCURACY_CI,
    SCORED,
    CONSISTENCY,
    ANSWERS,
    ERROR_RATE.rounded(4),
    LATENCY.rounded(1),
    COST_PER_TASK,
    PASS_K,
    LATENCY_P95,
    COST_PER_CORRECT,
    COST_PER_TASK_NO_CACHE,
    COST_PER_TASK_BATCH,
    MONTHLY_COST,
)

LEADERBOARD_PAGE: View = (
    RANK,
    RANK_RANGE,
    MODEL,
    RATING,
    RATING_LOW,
    RATING_HIGH,
    VOTES,
    NOTE,
    WIN_RATE,
    ACCURACY,
    ACCURACY_CI,
    SCORED,
    CONSISTENCY,
    LATENCY,
    TTFT,
    COST_PER_TASK,
    COST_SOURCE,
    ERROR_RATE,
    *DECISION_RECORD,
)
#: What a lead decides on, narrow enough for a 1,280 px window: the rest is one click away.
DECISION_PAGE: View = (
    RANK,
    MODEL,
    RATING_WITH_CI,
    ACCURACY_WITH_CI,
    LATENCY_P95,
    COST_PER_TASK,
    MONTHLY_COST,
)

RUNS_PAGE: View = (
    RUN,
    SUITE,
    STATUS,
    STARTED,
    MODEL,
    ANSWERS,
    ERRORS,
    SUCCESS_RATE,
    ACCURACY,
    RETRIES,
    FALLBACKS,
    ERRORS_BY_CLASS,
    SPENT,
    COST_SOURCE,
    LATENCY,
    TTFT,
)
RUN_SUMMARY_TABLE: View = (
    MODEL,
    ANSWERS,
    ERRORS,
    SUCCESS_RATE.shown(1),
    RETRIES,
    FALLBACKS,
    SPENT,
    ACCURACY.shown(1),
    ERRORS_BY_CLASS,
)


def records(view: View, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """One JSON/CSV record per row: each column's key and rounded value, in view order."""
    return [{column.key: column.record(row) for column in view} for row in rows]


def cost_source_note(rows: Iterable[Any]) -> str | None:
    """A footnote naming the rows whose cost is not (only) the provider's own, else None.

    The compact tables (the Leaderboard page's per tier, ``rank`` and ``scores`` as text)
    have no room for :data:`~blindside.leaderboard.columns.COST_SOURCE`; this says it.
    """
    marked = [
        f"{row.display_name}: {row.stats.cost_source}"
        for row in rows
        if row.stats.cost_source not in (None, "provider")
    ]
    if not marked:
        return None
    return (
        "Cost not from the provider's own token counts (router: a router's counts; "
        "estimated: four characters a token; imported: the figures in the imported file): "
        + "; ".join(marked)
        + "."
    )


def table_header(view: View) -> str:
    """The header line of a text table."""
    return _line(view, [column.header or column.key for column in view])


def table_line(view: View, row: Any) -> str:
    """One row of a text table: each cell aligned to its column's width."""
    return _line(view, [column.cell(row) for column in view])


def text_table(view: View, rows: Iterable[Any]) -> list[str]:
    """A text table's header and one line per row."""
    return [table_header(view), *(table_line(view, row) for row in rows)]


def _line(view: View, cells: list[str]) -> str:
    parts = []
    for i, (column, cell) in enumerate(zip(view, cells, strict=True)):
        if i:
            # Two spaces set text off from the numbers before it, which end flush right.
            parts.append("  " if column.left_aligned and not view[i - 1].left_aligned else " ")
        align = "<" if column.left_aligned else ">"
        parts.append(f"{cell:{align}{column.width}}" if column.width else cell)
    return "".join(parts)

"""Leaderboard columns: one definition per figure, read by the CLI and the pages."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from blindside.cli.reports import print_rank, print_scores
from blindside.leaderboard import views
from blindside.leaderboard.board import Leaderboard, LeaderboardRow
from blindside.leaderboard.column import Column
from blindside.leaderboard.columns import (
    ACCURACY,
    ACCURACY_CI,
    COLUMNS,
    COST_PER_TASK,
    LATENCY,
    MODEL,
    RANK_RANGE,
    RATING_CI,
)
from blindside.leaderboard.stats import MeasuredModel, ModelStats
from blindside.runs import RunModelSummary, format_run_summary
from blindside.tables import Model, Run

STATS = ModelStats(
    answers=48,
    errors=2,
    mean_latency_ms=1342.14715,
    mean_ttft_ms=354.31078,
    cost_per_task_usd=0.000844195,
    scored=40,
    correct=37,
    retries=3,
    fallbacks=1,
    spent_usd=0.0412,
    error_classes=(("rate_limit", 1), ("timeout", 1)),
)


def _row(rank: int | None = 1, votes: int = 972, stats: ModelStats = STATS) -> LeaderboardRow:
    rated = rank is not None
    return LeaderboardRow(
        model_id=1,
        name="Demo careful",
        simulated=True,
        rank=rank,
        rating=1121.44 if rated else None,
        rating_low=1104.83 if rated else None,
        rating_high=1138.02 if rated else None,
        votes=votes,
        win_rate=0.70876 if rated else None,
        stats=stats,
        rank_best=rank,
        rank_worst=rank + 1 if rated else None,
    )


def _board(*rows: LeaderboardRow) -> Leaderboard:
    return Leaderboard(tier=None, rows=list(rows), total_votes=972, interval_method="sandwich")


def test_keys_and_labels_are_unique_and_every_view_reads_the_one_list() -> None:
    assert len({c.key for c in COLUMNS}) == len(COLUMNS)
    assert len({c.label for c in COLUMNS}) == len(COLUMNS)
    by_key = {c.key: c for c in COLUMNS}
    for view in (
        views.RANK_RECORD,
        views.RANK_TABLE,
        views.SCORES_RECORD,
        views.SCORES_TABLE,
        views.LEADERBOARD_PAGE,
        views.RUNS_PAGE,
        views.RUN_SUMMARY_TABLE,
    ):
        for column in view:
            # A view may choose its precision, nothing else.
            defined = by_key[column.key]
            assert (column.label, column.value, column.format, column.help) == (
                defined.label,
                defined.value,
                defined.format,
                defined.help,
            )
        assert len({c.key for c in view}) == len(view)


def test_a_view_chooses_its_precision_of_one_column() -> None:
    row = _row()
    assert LATENCY.record(row) == 1342.14715
    assert LATENCY.rounded(1).record(row) == 1342.1
    assert LATENCY.rounded(1).label == LATENCY.label
    # Money per task to the millionth of a dollar, everywhere; a view may show fewer places.
    assert COST_PER_TASK.cell(row) == "0.000844"
    assert COST_PER_TASK.shown(5).cell(row) == "0.00084"
    assert COST_PER_TASK.page_format() == "$%.6f"
    assert COST_PER_TASK.page_text(row) == "$0.000844"


def test_cells_records_and_page_values() -> None:
    row, unrated = _row(), _row(rank=None, votes=0, stats=ModelStats())
    assert ACCURACY.record(row) == 0.925 and ACCURACY.cell(row) == "92"
    assert ACCURACY.page_format() == "percent"
    assert ACCURACY.record(unrated) is None and ACCURACY.cell(unrated) == "-"
    assert RANK_RANGE.cell(row) == "1-2" and RANK_RANGE.page_value(row) == "1–2"
    assert RANK_RANGE.cell(unrated) == "-" and RANK_RANGE.page_value(unrated) is None
    assert RATING_CI.record(row) == (1104.8, 1138.0) and RATING_CI.cell(row) == "1105..1138"
    low, high = STATS.accuracy_interval  # type: ignore[misc]
    assert ACCURACY_CI.cell(row) == f"{100 * round(low, 4):.0f}-{100 * round(high, 4):.0f}"
    assert ACCURACY_CI.page_value(row) == f"{low:.0%}–{high:.0%}"


def test_text_table_aligns_numbers_right_and_sets_text_off() -> None:
    header, line = views.text_table(views.RANK_TABLE, [_row()])
    assert header == (
        f"{'rank':>4} {'range':>7}  {'model':<32} {'rating':>7} {'95% CI':>15} "
        f"{'votes':>6} {'win%':>6} {'acc%':>5} {'latency p95':>12} {'$/task':>10} "
        f"{'$/month':>12}"
    )
    assert line == (
        f"{1:>4} {'1-2':>7}  {'Demo careful (simulated)':<32} {'1121':>7} {'1105..1138':>15} "
        f"{972:>6} {'71':>6} {'92':>5} {'-':>12} {'0.000844':>10} {'-':>12}"
    )


def test_run_summary_reads_the_same_columns() -> None:
    run = RunModelSummary(
        run=Run(id=3, suite_id=1, started_at=datetime(2026, 11, 1), status="done", config_hash=""),
        suite="high_volume",
        model=Model(id=1, name="Demo careful", endpoint="demo", model_id="careful", simulated=True),
        stats=STATS,
    )
    header, rule, line = format_run_summary([run]).splitlines()
    assert header.split() == [
        "model",
        "answers",
        "failed",
        "success%",
        "retries",
        "fallback",
        "cost",
        "$",
        "acc%",
        "errors",
        "by",
        "class",
    ]
    assert rule == "-" * len(header)
    assert line.split() == [
        "Demo",
        "careful",
        "(simulated)",
        "48",
        "2",
        "96.0",
        "3",
        "1",
        "0.0412",
        "92.5",
        "rate_limit",
        "1,",
        "timeout",
        "1",
    ]


NEW = Column(
    "output_tokens",
    "Output tokens",
    lambda r: r.stats.answers * 10,
    "integer",
    help="Tokens written.",
    header="out tok",
    width=8,
)


@pytest.fixture
def with_new_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure added to the views, and nowhere else."""
    for name in ("RANK_RECORD", "RANK_TABLE", "SCORES_RECORD", "SCORES_TABLE", "LEADERBOARD_PAGE"):
        monkeypatch.setattr(views, name, (*getattr(views, name), NEW))


@pytest.mark.usefixtures("with_new_column")
def test_an_added_column_reaches_every_output(capsys: pytest.CaptureFixture[str]) -> None:
    board = _board(_row())
    print_rank(board, "database", "all votes", "json")
    assert json.loads(capsys.readouterr().out)["models"][0]["output_tokens"] == 480
    print_rank(board, "database", "all votes", "csv")
    header, first = capsys.readouterr().out.splitlines()[:2]
    assert header.endswith(",output_tokens") and first.endswith(",480")
    print_rank(board, "database", "all votes", "table")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(" out tok") and lines[1].endswith("     480")

    measured = [MeasuredModel(MODEL.value(_row()), STATS)]
    print_scores(measured, "all answers", "json")
    assert json.loads(capsys.readouterr().out)["models"][0]["output_tokens"] == 480
    print_scores(measured, "all answers", "table")
    assert capsys.readouterr().out.splitlines()[0].endswith(" out tok")

    from blindside.ui.columns import column_config
    from blindside.ui.leaderboard_view import leaderboard_frame

    frame = leaderboard_frame(board)
    assert list(frame.columns)[-1] == "Output tokens" and frame["Output tokens"][0] == 480
    assert column_config(views.LEADERBOARD_PAGE)["Output tokens"]["help"] == "Tokens written."


def test_page_frame_keeps_its_labels_and_formats() -> None:
    from blindside.ui.columns import column_config
    from blindside.ui.leaderboard_view import leaderboard_frame

    frame = leaderboard_frame(_board(_row(), _row(rank=None, votes=0)))
    assert list(frame.columns) == [
        "Rank",
        "Rank range",
        "Model",
        "Rating",
        "95% CI low",
        "95% CI high",
        "Votes",
        "Note",
        "Win rate",
        "Accuracy",
        "Accuracy 95% CI",
        "Scored answers",
        "Consistency",
        "Mean latency (ms)",
        "Time to first token (ms)",
        "Cost per task (USD)",
        "Cost from",
        "Error rate",
        "Latency p50 (ms)",
        "Latency p95 (ms)",
        "Latency p99 (ms)",
        "TTFT p50 (ms)",
        "TTFT p95 (ms)",
        "TTFT p99 (ms)",
        "Output tokens/s",
        "Retries",
        "pass^k",
        "pass^k prompts",
        "Cost per correct answer (USD)",
        "Cached input share",
        "Cost per task, no cache (USD)",
        "Cost per task, batch (USD)",
        "Tasks per month",
        "Monthly cost (USD)",
    ]
    assert frame["Rank range"][0] == "1–2" and frame["Rank range"].isna()[1]
    assert frame["Note"].tolist() == ["", ""]
    config = column_config(views.LEADERBOARD_PAGE)
    formats = {label: c.get("type_config", {}).get("format") for label, c in config.items()}
    assert formats["Rating"] == formats["95% CI low"] == formats["Mean latency (ms)"] == "%.0f"
    assert formats["Win rate"] == formats["Accuracy"] == formats["Error rate"] == "percent"
    assert formats["Cost per task (USD)"] == formats["Cost per correct answer (USD)"] == "$%.6f"
    assert formats["Cost per task, no cache (USD)"] == "$%.6f"
    assert formats["Cost per task, batch (USD)"] == "$%.6f"
    assert formats["Monthly cost (USD)"] == "$%.2f"


def test_cost_from_says_when_the_cost_is_not_the_provider_s_own() -> None:
    from blindside.leaderboard.columns import COST_SOURCE

    def shown(**counts: int) -> str | None:
        row = MeasuredModel("m", ModelStats(**counts))
        return COST_SOURCE.value(row)

    assert shown(answers=20) == "provider"
    assert shown(answers=20, router_usage=12, estimated_usage=3) == "router 12/20, estimated 3/20"
    assert shown(answers=4, estimated_usage=4) == "estimated 4/4"
    assert shown(answers=6, imported_usage=2) == "imported 2/6"
    assert shown() is None

    from blindside.leaderboard.views import cost_source_note

    rows = [
        MeasuredModel("Own", ModelStats(answers=5)),
        MeasuredModel("Routed", ModelStats(answers=5, router_usage=5)),
        MeasuredModel("Imported", ModelStats(answers=5, imported_usage=5)),
    ]
    note = cost_source_note(rows)
    assert note is not None and note.endswith("Routed: router 5/5; Imported: imported 5/5.")
    assert "Own" not in note
    assert cost_source_note(rows[:1]) is None
    # The page's footnote is this one.
    from blindside.ui import decision_view

    assert decision_view.cost_source_note is cost_source_note

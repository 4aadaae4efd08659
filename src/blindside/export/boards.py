"""The leaderboard and the scores of a cut as CSV or JSON, with the cut written into the file.

A JSON file is one document: ``table`` (``leaderboard`` or ``scores``), ``cut`` (in words),
the fit's figures and ``models`` (the records ``blindside rank`` / ``scores --format json``
print). A CSV file has one row per model with the same columns, after a first ``cut``
column, so the selection travels with every row. A cut by rater names its raters by
pseudonym (:mod:`blindside.export.pseudonyms`), never by name.
"""

from __future__ import annotations

import csv
import json
from typing import Any, Literal, TextIO

from sqlalchemy.engine import Engine

from blindside.cuts import Cut
from blindside.export.pseudonyms import pseudonymous_cut
from blindside.leaderboard import views

__all__ = ["TABLES", "answer_cut", "table_document", "write_table"]

#: What besides votes can be exported.
TABLES = ("leaderboard", "scores")


def answer_cut(cut: Cut) -> Cut:
    """The parts of ``cut`` that choose answers (what scores cover)."""
    return Cut(tier=cut.tier, suite=cut.suite, category=cut.category, run_id=cut.run_id)


def table_document(
    engine: Engine, table: Literal["leaderboard", "scores"], cut: Cut, options: Any = None
) -> dict[str, Any]:
    """The JSON document of ``table`` for ``cut`` (``options``: the leaderboard's RankOptions)."""
    if table == "scores":
        from blindside.leaderboard.stats import measured_models

        scoped = answer_cut(cut)
        models = measured_models(engine, scoped)
        return {
            "table": "scores",
            "cut": scoped.describe(),
            "models": views.records(views.SCORES_RECORD, models),
        }
    if table != "leaderboard":
        raise ValueError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    from blindside.leaderboard.board import RankOptions, build_leaderboard

    board = build_leaderboard(engine, cut, options or RankOptions())
    return {
        "table": "leaderboard",
        "cut": pseudonymous_cut(engine, cut).describe(),
        "tier": board.tier,
        "votes": board.total_votes,
        "intervals": board.interval_method,
        "tie_model": board.tie_model,
        "left_advantage_elo": board.left_advantage_elo,
        "left_advantage_low": board.left_advantage_low,
        "left_advantage_high": board.left_advantage_high,
        "models": views.records(views.RANK_RECORD, board.rows),
        "warnings": board.warnings,
    }


def write_table(document: dict[str, Any], fmt: Literal["csv", "json"], out: TextIO) -> int:
    """Write a :func:`table_document` as JSON or CSV; returns how many models."""
    models = document["models"]
    if fmt == "json":
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return len(models)
    if fmt != "csv":
        raise ValueError(f"a {document['table']} is exported as csv or json, not {fmt!r}")
    fields = ["cut", *(models[0] if models else ())]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for record in models:
        writer.writerow({"cut": document["cut"], **record})
    return len(models)

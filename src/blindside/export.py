"""Labelled pairs for offline analysis: one record per vote, with both answers and their models.

A record says which model wrote which answer, so an export is for leads and
eval engineers, never for raters' browsers (blinding). ``model_a`` is the
answer shown on the **left**, ``model_b`` the one on the right, and ``winner``
uses LMArena's values (``model_a``, ``model_b``, ``tie``, ``tie (bothbad)``),
so ``blindside rank --votes export.jsonl`` ranks an export directly.

Records stream from one query in vote order: a million votes never sit in
memory at once.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from blindside.config import display_name
from blindside.cuts import Cut, vote_conditions
from blindside.tables import Model, Prompt, Rater, Response, Suite, Vote

__all__ = [
    "EXPORT_FIELDS",
    "WINNER_OF_CHOICE",
    "labelled_pairs",
    "write_export",
]

#: The arena ``winner`` of each vote choice, with ``model_a`` the left answer.
WINNER_OF_CHOICE = {
    "left": "model_a",
    "right": "model_b",
    "tie": "tie",
    "both_bad": "tie (bothbad)",
}

#: Every field of an exported record, in CSV column order.
EXPORT_FIELDS: tuple[str, ...] = (
    "vote_id",
    "created_at",
    "rater",
    "choice",
    "winner",
    "model_a",
    "model_b",
    "tier",
    "suite",
    "category",
    "prompt_id",
    "system",
    "prompt",
    "reference",
    "answer_a",
    "answer_b",
    "correct_a",
    "correct_b",
    "served_by_a",
    "served_by_b",
    "latency_ms_a",
    "latency_ms_b",
    "cost_usd_a",
    "cost_usd_b",
    "run_id",
    "fallback",
    "identity_leak",
    "flagged",
    "comment",
    "dwell_ms",
)

_ROWS_PER_FETCH = 1000


def _export_query(conn: Connection, cut: Cut) -> Select[Any]:
    left, right = aliased(Response), aliased(Response)
    model_a, model_b = aliased(Model), aliased(Model)
    return (
        select(
            Vote.id,
            Vote.created_at,
            Rater.name,
            Vote.choice,
            model_a.name,
            model_a.simulated,
            model_b.name,
            model_b.simulated,
            Vote.tier,
            Suite.name,
            Prompt.category,
            Prompt.external_id,
            Prompt.system,
            Prompt.text,
            Prompt.reference,
            left.text,
            right.text,
            left.correct,
            right.correct,
            left.served_by,
            right.served_by,
            left.latency_ms,
            right.latency_ms,
            left.cost_usd,
            right.cost_usd,
            Vote.run_id,
            Vote.fallback,
            Vote.identity_leak,
            Vote.flagged,
            Vote.comment,
            Vote.dwell_ms,
        )
        .join(Rater, Rater.id == Vote.rater_id)
        .join(left, left.id == Vote.left_response_id)
        .join(right, right.id == Vote.right_response_id)
        .join(model_a, model_a.id == Vote.left_model_id)
        .join(model_b, model_b.id == Vote.right_model_id)
        .join(Prompt, Prompt.id == Vote.prompt_id)
        .join(Suite, Suite.id == Prompt.suite_id)
        .where(*vote_conditions(conn, cut))
        .order_by(Vote.id)
    )


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def labelled_pairs(engine: Engine, cut: Cut | None = None) -> Iterator[dict[str, Any]]:
    """The votes of a cut as labelled pairs, oldest first.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes (every vote by default), as for a leaderboard.

    Yields
    ------
    dict
        One record per vote, keyed by :data:`EXPORT_FIELDS`. Demo models'
        names carry "(simulated)", as everywhere they are shown.
    """
    with engine.connect() as conn:
        query = _export_query(conn, cut or Cut())
        result = conn.execution_options(yield_per=_ROWS_PER_FETCH).execute(query)
        for vote_id, created_at, rater, choice, name_a, sim_a, name_b, sim_b, *rest in result:
            yield dict(
                zip(
                    EXPORT_FIELDS,
                    (
                        vote_id,
                        _iso(created_at),
                        rater,
                        choice,
                        WINNER_OF_CHOICE[choice],
                        display_name(name_a, simulated=sim_a),
                        display_name(name_b, simulated=sim_b),
                        *rest,
                    ),
                    strict=True,
                )
            )


@contextmanager
def _replaced_atomically(path: Path) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path``, then rename it into place.

    A failed export leaves the previous file (or none), never half a file.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write(records: Iterable[dict[str, Any]], out: TextIO, fmt: Literal["jsonl", "csv"]) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            count += 1
        return count
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_export(
    records: Iterable[dict[str, Any]],
    fmt: Literal["jsonl", "csv"],
    out: Path | TextIO,
) -> int:
    """Write records as JSON lines or CSV; returns how many.

    Parameters
    ----------
    records : iterable of dict
        From :func:`labelled_pairs`.
    fmt : {"jsonl", "csv"}
    out : Path or text stream
        A path is replaced atomically (written beside it, then renamed); a
        stream (stdout) is written as records arrive.
    """
    if isinstance(out, Path):
        with _replaced_atomically(out) as stream:
            return _write(records, stream, fmt)
    return _write(records, out, fmt)

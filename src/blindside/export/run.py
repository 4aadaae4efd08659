"""``export_votes``: the votes of a cut in one format, to a file or a stream; row counts.

What ``blindside export`` and the Export page call. Formats:

========== ======================================================== ===========
format     records                                                  file
========== ======================================================== ===========
jsonl      labelled pairs (:data:`~blindside.export.records.EXPORT_FIELDS`)  JSON lines
csv        labelled pairs                                           CSV
parquet    labelled pairs, typed columns, one row group per batch   Parquet
arena      LMArena battles (:data:`~blindside.export.formats.ARENA_FIELDS`)  JSON lines
preference prompt, chosen, rejected (:data:`~blindside.export.formats.PREFERENCE_FIELDS`) JSON lines
========== ======================================================== ===========
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from blindside.cuts import Cut, vote_conditions
from blindside.export.formats import (
    PREFERRED_CHOICES,
    arena_record,
    labelled_record,
    preference_record,
)
from blindside.export.records import EXPORT_FIELDS, labelled_batches, labelled_tables
from blindside.export.writers import replaced_atomically, write_csv, write_jsonl, write_parquet
from blindside.tables import Vote

__all__ = ["FORMATS", "Format", "export_bytes", "export_votes", "row_counts"]

Format = Literal["jsonl", "csv", "parquet", "arena", "preference"]

#: Every vote format, with its file suffix.
FORMATS: dict[str, str] = {
    "jsonl": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "arena": ".arena.jsonl",
    "preference": ".preference.jsonl",
}


def _rows(batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    for batch in batches:
        yield from batch


def _write(engine: Engine, cut: Cut, fmt: str, out: IO[Any], keep_ties: bool) -> int:
    if fmt == "parquet":
        return write_parquet(labelled_tables(engine, cut), out)
    if fmt == "arena":
        rows = _rows(labelled_batches(engine, cut, messages=True))
        return write_jsonl(map(arena_record, rows), out)
    if fmt == "preference":
        choices = None if keep_ties else PREFERRED_CHOICES
        rows = _rows(labelled_batches(engine, cut, choices=choices))
        return write_jsonl(map(preference_record, rows), out)
    records = map(labelled_record, _rows(labelled_batches(engine, cut)))
    if fmt == "csv":
        return write_csv(records, EXPORT_FIELDS, out)
    if fmt == "jsonl":
        return write_jsonl(records, out)
    raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")


def export_votes(
    engine: Engine,
    cut: Cut | None,
    fmt: Format | str,
    out: Path | IO[Any],
    *,
    keep_ties: bool = False,
) -> int:
    """Write the votes of ``cut`` in format ``fmt``; returns how many records.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes (every vote by default), as for a leaderboard.
    fmt : {"jsonl", "csv", "parquet", "arena", "preference"}
    out : Path or stream
        A path is replaced atomically; a stream is written as records arrive (text for
        every format but ``parquet``, which needs a binary stream).
    keep_ties : bool
        ``preference`` only: keep ties and "both bad" votes (``outcome`` says which).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    cut = cut or Cut()
    if isinstance(out, Path):
        with replaced_atomically(out, binary=fmt == "parquet") as stream:
            return _write(engine, cut, fmt, stream, keep_ties)
    return _write(engine, cut, fmt, out, keep_ties)


def export_bytes(
    engine: Engine, cut: Cut | None, fmt: Format | str, *, keep_ties: bool = False
) -> tuple[bytes, int]:
    """The file of :func:`export_votes` in memory (a page's download), and its record count."""
    buffer = io.BytesIO()
    if fmt == "parquet":
        count = export_votes(engine, cut, fmt, buffer, keep_ties=keep_ties)
        return buffer.getvalue(), count
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    count = export_votes(engine, cut, fmt, text, keep_ties=keep_ties)
    text.flush()
    return buffer.getvalue(), count


def row_counts(engine: Engine, cut: Cut | None = None) -> dict[str, int]:
    """How many records each format holds for ``cut`` (one GROUP BY, no texts read).

    ``preference`` counts only votes that name a better answer; with ties kept it
    holds as many as the others (``preference+ties``).
    """
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Vote.choice), func.count())
            .where(*vote_conditions(conn, cut or Cut()))
            .group_by(col(Vote.choice))
        ).all()
    by_choice = {choice: int(n) for choice, n in rows}
    votes = sum(by_choice.values())
    counts = {fmt: votes for fmt in FORMATS}
    counts["preference"] = sum(by_choice.get(c, 0) for c in PREFERRED_CHOICES)
    counts["preference+ties"] = votes
    return counts

"""Writing records: JSON lines, CSV and Parquet, each to a path replaced atomically or a stream.

A path is written beside itself and renamed into place, so a failed export leaves the
previous file (or none), never half a file. Parquet is written one row group per batch
(:data:`~blindside.export.records.BATCH_ROWS` rows), so memory stays flat however many
votes there are.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

__all__ = ["replaced_atomically", "write_csv", "write_jsonl", "write_parquet"]


@contextmanager
def replaced_atomically(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path``, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if binary:
            with os.fdopen(handle, "wb") as out:
                yield out
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_jsonl(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One JSON object per line (UTF-8, not ASCII-escaped); returns how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], fields: tuple[str, ...], out: TextIO) -> int:
    """A header of ``fields``, then one row per record; returns how many."""
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(record)
        count += 1
    return count


def write_parquet(tables: Iterable[Any], out: BinaryIO) -> int:
    """Arrow tables as Parquet, one row group per table (zstd); returns how many rows.

    Parameters
    ----------
    tables : iterable of pyarrow.Table
        From :func:`~blindside.export.records.labelled_tables` (its dictionary-coded texts
        become Parquet dictionary pages as they are).
    out : binary stream

    The file's columns are :func:`~blindside.export.records.export_schema`'s: the Arrow
    schema of the batches is not stored, so a reader sees the coded texts as plain strings.
    """
    import pyarrow.parquet as pq

    from blindside.export.records import batch_schema

    schema = batch_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd", store_schema=False) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            count += table.num_rows
        if count == 0:  # an empty selection still gives a readable file with its columns
            writer.write_table(schema.empty_table())
    return count

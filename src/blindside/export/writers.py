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

__all__ = ["parquet_schema", "replaced_atomically", "write_csv", "write_jsonl", "write_parquet"]


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


def parquet_schema() -> Any:
    """The Parquet schema of a labelled pair (:data:`~blindside.export.records.EXPORT_FIELDS`)."""
    import pyarrow as pa

    text, integer, flag, number = pa.string(), pa.int64(), pa.bool_(), pa.float64()
    return pa.schema(
        [
            ("vote_id", integer),
            ("impression_id", integer),
            ("created_at", pa.timestamp("ms", tz="UTC")),
            ("rater", text),
            ("choice", text),
            ("winner", text),
            ("model_a", text),
            ("model_b", text),
            ("left_model", text),
            ("tier", integer),
            ("suite", text),
            ("category", text),
            ("prompt_id", text),
            ("system", text),
            ("prompt", text),
            ("reference", text),
            ("answer_a", text),
            ("answer_b", text),
            ("correct_a", flag),
            ("correct_b", flag),
            ("served_by_a", text),
            ("served_by_b", text),
            ("latency_ms_a", number),
            ("latency_ms_b", number),
            ("cost_usd_a", number),
            ("cost_usd_b", number),
            ("run_id", integer),
            ("fallback", flag),
            ("identity_leak", flag),
            ("flagged", flag),
            ("comment", text),
            ("dwell_ms", integer),
        ]
    )


def write_parquet(batches: Iterable[list[tuple[Any, ...]]], out: BinaryIO) -> int:
    """Labelled-pair tuples as Parquet, one row group per batch (zstd); returns how many.

    Parameters
    ----------
    batches : iterable of list of tuple
        From :func:`~blindside.export.records.labelled_batches`.
    out : binary stream
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in batches:
            if not batch:
                continue
            columns = list(zip(*batch, strict=True))
            arrays = [
                pa.array(values, type=field.type)
                for values, field in zip(columns, schema, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(batch)
        if count == 0:  # an empty selection still gives a readable file with its columns
            writer.write_table(schema.empty_table())
    return count

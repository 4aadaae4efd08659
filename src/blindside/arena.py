"""Read vote files (LMArena's format, or blindside's own exports) for ``rank --votes``.

One record per battle with at least::

    {"model_a": "gpt-4o", "model_b": "claude-3-5-sonnet", "winner": "model_a"}

``winner`` is one of ``model_a``, ``model_b``, ``tie`` or ``tie (bothbad)``. Other fields
(``question_id``, ``judge``, ``language``, ...) are ignored. Files may be:

- JSON lines (one object per line, blank lines allowed) or one JSON array of objects, as
  LMArena publishes both;
- CSV with a header row (blindside's ``export --format csv``);
- Parquet (``export --format parquet``; by the ``.parquet`` / ``.pq`` suffix or the file's
  magic bytes), read in row batches.

**Screen position.** When the file has a ``left_model`` field (every blindside export
does), each record must name ``model_a`` or ``model_b`` there, and the battles come back
oriented by screen side (``position_known=True``): the fit estimates the left-side
advantage as it does from the database. Without the field, the battles are folded onto
unordered pairs (``position_known=False``) and no position term is fitted; the
leaderboard says so.

Every bad record is reported with its file, line (or Parquet row) and field in one
:class:`~blindside.errors.InputError`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from blindside.errors import InputError, Problem
from blindside.ranking.battles import Battles

__all__ = ["POSITION_FIELD", "WINNERS", "read_arena_battles"]

# Column of each outcome in a pair's (a wins, b wins, ties) counts: rankings count
# "both bad" as a tie.
WINNERS = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 2}
#: The field that names the model shown on the left.
POSITION_FIELD = "left_model"
# Enough to show the pattern of a broken file without flooding the terminal.
MAX_PROBLEMS = 20
_FIELDS = ("model_a", "model_b", "winner", POSITION_FIELD)
_PARQUET_MAGIC = b"PAR1"

# Python's decoder recurses once per level: deeper than its limit is an error to report.
_TOO_DEEP = "nested too deeply"


def _json_array(text: str) -> Iterator[tuple[int, Any]]:
    """(1-based line, decoded value) of each element of a JSON array."""
    stripped = text.lstrip()
    decoder = json.JSONDecoder()
    pos = len(text) - len(stripped) + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            yield (
                text.count("\n", 0, pos) + 1,
                json.JSONDecodeError("unterminated array", text, pos),
            )
            return
        if text[pos] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield text.count("\n", 0, exc.pos) + 1, exc
            return
        except RecursionError:
            yield line, json.JSONDecodeError(_TOO_DEEP, text, pos)
            return
        yield line, value


def _json_records(path: Path) -> Iterator[tuple[int, Any]]:
    """JSON lines, streamed line by line, or a JSON array (read whole)."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096)
        if head.lstrip().startswith("["):
            yield from _json_array(head + handle.read())
            return
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc
                except RecursionError:
                    yield number, json.JSONDecodeError(_TOO_DEEP, line, 0)


def _csv_records(path: Path) -> Iterator[tuple[int, Any]]:
    """Rows of a CSV file with a header, as dicts, with the line each row starts on."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        start = reader.line_num + 2  # the line after the header
        for row in reader:
            yield start, {k: (v if v != "" else None) for k, v in row.items() if k is not None}
            start = reader.line_num + 1


def _parquet_records(path: Path) -> Iterator[tuple[int, Any]]:
    """Rows of a Parquet file (only the fields a ranking reads), numbered from 1."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise InputError.single(
            str(path), None, "", f"not a readable Parquet file: {exc}"
        ) from None
    columns = [name for name in _FIELDS if name in parquet.schema_arrow.names]
    number = 0
    for batch in parquet.iter_batches(batch_size=65_536, columns=columns):
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    with path.open("rb") as handle:
        return "parquet" if handle.read(4) == _PARQUET_MAGIC else "json"


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    kind = _kind(path)
    if kind == "parquet":
        return _parquet_records(path)
    if kind == "csv":
        return _csv_records(path)
    return _json_records(path)


def _problems_of(file: str, line: int, record: Any, positioned: bool) -> list[Problem]:
    """What is wrong with one record (empty when nothing is)."""
    if isinstance(record, json.JSONDecodeError):
        return [Problem(file, line, "", f"not valid JSON: {record.msg}")]
    if not isinstance(record, dict):
        return [Problem(file, line, "", "a battle must be a JSON object")]
    problems = []
    for name in ("model_a", "model_b"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(file, line, name, "must be a non-empty model name"))
    winner = record.get("winner")
    if winner not in WINNERS:
        got = json.dumps(winner)
        problems.append(
            Problem(file, line, "winner", f"must be one of {', '.join(WINNERS)}, got {got}")
        )
    if problems:
        return problems
    a, b = record["model_a"].strip(), record["model_b"].strip()
    if a == b:
        return [Problem(file, line, "model_b", f"same model on both sides ({a})")]
    if positioned:
        left = record.get(POSITION_FIELD)
        if not isinstance(left, str) or left.strip() not in (a, b):
            return [
                Problem(
                    file,
                    line,
                    POSITION_FIELD,
                    f"must name the model shown on the left, {json.dumps(a)} or "
                    f"{json.dumps(b)}, got {json.dumps(left)}",
                )
            ]
    return []


def read_arena_battles(path: str | Path) -> Battles:
    """Read and aggregate a vote file.

    Parameters
    ----------
    path : str or Path
        JSON lines, a JSON array, CSV or Parquet, one battle per record.

    Returns
    -------
    Battles
        With a ``left_model`` field: oriented by screen side, one row per (left, right)
        pair, ``position_known=True``. Without it: one row per pair of models (the first
        by name as ``left``), ``position_known=False``. ``labels`` are the model names
        sorted, which the indices point into.

    Raises
    ------
    InputError
        For an unreadable file or any bad record (file:line:field for each).
    """
    file = str(path)
    problems: list[Problem] = []
    # (left or first, right or second) -> (left/first wins, right/second wins, ties).
    cells: dict[tuple[str, str], list[int]] = {}
    positioned: bool | None = None
    try:
        for line, record in _records(Path(path)):
            if len(problems) >= MAX_PROBLEMS:
                break
            if positioned is None and isinstance(record, dict):
                # The first record decides: a file either records the screen side or not.
                positioned = record.get(POSITION_FIELD) is not None
            if found := _problems_of(file, line, record, bool(positioned)):
                problems.extend(found)
                continue
            a, b = record["model_a"].strip(), record["model_b"].strip()
            outcome = WINNERS[record["winner"]]
            # With a screen side: model_b was on the left. Without: fold onto name order.
            swap = record[POSITION_FIELD].strip() == b if positioned else b < a
            if swap:
                a, b = b, a
                if outcome < 2:  # a win changes sides with its model; a tie stays
                    outcome = 1 - outcome
            cells.setdefault((a, b), [0, 0, 0])[outcome] += 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError.single(file, None, "", f"cannot read: {exc}") from exc
    if problems:
        raise InputError(problems)
    names = sorted({n for pair in cells for n in pair})
    index = {n: i for i, n in enumerate(names)}
    keys = sorted(cells)
    table = np.array([cells[k] for k in keys], dtype=np.int64).reshape(-1, 3)
    return Battles(
        len(names),
        np.array([index[a] for a, _ in keys], dtype=np.int64),
        np.array([index[b] for _, b in keys], dtype=np.int64),
        table[:, 0],
        table[:, 1],
        table[:, 2],
        position_known=bool(positioned),
        labels=tuple(names),
    )

"""Reading an import file record by record: JSON lines or CSV, streamed, with line numbers.

A record is a dict of the fields of one line (JSONL) or one row (CSV) and the
1-based line it starts on. What cannot be read as a record (bad JSON, a row
with the wrong number of cells, bytes that are not UTF-8) comes out as a
:class:`~blindside.errors.Problem` in its place, so a caller collects every
problem of a file in one pass. Nothing is read ahead: a file of any size goes
through in the memory of one record.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from blindside.errors import InputError, Problem
from blindside.json_values import json_kind, strict_loads

__all__ = ["MAX_PROBLEMS", "FileFormat", "Record", "file_format", "read_records"]

FileFormat = Literal["jsonl", "csv"]

#: Problems listed before an import stops looking: enough to show a broken file's pattern.
MAX_PROBLEMS = 50

# Answers are long: the csv module refuses a cell over 128 KiB by default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Record:
    """One line of a JSONL file or one row of a CSV file.

    Attributes
    ----------
    line : int
        1-based line the record starts on.
    values : dict
        Its fields. A CSV row's empty cells are left out, so an empty cell is an
        absent field, and every value is a string.
    from_csv : bool
        True for a CSV row (numbers arrive as text and are parsed by the caller).
    """

    line: int
    values: dict[str, Any]
    from_csv: bool = False


def file_format(path: str | Path, given: str | None) -> FileFormat:
    """The format named by ``--format``, else the file's extension (``.csv``; JSONL otherwise)."""
    if given in ("jsonl", "csv"):
        return given  # type: ignore[return-value]
    return "csv" if Path(path).suffix.lower() == ".csv" else "jsonl"


def _open(path: Path, newline: str) -> Any:
    file = str(path)
    if not path.exists():
        raise InputError.single(file, None, "", "file not found")
    if path.is_dir():
        raise InputError.single(file, None, "", "is a directory, not a file")
    try:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first field name.
        return path.open(encoding="utf-8-sig", newline=newline)
    except OSError as exc:
        raise InputError.single(file, None, "", f"cannot read file: {exc.strerror}") from None


def read_records(path: str | Path, fmt: FileFormat) -> Iterator[Record | Problem]:
    """The records of a file, in file order, with a problem in place of each unreadable one.

    Raises
    ------
    InputError
        When the file cannot be opened at all (missing, a directory, unreadable).
    """
    path = Path(path)
    if fmt == "csv":
        return _csv_records(path)
    return _jsonl_records(path)


def _jsonl_records(path: Path) -> Iterator[Record | Problem]:
    file = str(path)
    # newline="\n": only "\n" ends a line; JSON strings may hold U+2028 and "\r" is stripped.
    with _open(path, "\n") as stream:
        lineno = 0
        while True:
            try:
                raw = stream.readline()
            except UnicodeDecodeError as exc:
                reason = f"not valid UTF-8 ({exc.reason}); save the file as UTF-8"
                yield Problem(file, lineno + 1, "", reason)
                return
            if not raw:
                return
            lineno += 1
            if not raw.strip():
                continue
            duplicate_keys: list[str] = []
            try:
                value = strict_loads(raw.rstrip("\r\n"), duplicate_keys)
            except json.JSONDecodeError as exc:
                yield Problem(file, lineno, "", f"not valid JSON: {exc.msg} (column {exc.colno})")
                continue
            except ValueError as exc:
                yield Problem(file, lineno, "", f"not valid JSON: {exc}")
                continue
            if duplicate_keys:
                yield Problem(file, lineno, duplicate_keys[0], "key appears twice; keep only one")
                continue
            if not isinstance(value, dict):
                yield Problem(file, lineno, "", f"must be a JSON object, got {json_kind(value)}")
                continue
            yield Record(lineno, value)


def _csv_records(path: Path) -> Iterator[Record | Problem]:
    file = str(path)
    with _open(path, "") as stream:
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
            if header is None:
                yield Problem(file, None, "", "the file is empty; the first row names the columns")
                return
            names = [name.strip() for name in header]
            seen: set[str] = set()
            for name in names:
                if not name:
                    yield Problem(file, 1, "", "a column has no name in the header row")
                elif name in seen:
                    yield Problem(file, 1, name, "column appears twice in the header row")
                seen.add(name)
            if len(seen) != len(names) or "" in seen:
                return
            start = reader.line_num + 1
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(names):
                    yield Problem(
                        file, line, "", f"has {len(row)} cells; the header names {len(names)}"
                    )
                    continue
                values = {name: cell for name, cell in zip(names, row, strict=True) if cell != ""}
                yield Record(line, values, from_csv=True)
        except UnicodeDecodeError as exc:
            yield Problem(file, reader.line_num + 1, "", f"not valid UTF-8 ({exc.reason})")
        except csv.Error as exc:
            yield Problem(file, reader.line_num, "", f"not valid CSV: {exc}")

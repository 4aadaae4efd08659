"""Checking the fields of one import record, every problem named by file, line and field."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Collection
from typing import Any

from blindside.errors import Problem
from blindside.imports.records import Record
from blindside.json_values import json_kind, show, strict_loads

__all__ = ["Fields"]


class Fields:
    """The checked fields of one record; :attr:`problems` holds what was wrong.

    Parameters
    ----------
    file : str
        The file as problems name it.
    record : Record
        The record whose fields are read. CSV cells are text, so numbers and JSON
        values in a CSV row are parsed from their text.
    """

    def __init__(self, file: str, record: Record) -> None:
        self.file = file
        self.record = record
        self.problems: list[Problem] = []

    def report(self, field: str, message: str) -> None:
        """Add a problem about ``field`` of this record."""
        self.problems.append(Problem(self.file, self.record.line, field, message))

    def has(self, name: str) -> bool:
        return self.record.values.get(name) is not None

    def unknown(self, known: Collection[str], hints: dict[str, str] | None = None) -> None:
        """Report every field not in ``known`` (a typo would silently drop a measurement)."""
        for key in self.record.values:
            if key in known:
                continue
            if hints and key in hints:
                self.report(key, hints[key])
                continue
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
            self.report(key, f"unknown field{hint}")

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        """A non-blank string field (``default`` when absent)."""
        value = self.record.values.get(name)
        if value is None:
            if required and default is None:
                self.report(name, "required field is missing")
            return default
        if not isinstance(value, str):
            self.report(name, f"must be a string, got {json_kind(value)}")
            return None
        if not value.strip():
            self.report(name, "must not be empty")
            return None
        return value

    def number(self, name: str) -> float | None:
        """A finite number of at least 0, or None when absent (never 0 for "not measured")."""
        value = self.record.values.get(name)
        if value is None:
            return None
        if self.record.from_csv and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                self.report(name, f"must be a number, got {show(value)}")
                return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.report(name, f"must be a number, got {json_kind(value)}")
            return None
        if not math.isfinite(value) or value < 0:
            self.report(name, f"must be a number of at least 0, got {show(value)}")
            return None
        return float(value)

    def count(self, name: str, *, default: int | None = None) -> int | None:
        """A whole number of at least 0 (``default`` when absent)."""
        value = self.record.values.get(name)
        if value is None:
            return default
        if self.record.from_csv and isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.report(name, f"must be a whole number of at least 0, got {show(value)}")
            return None
        return value

    def json_value(self, name: str) -> Any:
        """A field that holds JSON (a CSV cell holds its JSON text); None when absent."""
        value = self.record.values.get(name)
        if value is None or not self.record.from_csv:
            return value
        try:
            return strict_loads(value)
        except ValueError as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            self.report(name, f"must be JSON in this CSV cell: {message}")
            return None

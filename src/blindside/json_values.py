"""Strict JSON for user files, and JSON values as validation messages show them.

Shared by suite validation (:mod:`blindside.suites`) and scorer validation
(:mod:`blindside.scorers`), so every "got ..." in a message reads the same.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["duplicates", "json_kind", "show", "strict_loads"]


def strict_loads(raw: str, duplicate_keys: list[str] | None = None) -> Any:
    """``json.loads`` that rejects NaN/Infinity and records duplicate keys.

    Parameters
    ----------
    raw : str
        One JSON document.
    duplicate_keys : list of str, optional
        Receives every key that appears twice in one object (json keeps the
        last value silently, so the first is lost).

    Raises
    ------
    ValueError
        ``json.JSONDecodeError`` for bad JSON; a plain ValueError for NaN or Infinity,
        or for arrays and objects nested deeper than Python's recursion limit.
    """

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out and duplicate_keys is not None:
                duplicate_keys.append(key)
            out[key] = value
        return out

    def constant(name: str) -> Any:
        # Python accepts these but they are not JSON, and the DB's JSON
        # columns cannot store them.
        raise ValueError(f"{name} is not allowed in JSON")

    try:
        return json.loads(raw, object_pairs_hook=pairs, parse_constant=constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def duplicates(items: list[str]) -> list[str]:
    """The items listed more than once, each once, in order of first repeat."""
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


def json_kind(value: Any) -> str:
    """Name the JSON type of a value, for "got ..." messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def show(value: Any, limit: int = 60) -> str:
    """Render a value as JSON, shortened, for messages."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."

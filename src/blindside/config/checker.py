"""Collecting problems and checking typed values of one TOML file.

A :class:`Checker` records every problem it finds and answers with a default,
so validation goes on and the user sees all problems of a file in one pass.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from blindside.config.locator import Locator
from blindside.errors import Problem

# Checked in order: bool before int, because bool is an int subclass.
_TOML_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
    ((datetime, date, time), "a date/time"),
)

#: What a problem says about an API key written in a file.
NO_API_KEYS = (
    "API keys must not be written in models.toml; put the key in an environment variable "
    "and name it in api_key_env"
)


def toml_type(value: object) -> str:
    """How a TOML value's type reads in a message: ``"a boolean"``, ``"an array"``, ..."""
    return next(
        (name for kind, name in _TOML_TYPES if isinstance(value, kind)), type(value).__name__
    )


def is_number(value: object) -> bool:
    """True for a TOML integer or float (never a boolean)."""
    # bool is an int subclass in Python but never a number in a config file
    return isinstance(value, int | float) and not isinstance(value, bool)


class Checker:
    """Collects problems for one file.

    Parameters
    ----------
    file : str
        Path to name in problems.
    locator : Locator
        Finds the lines of the file's tables and keys.
    """

    def __init__(self, file: str, locator: Locator) -> None:
        self.file = file
        self.loc = locator
        self.problems: list[Problem] = []

    def add(self, line: int | None, field_: str, message: str) -> None:
        """Record one problem at ``line`` (None: the whole file)."""
        self.problems.append(Problem(self.file, line, field_, message))

    def number(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: float | None,
        where: str,
        line: int | None,
        *,
        integer: bool = False,
        minimum: float | None = None,
        above: float | None = None,
        below: float | None = None,
        field_: str | None = None,
    ) -> Any:
        """A checked number from ``raw[key]`` (``default`` when absent); records problems."""
        value = raw.get(key, default)
        name = field_ or key
        if value is None:
            return None
        kind = "an integer" if integer else "a number"
        ok_type = (
            isinstance(value, int) and not isinstance(value, bool) if integer else is_number(value)
        )
        if not ok_type:
            self.add(line, name, f"{where}: '{name}' must be {kind}, got {toml_type(value)}")
            return default
        bounds = []
        if minimum is not None and not value >= minimum:
            bounds.append(f">= {minimum:g}")
        if above is not None and not value > above:
            bounds.append(f"> {above:g}")
        if below is not None and not value < below:
            bounds.append(f"< {below:g}")
        if bounds or not math.isfinite(value):
            need = " and ".join(bounds) or "finite"
            self.add(line, name, f"{where}: '{name}' must be {need}, got {value}")
            return default
        return value

    def boolean(
        self, raw: Mapping[str, Any], key: str, default: bool, where: str, line: int | None
    ) -> bool:
        """A checked boolean from ``raw[key]`` (``default`` when absent); records problems."""
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(line, key, f"{where}: '{key}' must be true or false, got {toml_type(value)}")
            return default
        return value

    def unknown_keys(
        self,
        raw: Mapping[str, Any],
        allowed: tuple[str, ...],
        where: str,
        line_of: Any,
        prefix: str = "",
    ) -> None:
        """Record each key of ``raw`` outside ``allowed``, with the closest allowed one."""
        for key in raw:
            if key in allowed or key == "api_key":
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            self.add(
                line_of(key),
                prefix + key,
                f"{where}: unknown key '{prefix}{key}' (allowed: {', '.join(allowed)}){suggestion}",
            )


def label(kind: str, raw: Mapping[str, Any], index: int) -> str:
    """How messages name an entry: ``endpoint 'x'`` by its name, else ``model #3``."""
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        return f"{kind} '{name}'"
    return f"{kind} #{index + 1}"

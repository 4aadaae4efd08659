"""``blindside import prompts``: a JSONL or CSV file of prompts into a suite.

A prompt is valid here exactly when it is valid in a suite file: every record
goes through :func:`blindside.suites.lines.parse_line`, the one definition of a
valid prompt. A CSV file has the same columns as a suite line's fields; cells of
``messages``, ``scorer``, ``tools`` and ``meta`` hold JSON. The suite is written
by :func:`blindside.catalog.sync_suites`, in one transaction, keyed on the
prompt ``id``: importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from blindside.catalog import SyncReport, sync_suites
from blindside.errors import InputError, Problem
from blindside.imports.fields import Fields
from blindside.imports.records import MAX_PROBLEMS, Record, file_format, read_records
from blindside.json_values import show
from blindside.suites import PromptSpec, SuiteSpec
from blindside.suites.lines import parse_line

__all__ = ["PromptImport", "import_prompts", "read_prompts"]

# Suite-line fields that hold JSON rather than text (a CSV cell holds their JSON text).
_JSON_FIELDS = ("messages", "scorer", "tools", "meta")


@dataclass(frozen=True)
class PromptImport:
    """What ``import prompts`` did: the suite and the prompts created, updated, unchanged."""

    suite: str
    prompts: int
    report: SyncReport


def _line_object(file: str, record: Record) -> tuple[dict[str, Any], list[Problem]]:
    """The record as a suite line's object: CSV text turned into numbers and JSON."""
    if not record.from_csv:
        return record.values, []
    fields = Fields(file, record)
    values: dict[str, Any] = dict(record.values)
    tier = values.get("tier")
    if isinstance(tier, str) and tier.strip().isdigit():
        values["tier"] = int(tier.strip())
    for name in _JSON_FIELDS:
        if name in values:
            values[name] = fields.json_value(name)
    return values, fields.problems


def read_prompts(path: str | Path, *, fmt: str | None = None) -> list[PromptSpec]:
    """Read and validate every prompt of a file; raises :class:`InputError`, writes nothing.

    Parameters
    ----------
    path : str or Path
        JSON lines (suite lines) or CSV (a header row of suite fields).
    fmt : {"jsonl", "csv"}, optional
        The file's format; by default from its extension.

    Returns
    -------
    list of PromptSpec
        In file order.
    """
    file = str(path)
    problems: list[Problem] = []
    prompts: list[PromptSpec] = []
    first_line_of_id: dict[str, int] = {}
    for item in read_records(path, file_format(path, fmt)):
        if len(problems) >= MAX_PROBLEMS:
            break
        if isinstance(item, Problem):
            problems.append(item)
            continue
        values, line_problems = _line_object(file, item)
        if line_problems:
            problems.extend(line_problems)
            continue
        prompt, external_id, line_problems = parse_line(json.dumps(values), item.line, file)
        if external_id is not None:
            if external_id in first_line_of_id:
                line_problems.append(
                    Problem(
                        file,
                        item.line,
                        "id",
                        f"duplicate id {show(external_id)}: already used on line "
                        f"{first_line_of_id[external_id]}",
                    )
                )
            else:
                first_line_of_id[external_id] = item.line
        problems.extend(line_problems)
        if prompt is not None and not line_problems:
            prompts.append(prompt)
    if not problems and not prompts:
        problems.append(Problem(file, None, "", "the file has no prompts"))
    if problems:
        raise InputError(problems)
    return prompts


def import_prompts(
    engine: Engine, path: str | Path, *, suite: str | None = None, fmt: str | None = None
) -> PromptImport:
    """Validate a file of prompts, then add them to a suite (created if new) in one transaction.

    Parameters
    ----------
    engine : Engine
    path : str or Path
    suite : str, optional
        The suite the prompts join; by default the file's stem, as for suite files.
    fmt : {"jsonl", "csv"}, optional

    Raises
    ------
    InputError
        For any bad record (file:line:field each); nothing is written then.
    """
    path = Path(path)
    name = suite if suite is not None else path.stem
    if not name.strip():
        raise InputError.single("--suite", None, "", "the suite name must not be empty")
    prompts = read_prompts(path, fmt=fmt)
    report = sync_suites(engine, [SuiteSpec(name=name, path=path, prompts=tuple(prompts))])
    return PromptImport(suite=name, prompts=len(prompts), report=report)

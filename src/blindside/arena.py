"""Read battles in LMArena's format, so anyone can rank historic data.

One record per battle with at least::

    {"model_a": "gpt-4o", "model_b": "claude-3-5-sonnet", "winner": "model_a"}

``winner`` is one of ``model_a``, ``model_b``, ``tie`` or ``tie (bothbad)``.
Other fields (``question_id``, ``judge``, ``language``, ...) are ignored. The
file may hold JSON lines (one object per line, blank lines allowed) or one JSON
array of objects, as LMArena publishes both. Every bad record is reported with
its file, line and field in one :class:`~blindside.errors.InputError`.

Arena files do not say which answer was shown on the left, so the battles come
back unordered (``position_known=False``), one row per model pair, and a fit
does not estimate position bias from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from blindside.errors import InputError, Problem
from blindside.ranking.battles import Battles

# Column of each outcome in a pair's (a wins, b wins, ties) counts: rankings count
# "both bad" as a tie.
WINNERS = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 2}
# Enough to show the pattern of a broken file without flooding the terminal.
MAX_PROBLEMS = 20


# Python's decoder recurses once per level: deeper than its limit is an error to report.
_TOO_DEEP = "nested too deeply"


def _records(text: str) -> Iterator[tuple[int, Any]]:
    """(1-based line, decoded value) of each record, for JSON lines or a JSON array."""
    stripped = text.lstrip()
    if not stripped.startswith("["):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc
                except RecursionError:
                    yield number, json.JSONDecodeError(_TOO_DEEP, line, 0)
        return
    # A JSON array: decode element by element to know on which line each one starts.
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


def read_arena_battles(path: str | Path) -> Battles:
    """Read and aggregate an arena-format file.

    Parameters
    ----------
    path : str or Path
        JSON lines or a JSON array of battle records.

    Returns
    -------
    Battles
        Unordered: one row per pair of models (the first by name as ``a``),
        ``labels`` the model names sorted, which the indices point into.

    Raises
    ------
    InputError
        For an unreadable file or any bad record (file:line:field for each).
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(file, None, "", f"cannot read: {exc}") from exc
    problems: list[Problem] = []
    # (first, second) model name, in name order -> (first wins, second wins, ties).
    cells: dict[tuple[str, str], list[int]] = {}
    for line, record in _records(text):
        if len(problems) >= MAX_PROBLEMS:
            break
        if isinstance(record, json.JSONDecodeError):
            problems.append(Problem(file, line, "", f"not valid JSON: {record.msg}"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(file, line, "", "a battle must be a JSON object"))
            continue
        bad = False
        for name in ("model_a", "model_b"):
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(file, line, name, "must be a non-empty model name"))
                bad = True
        winner = record.get("winner")
        if winner not in WINNERS:
            problems.append(
                Problem(
                    file,
                    line,
                    "winner",
                    f"must be one of {', '.join(WINNERS)}, got {json.dumps(winner)}",
                )
            )
            bad = True
        if bad:
            continue
        a, b = record["model_a"].strip(), record["model_b"].strip()
        if a == b:
            problems.append(Problem(file, line, "model_b", f"same model on both sides ({a})"))
            continue
        outcome = WINNERS[winner]
        if b < a:  # the file's order is not a screen position: fold onto the pair
            a, b = b, a
            if outcome < 2:  # a win changes sides with its model; a tie stays
                outcome = 1 - outcome
        cells.setdefault((a, b), [0, 0, 0])[outcome] += 1
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
        position_known=False,
        labels=tuple(names),
    )

"""Prompt suites: load and validate JSONL files of tiered prompts.

A suite is a ``.jsonl`` file with one prompt (a JSON object) per line; the
suite name is the file stem. Every problem of every line is collected before
anything is raised, so a user fixes a file in one pass. The format is
documented in ``docs/prompt-suites.md``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blindside.errors import InputError, Problem

__all__ = [
    "PROMPT_FIELDS",
    "ROLES",
    "SCORER_TYPES",
    "TIERS",
    "PromptSpec",
    "SuiteSpec",
    "load_suite_dir",
    "load_suite_file",
    "parse_suite_text",
]

TIERS: tuple[int, ...] = (1, 2, 3)
"""Valid values of ``tier``: 1 high-stakes, 2 creative, 3 high-volume."""

ROLES: tuple[str, ...] = ("system", "user", "assistant")
"""Valid ``role`` values of an entry of ``messages``."""

SCORER_TYPES: dict[str, frozenset[str]] = {
    "exact": frozenset(),
    "contains": frozenset(),
    "regex": frozenset({"pattern"}),
    "numeric": frozenset({"tolerance"}),
    "json": frozenset({"fields"}),
    "label": frozenset({"labels"}),
}
"""Scorer types, each mapped to the keys it accepts besides ``type``."""

PROMPT_FIELDS: tuple[str, ...] = (
    "id",
    "tier",
    "category",
    "text",
    "messages",
    "system",
    "reference",
    "scorer",
    "tools",
    "meta",
)
"""Every field a prompt line may have."""

# OpenAI rejects other function names with a 400 at generation time; failing
# at load time instead points at the file and line.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

_Report = Callable[[str, str], None]


@dataclass(frozen=True)
class PromptSpec:
    """One validated prompt of a suite.

    Attributes
    ----------
    external_id : str
        The ``id`` of the line, unique within its suite.
    tier : int
        1 (high-stakes reasoning), 2 (creative) or 3 (high-volume).
    category : str
        Free-form category used to cut results, e.g. ``"contract_review"``.
    text : str or None
        The user prompt; None when ``messages`` is given.
    messages : tuple of dict or None
        A conversation of ``{"role", "content"}`` dicts ending with a user
        message; None when ``text`` is given.
    system : str or None
        System prompt sent before ``text`` or ``messages``.
    reference : str or None
        The expected answer (label, number, JSON document or model answer).
    scorer : dict or None
        Scorer definition, e.g. ``{"type": "numeric", "tolerance": 0.01}``.
    tools : list of dict or None
        OpenAI tool definitions, sent as given.
    meta : dict
        Free-form metadata (empty when absent).
    line : int
        1-based line of the prompt in its file.
    """

    external_id: str
    tier: int
    category: str
    text: str | None
    messages: tuple[dict[str, str], ...] | None
    system: str | None
    reference: str | None
    scorer: dict[str, Any] | None
    tools: list[dict[str, Any]] | None
    meta: dict[str, Any]
    line: int

    def chat_messages(self) -> list[dict[str, str]]:
        """Build the ``messages`` argument of ``chat.completions.create``.

        Returns
        -------
        list of dict
            The system prompt (if any) followed by ``text`` as a user message,
            or followed by a copy of ``messages``. Fresh dicts on every call,
            so callers may mutate them.
        """
        out: list[dict[str, str]] = []
        if self.system is not None:
            out.append({"role": "system", "content": self.system})
        if self.messages is None:
            out.append({"role": "user", "content": self.text if self.text is not None else ""})
        else:
            out.extend(dict(message) for message in self.messages)
        return out

    @property
    def display_text(self) -> str:
        """What a rater reads: ``text``, or the conversation as lines.

        Returns
        -------
        str
            ``text`` as is, or one ``"role: content"`` line per message. The
            ``system`` field is not included; pages may show it separately.
        """
        if self.messages is None:
            return self.text if self.text is not None else ""
        return "\n".join(f"{m['role']}: {m['content']}" for m in self.messages)


@dataclass(frozen=True)
class SuiteSpec:
    """A validated suite: its name, its file and its prompts in file order.

    Attributes
    ----------
    name : str
        Suite name (the file stem).
    path : pathlib.Path
        File the suite was read from.
    prompts : tuple of PromptSpec
        Prompts in file order; never empty.
    """

    name: str
    path: Path
    prompts: tuple[PromptSpec, ...]


def parse_suite_text(text: str, *, file: str, name: str) -> SuiteSpec:
    """Parse and validate the content of a suite file.

    Parameters
    ----------
    text : str
        Content of the file; one JSON object per line, blank lines skipped.
    file : str
        Path of the file as it should appear in problems (and in ``path``).
    name : str
        Name of the suite (by convention the file stem).

    Returns
    -------
    SuiteSpec
        The suite with its prompts in file order.

    Raises
    ------
    InputError
        With every problem of the file, each naming its line and field.
    """
    problems: list[Problem] = []
    prompts: list[PromptSpec] = []
    first_line_of_id: dict[str, int] = {}
    # Split on "\n" only: str.splitlines() also splits on U+2028 and friends,
    # which JSON allows inside strings, and would shift physical line numbers.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        prompt, external_id, line_problems = _parse_line(raw.rstrip("\r"), lineno, file)
        if external_id is not None:
            if external_id in first_line_of_id:
                first = first_line_of_id[external_id]
                line_problems.append(
                    Problem(
                        file,
                        lineno,
                        "id",
                        f"duplicate id {_show(external_id)}: already used on line {first}",
                    )
                )
            else:
                first_line_of_id[external_id] = lineno
        problems.extend(line_problems)
        if prompt is not None and not line_problems:
            prompts.append(prompt)
    if not problems and not prompts:
        problems.append(Problem(file, None, "", "suite has no prompts (the file is empty)"))
    if problems:
        raise InputError(problems)
    return SuiteSpec(name=name, path=Path(file), prompts=tuple(prompts))


def load_suite_file(path: str | Path) -> SuiteSpec:
    """Load and validate one suite file.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.jsonl`` file (UTF-8, an optional BOM is ignored).

    Returns
    -------
    SuiteSpec
        The suite, named after the file stem.

    Raises
    ------
    InputError
        If the file cannot be read, is not UTF-8, or has any invalid line.
    """
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError.single(file, None, "", "file not found") from None
    except OSError as exc:
        raise InputError.single(file, None, "", f"cannot read file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise InputError.single(
            file, line, "", f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
        ) from None
    return parse_suite_text(text, file=file, name=path.stem)


def load_suite_dir(directory: str | Path) -> list[SuiteSpec]:
    """Load and validate every ``*.jsonl`` suite of a directory.

    Parameters
    ----------
    directory : str or pathlib.Path
        Directory holding the suites; subdirectories and dot-files are ignored.

    Returns
    -------
    list of SuiteSpec
        One suite per file, sorted by suite name.

    Raises
    ------
    InputError
        With the problems of all files together, if any file is invalid, if
        the directory has no suite, or if two suite names differ only by case.
    """
    directory = Path(directory)
    if not directory.is_dir():
        reason = "is not a directory" if directory.exists() else "directory not found"
        raise InputError.single(str(directory), None, "", reason)
    # Dot-files are editor backups and lock files, not suites.
    paths = sorted(
        (p for p in directory.glob("*.jsonl") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.stem,
    )
    if not paths:
        raise InputError.single(
            str(directory), None, "", "no suite files (*.jsonl) in this directory"
        )
    suites: list[SuiteSpec] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            suite = load_suite_file(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        # A single glob cannot yield the same stem twice, but names differing
        # only by case would look like one suite on pages and on macOS/Windows.
        key = suite.name.casefold()
        if key in seen:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "",
                    f"suite name {_show(suite.name)} clashes with {seen[key]}; rename one file",
                )
            )
            continue
        seen[key] = path
        suites.append(suite)
    if problems:
        raise InputError(problems)
    return suites


# --------------------------------------------------------------------------
# One line


def _parse_line(
    raw: str, lineno: int, file: str
) -> tuple[PromptSpec | None, str | None, list[Problem]]:
    """Validate one non-blank line.

    Returns the prompt (None if the line has problems), the line's id if it
    is a usable string (for the duplicate check, even on a bad line), and the
    problems of the line.
    """
    problems: list[Problem] = []

    def report(field_name: str, message: str) -> None:
        problems.append(Problem(file, lineno, field_name, message))

    decoded, obj = _decode_json(raw, report)
    if not decoded:
        return None, None, problems
    if not isinstance(obj, dict):
        report("", f"must be a JSON object ({{...}}), got {_kind(obj)}")
        return None, None, problems

    for key in obj:
        if key not in PROMPT_FIELDS:
            report(key, _unknown_field_message(key, PROMPT_FIELDS))

    external_id = _check_nonempty_str(obj, "id", report, required=True)
    tier = _check_tier(obj, report)
    category = _check_nonempty_str(obj, "category", report, required=True)
    text, messages = _check_text_or_messages(obj, report)
    system = _check_nonempty_str(obj, "system", report, required=False)
    if system is not None and messages is not None and any(m["role"] == "system" for m in messages):
        report("system", "give the system prompt either here or as a system message, not both")
    reference = _check_nonempty_str(obj, "reference", report, required=False)
    scorer = obj.get("scorer")
    if scorer is not None:
        _check_scorer(scorer, reference, obj.get("reference") is not None, report)
    tools = obj.get("tools")
    if tools is not None:
        _check_tools(tools, report)
    meta = obj.get("meta")
    if meta is not None and not isinstance(meta, dict):
        report("meta", f"must be an object, got {_kind(meta)}")

    if problems:
        return None, external_id, problems
    # Every check passed, so the narrowings below hold.
    assert external_id is not None and tier is not None and category is not None
    prompt = PromptSpec(
        external_id=external_id,
        tier=tier,
        category=category,
        text=text,
        messages=messages,
        system=system,
        reference=reference,
        scorer=scorer,
        tools=tools,
        meta=meta if meta is not None else {},
        line=lineno,
    )
    return prompt, external_id, problems


def _decode_json(raw: str, report: _Report) -> tuple[bool, Any]:
    """Decode one line of strict JSON.

    Returns ``(True, value)``, or ``(False, None)`` after reporting why not;
    a flag, because ``null`` is a valid (if wrong) line.
    """
    duplicates: list[str] = []
    try:
        value = _strict_loads(raw, duplicates)
    except json.JSONDecodeError as exc:
        report("", f"not valid JSON: {exc.msg} (column {exc.colno})")
        return False, None
    except ValueError as exc:
        report("", f"not valid JSON: {exc}")
        return False, None
    for key in duplicates:
        # json keeps the last value silently; the first one is then lost.
        report(key, "key appears twice in the same JSON object; keep only one")
    return not duplicates, value


def _strict_loads(raw: str, duplicates: list[str] | None = None) -> Any:
    """``json.loads`` that rejects NaN/Infinity and records duplicate keys."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out and duplicates is not None:
                duplicates.append(key)
            out[key] = value
        return out

    def constant(name: str) -> Any:
        # Python accepts these but they are not JSON, and the DB's JSON
        # columns cannot store them.
        raise ValueError(f"{name} is not allowed in JSON")

    return json.loads(raw, object_pairs_hook=pairs, parse_constant=constant)


# --------------------------------------------------------------------------
# Fields


def _check_nonempty_str(
    obj: dict[str, Any], name: str, report: _Report, *, required: bool
) -> str | None:
    """Return ``obj[name]`` if it is a non-blank string, else report."""
    if name not in obj or (obj[name] is None and not required):
        if required:
            report(name, "required field is missing")
        return None
    value = obj[name]
    if not isinstance(value, str):
        hint = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            hint = f"; quote it: {_show(str(value))}"
        report(name, f"must be a string, got {_kind(value)}{hint}")
        return None
    if not value.strip():
        hint = "" if required else "; omit the field instead"
        report(name, f"must not be empty{hint}")
        return None
    return value


def _check_tier(obj: dict[str, Any], report: _Report) -> int | None:
    if "tier" not in obj:
        report("tier", "required field is missing; use 1, 2 or 3")
        return None
    tier = obj["tier"]
    # bool is an int subclass: true would otherwise pass as tier 1.
    if isinstance(tier, bool) or not isinstance(tier, int) or tier not in TIERS:
        report("tier", f"must be 1, 2 or 3, got {_show(tier)}")
        return None
    return tier


def _check_text_or_messages(
    obj: dict[str, Any], report: _Report
) -> tuple[str | None, tuple[dict[str, str], ...] | None]:
    has_text = obj.get("text") is not None
    has_messages = obj.get("messages") is not None
    if has_text and has_messages:
        report("text", "give either 'text' or 'messages', not both")
    if not has_text and not has_messages:
        report("text", "required field is missing; give 'text' (a string) or 'messages'")
        return None, None
    # required=True: the value is present, and "omit the field" is no fix here.
    text = _check_nonempty_str(obj, "text", report, required=True) if has_text else None
    messages = _check_messages(obj["messages"], report) if has_messages else None
    return text, messages


def _check_messages(value: Any, report: _Report) -> tuple[dict[str, str], ...] | None:
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else _kind(value)
        report("messages", f"must be a non-empty array of {{role, content}} objects, got {got}")
        return None
    ok = True
    for i, message in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            report(where, f"must be an object with 'role' and 'content', got {_kind(message)}")
            ok = False
            continue
        for key in message:
            if key not in ("role", "content"):
                report(f"{where}.{key}", "unknown field; a message has only 'role' and 'content'")
                ok = False
        role = message.get("role")
        if "role" not in message:
            report(f"{where}.role", "required field is missing")
            ok = False
        elif role not in ROLES:
            report(f"{where}.role", f"must be one of system, user, assistant, got {_show(role)}")
            ok = False
        ok = (
            _check_nonempty_str(message, "content", _prefixed(report, where), required=True)
            is not None
            and ok
        )
    last = value[-1]
    if isinstance(last, dict) and last.get("role") in ROLES and last.get("role") != "user":
        report(
            f"messages[{len(value) - 1}].role",
            "the last message must be from the user (the model answers it), "
            f"got {_show(last['role'])}",
        )
        ok = False
    if not ok:
        return None
    return tuple({"role": m["role"], "content": m["content"]} for m in value)


def _check_tools(value: Any, report: _Report) -> None:
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else _kind(value)
        report("tools", f"must be a non-empty array of tool definitions, got {got}")
        return
    first_index_of_name: dict[str, int] = {}
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            report(
                where,
                'must be an object like {"type": "function", "function": {"name": ...}}, '
                f"got {_kind(tool)}",
            )
            continue
        if "type" not in tool:
            report(f"{where}.type", 'required field is missing; use "function"')
        elif tool["type"] != "function":
            report(f"{where}.type", f'must be "function", got {_show(tool["type"])}')
        function = tool.get("function")
        if not isinstance(function, dict):
            got = "nothing" if "function" not in tool else _kind(function)
            report(f"{where}.function", f"must be an object with a 'name', got {got}")
            continue
        name = _check_nonempty_str(
            function, "name", _prefixed(report, f"{where}.function"), required=True
        )
        if name is None:
            continue
        if not _TOOL_NAME.fullmatch(name):
            report(
                f"{where}.function.name",
                f"must be 1-64 letters, digits, '_' or '-', got {_show(name)}",
            )
        elif name in first_index_of_name:
            report(
                f"{where}.function.name",
                f"duplicate tool name {_show(name)}: "
                f"already used by tools[{first_index_of_name[name]}]",
            )
        else:
            first_index_of_name[name] = i


# --------------------------------------------------------------------------
# Scorer


def _check_scorer(scorer: Any, reference: str | None, has_reference: bool, report: _Report) -> None:
    """Validate a scorer against the prompt's reference.

    ``reference`` is the validated reference (None if absent or invalid);
    ``has_reference`` says whether one was given at all, so an invalid one is
    reported once, not again as missing.
    """
    if not isinstance(scorer, dict):
        report("scorer", f'must be an object like {{"type": "exact"}}, got {_kind(scorer)}')
        return
    types = ", ".join(SCORER_TYPES)
    if "type" not in scorer:
        report("scorer.type", f"required field is missing; use one of {types}")
        return
    kind = scorer["type"]
    if not isinstance(kind, str) or kind not in SCORER_TYPES:
        report("scorer.type", f"must be one of {types}, got {_show(kind)}")
        return
    allowed = ("type", *sorted(SCORER_TYPES[kind]))
    for key in scorer:
        if key not in allowed:
            report(
                f"scorer.{key}",
                f"unknown for scorer '{kind}' (allowed: {', '.join(allowed)})",
            )
    if not has_reference:
        report("reference", f"required when a scorer is given (scorer type '{kind}')")
    if kind == "regex":
        _check_regex_scorer(scorer, report)
    elif kind == "numeric":
        _check_numeric_scorer(scorer, reference, report)
    elif kind == "json":
        _check_json_scorer(scorer, reference, report)
    elif kind == "label":
        _check_label_scorer(scorer, reference, report)


def _check_regex_scorer(scorer: dict[str, Any], report: _Report) -> None:
    if "pattern" not in scorer:
        report("scorer.pattern", "required for scorer 'regex'")
        return
    pattern = scorer["pattern"]
    if not isinstance(pattern, str) or not pattern:
        report("scorer.pattern", f"must be a non-empty string, got {_show(pattern)}")
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        report("scorer.pattern", f"does not compile: {exc}")


def _check_numeric_scorer(scorer: dict[str, Any], reference: str | None, report: _Report) -> None:
    if "tolerance" in scorer:
        tolerance = scorer["tolerance"]
        is_number = isinstance(tolerance, int | float) and not isinstance(tolerance, bool)
        if not is_number or not math.isfinite(tolerance) or tolerance < 0:
            report("scorer.tolerance", f"must be a number >= 0, got {_show(tolerance)}")
    if reference is not None and _parse_number(reference) is None:
        report(
            "reference",
            'must be a number for scorer \'numeric\' (e.g. "4000" or "-12.5"), '
            f"got {_show(reference)}",
        )


def _check_json_scorer(scorer: dict[str, Any], reference: str | None, report: _Report) -> None:
    document: dict[str, Any] | None = None
    if reference is not None:
        try:
            parsed = _strict_loads(reference)
        except ValueError as exc:
            # JSONDecodeError is a ValueError; its str() carries the position.
            report("reference", f"must be a JSON object for scorer 'json': {exc}")
        else:
            if isinstance(parsed, dict):
                document = parsed
            else:
                report("reference", f"must be a JSON object for scorer 'json', got {_kind(parsed)}")
    if "fields" not in scorer:
        return
    fields = scorer["fields"]
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f for f in fields)
    ):
        report("scorer.fields", f"must be a non-empty array of key names, got {_show(fields)}")
        return
    for name in _duplicates(fields):
        report("scorer.fields", f"lists {_show(name)} twice")
    if document is not None:
        missing = [name for name in fields if name not in document]
        if missing:
            report(
                "scorer.fields",
                f"{', '.join(_show(m) for m in missing)} not in the reference object "
                f"(its keys: {', '.join(document)})",
            )


def _check_label_scorer(scorer: dict[str, Any], reference: str | None, report: _Report) -> None:
    if "labels" not in scorer:
        report("scorer.labels", "required for scorer 'label' (the allowed answers)")
        return
    labels = scorer["labels"]
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(label, str) and label.strip() for label in labels)
    ):
        report(
            "scorer.labels", f"must be a non-empty array of non-empty strings, got {_show(labels)}"
        )
        return
    for label in _duplicates(labels):
        report("scorer.labels", f"lists {_show(label)} twice")
    if reference is not None and reference not in labels:
        report(
            "reference",
            f"must be one of the scorer labels {_show(labels)}, got {_show(reference)}",
        )


# --------------------------------------------------------------------------
# Helpers


def _parse_number(text: str) -> float | None:
    """Parse a plain finite decimal number, or return None."""
    # float() alone would accept "nan", "inf" and "1_000", which no scorer can
    # compare sensibly; thousands separators are rejected for the same reason.
    if not re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _duplicates(items: list[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


def _prefixed(report: _Report, prefix: str) -> _Report:
    """Report nested fields as ``prefix.field``."""

    def nested(field_name: str, message: str) -> None:
        report(f"{prefix}.{field_name}", message)

    return nested


def _unknown_field_message(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known fields: {', '.join(known)})"
    return f"unknown field{hint}"


def _kind(value: Any) -> str:
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


def _show(value: Any, limit: int = 60) -> str:
    """Render a value as JSON, shortened, for messages."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."

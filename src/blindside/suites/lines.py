"""Validating one line of a suite: decoding it and checking each field.

Problems are reported as they are found, each naming its line and field; the
scorer and the reference it needs are checked by :mod:`blindside.scorers`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import Any

from blindside.errors import Problem
from blindside.json_values import json_kind, show, strict_loads
from blindside.scorers.registry import validate_scorer
from blindside.suites.spec import PROMPT_FIELDS, ROLES, TIERS, PromptSpec

__all__ = ["parse_line"]

# OpenAI rejects other function names with a 400 at generation time; failing
# at load time instead points at the file and line.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

_Report = Callable[[str, str], None]


def parse_line(
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
        report("", f"must be a JSON object ({{...}}), got {json_kind(obj)}")
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
        has_reference = obj.get("reference") is not None
        for issue in validate_scorer(scorer, reference, has_reference=has_reference):
            report(issue.field, issue.message)
    tools = obj.get("tools")
    if tools is not None:
        _check_tools(tools, report)
    meta = obj.get("meta")
    if meta is not None and not isinstance(meta, dict):
        report("meta", f"must be an object, got {json_kind(meta)}")

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
    duplicate_keys: list[str] = []
    try:
        value = strict_loads(raw, duplicate_keys)
    except json.JSONDecodeError as exc:
        report("", f"not valid JSON: {exc.msg} (column {exc.colno})")
        return False, None
    except ValueError as exc:
        report("", f"not valid JSON: {exc}")
        return False, None
    for key in duplicate_keys:
        # json keeps the last value silently; the first one is then lost.
        report(key, "key appears twice in the same JSON object; keep only one")
    return not duplicate_keys, value


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
            hint = f"; quote it: {show(str(value))}"
        report(name, f"must be a string, got {json_kind(value)}{hint}")
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
        report("tier", f"must be 1, 2 or 3, got {show(tier)}")
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
        got = "an empty array" if value == [] else json_kind(value)
        report("messages", f"must be a non-empty array of {{role, content}} objects, got {got}")
        return None
    ok = True
    for i, message in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            report(where, f"must be an object with 'role' and 'content', got {json_kind(message)}")
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
            report(f"{where}.role", f"must be one of system, user, assistant, got {show(role)}")
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
            f"got {show(last['role'])}",
        )
        ok = False
    if not ok:
        return None
    return tuple({"role": m["role"], "content": m["content"]} for m in value)


def _check_tools(value: Any, report: _Report) -> None:
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else json_kind(value)
        report("tools", f"must be a non-empty array of tool definitions, got {got}")
        return
    first_index_of_name: dict[str, int] = {}
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            report(
                where,
                'must be an object like {"type": "function", "function": {"name": ...}}, '
                f"got {json_kind(tool)}",
            )
            continue
        if "type" not in tool:
            report(f"{where}.type", 'required field is missing; use "function"')
        elif tool["type"] != "function":
            report(f"{where}.type", f'must be "function", got {show(tool["type"])}')
        function = tool.get("function")
        if not isinstance(function, dict):
            got = "nothing" if "function" not in tool else json_kind(function)
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
                f"must be 1-64 letters, digits, '_' or '-', got {show(name)}",
            )
        elif name in first_index_of_name:
            report(
                f"{where}.function.name",
                f"duplicate tool name {show(name)}: "
                f"already used by tools[{first_index_of_name[name]}]",
            )
        else:
            first_index_of_name[name] = i


def _prefixed(report: _Report, prefix: str) -> _Report:
    """Report nested fields as ``prefix.field``."""

    def nested(field_name: str, message: str) -> None:
        report(f"{prefix}.{field_name}", message)

    return nested


def _unknown_field_message(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known fields: {', '.join(known)})"
    return f"unknown field{hint}"

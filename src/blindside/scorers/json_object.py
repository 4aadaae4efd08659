"""``json``: some JSON object in the answer equals the reference object on ``fields``.

The objects are found in prose and code fences; a tool-call answer's objects are
its calls' arguments. Numbers compare by value and strings normalised.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from blindside.json_values import duplicates, json_kind, show, strict_loads
from blindside.scorers.base import Issue, Score, Scorer
from blindside.scorers.consistency import json_key
from blindside.scorers.text import normalise

__all__ = ["JSON", "json_objects", "score", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """The reference is a JSON object; ``fields``, when given, are distinct keys of it."""
    issues = []
    document: dict[str, Any] | None = None
    if reference is not None:
        try:
            parsed = strict_loads(reference)
        except ValueError as exc:
            # JSONDecodeError is a ValueError; its str() carries the position.
            issues.append(Issue("reference", f"must be a JSON object for scorer 'json': {exc}"))
        else:
            if isinstance(parsed, dict):
                document = parsed
            else:
                issues.append(
                    Issue(
                        "reference",
                        f"must be a JSON object for scorer 'json', got {json_kind(parsed)}",
                    )
                )
    if "fields" not in params:
        return issues
    fields = params["fields"]
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f for f in fields)
    ):
        message = f"must be a non-empty array of key names, got {show(fields)}"
        return [*issues, Issue("scorer.fields", message)]
    issues += [Issue("scorer.fields", f"lists {show(name)} twice") for name in duplicates(fields)]
    if document is not None:
        missing = [name for name in fields if name not in document]
        if missing:
            issues.append(
                Issue(
                    "scorer.fields",
                    f"{', '.join(show(m) for m in missing)} not in the reference object "
                    f"(its keys: {', '.join(document)})",
                )
            )
    return issues


def score(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    """Pass when one of the answer's objects matches the reference on the compared fields.

    The key is the matching object on those fields; for a wrong answer, its last
    object on those fields, so two samples that return the same wrong figures
    count as consistent.
    """
    expected = json.loads(reference)
    fields = params.get("fields")
    names = list(fields) if fields else list(expected)
    objects = json_objects(answer)
    for obj in objects:
        if all(name in obj and _same_value(expected[name], obj[name]) for name in names):
            return Score(True, json_key({name: obj[name] for name in names}))
    if objects:
        last = objects[-1]
        return Score(False, json_key({name: last.get(name) for name in names}))
    return Score(False, "no json object")


def json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects in an answer, in order.

    A tool-call answer (stored as a JSON list of ``{"name", "arguments"}``)
    yields each call's decoded arguments. Otherwise every ``{`` starts an
    attempt to decode one object, so objects inside prose or a code fence are
    found; objects nested in a found one are not listed again.
    """
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            calls = json.loads(stripped)
        except ValueError:
            calls = None
        if isinstance(calls, list) and calls and all(_is_call(c) for c in calls):
            return [args for c in calls if isinstance(args := _call_arguments(c), dict)]
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)
    return found


def _is_call(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"name", "arguments"}


def _call_arguments(call: Mapping[str, Any]) -> Any:
    arguments = call["arguments"]
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return None
    return arguments


def _same_value(expected: Any, actual: Any) -> bool:
    """JSON values equal, strings compared normalised and numbers by value."""
    if isinstance(expected, str) and isinstance(actual, str):
        return normalise(expected) == normalise(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(_same_value, expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _same_value(expected[k], actual[k]) for k in expected
        )
    return bool(expected == actual)


JSON = Scorer(
    name="json", keys=frozenset({"fields"}), answer_kind="json", validate=validate, score=score
)

"""``regex``: the scorer's ``pattern`` matches somewhere in the answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from blindside.json_values import show
from blindside.scorers.base import Issue, Score, Scorer

__all__ = ["REGEX", "score", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """``pattern`` is a non-empty string that compiles."""
    if "pattern" not in params:
        return [Issue("scorer.pattern", "required for scorer 'regex'")]
    pattern = params["pattern"]
    if not isinstance(pattern, str) or not pattern:
        return [Issue("scorer.pattern", f"must be a non-empty string, got {show(pattern)}")]
    try:
        re.compile(pattern)
    except re.error as exc:
        return [Issue("scorer.pattern", f"does not compile: {exc}")]
    return []


def score(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    """Pass when ``re.search`` finds the pattern; the key is the outcome."""
    correct = re.search(params["pattern"], answer) is not None
    return Score(correct, "match" if correct else "no match")


REGEX = Scorer(
    name="regex", keys=frozenset({"pattern"}), answer_kind="text", validate=validate, score=score
)

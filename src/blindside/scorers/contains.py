"""``contains``: the normalised answer contains the normalised reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blindside.scorers.base import Issue, Score, Scorer
from blindside.scorers.text import normalise

__all__ = ["CONTAINS", "score", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """Any non-empty reference will do; ``contains`` has no params."""
    return []


def score(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    """Pass when the reference appears in the answer; the key is the outcome."""
    correct = normalise(reference) in normalise(answer)
    return Score(correct, "contains" if correct else "missing")


CONTAINS = Scorer(
    name="contains", keys=frozenset(), answer_kind="text", validate=validate, score=score
)

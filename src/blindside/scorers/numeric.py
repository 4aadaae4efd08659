"""``numeric``: the answer's number is within ``tolerance`` of the reference."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from blindside.json_values import show
from blindside.scorers.base import Issue, Score, Scorer
from blindside.scorers.consistency import number_key
from blindside.scorers.numbers import answer_numbers, parse_reference_number
from blindside.scorers.text import final_answer

__all__ = ["NUMERIC", "score", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """``tolerance``, when given, is a finite number >= 0; the reference is a plain number."""
    issues = []
    if "tolerance" in params:
        tolerance = params["tolerance"]
        is_number = isinstance(tolerance, int | float) and not isinstance(tolerance, bool)
        if not is_number or not math.isfinite(tolerance) or tolerance < 0:
            issues.append(
                Issue("scorer.tolerance", f"must be a number >= 0, got {show(tolerance)}")
            )
    if reference is not None and parse_reference_number(reference) is None:
        issues.append(
            Issue(
                "reference",
                'must be a number for scorer \'numeric\' (e.g. "4000" or "-12.5"), '
                f"got {show(reference)}",
            )
        )
    return issues


def score(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    """Pass when the last number of the final answer is close enough.

    When the final answer holds no number, the whole answer's last number counts.
    The key is that number.
    """
    numbers = answer_numbers(final_answer(answer)) or answer_numbers(answer)
    if not numbers:
        return Score(False, "no number")
    value = numbers[-1]
    tolerance = float(params.get("tolerance", 0.0))
    return Score(abs(value - float(reference)) <= tolerance + 1e-12, number_key(value))


NUMERIC = Scorer(
    name="numeric",
    keys=frozenset({"tolerance"}),
    answer_kind="number",
    validate=validate,
    score=score,
)

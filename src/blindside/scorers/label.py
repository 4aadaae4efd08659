"""``label``: the answer is one of a fixed set of labels, the reference's.

Compared as :mod:`~blindside.scorers.exact` compares; the labels are checked at load
time, so a reference outside them is caught before any answer is scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blindside.json_values import duplicates, show
from blindside.scorers.base import Issue, Scorer
from blindside.scorers.exact import score

__all__ = ["LABEL", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """``labels`` is a non-empty array of distinct strings that holds the reference."""
    if "labels" not in params:
        return [Issue("scorer.labels", "required for scorer 'label' (the allowed answers)")]
    labels = params["labels"]
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(label, str) and label.strip() for label in labels)
    ):
        return [
            Issue(
                "scorer.labels",
                f"must be a non-empty array of non-empty strings, got {show(labels)}",
            )
        ]
    issues = [Issue("scorer.labels", f"lists {show(label)} twice") for label in duplicates(labels)]
    if reference is not None and reference not in labels:
        issues.append(
            Issue(
                "reference",
                f"must be one of the scorer labels {show(labels)}, got {show(reference)}",
            )
        )
    return issues


LABEL = Scorer(
    name="label", keys=frozenset({"labels"}), answer_kind="label", validate=validate, score=score
)

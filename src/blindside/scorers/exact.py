"""``exact``: the final answer, without its wrapping, equals the reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blindside.scorers.base import Issue, Score, Scorer
from blindside.scorers.text import bare, final_answer

__all__ = ["EXACT", "score", "validate"]


def validate(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    """Any non-empty reference will do; ``exact`` has no params."""
    return []


def score(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    """Pass when the bare final answer, or the bare whole answer, is the bare reference.

    The answer key is the bare final answer (the reference when it passes).
    """
    said = bare(final_answer(answer))
    # A one-line answer is its own final answer; a bare whole answer also counts, so an
    # exact answer that spans lines (an address, a list) can pass.
    correct = said == bare(reference) or bare(answer) == bare(reference)
    return Score(correct, bare(reference) if correct else said)


EXACT = Scorer(name="exact", keys=frozenset(), answer_kind="text", validate=validate, score=score)

"""What a scorer is: its verdict on one answer, its problems with a definition, its parts.

A prompt's ``scorer`` is a JSON object, e.g. ``{"type": "numeric", "tolerance": 0.01}``;
its ``type`` names a :class:`Scorer` in :data:`blindside.scorers.registry.SCORERS`, and
its other keys are that scorer's *params*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["AnswerKind", "Issue", "Score", "Scorer"]


@dataclass(frozen=True)
class Score:
    """The automated score of one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer passes the prompt's scorer.
    answer_key : str
        The normalised answer, for comparing repeated samples.
    """

    correct: bool
    answer_key: str


@dataclass(frozen=True)
class Issue:
    """One problem of a scorer definition, before it is placed in a file and line.

    Attributes
    ----------
    field : str
        The offending field as a path: ``"scorer.pattern"``, ``"reference"``.
    message : str
        What is wrong, in words a user can act on.
    """

    field: str
    message: str


AnswerKind = Literal["text", "number", "label", "json"]
"""What a scorer compares in an answer: free ``"text"``, a ``"number"``, one of its
``labels`` (``"label"``), or a JSON object on its ``fields`` (``"json"``)."""


@dataclass(frozen=True)
class Scorer:
    """One scorer type: the keys it accepts, how it checks them and how it scores.

    Attributes
    ----------
    name : str
        The ``type`` that selects it in a suite.
    keys : frozenset of str
        The params it accepts besides ``type``.
    answer_kind : AnswerKind
        What it compares in an answer. Whoever writes answers for it (the demo
        provider's simulated models) reads this to write a right or a plausibly
        wrong one, so a new scorer needs no change there.
    validate : callable
        ``validate(params, reference)``: the problems of a definition, given the
        prompt's reference (None when absent or itself invalid). Unknown keys and a
        missing reference are checked by the registry, not here.
    score : callable
        ``score(answer, reference, params)``: the :class:`Score` of one answer.
        Params and reference have passed ``validate``.
    """

    name: str
    keys: frozenset[str]
    answer_kind: AnswerKind
    validate: Callable[[Mapping[str, Any], str | None], list[Issue]]
    score: Callable[[str, str, Mapping[str, Any]], Score]

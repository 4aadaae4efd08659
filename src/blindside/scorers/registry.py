"""The scorer types, by name: what suite validation, scoring and the demo all read.

Adding a scorer type is one new module that defines a :class:`~blindside.scorers.base.Scorer`,
and one line here (its import, then its name in the tuple). The tuple's order is the
order in which messages list the types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blindside.json_values import json_kind, show
from blindside.scorers.base import Issue, Score, Scorer
from blindside.scorers.contains import CONTAINS
from blindside.scorers.exact import EXACT
from blindside.scorers.json_object import JSON
from blindside.scorers.label import LABEL
from blindside.scorers.numeric import NUMERIC
from blindside.scorers.regex import REGEX

__all__ = ["SCORERS", "find_scorer", "score_answer", "validate_scorer"]

SCORERS: dict[str, Scorer] = {
    scorer.name: scorer for scorer in (EXACT, CONTAINS, REGEX, NUMERIC, JSON, LABEL)
}
"""Every scorer type, by the ``type`` that selects it."""


def validate_scorer(definition: Any, reference: str | None, *, has_reference: bool) -> list[Issue]:
    """The problems of a prompt's ``scorer`` and of its reference for that scorer.

    Parameters
    ----------
    definition : Any
        The ``scorer`` value of a prompt line, as decoded from JSON.
    reference : str or None
        The prompt's validated reference (None if absent or invalid).
    has_reference : bool
        Whether a reference was given at all, so an invalid one is reported
        once (by the caller), not again as missing.

    Returns
    -------
    list of Issue
        Empty when the scorer is valid.
    """
    if not isinstance(definition, dict):
        return [
            Issue(
                "scorer", f'must be an object like {{"type": "exact"}}, got {json_kind(definition)}'
            )
        ]
    types = ", ".join(SCORERS)
    if "type" not in definition:
        return [Issue("scorer.type", f"required field is missing; use one of {types}")]
    kind = definition["type"]
    if not isinstance(kind, str) or kind not in SCORERS:
        return [Issue("scorer.type", f"must be one of {types}, got {show(kind)}")]
    scorer = SCORERS[kind]
    allowed = ("type", *sorted(scorer.keys))
    issues = [
        Issue(f"scorer.{key}", f"unknown for scorer '{kind}' (allowed: {', '.join(allowed)})")
        for key in definition
        if key not in allowed
    ]
    if not has_reference:
        issues.append(Issue("reference", f"required when a scorer is given (scorer type '{kind}')"))
    return issues + scorer.validate(definition, reference)


def find_scorer(definition: Mapping[str, Any]) -> Scorer | None:
    """The registered scorer a definition's ``type`` names, or None.

    Parameters
    ----------
    definition : mapping
        A prompt's ``scorer``, validated or not.

    Returns
    -------
    Scorer or None
        None when ``type`` is missing, not a string, or not registered.
    """
    kind = definition.get("type")
    return SCORERS.get(kind) if isinstance(kind, str) else None


def score_answer(text: str, reference: str, scorer: Mapping[str, Any]) -> Score:
    """Score one answer against a prompt's reference.

    Parameters
    ----------
    text : str
        The answer (a tool-call answer as the engine stores it).
    reference : str
        The prompt's reference, as validated for ``scorer``.
    scorer : mapping
        The prompt's scorer: ``type`` and that type's params.

    Returns
    -------
    Score

    Raises
    ------
    ValueError
        For an unknown scorer type (suites are validated before they are stored).
    """
    found = find_scorer(scorer)
    if found is None:
        raise ValueError(f"unknown scorer type {scorer.get('type')!r}")
    return found.score(text, reference, scorer)

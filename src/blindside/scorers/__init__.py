"""Automated scores: each answer against its prompt's reference, and their aggregates.

A prompt's ``scorer`` says how an answer is compared with the ``reference``;
its ``type`` picks one scorer of :data:`SCORERS`, one module each:

exact, label
    The *final answer* (:func:`final_answer`), without its wrapping, equals the
    reference (:mod:`.exact`, :mod:`.label`).
contains
    The normalised answer contains the normalised reference (:mod:`.contains`).
regex
    The pattern matches somewhere in the answer (:mod:`.regex`).
numeric
    The last number of the final answer is within ``tolerance`` (:mod:`.numeric`).
json
    Some JSON object in the answer equals the reference on ``fields``
    (:mod:`.json_object`).

Every scored answer also gets an answer key for consistency (:mod:`.consistency`);
accuracies get a Wilson interval (:mod:`.intervals`), and human rankings a rank
correlation with them (:mod:`.correlation`). Everything here is pure: the engine
stores :func:`score_answer`'s result with each answer (:mod:`blindside.scorecard`)
and :mod:`blindside.leaderboard` aggregates the stored columns.
"""

from __future__ import annotations

from blindside.scorers.base import AnswerKind, Issue, Score, Scorer
from blindside.scorers.consistency import modal_share
from blindside.scorers.correlation import rank_correlation
from blindside.scorers.intervals import wilson_interval
from blindside.scorers.json_object import json_objects
from blindside.scorers.numbers import answer_numbers
from blindside.scorers.registry import SCORERS, find_scorer, score_answer, validate_scorer
from blindside.scorers.text import final_answer, normalise

__all__ = [
    "SCORERS",
    "AnswerKind",
    "Issue",
    "Score",
    "Scorer",
    "answer_numbers",
    "final_answer",
    "find_scorer",
    "json_objects",
    "modal_share",
    "normalise",
    "rank_correlation",
    "score_answer",
    "validate_scorer",
    "wilson_interval",
]

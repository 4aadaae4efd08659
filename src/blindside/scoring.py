"""Automated scores: each answer against its prompt's reference, then aggregates.

A prompt's ``scorer`` (validated by :mod:`blindside.suites`) says how an
answer is compared with the ``reference``:

exact, label
    The *final answer* (see :func:`final_answer`), normalised, equals the
    normalised reference.
contains
    The normalised answer contains the normalised reference.
regex
    The pattern matches somewhere in the answer (``re.search``).
numeric
    The last number of the final answer (or, when that line holds none, of the
    whole answer) is within ``tolerance`` of the reference.
json
    Some JSON object in the answer (or the arguments of a tool call) equals the
    reference on ``fields`` (all of the reference's keys by default).

Besides pass or fail, every scored answer gets an *answer key*: what the
model answered, normalised, so repeated samples can be compared for
consistency (:func:`modal_share`). For free-text scorers (``contains``,
``regex``) the key is the outcome itself, since two right summaries need not
share a word.

All functions are pure; the engine stores :func:`score_answer`'s result with
each answer, and :mod:`blindside.leaderboard` aggregates the stored columns.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Score",
    "answer_numbers",
    "final_answer",
    "json_objects",
    "modal_share",
    "normalise",
    "rank_correlation",
    "score_answer",
    "wilson_interval",
]

_WHITESPACE = re.compile(r"\s+")
# Wrapping that models add around a one-word answer: quotes, markdown emphasis, code ticks,
# and a closing full stop. Stripped from both ends before exact and label comparisons.
_WRAPPING = " \t\n\"'`*_.!:;,()[]"
_FINAL_MARKER = re.compile(r"final answer\s*(?:is)?\s*[:\-]?", re.IGNORECASE)
# A number as models write it: optional sign and currency, thousands separators, decimals,
# exponent. "1,194.50" -> 1194.5, "$-3" -> -3, "1e3" -> 1000.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


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


def normalise(text: str) -> str:
    """Lower-case, trim and collapse whitespace."""
    return _WHITESPACE.sub(" ", text).strip().lower()


def _bare(text: str) -> str:
    """Normalised, without the quotes, emphasis and punctuation wrapped around it."""
    return normalise(text).strip(_WRAPPING)


def final_answer(text: str) -> str:
    """The part of an answer that states the result.

    Reasoning models often explain first and answer last: the text after the
    last "Final answer:" marker when there is one, otherwise the last
    non-empty line.

    Parameters
    ----------
    text : str
        The whole answer.

    Returns
    -------
    str
        The final answer, unnormalised ("" for an empty answer).
    """
    markers = list(_FINAL_MARKER.finditer(text))
    if markers:
        tail = text[markers[-1].end() :].strip()
        if tail:
            return tail
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def answer_numbers(text: str) -> list[float]:
    """Every finite number written in ``text``, in order."""
    numbers = []
    for match in _NUMBER.finditer(text):
        raw = match.group().replace(",", "").replace("$", "")
        value = float(raw)
        if math.isfinite(value):
            numbers.append(value)
    return numbers


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


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _number_key(value: float) -> str:
    return format(value, ".12g")


def _score_json(text: str, reference: str, fields: Sequence[str] | None) -> Score:
    expected = json.loads(reference)
    names = list(fields) if fields else list(expected)
    objects = json_objects(text)
    for obj in objects:
        if all(name in obj and _same_value(expected[name], obj[name]) for name in names):
            return Score(True, _canonical({name: obj[name] for name in names}))
    # The key of a wrong answer is its last object on the compared fields, so two samples
    # that return the same wrong figures count as consistent.
    if objects:
        last = objects[-1]
        return Score(False, _canonical({name: last.get(name) for name in names}))
    return Score(False, "no json object")


def _score_numeric(text: str, reference: str, tolerance: float) -> Score:
    numbers = answer_numbers(final_answer(text)) or answer_numbers(text)
    if not numbers:
        return Score(False, "no number")
    value = numbers[-1]
    return Score(abs(value - float(reference)) <= tolerance + 1e-12, _number_key(value))


def score_answer(text: str, reference: str, scorer: Mapping[str, Any]) -> Score:
    """Score one answer against a prompt's reference.

    Parameters
    ----------
    text : str
        The answer (a tool-call answer as the engine stores it).
    reference : str
        The prompt's reference, as validated for ``scorer``.
    scorer : mapping
        The prompt's scorer: ``type`` and that type's keys (see
        :data:`blindside.suites.SCORER_TYPES`).

    Returns
    -------
    Score

    Raises
    ------
    ValueError
        For an unknown scorer type (suites are validated before they are stored).
    """
    kind = scorer.get("type")
    if kind in ("exact", "label"):
        said = _bare(final_answer(text))
        # A one-line answer is its own final answer; a bare whole answer also counts, so an
        # exact answer that spans lines (an address, a list) can pass.
        correct = said == _bare(reference) or _bare(text) == _bare(reference)
        return Score(correct, _bare(reference) if correct else said)
    if kind == "contains":
        correct = normalise(reference) in normalise(text)
        return Score(correct, "contains" if correct else "missing")
    if kind == "regex":
        correct = re.search(scorer["pattern"], text) is not None
        return Score(correct, "match" if correct else "no match")
    if kind == "numeric":
        return _score_numeric(text, reference, float(scorer.get("tolerance", 0.0)))
    if kind == "json":
        return _score_json(text, reference, scorer.get("fields"))
    raise ValueError(f"unknown scorer type {kind!r}")


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at
    0 or ``trials`` successes, which small suites hit often.

    Parameters
    ----------
    successes, trials : int
        ``0 <= successes <= trials``; ``trials > 0``.
    z : float
        Normal quantile (1.96 for 95%).

    Returns
    -------
    (float, float)
        Lower and upper bound.
    """
    if trials <= 0:
        raise ValueError("trials must be positive")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or all successes the bound is exactly 0 or 1; rounding would leave 1e-16 off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def modal_share(key_counts: Iterable[Sequence[int]]) -> tuple[float, int] | None:
    """Consistency: the mean share of samples that give a prompt's most common answer.

    Parameters
    ----------
    key_counts : iterable of sequence of int
        One entry per (prompt, model, run) with repeated samples: how many
        samples gave each distinct answer key. Entries with fewer than two
        samples say nothing about consistency and are skipped.

    Returns
    -------
    (float, int) or None
        The mean modal share (1.0: every sample agrees; 1/k: all k differ) and
        the number of prompts it averages, or None when no prompt had two samples.
    """
    shares = []
    for counts in key_counts:
        total = sum(counts)
        if total >= 2:
            shares.append(max(counts) / total)
    if not shares:
        return None
    return sum(shares) / len(shares), len(shares)


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> tuple[float, int] | None:
    """Spearman's rank correlation of two per-model measures, e.g. rating and accuracy.

    Parameters
    ----------
    x, y : sequence of float
        Paired values, one pair per model.

    Returns
    -------
    (float, int) or None
        Spearman's rho and the number of models, or None with fewer than three
        models or when either measure is the same for every model (rho is then
        undefined).
    """
    if len(x) != len(y):
        raise ValueError("x and y must pair up")
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    # Imported here: scipy.stats costs about a second at import, and the engine (which
    # imports this module to score answers) never needs it.
    from scipy import stats

    rho = float(stats.spearmanr(x, y).statistic)
    return rho, len(x)

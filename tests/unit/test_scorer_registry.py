"""The scorer registry is the one list of scorer types: suites, scoring and storage read it."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from blindside.demo.compose import compose_answer
from blindside.demo.knowledge import load_demo_knowledge
from blindside.demo.profiles import DEMO_PROFILES
from blindside.errors import InputError
from blindside.scorecard import PromptScorer, score_columns
from blindside.scorers import SCORERS, Issue, Score, Scorer, answer_numbers, score_answer
from blindside.suites import parse_suite_text


def _validate_short(params: Mapping[str, Any], reference: str | None) -> list[Issue]:
    words = params.get("max_words")
    if isinstance(words, bool) or not isinstance(words, int) or words < 1:
        return [Issue("scorer.max_words", f"must be a whole number >= 1, got {words!r}")]
    return []


def _score_short(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    count = len(answer.split())
    return Score(count <= params["max_words"], str(count))


# What a new scorer module would define.
SHORT = Scorer(
    name="short",
    keys=frozenset({"max_words"}),
    answer_kind="text",
    validate=_validate_short,
    score=_score_short,
)


def suite_line(scorer: dict[str, Any]) -> str:
    line = {"id": "p1", "tier": 3, "category": "c", "text": "Hi", "reference": "x"}
    return json.dumps({**line, "scorer": scorer})


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        parse_suite_text(text, file="s.jsonl", name="s")
    return [(p.field, p.message) for p in caught.value.problems]


def test_an_unregistered_type_is_refused_by_suites_and_by_scoring() -> None:
    assert "short" not in SCORERS
    [(field, message)] = problems(suite_line({"type": "short", "max_words": 3}))
    assert field == "scorer.type" and "exact, contains, regex, numeric, json, label" in message
    with pytest.raises(ValueError, match="unknown scorer type"):
        score_answer("a b", "x", {"type": "short", "max_words": 3})


def test_one_registry_entry_makes_a_new_scorer_work_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(SCORERS, "short", SHORT)
    definition = {"type": "short", "max_words": 3}

    # Suites accept it, and hold it to its own rules and to the registry's.
    (prompt,) = parse_suite_text(suite_line(definition), file="s.jsonl", name="s").prompts
    assert prompt.scorer == definition
    assert problems(suite_line({"type": "short", "max_words": 0})) == [
        ("scorer.max_words", "must be a whole number >= 1, got 0")
    ]
    assert problems(suite_line({"type": "short", "max_words": 3, "labels": ["a"]})) == [
        ("scorer.labels", "unknown for scorer 'short' (allowed: type, max_words)")
    ]
    [(_, message)] = problems(suite_line({"type": "shorter"}))
    assert message.startswith("must be one of exact, contains, regex, numeric, json, label, short")

    # Scoring and the stored columns use it.
    assert score_answer("two words", "x", definition) == Score(True, "2")
    assert score_answer("one two three four", "x", definition) == Score(False, "4")
    assert score_columns("a b c", PromptScorer("x", definition)) == {
        "correct": True,
        "answer_key": "3",
    }


def _score_whole(answer: str, reference: str, params: Mapping[str, Any]) -> Score:
    numbers = answer_numbers(answer)
    correct = bool(numbers) and round(numbers[-1]) == round(float(reference))
    return Score(correct, str(numbers[-1]) if numbers else "no number")


def test_the_demo_answers_a_new_scorer_by_what_it_compares(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The demo's wrong answer follows the registered scorer's answer_kind: a number here, so a
    model that is never right gives another number, not a vague sentence."""
    whole = Scorer(
        name="whole",
        keys=frozenset(),
        answer_kind="number",
        validate=lambda params, reference: [],
        score=_score_whole,
    )
    monkeypatch.setitem(SCORERS, "whole", whole)
    line = {"id": "p1", "tier": 1, "category": "c", "text": "How many?", "reference": "1194"}
    suite = tmp_path / "s.jsonl"
    suite.write_text(json.dumps({**line, "scorer": {"type": "whole"}}) + "\n")
    knowledge = load_demo_knowledge([suite])
    messages = [{"role": "user", "content": "How many?"}]
    never = dataclasses.replace(
        DEMO_PROFILES["fast-cheap"], accuracy=0.0, tool_call_rate=0.0, style="terse"
    )
    always = dataclasses.replace(never, accuracy=1.0)
    for seed in range(5):
        wrong = compose_answer(never, messages, knowledge, random.Random(seed))
        right = compose_answer(always, messages, knowledge, random.Random(seed))
        assert answer_numbers(wrong) and not score_answer(wrong, "1194", {"type": "whole"}).correct
        assert score_answer(right, "1194", {"type": "whole"}).correct


def test_each_scorer_is_registered_under_its_own_name() -> None:
    assert list(SCORERS) == ["exact", "contains", "regex", "numeric", "json", "label"]
    assert all(name == scorer.name for name, scorer in SCORERS.items())
    assert {name: s.answer_kind for name, s in SCORERS.items()} == {
        "exact": "text",
        "contains": "text",
        "regex": "text",
        "numeric": "number",
        "json": "json",
        "label": "label",
    }


def test_scorers_import_without_scipy() -> None:
    """Spearman's rho imports scipy.stats when called: scoring an answer must not pay for it."""
    code = "import sys, blindside.scorers, blindside.suites; print('scipy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"

"""Scorers against hand-written answers, the shipped suites and the demo models."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from blindside.demo.compose import compose_answer
from blindside.demo.knowledge import load_demo_knowledge
from blindside.demo.profiles import DEMO_PROFILES
from blindside.scorers import (
    answer_numbers,
    final_answer,
    json_objects,
    modal_share,
    rank_correlation,
    score_answer,
    wilson_interval,
)
from blindside.suites import PromptSpec, load_suite_dir
from tests.conftest import SEED_PROMPTS

SCORED = [p for suite in load_suite_dir(SEED_PROMPTS) for p in suite.prompts if p.scorer]


def score(text: str, reference: str, **scorer: object) -> bool:
    return score_answer(text, reference, scorer).correct


# ------------------------------------------------------------------ answer parts


def test_final_answer_is_after_the_last_marker_or_the_last_line() -> None:
    assert final_answer("Reasoning: 2 + 2.\nFinal answer:\n4") == "4"
    assert final_answer("The final answer is: 12") == "12"
    assert final_answer("first line\n\n  last line  \n\n") == "last line"
    assert final_answer("one line") == "one line"
    assert final_answer("") == ""
    # A marker with nothing after it does not hide the text.
    assert final_answer("Final answer:") == "Final answer:"


def test_numbers_are_read_as_people_write_them() -> None:
    assert answer_numbers("pay $1,194.50, then -3 and 1e3; 46.5 h") == [1194.5, -3.0, 1000.0, 46.5]
    assert answer_numbers("room B12 costs 30") == [30.0]  # digits glued to a word are a name
    assert answer_numbers("no digits") == []


def test_json_objects_in_prose_fences_and_tool_calls() -> None:
    text = 'Here:\n```json\n{"a": 1, "b": {"c": 2}}\n```\nand {not json} {"d": 3}'
    assert json_objects(text) == [{"a": 1, "b": {"c": 2}}, {"d": 3}]
    calls = json.dumps([{"name": "route", "arguments": json.dumps({"team": "billing"})}])
    assert json_objects(calls) == [{"team": "billing"}]
    assert json_objects("[1, 2]") == []


# ------------------------------------------------------------------ each scorer


def test_exact_and_label_compare_the_final_answer_without_its_wrapping() -> None:
    assert score("  Positive. ", "positive", type="label", labels=["positive", "negative"])
    assert score("**positive**", "positive", type="label", labels=["positive", "negative"])
    assert score("Reasoning: tone.\nFinal answer:\nNegative", "negative", type="label")
    assert not score("It is positive, I think", "positive", type="label")
    assert not score("negative", "positive", type="label")
    assert score("Paris", "paris", type="exact")
    assert score("12 Main St\nSpringfield", "12 main st springfield", type="exact")
    assert not score("Paris, France", "paris", type="exact")


def test_contains_and_regex_search_the_whole_answer() -> None:
    assert score("Your code is AB-123, see you.", "ab-123", type="contains")
    assert not score("Your code is AB-124.", "ab-123", type="contains")
    pattern = r"(?is)^(?=.*\b37\b)(?=.*\bdisk)"
    assert score("Disk usage hit 37 percent.", "x", type="regex", pattern=pattern)
    assert not score("Disk usage hit 36 percent.", "x", type="regex", pattern=pattern)


def test_numeric_takes_the_last_number_of_the_final_answer() -> None:
    assert score("40 h at $24 plus 6.5 h at $36 = 1,194", "1194", type="numeric")
    assert score(
        "Reasoning: 40 x 24 = 960.\nFinal answer:\n1194.004", "1194", type="numeric", tolerance=0.01
    )
    assert not score(
        "Reasoning: 40 x 24 = 960.\nFinal answer:\n1194.02", "1194", type="numeric", tolerance=0.01
    )
    # The final line holds no number: the answer's last number counts.
    assert score("The total is 1194\nHope that helps!", "1194", type="numeric")
    assert not score("I cannot tell.", "1194", type="numeric")
    assert score_answer("I cannot tell.", "1194", {"type": "numeric"}).answer_key == "no number"


def test_json_matches_on_fields_with_numbers_by_value_and_strings_normalised() -> None:
    reference = '{"revenue_busd": 1.92, "company": "Acme"}'
    assert score('{"revenue_busd": 1.92, "company": "ACME "}', reference, type="json")
    assert not score('{"revenue_busd": 1.93, "company": "Acme"}', reference, type="json")
    assert score(
        'Sure: {"revenue_busd": 1.920, "company": "Acme Corp"}',
        reference,
        type="json",
        fields=["revenue_busd"],
    )
    assert not score("{'revenue_busd': 1.92}", reference, type="json")  # not JSON
    assert not score('{"revenue_busd": true}', '{"revenue_busd": 1}', type="json")


def test_unknown_scorer_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown scorer type"):
        score_answer("x", "x", {"type": "bleu"})


# ------------------------------------------------------------------ keys for consistency


def test_answer_keys_group_equal_answers_and_split_different_ones() -> None:
    numeric = {"type": "numeric"}
    assert (
        score_answer("= 1,194", "1194", numeric).answer_key
        == score_answer("Final answer: 1194.0", "1194", numeric).answer_key
    )
    assert (
        score_answer("1190", "1194", numeric).answer_key
        != score_answer("1194", "1194", numeric).answer_key
    )
    label = {"type": "label", "labels": ["yes", "no"]}
    assert (
        score_answer("No.", "yes", label).answer_key == score_answer("no", "yes", label).answer_key
    )
    as_json = {"type": "json", "fields": ["a"]}
    assert (
        score_answer('{"a": 2, "b": 1}', '{"a": 1, "b": 0}', as_json).answer_key
        == score_answer('x {"b": 9, "a": 2}', '{"a": 1, "b": 0}', as_json).answer_key
    )


# ------------------------------------------------------------------ the shipped suites


def reasoned(text: str) -> str:
    return f"Reasoning: worked it through.\nFinal answer:\n{text}"


@pytest.mark.parametrize("prompt", SCORED, ids=lambda p: p.external_id)
def test_every_shipped_reference_passes_its_own_scorer(prompt: PromptSpec) -> None:
    assert prompt.reference is not None and prompt.scorer is not None
    assert score_answer(prompt.reference, prompt.reference, prompt.scorer).correct
    assert score_answer(reasoned(prompt.reference), prompt.reference, prompt.scorer).correct


def test_the_shipped_suites_use_every_scorer_type() -> None:
    assert {p.scorer["type"] for p in SCORED if p.scorer} == {
        "exact",
        "contains",
        "regex",
        "numeric",
        "json",
        "label",
    }


@pytest.mark.parametrize("model_id", ["careful", "fast-cheap", "verbose"])
def test_demo_answers_score_as_the_simulated_model_meant_them(model_id: str) -> None:
    """A demo model that is always right passes every scorer; one that is never right fails
    every scorer whose reference it can alter (a regex or contains scorer may still find the
    key facts in a half-copied summary)."""
    knowledge = load_demo_knowledge(sorted(SEED_PROMPTS.glob("*.jsonl")))
    always = dataclasses.replace(DEMO_PROFILES[model_id], accuracy=1.0, tool_call_rate=0.0)
    never = dataclasses.replace(DEMO_PROFILES[model_id], accuracy=0.0, tool_call_rate=0.0)
    checked = 0
    for prompt in SCORED:
        if prompt.tools:
            continue  # answered by a tool call; covered by the integration test
        assert prompt.reference is not None and prompt.scorer is not None
        messages = prompt.chat_messages()
        for seed in range(3):
            right = compose_answer(always, messages, knowledge, random.Random(seed))
            assert score_answer(right, prompt.reference, prompt.scorer).correct, (prompt, right)
            if prompt.scorer["type"] in ("numeric", "json", "label", "exact"):
                wrong = compose_answer(never, messages, knowledge, random.Random(seed))
                result = score_answer(wrong, prompt.reference, prompt.scorer)
                assert not result.correct, (prompt.external_id, wrong)
            checked += 1
    assert checked >= 3 * 50


# ------------------------------------------------------------------ aggregates


def test_wilson_interval_known_values_and_edges() -> None:
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson_interval(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    narrow, wide = wilson_interval(500, 1000), wilson_interval(5, 10)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_modal_share_averages_prompts_with_repeated_samples() -> None:
    assert modal_share([[3], [2, 1], [1, 1, 1]]) == (pytest.approx((1 + 2 / 3 + 1 / 3) / 3), 3)
    assert modal_share([[1], [1]]) is None  # single samples say nothing
    assert modal_share([]) is None


def test_rank_correlation_of_ratings_and_accuracy() -> None:
    assert rank_correlation([1200, 1100, 1000], [0.9, 0.7, 0.4]) == (pytest.approx(1.0), 3)
    assert rank_correlation([1200, 1100, 1000, 900], [0.4, 0.7, 0.8, 0.9]) == (
        pytest.approx(-1.0),
        4,
    )
    assert rank_correlation([1200, 1100], [0.9, 0.4]) is None  # two models: no rank signal
    assert rank_correlation([1200, 1100, 1000], [0.5, 0.5, 0.5]) is None
    with pytest.raises(ValueError):
        rank_correlation([1, 2, 3], [1, 2])

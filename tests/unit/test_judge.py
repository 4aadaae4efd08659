"""The LLM judge's pure parts: its prompt, the strict verdict parser, rubrics, battles, figures."""

from __future__ import annotations

import random

import numpy as np
import pytest

from blindside.agreement import verdicts
from blindside.config import parse_models_toml
from blindside.config.rubrics import DEFAULT_RUBRICS, rubric_for
from blindside.demo.judging import judge_reply
from blindside.demo.knowledge import DemoKnowledge, knowledge_key
from blindside.demo.profiles import DEMO_PROFILES
from blindside.errors import InputError
from blindside.judge.prompt import judge_messages, parse_verdict, rubric_hash
from blindside.judge.report import judge_battles
from blindside.judge.stats import agreement_with_votes, pair_verdicts, position_bias

MODELS = """
[[endpoints]]
name = "demo"
kind = "demo"

[[models]]
name = "Demo careful"
endpoint = "demo"
model_id = "careful"
pricing = { input = 0, output = 0 }
"""


@pytest.mark.parametrize(
    ("reply", "choice"),
    [
        ("A is right.\nVerdict: A", "left"),
        ("Verdict: B", "right"),
        ("reasons\n\nverdict: TIE.\n\n", "tie"),
        ("Both miss the point.\nVerdict: both bad", "both_bad"),
        ("Verdict: A\nOn reflection B is better.\nVerdict: B", "right"),
    ],
)
def test_a_final_verdict_line_parses(reply: str, choice: str) -> None:
    verdict = parse_verdict(reply)
    assert (verdict.choice, verdict.error) == (choice, None)


@pytest.mark.parametrize(
    "reply",
    [
        None,
        "",
        "   \n  ",
        "Verdict: A\nThat is my answer.",  # the verdict is not the last line
        "I prefer A.",
        "Verdict: C",
        "**Verdict: A**",
        "Verdict: A or B",
        "The verdict: A",
    ],
)
def test_anything_else_is_a_parse_failure_never_a_guess(reply: str | None) -> None:
    verdict = parse_verdict(reply)
    assert verdict.choice is None
    assert verdict.error


def test_the_judge_reads_the_rubric_the_prompt_and_both_answers_in_order() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]
    sent = judge_messages("Correctness decides.", messages, "four", "five")
    assert "Correctness decides." in sent[0]["content"]
    assert "Verdict: both bad" in sent[0]["content"]
    user = sent[1]["content"]
    assert "<system>\nBe brief.\n</system>" in user
    assert user.index("<answer_a>\nfour") < user.index("<answer_b>\nfive")


def test_a_changed_rubric_is_another_judge_run() -> None:
    assert rubric_hash({1: "a"}) != rubric_hash({1: "b"})
    assert rubric_hash({1: "a", 2: "b"}) == rubric_hash({2: "b", 1: "a"})


def test_rubrics_override_per_tier_and_per_suite() -> None:
    config = parse_models_toml(
        MODELS
        + """
[[judge_rubrics]]
tier = 2
text = "Every suite's tier 2."

[[judge_rubrics]]
tier = 2
suite = "creative"
text = "Only creative's tier 2."
""",
        file="models.toml",
    )
    rubrics = config.judge_rubrics
    assert rubric_for(rubrics, "creative", 2) == "Only creative's tier 2."
    assert rubric_for(rubrics, "other", 2) == "Every suite's tier 2."
    assert rubric_for(rubrics, "creative", 1) == DEFAULT_RUBRICS[1]


def test_bad_rubrics_name_file_line_and_field() -> None:
    text = (
        MODELS
        + """
[[judge_rubrics]]
tier = 4
text = "x"

[[judge_rubrics]]
tier = 1
colour = "red"

[[judge_rubrics]]
tier = 3
text = "first"

[[judge_rubrics]]
tier = 3
text = "second"
"""
    )
    with pytest.raises(InputError) as caught:
        parse_models_toml(text, file="models.toml")
    lines = text.splitlines()
    found = {(p.field, p.line) for p in caught.value.problems}
    tier4 = lines.index("tier = 4") + 1
    colour = lines.index('colour = "red"') + 1
    second = [i + 1 for i, line in enumerate(lines) if line == "tier = 3"][1]
    assert ("tier", tier4) in found
    assert ("colour", colour) in found
    assert any(field == "text" for field, _ in found)  # the second entry has no text
    assert ("tier", second) in found
    assert all(p.file == "models.toml" for p in caught.value.problems)


def test_each_verdict_is_one_game_with_answer_a_on_the_left() -> None:
    # Models 7 and 9; pair judged in both orders, plus a tie and a both-bad.
    battles = judge_battles([7, 9, 7, 9], [9, 7, 9, 7], ["left", "right", "tie", "both_bad"])
    assert battles.labels == (7, 9)
    by_row = {
        (int(a), int(b)): (w, lost, t)
        for a, b, w, lost, t in zip(
            battles.left,
            battles.right,
            battles.left_wins,
            battles.right_wins,
            battles.ties,
            strict=True,
        )
    }
    assert by_row == {(0, 1): (1.0, 0.0, 1.0), (1, 0): (0.0, 1.0, 1.0)}
    assert battles.position_known


def test_position_bias_counts_flips_and_first_position_wins() -> None:
    # Pair 1: A wins in both orders, so the verdict flips with the order (first-position
    # bias). Pair 2: the same answer wins in both orders. Pair 3: one order only.
    pair = [1, 1, 2, 2, 3]
    position = [0, 1, 0, 1, 0]
    choice = ["left", "left", "left", "right", "tie"]
    left = [10, 11, 20, 21, 30]
    right = [11, 10, 21, 20, 31]
    codes = verdicts(choice, left, right)
    bias = position_bias(pair, position, choice, codes)
    assert (bias.flips.value, bias.flips.n) == (0.5, 2)
    assert (bias.first_wins.value, bias.first_wins.n) == (0.75, 4)
    assert bias.first_wins.low < 0.75 < bias.first_wins.high
    # A flipped pair counts as a tie; a pair judged once is left out.
    assert pair_verdicts(pair, position, codes) == {1: 2, 2: 0}


def test_agreement_with_votes_has_an_interval_and_is_one_when_all_agree() -> None:
    rng = np.random.default_rng(0)
    judge = {p: int(rng.integers(0, 2)) for p in range(60)}
    vote_pair = [p for p in range(60) for _ in range(2)]
    same = agreement_with_votes(judge, vote_pair, [judge[p] for p in vote_pair], n_bootstrap=200)
    assert (same.share, same.kappa, same.pairs, same.votes) == (1.0, 1.0, 60, 120)
    noisy_codes = [judge[p] if rng.random() < 0.7 else 1 - judge[p] for p in vote_pair]
    noisy = agreement_with_votes(judge, vote_pair, noisy_codes, n_bootstrap=200)
    assert noisy.share_low < noisy.share < noisy.share_high
    assert noisy.kappa_low < noisy.kappa < noisy.kappa_high
    assert noisy.kappa < 1.0
    # Every code here is a win: the decisive share is the share itself.
    assert noisy.decisive_votes == 120 and noisy.decisive_share == noisy.share
    assert noisy.decisive_low < noisy.decisive_share < noisy.decisive_high
    ties = agreement_with_votes({1: 2, 2: 0}, [1, 2, 2], [0, 0, 1], n_bootstrap=50)
    assert (ties.decisive_votes, ties.decisive_share) == (2, 0.5)
    nothing = agreement_with_votes(judge, [999], [0])
    assert (nothing.pairs, nothing.share, nothing.kappa) == (0, None, None)


def _judge_prompt(prompt: str, a: str, b: str) -> list[dict[str, str]]:
    return judge_messages(DEFAULT_RUBRICS[1], [{"role": "user", "content": prompt}], a, b)


def test_the_demo_judge_prefers_the_right_answer_with_a_lean_towards_a() -> None:
    prompt = "What is 6 times 7? Answer with the number only."
    knowledge = {
        knowledge_key(prompt): DemoKnowledge(1, "math", "42", {"type": "numeric"}),
    }
    careful = DEMO_PROFILES["careful"]
    picks = {"right first": [], "right second": []}
    for seed in range(200):
        first = judge_reply(
            careful, _judge_prompt(prompt, "42", "41"), knowledge, random.Random(seed)
        )
        second = judge_reply(
            careful, _judge_prompt(prompt, "41", "42"), knowledge, random.Random(seed)
        )
        assert first is not None and second is not None
        assert "simulated" in first.lower()
        picks["right first"].append(parse_verdict(first).choice)
        picks["right second"].append(parse_verdict(second).choice)
    assert picks["right first"].count("left") > 180
    assert picks["right second"].count("right") > 150
    # Two equal answers: the lean towards A shows as more A than B.
    ties = [
        parse_verdict(
            judge_reply(careful, _judge_prompt(prompt, "42", "42"), knowledge, random.Random(s))
        ).choice
        for s in range(400)
    ]
    assert ties.count("left") > ties.count("right")


def test_a_chatty_demo_judge_sometimes_forgets_the_verdict_line() -> None:
    erratic = DEMO_PROFILES["erratic"]
    replies = [
        judge_reply(erratic, _judge_prompt("Say hi.", "hi", "hello"), {}, random.Random(s))
        for s in range(200)
    ]
    failures = sum(parse_verdict(r).choice is None for r in replies)
    assert 0 < failures < 100


def test_the_demo_answers_other_prompts_as_before() -> None:
    messages = [{"role": "user", "content": "Verdict: A please"}]
    assert judge_reply(DEMO_PROFILES["careful"], messages, {}, random.Random(0)) is None

"""The recommendation per tier: pure rules over leaderboard rows, with reasons in words."""

from __future__ import annotations

import pytest

from blindside.leaderboard.board import LeaderboardRow
from blindside.leaderboard.columns import MONTHLY_COST, monthly_cost
from blindside.leaderboard.recommend import (
    DEFAULT_RULES,
    TierRule,
    describe_rule,
    recommend,
)
from blindside.leaderboard.stats import ModelStats


def _row(
    name: str,
    rating: float | None,
    correct: int,
    cost: float,
    p95: float,
    scored: int = 100,
) -> LeaderboardRow:
    stats = ModelStats(
        answers=scored,
        scored=scored,
        correct=correct,
        cost_per_task_usd=cost,
        latency_p95_ms=p95,
    )
    rated = rating is not None
    return LeaderboardRow(
        model_id=hash(name) % 1000,
        name=name,
        simulated=False,
        stats=stats,
        rank=1 if rated else None,
        rating=rating,
        rating_low=rating - 20 if rated else None,
        rating_high=rating + 20 if rated else None,
        votes=100 if rated else 0,
    )


# Accuracy 95/100 (best), 90/100 (overlaps it), 60/100 (does not), 92/100 (overlaps).
CAREFUL = _row("careful", 1100, 95, 0.00080, 1200)
MIDDLE = _row("middle", 1050, 90, 0.00030, 900)
CHEAP = _row("cheap", 1150, 60, 0.000014, 150)
PRICEY = _row("pricey", 980, 92, 0.00200, 3000)
ROWS = [CAREFUL, MIDDLE, CHEAP, PRICEY]


def test_tier1_is_the_best_rated_of_the_models_as_accurate_as_the_best() -> None:
    chosen = recommend(ROWS, DEFAULT_RULES[1])
    # cheap rates highest but is measurably less accurate: accuracy comes first.
    assert chosen.model == "careful"
    assert "highest-rated" in chosen.reason
    assert "overlaps that of the most accurate model, careful at 95%" in chosen.reason
    assert "3 of 4 models qualified" in chosen.reason


def test_tier2_is_the_top_rating() -> None:
    chosen = recommend(ROWS, DEFAULT_RULES[2])
    assert chosen.model == "cheap"
    assert chosen.reason.startswith("cheap: the highest-rated model.")


def test_tier3_is_the_cheapest_model_whose_accuracy_interval_overlaps_the_best() -> None:
    chosen = recommend(ROWS, DEFAULT_RULES[3])
    assert chosen.model == "middle"
    assert chosen.reason.startswith("middle: the cheapest model per task among the models whose")
    assert "cost per task $0.000300" in chosen.reason


def test_a_lead_changes_the_thresholds() -> None:
    assert recommend(ROWS, TierRule(pick="cost")).model == "cheap"
    assert recommend(ROWS, TierRule(pick="cost", min_accuracy=0.91)).model == "careful"
    fast = TierRule(pick="rating", near_best_accuracy=True, max_p95_latency_ms=1000)
    assert recommend(ROWS, fast).model == "middle"
    capped = TierRule(pick="accuracy", max_cost_per_task_usd=0.001)
    assert recommend(ROWS, capped).model == "careful"
    assert recommend(ROWS, TierRule(pick="latency")).model == "cheap"
    nobody = recommend(ROWS, TierRule(pick="cost", min_accuracy=0.99))
    assert nobody.model is None
    assert nobody.reason == "No model qualifies: the rule asks for a model at least 99% accurate."


def test_no_votes_or_no_scores_say_why_there_is_no_recommendation() -> None:
    unrated = [_row("a", None, 90, 0.001, 100), _row("b", None, 80, 0.002, 100)]
    assert recommend(unrated, DEFAULT_RULES[2]).reason == (
        "No model has a rating (no votes in this selection)."
    )
    # Tier 3 needs no votes: cost and accuracy decide.
    assert recommend(unrated, DEFAULT_RULES[3]).model == "a"
    unscored = [_row("a", 1000, 0, 0.001, 100, scored=0)]
    chosen = recommend(unscored, DEFAULT_RULES[1])
    assert chosen.model is None and "accuracy cannot be compared" in chosen.reason


def test_ties_go_to_the_higher_rating_then_the_name() -> None:
    twins = [_row("b", 1000, 90, 0.001, 100), _row("a", 1000, 90, 0.001, 100)]
    assert recommend(twins, TierRule(pick="cost")).model == "a"
    better = [_row("b", 1010, 90, 0.001, 100), _row("a", 1000, 90, 0.001, 100)]
    assert recommend(better, TierRule(pick="cost")).model == "b"


def test_rules_read_in_words() -> None:
    assert describe_rule(DEFAULT_RULES[3]) == (
        "cheapest model per task; accuracy interval overlapping the most accurate model's"
    )
    assert describe_rule(TierRule(min_accuracy=0.9, max_p95_latency_ms=1500)) == (
        "highest-rated model; accuracy ≥ 90%; p95 latency ≤ 1,500 ms"
    )


@pytest.mark.parametrize(
    ("volume", "expected", "shown"),
    [(None, None, "–"), (2_000_000, 28.0, "$28.00"), (1, 0.000014, "$0.00")],
)
def test_monthly_cost_is_cost_per_task_times_the_volume(
    volume: int | None, expected: float | None, shown: str
) -> None:
    row = LeaderboardRow(
        model_id=1,
        name="cheap",
        simulated=False,
        stats=ModelStats(answers=1, cost_per_task_usd=0.000014),
        monthly_volume=volume,
    )
    assert monthly_cost(row) == pytest.approx(expected) if expected else monthly_cost(row) is None
    assert MONTHLY_COST.page_text(row) == shown

"""Which model to choose for a tier: a rule a lead can change, applied to leaderboard rows.

A :class:`TierRule` says what decides among the models (the highest rating, the
lowest cost per task, the highest accuracy or the lowest p95 latency) and which
models may be chosen at all (only those whose accuracy interval overlaps that of
the most accurate model; a minimum accuracy; a maximum p95 latency or cost).
:data:`DEFAULT_RULES` follows the product brief's tiers. :func:`recommend` is a
pure function of the rows and the rule; it returns the model and its reason in
words, or no model and why not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from blindside.leaderboard.column import PAGE_EMPTY
from blindside.leaderboard.columns import (
    ACCURACY_WITH_CI,
    COST_PER_TASK,
    LATENCY_P95,
    RATING_WITH_CI,
)

Pick = Literal["rating", "cost", "accuracy", "latency"]
#: What each pick means, as the reason says it.
PICKS: dict[str, str] = {
    "rating": "the highest-rated model",
    "cost": "the cheapest model per task",
    "accuracy": "the most accurate model",
    "latency": "the fastest model at p95",
}


@dataclass(frozen=True)
class TierRule:
    """How to choose a model for one tier.

    Attributes
    ----------
    pick : {"rating", "cost", "accuracy", "latency"}
        What decides among the eligible models: the highest rating, the lowest cost
        per task, the highest accuracy, the lowest p95 latency.
    near_best_accuracy : bool
        Only models whose accuracy interval overlaps that of the most accurate model
        are eligible: "not measurably less accurate than the best".
    min_accuracy : float or None
        Only models at least this accurate (a share, 0.9 for 90%).
    max_p95_latency_ms : float or None
        Only models whose p95 latency is at most this.
    max_cost_per_task_usd : float or None
        Only models whose cost per task is at most this.
    """

    pick: Pick = "rating"
    near_best_accuracy: bool = False
    min_accuracy: float | None = None
    max_p95_latency_ms: float | None = None
    max_cost_per_task_usd: float | None = None


#: The product brief's tiers. Tier 1 (high-stakes reasoning): accuracy first, then the
#: raters' preference. Tier 2 (creative): the raters' preference. Tier 3 (high volume):
#: cost, without giving up accuracy measurably.
DEFAULT_RULES: dict[int, TierRule] = {
    1: TierRule(pick="rating", near_best_accuracy=True),
    2: TierRule(pick="rating"),
    3: TierRule(pick="cost", near_best_accuracy=True),
}


@dataclass(frozen=True)
class Recommendation:
    """The model a rule chooses (None: no model qualifies) and the reason, in words."""

    model: str | None
    reason: str


def _measure(pick: str) -> Callable[[Any], float | None]:
    """The figure a pick compares, read from a leaderboard row."""
    return {
        "rating": lambda r: r.rating,
        "cost": lambda r: r.stats.cost_per_task_usd,
        "accuracy": lambda r: r.stats.accuracy,
        "latency": lambda r: r.stats.latency_p95_ms,
    }[pick]


def _at_most(
    rows: Sequence[Any], measure: Callable[[Any], float | None], limit: float
) -> list[Any]:
    """The rows whose figure was measured and is at most ``limit``."""
    return [r for r in rows if (value := measure(r)) is not None and value <= limit]


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def recommend(rows: Sequence[Any], rule: TierRule) -> Recommendation:
    """The model ``rule`` chooses among leaderboard ``rows``, with its reason.

    Parameters
    ----------
    rows : sequence of LeaderboardRow
        One tier's rows (anything with ``display_name``, ``rating`` and ``stats``).
    rule : TierRule

    Returns
    -------
    Recommendation
        Ties on the deciding figure go to the higher rating, then the name.
    """
    measure = _measure(rule.pick)
    candidates = [r for r in rows if measure(r) is not None]
    if not candidates:
        missing = {
            "rating": "a rating (no votes in this selection)",
            "cost": "a measured cost per task",
            "accuracy": "scored answers",
            "latency": "measured latency",
        }[rule.pick]
        return Recommendation(None, f"No model has {missing}.")
    conditions: list[str] = []
    if rule.near_best_accuracy:
        scored = [r for r in rows if r.stats.accuracy_interval is not None]
        if not scored:
            return Recommendation(
                None, "No model has scored answers here, so accuracy cannot be compared."
            )
        best = max(scored, key=lambda r: (r.stats.accuracy, r.rating or 0.0, r.display_name))
        candidates = [
            r
            for r in candidates
            if r.stats.accuracy_interval is not None
            and _overlaps(r.stats.accuracy_interval, best.stats.accuracy_interval)
        ]
        conditions.append(
            "whose accuracy interval overlaps that of the most accurate model, "
            f"{best.display_name} at {ACCURACY_WITH_CI.page_text(best)}"
        )
    if rule.min_accuracy is not None:
        threshold = rule.min_accuracy
        candidates = [r for r in candidates if (r.stats.accuracy or 0.0) >= threshold]
        conditions.append(f"at least {threshold:.0%} accurate")
    if rule.max_p95_latency_ms is not None:
        limit = rule.max_p95_latency_ms
        candidates = _at_most(candidates, _measure("latency"), limit)
        conditions.append(f"with p95 latency at most {limit:,.0f} ms")
    if rule.max_cost_per_task_usd is not None:
        cap = rule.max_cost_per_task_usd
        candidates = _at_most(candidates, _measure("cost"), cap)
        conditions.append(f"costing at most ${cap:,.6f} per task")
    among = f" among the models {'; '.join(conditions)}" if conditions else ""
    if not candidates:
        wanted = "; ".join(conditions)
        return Recommendation(None, f"No model qualifies: the rule asks for a model {wanted}.")
    sign = -1.0 if rule.pick in ("rating", "accuracy") else 1.0
    chosen = min(candidates, key=lambda r: (sign * measure(r), -(r.rating or 0.0), r.display_name))
    figures = ", ".join(
        f"{name} {text}"
        for name, text in (
            ("rating", RATING_WITH_CI.page_text(chosen)),
            ("accuracy", ACCURACY_WITH_CI.page_text(chosen)),
            ("p95 latency", f"{LATENCY_P95.page_text(chosen)} ms"),
            ("cost per task", COST_PER_TASK.page_text(chosen)),
        )
        if not text.startswith(PAGE_EMPTY)
    )
    count = f"; {len(candidates)} of {len(rows)} models qualified" if conditions else ""
    return Recommendation(
        chosen.display_name,
        f"{chosen.display_name}: {PICKS[rule.pick]}{among}{count}. Its {figures}.",
    )


def describe_rule(rule: TierRule) -> str:
    """The rule in words, for the page and the CLI."""
    parts = [PICKS[rule.pick].removeprefix("the ")]
    if rule.near_best_accuracy:
        parts.append("accuracy interval overlapping the most accurate model's")
    if rule.min_accuracy is not None:
        parts.append(f"accuracy ≥ {rule.min_accuracy:.0%}")
    if rule.max_p95_latency_ms is not None:
        parts.append(f"p95 latency ≤ {rule.max_p95_latency_ms:,.0f} ms")
    if rule.max_cost_per_task_usd is not None:
        parts.append(f"cost ≤ ${rule.max_cost_per_task_usd:,.6f} per task")
    return "; ".join(parts)

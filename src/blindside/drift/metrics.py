"""The metrics a re-benchmark compares, and the verdict on each: one table, read everywhere.

:data:`DRIFT_METRICS` says, per metric, how it is read from a
:class:`~blindside.drift.samples.TierSample`, how it is tested
(:mod:`blindside.drift.significance`), which direction is worse, and which
``[drift]`` threshold applies. :func:`assess` turns the comparisons of one
re-benchmark into findings, with Holm's correction over all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from blindside.config.drift import DriftThresholds
from blindside.drift.samples import TierSample
from blindside.drift.significance import (
    Change,
    compare_means_difference,
    compare_means_ratio,
    compare_p95,
    compare_shares,
    holm,
)

Verdict = Literal["drift", "improved", "stable", "untested"]


@dataclass(frozen=True)
class DriftMetric:
    """One metric a re-benchmark compares.

    Attributes
    ----------
    name : str
        Its key in reports (``accuracy``, ``latency_p95`` ...).
    label : str
        Its name for people.
    threshold : str
        The :class:`~blindside.config.drift.DriftThresholds` field that applies.
    effect : {"difference", "ratio"}
        How the change is measured: ``current - baseline`` or ``current / baseline``.
    higher_is_better : bool
    unit : {"share", "ms", "usd"}
        How values are shown.
    compare : callable
        ``(baseline, current, min_samples) -> Change``.
    needs_judge : bool
        Compared only when the re-benchmark has a judge (``[drift] judge`` or ``--judge``).
    """

    name: str
    label: str
    threshold: str
    effect: Literal["difference", "ratio"]
    higher_is_better: bool
    unit: Literal["share", "ms", "usd"]
    compare: Callable[[TierSample, TierSample, int], Change]
    needs_judge: bool = False

    def worsening(self, change: Change) -> float | None:
        """How much worse, in the threshold's unit (negative: better); None if unknown."""
        if change.effect is None:
            return None
        if self.effect == "difference":
            return -change.effect if self.higher_is_better else change.effect
        if change.effect <= 0:
            return None
        return 1 / change.effect if self.higher_is_better else change.effect

    def beyond(self, change: Change, limit: float) -> tuple[bool, bool]:
        """(worse beyond ``limit``, better beyond it), ``limit`` being the threshold."""
        worse = self.worsening(change)
        if worse is None:
            return False, False
        if self.effect == "difference":
            return worse > limit, -worse > limit
        return worse > limit, 1 / worse > limit if worse > 0 else False


DRIFT_METRICS: tuple[DriftMetric, ...] = (
    DriftMetric(
        "accuracy",
        "Accuracy",
        "accuracy_drop",
        "difference",
        True,
        "share",
        lambda b, c, n: compare_shares(b.correct, b.scored, c.correct, c.scored, min_samples=n),
    ),
    DriftMetric(
        "consistency",
        "Consistency",
        "consistency_drop",
        "difference",
        True,
        "share",
        lambda b, c, n: compare_means_difference(b.consistency, c.consistency, min_samples=n),
    ),
    DriftMetric(
        "latency_p95",
        "p95 latency",
        "latency_p95_ratio",
        "ratio",
        False,
        "ms",
        lambda b, c, n: compare_p95(b.latencies_ms, c.latencies_ms, min_samples=n),
    ),
    DriftMetric(
        "ttft_p95",
        "p95 time to first token",
        "ttft_p95_ratio",
        "ratio",
        False,
        "ms",
        lambda b, c, n: compare_p95(b.ttfts_ms, c.ttfts_ms, min_samples=n),
    ),
    DriftMetric(
        "cost_per_task",
        "Cost per task",
        "cost_ratio",
        "ratio",
        False,
        "usd",
        lambda b, c, n: compare_means_ratio(b.costs_usd, c.costs_usd, min_samples=n),
    ),
    DriftMetric(
        "error_rate",
        "Error rate",
        "error_rate_rise",
        "difference",
        False,
        "share",
        lambda b, c, n: compare_shares(b.failed, b.tasks, c.failed, c.tasks, min_samples=n),
    ),
    DriftMetric(
        "judge_preference",
        "Judge preference",
        "judge_preference_drop",
        "difference",
        True,
        "share",
        lambda b, c, n: compare_means_difference(
            b.judge_preference, c.judge_preference, min_samples=n
        ),
        needs_judge=True,
    ),
)
METRICS_BY_NAME = {m.name: m for m in DRIFT_METRICS}


@dataclass(frozen=True)
class Comparison:
    """One metric of one (model, tier) compared with its baseline, before the verdict."""

    model: str
    tier: int
    metric: DriftMetric
    change: Change
    thresholds: DriftThresholds
    baseline_run_id: int


@dataclass(frozen=True)
class Finding:
    """A comparison with its verdict.

    Attributes
    ----------
    comparison : Comparison
    threshold : float
        The limit that applied.
    p_adjusted : float or None
        Holm-adjusted over every tested comparison of the re-benchmark.
    verdict : {"drift", "improved", "stable", "untested"}
        ``drift``: significant and worse beyond the threshold; ``improved``: the same,
        for the better; ``untested``: too few samples on a side.
    """

    comparison: Comparison
    threshold: float
    p_adjusted: float | None
    verdict: Verdict


def compare_samples(
    model: str,
    tier: int,
    baseline: TierSample,
    current: TierSample,
    thresholds: DriftThresholds,
    baseline_run_id: int,
    *,
    judged: bool = False,
) -> list[Comparison]:
    """Every metric of :data:`DRIFT_METRICS` for one (model, tier).

    The judge's preference is compared only when ``judged``: without a judge it would be
    an untested row in every report.
    """
    return [
        Comparison(
            model,
            tier,
            metric,
            metric.compare(baseline, current, thresholds.min_samples),
            thresholds,
            baseline_run_id,
        )
        for metric in DRIFT_METRICS
        if judged or not metric.needs_judge
    ]


def assess(comparisons: Sequence[Comparison]) -> list[Finding]:
    """The verdict on each comparison, Holm's correction over all tested ones.

    Each comparison uses its model's ``alpha``; with the default thresholds, one
    ``alpha`` for the whole family.
    """
    tested = [i for i, c in enumerate(comparisons) if c.change.tested]
    p_values = [comparisons[i].change.p_value or 1.0 for i in tested]
    adjusted = dict(zip(tested, holm(p_values), strict=True))
    findings = []
    for i, comp in enumerate(comparisons):
        limit = float(getattr(comp.thresholds, comp.metric.threshold))
        p_adj = adjusted.get(i)
        verdict: Verdict = "untested"
        if p_adj is not None:
            worse, better = comp.metric.beyond(comp.change, limit)
            significant = p_adj < comp.thresholds.alpha
            verdict = (
                "drift"
                if significant and worse
                else "improved"
                if significant and better
                else "stable"
            )
        findings.append(Finding(comp, limit, p_adj, verdict))
    return findings

"""Is a change between a baseline and a re-benchmark real and large? Pure functions.

Each metric of each (model, tier) is one test: a p-value for "no change" and an
effect in the metric's own unit. :func:`holm` adjusts the p-values of all tests of
one re-benchmark together, so that an unchanged model raises a false alarm with
probability at most ``alpha`` however many models, tiers and metrics are tested.
A metric *drifts* when its adjusted p-value is below ``alpha`` and its change for
the worse passes the threshold: significant and large enough to matter.

The tests:

* shares (accuracy, error rate, judge wins): the two-proportion z-test, pooled;
* latency and TTFT: Mann-Whitney U on the two samples (no normality assumed;
  latencies are skewed), effect the ratio of the p95s;
* cost per task: Welch's t-test, effect the ratio of the means;
* consistency: Mann-Whitney U on the per-prompt modal shares, effect the
  difference of the means.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from blindside.client.percentile import percentile


@dataclass(frozen=True)
class Change:
    """One metric compared: the two values, the effect and the test's p-value.

    Attributes
    ----------
    baseline, current : float or None
        The metric on each side (None: nothing to measure).
    effect : float or None
        ``current - baseline`` for shares, ``current / baseline`` for ratios.
    p_value : float or None
        For "no change"; None when the metric was not tested (too few samples).
    n_baseline, n_current : int
        The samples the test rests on.
    """

    baseline: float | None
    current: float | None
    effect: float | None
    p_value: float | None
    n_baseline: int
    n_current: int

    @property
    def tested(self) -> bool:
        return self.p_value is not None


def _untested(baseline: float | None, current: float | None, n0: int, n1: int) -> Change:
    return Change(baseline, current, None, None, n0, n1)


def _normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def compare_shares(
    k_baseline: int, n_baseline: int, k_current: int, n_current: int, *, min_samples: int = 2
) -> Change:
    """Two shares (``k`` of ``n``) compared with the pooled two-proportion z-test.

    The effect is ``current - baseline``. When both shares are 0 or both 1 there is no
    variance and no evidence of change: p = 1.
    """
    p0 = k_baseline / n_baseline if n_baseline else None
    p1 = k_current / n_current if n_current else None
    if n_baseline < min_samples or n_current < min_samples or p0 is None or p1 is None:
        return _untested(p0, p1, n_baseline, n_current)
    pooled = (k_baseline + k_current) / (n_baseline + n_current)
    variance = pooled * (1 - pooled) * (1 / n_baseline + 1 / n_current)
    p = 1.0 if variance <= 0 else _normal_two_sided((p1 - p0) / math.sqrt(variance))
    return Change(p0, p1, p1 - p0, p, n_baseline, n_current)


def compare_p95(
    baseline: Sequence[float], current: Sequence[float], *, min_samples: int = 2
) -> Change:
    """Two latency samples: the ratio of their p95s, Mann-Whitney U's two-sided p."""
    q0, q1 = percentile(baseline, 95), percentile(current, 95)
    if len(baseline) < min_samples or len(current) < min_samples or not q0 or q1 is None:
        return _untested(q0, q1, len(baseline), len(current))
    from scipy.stats import mannwhitneyu

    p = float(mannwhitneyu(current, baseline, alternative="two-sided").pvalue)
    return Change(q0, q1, q1 / q0, 1.0 if math.isnan(p) else p, len(baseline), len(current))


def compare_means_ratio(
    baseline: Sequence[float], current: Sequence[float], *, min_samples: int = 2
) -> Change:
    """Two samples of costs: the ratio of their means, Welch's t-test's two-sided p."""
    n0, n1 = len(baseline), len(current)
    m0 = sum(baseline) / n0 if n0 else None
    m1 = sum(current) / n1 if n1 else None
    if n0 < min_samples or n1 < min_samples or not m0 or m1 is None:
        return _untested(m0, m1, n0, n1)
    from scipy.stats import ttest_ind

    if len(set(baseline)) == 1 and len(set(current)) == 1:
        # No variance on either side: equal means are no change, different ones certain.
        return Change(m0, m1, m1 / m0, 1.0 if m0 == m1 else 0.0, n0, n1)
    with warnings.catch_warnings():
        # Nearly constant costs make scipy warn of precision loss; the p-value still holds.
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(ttest_ind(current, baseline, equal_var=False).pvalue)
    return Change(m0, m1, m1 / m0, 1.0 if math.isnan(p) else p, n0, n1)


def compare_means_difference(
    baseline: Sequence[float], current: Sequence[float], *, min_samples: int = 2
) -> Change:
    """Two samples of shares (per-prompt consistency, per-pair judge scores): mean difference,
    Mann-Whitney's p."""
    n0, n1 = len(baseline), len(current)
    m0 = sum(baseline) / n0 if n0 else None
    m1 = sum(current) / n1 if n1 else None
    if n0 < min_samples or n1 < min_samples or m0 is None or m1 is None:
        return _untested(m0, m1, n0, n1)
    from scipy.stats import mannwhitneyu

    if len(set(baseline) | set(current)) == 1:
        return Change(m0, m1, 0.0, 1.0, n0, n1)
    p = float(mannwhitneyu(current, baseline, alternative="two-sided").pvalue)
    return Change(m0, m1, m1 - m0, 1.0 if math.isnan(p) else p, n0, n1)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Rejecting every adjusted p below ``alpha`` keeps the family-wise error rate at
    ``alpha`` under any dependence between the tests.

    Parameters
    ----------
    p_values : sequence of float

    Returns
    -------
    list of float
        Each at least its raw p-value, at most 1, monotone in the raw order.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted

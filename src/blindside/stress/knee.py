"""Where a sweep stopped scaling: the knee (pure).

Steps are taken in increasing load. A step is **past the knee** when any of these holds:

- more than ``max_error_rate`` (5%) of its requests failed;
- its latency p95 is more than ``max_slowdown`` (1.5x) the p95 of the lowest load that
  succeeded (requests wait: for a queue, or a slot);
- its throughput gained less than ``min_efficiency`` (half) of the load it added: from
  concurrency 4 to 16 (4x) the requests per second must at least 2.5x. The same rule holds
  for an open-loop rate: past capacity the achieved rate stops following the offered one.

The knee is the load before the first such step: the highest load that still scaled. 0
when the first step already failed; None when every step scaled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

__all__ = ["Knee", "KneeStep", "find_knee", "load_label"]


class KneeStep(Protocol):
    """What the knee reads of a step."""

    @property
    def load(self) -> float: ...
    @property
    def latency_p95_ms(self) -> float | None: ...
    @property
    def throughput_rps(self) -> float: ...
    @property
    def error_rate(self) -> float: ...


@dataclass(frozen=True)
class Knee:
    """Where a sweep stopped scaling.

    Attributes
    ----------
    best : float
        The last load that still scaled; 0 when even the first failed.
    first_bad : float
        The load after it.
    reason : str
        Why, in words, with the numbers.
    """

    best: float
    first_bad: float
    reason: str


def load_label(load: float) -> str:
    """A load as people write it: ``4``, ``2.5``."""
    return f"{load:g}"


def find_knee(
    steps: Sequence[KneeStep],
    *,
    mode: str = "concurrency",
    max_error_rate: float = 0.05,
    max_slowdown: float = 1.5,
    min_efficiency: float = 0.5,
) -> Knee | None:
    """The first step past the knee, and the load before it (see the module's rules).

    Parameters
    ----------
    steps : sequence of KneeStep
        In increasing load.
    mode : str
        ``concurrency`` or ``rate``; only names the load in the reason.
    max_error_rate, max_slowdown, min_efficiency : float
        The three rules' thresholds.

    Returns
    -------
    Knee or None
        None when every step scaled (the sweep did not reach the knee).
    """
    unit = "concurrency" if mode == "concurrency" else "rate"
    if not steps:
        return None
    first = steps[0]
    if first.error_rate > max_error_rate:
        return Knee(
            0,
            first.load,
            f"{first.error_rate:.0%} of requests failed already at {unit} {load_label(first.load)}",
        )
    baseline = next((s for s in steps if s.latency_p95_ms), None)
    for previous, step in pairwise(steps):
        at = f"{unit} {load_label(step.load)}"
        knee = (previous.load, step.load)
        if step.error_rate > max_error_rate:
            return Knee(*knee, f"{step.error_rate:.0%} of requests failed at {at}")
        if baseline is not None and baseline.latency_p95_ms and step.latency_p95_ms:
            slowdown = step.latency_p95_ms / baseline.latency_p95_ms
            if slowdown > max_slowdown:
                return Knee(
                    *knee,
                    f"latency p95 at {at} was {slowdown:.1f}x that at "
                    f"{unit} {load_label(baseline.load)} "
                    f"({step.latency_p95_ms:.0f} ms against {baseline.latency_p95_ms:.0f} ms)",
                )
        ratio = step.load / previous.load
        gain = step.throughput_rps / previous.throughput_rps if previous.throughput_rps else 0.0
        if gain < 1 + min_efficiency * (ratio - 1):
            return Knee(
                *knee,
                f"{at} gave {gain:.2f}x the throughput of {load_label(previous.load)} "
                f"for {ratio:g}x the load",
            )
    return None

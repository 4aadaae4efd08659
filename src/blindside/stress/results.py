"""What a stress step measured: samples, percentiles and a step's summary (no I/O).

Percentiles are :func:`blindside.client.percentile.percentile` (linear interpolation), the
package's only one; throughput and error rate are derived here, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from blindside.client.percentile import percentile

__all__ = ["PERCENTILES", "Percentiles", "StepResult", "StressSample", "summarise_step"]

#: The percentiles every step stores, for latency, time to first token and inter-token gaps.
PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)


@dataclass(frozen=True)
class Percentiles:
    """p50, p90, p95 and p99 of a sample (ms), each None for an empty sample."""

    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles:
        """The four percentiles of ``values`` (:func:`blindside.client.percentile.percentile`)."""
        return cls(*(percentile(values, q) for q in PERCENTILES))


@dataclass(frozen=True)
class StressSample:
    """One request of a step.

    Attributes
    ----------
    error_class : str or None
        None when the answer arrived whole; otherwise a class of
        :data:`blindside.client.retry.ERROR_CLASSES`.
    latency_ms : float
        From sending the request to the end of the answer (or the error).
    ttft_ms : float or None
        Time to the first content token.
    output_tokens : int
        From ``usage`` when the endpoint sent it, else estimated from the text.
    gaps_ms : tuple of float
        Gaps between streamed content chunks (inter-token latency).
    sent_at : datetime or None
        Wall-clock UTC time the request left.
    """

    error_class: str | None
    latency_ms: float
    ttft_ms: float | None = None
    output_tokens: int = 0
    gaps_ms: tuple[float, ...] = ()
    sent_at: datetime | None = None


@dataclass(frozen=True)
class StepResult:
    """What one load of a sweep measured. Percentiles are over successful requests.

    Attributes
    ----------
    load : float
        Concurrency (closed loop) or requests per second (open loop).
    requests : int
        Requests that ended (answered or failed); ``cancelled`` are not among them.
    succeeded : int
    errors_by_class : mapping of str to int
    wall_s : float
        From the first request sent to the last one ended.
    latency, ttft, itl : Percentiles
        End-to-end latency, time to first token, inter-token gaps (pooled over requests).
    output_tokens : int
    cancelled : int
        In flight when the sweep's time bound cut the step.
    started_at : datetime or None
    samples : tuple of StressSample
        Every ended request (stored one row each).
    """

    load: float
    requests: int
    succeeded: int
    errors_by_class: Mapping[str, int]
    wall_s: float
    latency: Percentiles
    ttft: Percentiles
    itl: Percentiles
    output_tokens: int
    cancelled: int = 0
    started_at: datetime | None = None
    samples: tuple[StressSample, ...] = field(default=(), repr=False)

    @property
    def throughput_rps(self) -> float:
        """Successful requests per second of the step's wall time."""
        return self.succeeded / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        """Output tokens per second of the step's wall time."""
        return self.output_tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def error_rate(self) -> float:
        """Failed requests over ended requests; 0 with none."""
        return (self.requests - self.succeeded) / self.requests if self.requests else 0.0

    @property
    def latency_p95_ms(self) -> float | None:
        """The latency p95 (what the knee reads)."""
        return self.latency.p95


def summarise_step(
    load: float,
    samples: Sequence[StressSample],
    wall_s: float,
    *,
    cancelled: int = 0,
    started_at: datetime | None = None,
) -> StepResult:
    """Fold one step's samples into its summary.

    Parameters
    ----------
    load : float
    samples : sequence of StressSample
        Every request of the step that ended.
    wall_s : float
        Wall time from the first request sent to the last answer.
    cancelled : int
        Requests cut by the time bound.
    started_at : datetime, optional
    """
    ok = [s for s in samples if s.error_class is None]
    return StepResult(
        load=load,
        requests=len(samples),
        succeeded=len(ok),
        errors_by_class=dict(Counter(s.error_class for s in samples if s.error_class)),
        wall_s=wall_s,
        latency=Percentiles.of([s.latency_ms for s in ok]),
        ttft=Percentiles.of([s.ttft_ms for s in ok if s.ttft_ms is not None]),
        itl=Percentiles.of([gap for s in ok for gap in s.gaps_ms]),
        output_tokens=sum(s.output_tokens for s in ok),
        cancelled=cancelled,
        started_at=started_at,
        samples=tuple(samples),
    )

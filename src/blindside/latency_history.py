"""Latency and errors over time, per model: generation answers and stress requests alike.

Every answer a run stored (``response.created_at``) and every request a stress sweep sent
(``stress_request.sent_at``) carries a time, a latency and an error class.
:func:`latency_samples` reads them as one list of :class:`LatencySample`; the rest is pure:
:func:`summarise` folds any group of samples into request and error counts and latency
percentiles (successful requests only, the package's one percentile), :func:`by_model`
and :func:`by_hour_of_week` group them. A re-benchmark or a drift check reads the same
samples over a time window (``since``, ``until``).

Hours of the week are UTC: 0 is Monday 00:00-00:59, 167 Sunday 23:00-23:59.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from blindside.client.percentile import percentile
from blindside.tables import Model, Response, StressRequest, StressStep, StressSweep

__all__ = [
    "DAYS",
    "SOURCES",
    "HourOfWeek",
    "LatencySample",
    "LatencySummary",
    "by_hour_of_week",
    "by_model",
    "hour_of_week",
    "latency_samples",
    "summarise",
]

#: Where samples come from: generation runs' answers, stress sweeps' requests.
SOURCES: tuple[str, ...] = ("generation", "stress")
DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class LatencySample:
    """One request: whose, when, how long, whether it failed, and where it was recorded."""

    model: str
    at: datetime
    latency_ms: float | None
    failed: bool
    source: str


@dataclass(frozen=True)
class LatencySummary:
    """Counts and latency percentiles (ms, successful requests) of a group of samples."""

    requests: int
    errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    @property
    def error_rate(self) -> float:
        """Failed requests over requests; 0 with none."""
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class HourOfWeek:
    """One model's summary in one hour of the week."""

    model: str
    hour: int
    summary: LatencySummary

    @property
    def label(self) -> str:
        """``Tue 10:00``."""
        return f"{DAYS[self.hour // 24]} {self.hour % 24:02d}:00"


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def hour_of_week(at: datetime) -> int:
    """The UTC hour of the week of ``at``: 0 (Monday 00h) to 167 (Sunday 23h).

    Examples
    --------
    >>> hour_of_week(datetime(2026, 12, 1, 10, 30, tzinfo=UTC))  # a Tuesday
    34
    """
    at = _utc(at)
    return at.weekday() * 24 + at.hour


def summarise(samples: Iterable[LatencySample]) -> LatencySummary:
    """Requests, errors, and p50 and p95 latency of the successful ones."""
    samples = list(samples)
    ok = [s.latency_ms for s in samples if not s.failed and s.latency_ms is not None]
    return LatencySummary(
        requests=len(samples),
        errors=sum(s.failed for s in samples),
        latency_p50_ms=percentile(ok, 50),
        latency_p95_ms=percentile(ok, 95),
    )


def by_model(samples: Iterable[LatencySample]) -> dict[str, LatencySummary]:
    """Each model's summary, by model name (sorted)."""
    groups: dict[str, list[LatencySample]] = defaultdict(list)
    for sample in samples:
        groups[sample.model].append(sample)
    return {model: summarise(groups[model]) for model in sorted(groups)}


def by_hour_of_week(samples: Iterable[LatencySample]) -> list[HourOfWeek]:
    """Each model's summary in each hour of the week that has samples, by model then hour."""
    groups: dict[tuple[str, int], list[LatencySample]] = defaultdict(list)
    for sample in samples:
        groups[sample.model, hour_of_week(sample.at)].append(sample)
    return [
        HourOfWeek(model, hour, summarise(groups[model, hour])) for model, hour in sorted(groups)
    ]


def latency_samples(
    engine: Engine,
    *,
    models: Sequence[str] | None = None,
    sources: Sequence[str] = SOURCES,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[LatencySample]:
    """Every stored request of ``models`` (all when None) from ``sources``, oldest first.

    Parameters
    ----------
    engine : Engine
    models : sequence of str, optional
        Model names (``model.name``, ``stress_sweep.model_name``).
    sources : sequence of str
        Some of :data:`SOURCES`.
    since, until : datetime, optional
        A half-open window ``[since, until)``.
    """
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}: choose from {SOURCES}")
    queries: list[tuple[str, Any, Any]] = []
    if "generation" in sources:
        query = select(Model.name, Response.created_at, Response.latency_ms, Response.error_class)
        queries.append(
            ("generation", query.join(Model, col(Model.id) == Response.model_id), Response)
        )
    if "stress" in sources:
        query = (
            select(
                StressSweep.model_name,
                StressRequest.sent_at,
                StressRequest.latency_ms,
                StressRequest.error_class,
            )
            .join(StressStep, col(StressStep.id) == StressRequest.step_id)
            .join(StressSweep, col(StressSweep.id) == StressStep.sweep_id)
        )
        queries.append(("stress", query, StressRequest))
    samples: list[LatencySample] = []
    with Session(engine) as session:
        for source, query, table in queries:
            at = table.created_at if table is Response else table.sent_at
            name = Model.name if table is Response else StressSweep.model_name
            if models is not None:
                query = query.where(col(name).in_(list(models)))
            if since is not None:
                query = query.where(col(at) >= since)
            if until is not None:
                query = query.where(col(at) < until)
            samples.extend(
                LatencySample(model, _utc(when), latency, error is not None, source)
                for model, when, latency, error in session.exec(query)
            )
    samples.sort(key=lambda s: s.at)
    return samples

"""SQLModel tables of monitoring: re-benchmarks with their drift findings, stress sweeps with
their steps and requests.

They watch the models over time rather than rank them. :mod:`blindside.tables` re-exports
every class, so ``from blindside.tables import Rebench`` and ``SQLModel.metadata`` (which
Alembic and :func:`blindside.db.schema_drift` compare) see them wherever the tables are loaded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from blindside.clock import utc_now


class Rebench(SQLModel, table=True):
    """One ``blindside rebench``: the run it made and what it found (:mod:`blindside.drift`)."""

    id: int | None = Field(default=None, primary_key=True)
    suite_id: int = Field(foreign_key="suite.id", index=True)
    # The run the rebench made; its findings compare it with each model's baseline run.
    run_id: int = Field(foreign_key="run.id")
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    # How many findings are drift (worse beyond the threshold, significant after Holm).
    alerts: int = 0
    # The JSON report as written to --report (no webhook address, no key: never stored).
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DriftFinding(SQLModel, table=True):
    """One metric of one (model, tier) in a rebench, compared with its baseline run."""

    __tablename__ = "drift_finding"

    id: int | None = Field(default=None, primary_key=True)
    rebench_id: int = Field(foreign_key="rebench.id", index=True)
    model_id: int = Field(foreign_key="model.id", index=True)
    tier: int
    metric: str  # a name of blindside.drift.metrics.DRIFT_METRICS
    baseline_run_id: int = Field(foreign_key="run.id")
    baseline: float | None = None
    current: float | None = None
    effect: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    threshold: float
    n_baseline: int = 0
    n_current: int = 0
    verdict: str  # drift | improved | stable | untested


class StressSweep(SQLModel, table=True):
    """One ``blindside stress`` sweep of one model: its plan, bounds and outcome.

    ``mode`` is ``concurrency`` (closed loop: at most ``load`` requests in flight) or
    ``rate`` (open loop: ``load`` requests per second, Poisson arrivals when ``poisson``).
    ``batch`` is shared by the sweeps of one command (``--models A,B``).
    """

    __tablename__ = "stress_sweep"

    id: int | None = Field(default=None, primary_key=True)
    batch: str = Field(index=True)
    model_name: str = Field(index=True)
    mode: str  # concurrency | rate
    poisson: bool = False
    loads: list[float] = Field(sa_column=Column(JSON, nullable=False))
    # None: each step's own default (blindside.stress.schedule.requests_at).
    requests_per_step: int | None = None
    max_tokens: int
    max_seconds: float
    max_error_rate: float
    suite_name: str | None = None
    seed: int = 0
    started_at: datetime = Field(default_factory=utc_now, index=True)
    finished_at: datetime | None = None
    status: str = "running"  # running | finished | stopped
    # Why the sweep ended before its last load (error ceiling, time bound); None otherwise.
    stop_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The knee (blindside.stress.knee): the last load that still scaled; None when every
    # step scaled. 0 when even the first step did not.
    knee_load: float | None = None
    knee_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StressStep(SQLModel, table=True):
    """What one load of a sweep measured; latencies in ms over its successful requests."""

    __tablename__ = "stress_step"
    __table_args__ = (UniqueConstraint("sweep_id", "position", name="uq_stress_step_position"),)

    id: int | None = Field(default=None, primary_key=True)
    sweep_id: int = Field(foreign_key="stress_sweep.id", index=True)
    position: int
    load: float
    started_at: datetime = Field(default_factory=utc_now)
    wall_s: float
    requests: int
    succeeded: int
    # Requests in flight when the time bound cut the step (not measured).
    cancelled: int = 0
    errors_by_class: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    output_tokens: int = 0
    latency_p50_ms: float | None = None
    latency_p90_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p90_ms: float | None = None
    ttft_p95_ms: float | None = None
    ttft_p99_ms: float | None = None
    itl_p50_ms: float | None = None
    itl_p90_ms: float | None = None
    itl_p95_ms: float | None = None
    itl_p99_ms: float | None = None


class StressRequest(SQLModel, table=True):
    """One request of a stress step, for the time-of-day view and recomputing a step."""

    __tablename__ = "stress_request"

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="stress_step.id", index=True)
    sent_at: datetime = Field(index=True)
    latency_ms: float
    ttft_ms: float | None = None
    output_tokens: int = 0
    error_class: str | None = None

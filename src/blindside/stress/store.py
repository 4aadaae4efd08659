"""The ``stress_*`` tables: a sweep is written as it runs, step by step, and read back.

A sweep row is added when the sweep starts (``status`` running), each step with its
requests in one transaction when the step ends, and the outcome (status, stop reason,
knee) when the sweep ends: a sweep killed halfway keeps the steps it finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from blindside.stress.knee import Knee
from blindside.stress.results import PERCENTILES, Percentiles, StepResult
from blindside.tables import StressRequest, StressStep, StressSweep

__all__ = [
    "StoredSweep",
    "SweepPlan",
    "finish_sweep",
    "read_steps",
    "read_sweeps",
    "record_step",
    "start_sweep",
    "suite_messages",
]

_METRICS = ("latency", "ttft", "itl")


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will do, and its bounds.

    Attributes
    ----------
    mode : str
        ``concurrency`` (closed loop) or ``rate`` (open loop).
    loads : tuple of float
        In increasing order.
    requests_per_step : int or None
        None: :func:`~blindside.stress.schedule.requests_at`'s default per load.
    poisson : bool
        Poisson arrivals (open loop only).
    max_seconds : float
        The whole sweep's time bound.
    max_error_rate : float
        A step failing more than this share of its requests ends the sweep.
    max_tokens : int
    seed : int
        Seeds the Poisson arrivals (plus the step's position).
    suite_name : str or None
        The suite whose prompts are sent, None for the one stress prompt.
    """

    mode: str
    loads: tuple[float, ...]
    requests_per_step: int | None
    poisson: bool = False
    max_seconds: float = 300.0
    max_error_rate: float = 0.25
    max_tokens: int = 64
    seed: int = 0
    suite_name: str | None = None


@dataclass(frozen=True)
class StoredSweep:
    """A stored sweep (a :class:`~blindside.tables.StressSweep` row, detached)."""

    id: int
    batch: str
    model_name: str
    mode: str
    poisson: bool
    loads: tuple[float, ...]
    started_at: datetime
    finished_at: datetime | None
    status: str
    stop_reason: str | None
    knee_load: float | None
    knee_reason: str | None
    suite_name: str | None

    @property
    def label(self) -> str:
        """How a page names it: id, model and start (UTC, to the minute)."""
        poisson = " Poisson" if self.poisson else ""
        return f"#{self.id} {self.model_name}{poisson} {self.started_at:%Y-%m-%d %H:%M}"


def start_sweep(engine: Engine, batch: str, model_name: str, plan: SweepPlan) -> int:
    """Add a running sweep; return its id."""
    row = StressSweep(
        batch=batch,
        model_name=model_name,
        mode=plan.mode,
        poisson=plan.poisson,
        loads=list(plan.loads),
        requests_per_step=plan.requests_per_step,
        max_tokens=plan.max_tokens,
        max_seconds=plan.max_seconds,
        max_error_rate=plan.max_error_rate,
        suite_name=plan.suite_name,
        seed=plan.seed,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def _percentile_columns(step: StepResult) -> dict[str, float | None]:
    return {
        f"{metric}_p{q}_ms": getattr(getattr(step, metric), f"p{q}")
        for metric in _METRICS
        for q in PERCENTILES
    }


def record_step(engine: Engine, sweep_id: int, position: int, step: StepResult) -> int:
    """Store one step and every request it ended, in one transaction; return the step id."""
    row = StressStep(
        sweep_id=sweep_id,
        position=position,
        load=step.load,
        started_at=step.started_at or datetime.now(UTC),
        wall_s=step.wall_s,
        requests=step.requests,
        succeeded=step.succeeded,
        cancelled=step.cancelled,
        errors_by_class=dict(step.errors_by_class),
        output_tokens=step.output_tokens,
        **_percentile_columns(step),
    )
    with Session(engine) as session:
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add_all(
            StressRequest(
                step_id=row.id,
                sent_at=sample.sent_at or row.started_at,
                latency_ms=sample.latency_ms,
                ttft_ms=sample.ttft_ms,
                output_tokens=sample.output_tokens,
                error_class=sample.error_class,
            )
            for sample in step.samples
        )
        session.commit()
        return row.id


def finish_sweep(
    engine: Engine, sweep_id: int, *, stop_reason: str | None, knee: Knee | None
) -> None:
    """Record how a sweep ended: ``stopped`` with a reason, or ``finished``; its knee."""
    with Session(engine) as session:
        row = session.get(StressSweep, sweep_id)
        assert row is not None
        row.finished_at = datetime.now(UTC)
        row.status = "stopped" if stop_reason else "finished"
        row.stop_reason = stop_reason
        row.knee_load = None if knee is None else knee.best
        row.knee_reason = None if knee is None else knee.reason
        session.add(row)
        session.commit()


def _stored(row: StressSweep) -> StoredSweep:
    assert row.id is not None
    return StoredSweep(
        id=row.id,
        batch=row.batch,
        model_name=row.model_name,
        mode=row.mode,
        poisson=row.poisson,
        loads=tuple(row.loads),
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        stop_reason=row.stop_reason,
        knee_load=row.knee_load,
        knee_reason=row.knee_reason,
        suite_name=row.suite_name,
    )


def read_sweeps(engine: Engine, *, models: Sequence[str] | None = None) -> list[StoredSweep]:
    """Stored sweeps, newest first; only those of ``models`` when given."""
    query = select(StressSweep).order_by(col(StressSweep.started_at).desc(), col(StressSweep.id))
    if models is not None:
        query = query.where(col(StressSweep.model_name).in_(list(models)))
    with Session(engine) as session:
        return [_stored(row) for row in session.exec(query)]


def _step(row: StressStep) -> StepResult:
    def percentiles(metric: str) -> Percentiles:
        return Percentiles(*(getattr(row, f"{metric}_p{q}_ms") for q in PERCENTILES))

    return StepResult(
        load=row.load,
        requests=row.requests,
        succeeded=row.succeeded,
        errors_by_class=dict(row.errors_by_class),
        wall_s=row.wall_s,
        latency=percentiles("latency"),
        ttft=percentiles("ttft"),
        itl=percentiles("itl"),
        output_tokens=row.output_tokens,
        cancelled=row.cancelled,
        started_at=row.started_at,
    )


def read_steps(engine: Engine, sweep_ids: Sequence[int]) -> dict[int, list[StepResult]]:
    """The steps of each sweep, in load order (sweep id to steps; every id present)."""
    found: dict[int, list[StepResult]] = {sweep_id: [] for sweep_id in sweep_ids}
    if not sweep_ids:
        return found
    query: Any = (
        select(StressStep)
        .where(col(StressStep.sweep_id).in_(list(sweep_ids)))
        .order_by(col(StressStep.sweep_id), col(StressStep.position))
    )
    with Session(engine) as session:
        for row in session.exec(query):
            found[row.sweep_id].append(_step(row))
    return found


def suite_messages(engine: Engine, suite_name: str) -> list[list[dict[str, Any]]] | None:
    """What each prompt of a stored suite sends, in prompt order; None for no such suite."""
    from blindside.tables import Prompt, Suite

    with Session(engine) as session:
        suite = session.exec(select(Suite).where(Suite.name == suite_name)).first()
        if suite is None:
            return None
        query = select(Prompt).where(Prompt.suite_id == suite.id).order_by(col(Prompt.id))
        return [list(prompt.messages) for prompt in session.exec(query)]

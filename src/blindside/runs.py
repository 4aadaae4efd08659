"""What the Runs page and the CLI report about generation runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.tables import Model, Response, Run, Suite


@dataclass(frozen=True)
class RunModelSummary:
    """Per run and model: answers, failures, spend and speed."""

    run_id: int
    suite: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    model: str
    simulated: bool
    succeeded: int
    failed: int
    cost_usd: float
    mean_latency_ms: float | None
    mean_ttft_ms: float | None


def count_answers(engine: Engine) -> int:
    """Responses stored (successful or not): a cheap cache key for measured stats."""
    with Session(engine) as session:
        return int(session.exec(select(func.count(col(Response.id)))).one())


def run_model_summaries(engine: Engine, *, limit_runs: int = 50) -> list[RunModelSummary]:
    """Newest runs first, one row per (run, model), computed by GROUP BY."""
    ok = col(Response.error).is_(None)
    with Session(engine) as session:
        run_ids = session.exec(select(Run.id).order_by(col(Run.id).desc()).limit(limit_runs)).all()
        rows = session.exec(
            select(
                Run.id,
                Suite.name,
                Run.status,
                Run.started_at,
                Run.finished_at,
                Model.name,
                Model.simulated,
                func.sum(case((ok, 1), else_=0)),
                func.sum(case((ok, 0), else_=1)),
                func.coalesce(func.sum(Response.cost_usd), 0.0),
                func.avg(case((ok, Response.latency_ms))),
                func.avg(case((ok, Response.ttft_ms))),
            )
            .join(Suite, col(Suite.id) == col(Run.suite_id))
            .join(Response, col(Response.run_id) == col(Run.id))
            .join(Model, col(Model.id) == col(Response.model_id))
            .where(col(Run.id).in_(run_ids))
            .group_by(
                Run.id,
                Suite.name,
                Run.status,
                Run.started_at,
                Run.finished_at,
                Model.name,
                Model.simulated,
            )
            .order_by(col(Run.id).desc(), Model.name)
        ).all()
    return [
        RunModelSummary(
            run_id=r[0],
            suite=r[1],
            status=r[2],
            started_at=r[3],
            finished_at=r[4],
            model=r[5],
            simulated=bool(r[6]),
            succeeded=int(r[7] or 0),
            failed=int(r[8] or 0),
            cost_usd=float(r[9] or 0.0),
            mean_latency_ms=None if r[10] is None else float(r[10]),
            mean_ttft_ms=None if r[11] is None else float(r[11]),
        )
        for r in rows
    ]

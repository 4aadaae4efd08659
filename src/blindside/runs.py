"""What the Runs page and the CLI report about generation runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.tables import Model, Response, Run, Suite


@dataclass(frozen=True)
class RunModelSummary:
    """Per run and model: answers, failures by class, retries, fallbacks, spend and speed."""

    run_id: int
    suite: str
    status: str
    stop_reason: str | None
    started_at: datetime
    finished_at: datetime | None
    model: str
    simulated: bool
    succeeded: int
    failed: int
    retries: int
    fallbacks: int
    cost_usd: float
    mean_latency_ms: float | None
    mean_ttft_ms: float | None
    errors_by_class: dict[str, int] = field(default_factory=dict)
    # Successful answers to prompts with a scorer, and how many passed it.
    scored: int = 0
    correct: int = 0

    @property
    def success_rate(self) -> float | None:
        total = self.succeeded + self.failed
        return self.succeeded / total if total else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None


def count_answers(engine: Engine) -> int:
    """Responses stored (successful or not): a cheap cache key for measured stats."""
    with Session(engine) as session:
        return int(session.exec(select(func.count(col(Response.id)))).one())


def run_model_summaries(
    engine: Engine, *, run_id: int | None = None, limit_runs: int = 50
) -> list[RunModelSummary]:
    """Newest runs first, one row per (run, model), computed by GROUP BY.

    Parameters
    ----------
    engine : Engine
    run_id : int, optional
        Only this run.
    limit_runs : int
        How many of the newest runs otherwise.
    """
    ok = col(Response.error).is_(None)
    with Session(engine) as session:
        if run_id is not None:
            run_ids = [run_id]
        else:
            run_ids = list(
                session.exec(select(Run.id).order_by(col(Run.id).desc()).limit(limit_runs))
            )
        # The per-(run, model) identity columns, selected and grouped by alike.
        keys = (
            Run.id,
            Suite.name,
            Run.status,
            Run.stop_reason,
            Run.started_at,
            Run.finished_at,
            Model.id,
            Model.name,
            Model.simulated,
        )
        rows = session.exec(
            select(
                *keys,
                func.sum(case((ok, 1), else_=0)),
                func.sum(case((ok, 0), else_=1)),
                func.coalesce(func.sum(Response.attempts), 0) - func.count(col(Response.id)),
                func.sum(case((col(Response.is_fallback), 1), else_=0)),
                func.coalesce(func.sum(Response.cost_usd), 0.0),
                func.avg(case((ok, Response.latency_ms))),
                func.avg(case((ok, Response.ttft_ms))),
                func.count(Response.correct),
                func.sum(case((col(Response.correct).is_(True), 1), else_=0)),
            )
            .join(Suite, col(Suite.id) == col(Run.suite_id))
            .join(Response, col(Response.run_id) == col(Run.id))
            .join(Model, col(Model.id) == col(Response.model_id))
            .where(col(Run.id).in_(run_ids))
            .group_by(*keys)
            .order_by(col(Run.id).desc(), Model.name)
        ).all()
        error_rows = session.exec(
            select(Response.run_id, Response.model_id, Response.error_class, func.count())
            .where(col(Response.run_id).in_(run_ids), col(Response.error).is_not(None))
            .group_by(Response.run_id, Response.model_id, Response.error_class)
        ).all()
    errors: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for r_id, m_id, error_class, n in error_rows:
        errors[(r_id, m_id)][error_class or "other"] = int(n)
    return [
        RunModelSummary(
            run_id=r[0],
            suite=r[1],
            status=r[2],
            stop_reason=r[3],
            started_at=r[4],
            finished_at=r[5],
            model=r[7],
            simulated=bool(r[8]),
            succeeded=int(r[9] or 0),
            failed=int(r[10] or 0),
            retries=max(0, int(r[11] or 0)),
            fallbacks=int(r[12] or 0),
            cost_usd=float(r[13] or 0.0),
            mean_latency_ms=None if r[14] is None else float(r[14]),
            mean_ttft_ms=None if r[15] is None else float(r[15]),
            errors_by_class=errors.get((r[0], r[6]), {}),
            scored=int(r[16] or 0),
            correct=int(r[17] or 0),
        )
        for r in rows
    ]


def format_run_summary(summaries: list[RunModelSummary]) -> str:
    """A plain-text table of one run's per-model summary, for the CLI."""
    header = (
        f"{'model':<32} {'ok':>5} {'failed':>6} {'success':>8} {'retries':>8} "
        f"{'fallback':>8} {'cost $':>9} {'accuracy':>8}  errors by class"
    )
    lines = [header, "-" * len(header)]
    for s in summaries:
        rate = f"{100 * s.success_rate:.1f}%" if s.success_rate is not None else "-"
        accuracy = f"{100 * s.accuracy:.1f}%" if s.accuracy is not None else "-"
        by_class = ", ".join(f"{k} {v}" for k, v in sorted(s.errors_by_class.items())) or "-"
        lines.append(
            f"{s.model:<32} {s.succeeded:>5} {s.failed:>6} {rate:>8} {s.retries:>8} "
            f"{s.fallbacks:>8} {s.cost_usd:>9.4f} {accuracy:>8}  {by_class}"
        )
    return "\n".join(lines)

"""The findings of past rebenches as series over time, for the Drift page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import display_name
from blindside.drift.metrics import METRICS_BY_NAME
from blindside.tables import DriftFinding, Model, Rebench, Suite


@dataclass(frozen=True)
class DriftPoint:
    """One metric of one (model, tier) at one rebench.

    Attributes
    ----------
    rebench_id, run_id, baseline_run_id : int
    at : datetime
        When the rebench ran.
    model : str
        As leads see it (simulated models say so).
    tier : int
    metric, label : str
    baseline, current : float or None
    limit : float or None
        The edge of the tolerated band: the baseline moved by the threshold in the
        worse direction (``baseline - 0.05`` for accuracy, ``baseline x 1.5`` for p95).
    verdict : str
    """

    rebench_id: int
    run_id: int
    baseline_run_id: int
    at: datetime
    model: str
    tier: int
    metric: str
    label: str
    baseline: float | None
    current: float | None
    limit: float | None
    verdict: str


def band_limit(metric: str, baseline: float | None, threshold: float) -> float | None:
    """Where the tolerated band of ``metric`` ends, from its baseline and threshold."""
    if baseline is None:
        return None
    spec = METRICS_BY_NAME[metric]
    if spec.effect == "ratio":
        return baseline / threshold if spec.higher_is_better else baseline * threshold
    return baseline - threshold if spec.higher_is_better else baseline + threshold


def drift_history(engine: Engine, suite: str | None = None) -> list[DriftPoint]:
    """Every finding of every rebench (of ``suite``), oldest first."""
    query = (
        select(DriftFinding, Rebench, Model)
        .join(Rebench, col(Rebench.id) == col(DriftFinding.rebench_id))
        .join(Model, col(Model.id) == col(DriftFinding.model_id))
        .order_by(col(Rebench.id), col(Model.name), col(DriftFinding.tier))
    )
    if suite is not None:
        query = query.join(Suite, col(Suite.id) == col(Rebench.suite_id)).where(Suite.name == suite)
    with Session(engine) as session:
        rows = session.exec(query).all()
    return [
        DriftPoint(
            rebench_id=rebench.id,  # type: ignore[arg-type]
            run_id=rebench.run_id,
            baseline_run_id=finding.baseline_run_id,
            at=rebench.started_at,
            model=display_name(model.name, simulated=model.simulated),
            tier=finding.tier,
            metric=finding.metric,
            label=METRICS_BY_NAME[finding.metric].label,
            baseline=finding.baseline,
            current=finding.current,
            limit=band_limit(finding.metric, finding.baseline, finding.threshold),
            verdict=finding.verdict,
        )
        for finding, rebench, model in rows
        if finding.metric in METRICS_BY_NAME
    ]


def latest_report(engine: Engine, suite: str | None = None) -> dict | None:
    """The JSON report of the newest rebench (of ``suite``), or None."""
    query = select(Rebench).order_by(col(Rebench.id).desc()).limit(1)
    if suite is not None:
        query = query.join(Suite, col(Suite.id) == col(Rebench.suite_id)).where(Suite.name == suite)
    with Session(engine) as session:
        row = session.exec(query).first()
    return None if row is None else dict(row.report)


def rebench_suites(engine: Engine) -> list[str]:
    """Names of the suites with at least one rebench."""
    with Session(engine) as session:
        names = session.exec(
            select(Suite.name).join(Rebench, col(Rebench.suite_id) == col(Suite.id)).distinct()
        ).all()
    return sorted(names)

"""``blindside rebench``: run a suite again and compare it with each model's baseline.

:func:`rebench` makes a new run (:func:`~blindside.engine.run.generate` with
``new_run``), then :func:`assess_run` compares each (model, tier) of it with the
model's baseline run, stores the findings and builds the report. The default
baseline of a model is the newest earlier run of the same suite, with the same
sample count, in which the model answered: the previous comparable run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import ProjectConfig, Settings
from blindside.db import session_scope
from blindside.drift.metrics import Comparison, Finding, assess, compare_samples
from blindside.drift.report import build_report
from blindside.drift.samples import TierSample, judge_samples, run_samples
from blindside.tables import DriftFinding, Model, Rebench, Response, Run, Suite, utc_now


class RebenchError(Exception):
    """A rebench that cannot be done as asked (unknown run, a baseline of another suite)."""


@dataclass(frozen=True)
class RebenchResult:
    """What a rebench found.

    Attributes
    ----------
    rebench_id, run_id : int
        The stored rebench and the run it compared.
    findings : list of Finding
        Every metric of every (model, tier) that had a baseline.
    baselines : dict of str to int or None
        Each model's baseline run (None: no earlier comparable run; this run is now its
        baseline).
    report : dict
        The JSON report (:func:`~blindside.drift.report.build_report`).
    """

    rebench_id: int
    run_id: int
    findings: list[Finding]
    baselines: dict[str, int | None]
    report: dict[str, Any] = field(repr=False)

    @property
    def alerts(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict == "drift"]

    @property
    def drifted(self) -> bool:
        return bool(self.alerts)


def find_baseline(engine: Engine, run: Run, model_id: int, model_name: str) -> int | None:
    """The newest earlier run of ``run``'s suite and sample count in which the model answered."""
    with Session(engine) as session:
        candidates = session.exec(
            select(Run)
            .where(Run.suite_id == run.suite_id)
            .where(Run.samples_per_prompt == run.samples_per_prompt)
            .where(col(Run.id) < run.id)
            .order_by(col(Run.id).desc())
        ).all()
        for candidate in candidates:
            if model_name not in candidate.model_names:
                continue
            answered = session.exec(
                select(Response.id)
                .where(Response.run_id == candidate.id)
                .where(Response.model_id == model_id)
                .limit(1)
            ).first()
            if answered is not None:
                return candidate.id
    return None


def baseline_runs(
    engine: Engine, run_id: int, baseline_run_id: int | None = None
) -> dict[str, int | None]:
    """Each model that answered in ``run_id``, by name, with the run it is compared with.

    ``baseline_run_id`` (``--baseline``) is every model's baseline; it must be a run of the
    same suite. Otherwise each model's is :func:`find_baseline`'s (None: no earlier run).

    Raises
    ------
    RebenchError
        An unknown run, or a baseline of another suite.
    """
    with Session(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise RebenchError(f"no run {run_id}")
        if baseline_run_id is not None:
            fixed = session.get(Run, baseline_run_id)
            if fixed is None:
                raise RebenchError(f"--baseline: no run {baseline_run_id}")
            if fixed.suite_id != run.suite_id:
                raise RebenchError(
                    f"--baseline: run {baseline_run_id} is of another suite than run {run_id}"
                )
        answered = session.exec(
            select(Model.id, Model.name)
            .where(col(Model.id).in_(select(Response.model_id).where(Response.run_id == run_id)))
            .order_by(col(Model.name))
        ).all()
    return {
        name: baseline_run_id or find_baseline(engine, run, model_id, name)
        for model_id, name in answered
    }


def assess_run(
    engine: Engine,
    config: ProjectConfig,
    run_id: int,
    *,
    baseline_run_id: int | None = None,
    generation: dict[str, Any] | None = None,
    judge_name: str | None = None,
    judging: dict[str, Any] | None = None,
) -> RebenchResult:
    """Compare ``run_id`` with each model's baseline, store the findings, build the report.

    Parameters
    ----------
    engine : Engine
    config : ProjectConfig
        For the drift thresholds (``[drift]`` and each model's own) and published figures.
    run_id : int
        The run to judge.
    baseline_run_id : int, optional
        One baseline for every model (``--baseline``); it must be a run of the same suite.
    generation : dict, optional
        What the run's generation reported, copied into the report.
    judge_name : str, optional
        A judge whose verdicts on both runs' pairs are compared as the model's judge
        preference (:func:`judge_pairs` asks for them); without one it is not compared.
    judging : dict, optional
        What the judge's pass reported, copied into the report.

    Raises
    ------
    RebenchError
        An unknown run, or a baseline of another suite.
    """
    baselines = baseline_runs(engine, run_id, baseline_run_id)  # checks both runs
    with Session(engine) as session:
        suite = session.exec(
            select(Suite).join(Run, col(Run.suite_id) == col(Suite.id)).where(Run.id == run_id)
        ).one()
        models = {m.id: m for m in session.exec(select(Model))}
    ids_by_name = {m.name: m.id for m in models.values()}
    judge_id = next((m.id for m in models.values() if m.name == judge_name), None)
    if judge_name is not None and judge_id is None:
        raise RebenchError(f"judge {judge_name!r} is not registered, run `blindside init`")

    def samples_of(run_to_read: int) -> dict[tuple[int, int], TierSample]:
        samples = run_samples(engine, run_to_read)
        if judge_id is not None:
            for key, scores in judge_samples(engine, run_to_read, judge_id).items():
                if key in samples:
                    samples[key].judge_preference = scores
        return samples

    current = samples_of(run_id)
    baseline_samples: dict[int, dict[tuple[int, int], TierSample]] = {}
    comparisons: list[Comparison] = []
    for name, base in baselines.items():
        if base is None:
            continue
        if base not in baseline_samples:
            baseline_samples[base] = samples_of(base)
        thresholds = config.drift_thresholds(name)
        model_id = ids_by_name[name]
        for (m_id, tier), sample in sorted(current.items()):
            before = baseline_samples[base].get((m_id, tier))
            if m_id == model_id and before is not None:
                comparisons.extend(
                    compare_samples(
                        name, tier, before, sample, thresholds, base, judged=judge_id is not None
                    )
                )
    findings = assess(comparisons)
    report = build_report(
        suite=suite.name,
        run_id=run_id,
        findings=findings,
        baselines=baselines,
        config=config,
        measured={models[m_id].name: s for (m_id, _), s in _per_model(current).items()},
        display_names={m.name: _display_name(m) for m in models.values()},
        generation=generation or {},
        judge=judge_name,
        judging=judging or {},
    )
    ids = ids_by_name
    with session_scope(engine) as session:
        stored = Rebench(suite_id=suite.id, run_id=run_id, alerts=0, report={})
        session.add(stored)
        session.flush()
        assert stored.id is not None
        report["rebench_id"] = stored.id
        stored.report = report
        stored.alerts = sum(f.verdict == "drift" for f in findings)
        stored.finished_at = utc_now()
        for f in findings:
            c = f.comparison
            session.add(
                DriftFinding(
                    rebench_id=stored.id,
                    model_id=ids[c.model],
                    tier=c.tier,
                    metric=c.metric.name,
                    baseline_run_id=c.baseline_run_id,
                    baseline=c.change.baseline,
                    current=c.change.current,
                    effect=c.change.effect,
                    p_value=c.change.p_value,
                    p_adjusted=f.p_adjusted,
                    threshold=f.threshold,
                    n_baseline=c.change.n_baseline,
                    n_current=c.change.n_current,
                    verdict=f.verdict,
                )
            )
        rebench_id = stored.id
    return RebenchResult(rebench_id, run_id, findings, baselines, report)


def _display_name(model: Model) -> str:
    from blindside.config import display_name

    return display_name(model.name, simulated=model.simulated)


def _per_model(samples: dict[tuple[int, int], TierSample]) -> dict[tuple[int, int], TierSample]:
    """All tiers of each model merged, keyed ``(model_id, 0)``."""
    merged: dict[tuple[int, int], TierSample] = {}
    for (model_id, _), s in sorted(samples.items()):
        m = merged.setdefault((model_id, 0), TierSample())
        m.tasks += s.tasks
        m.failed += s.failed
        m.scored += s.scored
        m.correct += s.correct
        m.latencies_ms += s.latencies_ms
        m.ttfts_ms += s.ttfts_ms
        m.costs_usd += s.costs_usd
        m.consistency += s.consistency
        m.judge_preference += s.judge_preference
    return merged


def rebench(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    suite_name: str,
    model_names: Sequence[str] | None = None,
    samples: int = 1,
    baseline_run_id: int | None = None,
    concurrency: int = 16,
    max_cost_usd: float | None = None,
    judge_name: str | None = None,
    on_progress: Any = None,
) -> RebenchResult:
    """Run ``suite_name`` again (a new run) and judge it with :func:`assess_run`.

    With a judge (``judge_name``, else ``[drift] judge``), the judge is first asked for
    its missing verdicts on the pairs of the new run and of the baselines, within what is
    left of ``max_cost_usd``.
    """
    from blindside.engine.run import generate

    result = generate(
        engine,
        config,
        settings,
        suite_name=suite_name,
        model_names=model_names,
        samples=samples,
        concurrency=concurrency,
        new_run=True,
        max_cost_usd=max_cost_usd,
        on_progress=on_progress,
    )
    generation = {
        "requested": result.requested,
        "succeeded": result.succeeded,
        "failed": result.failed,
        "cost_usd": result.cost_usd,
        "wall_s": result.wall_s,
        "stop_reason": result.stop_reason,
    }
    judge = judge_name or config.drift_judge
    judging: dict[str, Any] = {}
    if judge is not None:
        left = None if max_cost_usd is None else max_cost_usd - result.cost_usd
        judging = judge_pairs(
            engine,
            config,
            settings,
            suite_name=suite_name,
            judge_name=judge,
            run_ids=[
                result.run_id,
                *baseline_runs(engine, result.run_id, baseline_run_id).values(),
            ],
            max_cost_usd=left,
            concurrency=concurrency,
        )
        judge = judging["judge"]
    return assess_run(
        engine,
        config,
        result.run_id,
        baseline_run_id=baseline_run_id,
        generation=generation,
        judge_name=judge,
        judging=judging,
    )


def judge_pairs(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    suite_name: str,
    judge_name: str,
    run_ids: Sequence[int | None],
    max_cost_usd: float | None,
    concurrency: int,
) -> dict[str, Any]:
    """Ask the judge for its missing verdicts on the pairs of ``run_ids``; what it did.

    Verdicts already stored are reused (:func:`~blindside.judge.run.judge_suite` resumes),
    so a baseline is judged once. With no budget left nothing is asked, and the judge
    preference rests on the verdicts already stored.
    """
    from blindside.judge.run import judge_suite, resolve_judge

    name = resolve_judge(config, judge_name).name
    if max_cost_usd is not None and max_cost_usd <= 0:
        return {"judge": name, "stop_reason": "budget spent by the generation"}
    judged = judge_suite(
        engine,
        config,
        settings,
        suite_name=suite_name,
        judge_name=name,
        run_ids=sorted({r for r in run_ids if r is not None}),
        max_cost_usd=max_cost_usd,
        concurrency=concurrency,
    )
    return {
        "judge": name,
        "judge_run_id": judged.judge_run_id,
        "requested": judged.requested,
        "verdicts": judged.verdicts,
        "parse_failures": judged.parse_failures,
        "failed": judged.failed,
        "already_done": judged.already_done,
        "cost_usd": judged.cost_usd,
        "stop_reason": judged.stop_reason,
    }

"""``blindside judge``: a configured model judges a suite's pairs in both orders.

The pairs are the ones raters see (:func:`blindside.pairing.build_pairs`). Each pair is
judged twice, its first answer shown as A and then its second, so a judge that favours
the first position cancels out of the ranking and its lean can be measured. Requests go
through the engine's one path (:func:`blindside.engine.attempts.answer_task`: limits,
retries, circuit breaker), with no fallback model: a verdict is the judge's own or none.

Resumable like ``generate``: a judge run is keyed on (suite, judge model, rubrics), every
verdict is committed as it arrives, and a rerun asks only for the (pair, order) verdicts
still missing. A reply that does not parse is a verdict too (a recorded parse failure);
only a failed request is asked again.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from blindside.config import ModelConfig, ProjectConfig, Settings
from blindside.config.rubrics import rubric_for
from blindside.db import session_scope
from blindside.engine.budget import Budget
from blindside.engine.run import GenerationError, Progress
from blindside.engine.tasks import Answer, Task
from blindside.errors import InputError, Problem
from blindside.judge.prompt import judge_messages, parse_verdict, rubric_hash
from blindside.tables import (
    JudgeRun,
    JudgeVerdict,
    Model,
    Pair,
    Prompt,
    Response,
    Suite,
    Vote,
    utc_now,
)

__all__ = ["JudgeProgress", "JudgeResult", "judge_suite", "resolve_judge"]


@dataclass
class JudgeProgress(Progress):
    """:class:`~blindside.engine.run.Progress` plus the replies that did not parse."""

    parse_failures: int = 0


@dataclass(frozen=True)
class JudgeResult:
    """Outcome of one call of :func:`judge_suite`."""

    judge_run_id: int
    judge_model_id: int
    pairs: int
    requested: int
    verdicts: int
    parse_failures: int
    failed: int
    already_done: int
    not_requested: int
    cost_usd: float
    wall_s: float
    stop_reason: str | None
    errors_by_class: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
    """One verdict to ask for: a pair in one order, and the request's task."""

    pair_id: int
    position: int
    left_response_id: int
    right_response_id: int
    task: Task


def resolve_judge(config: ProjectConfig, name: str) -> ModelConfig:
    """The configured model called ``name`` (a name or a model id).

    Raises
    ------
    GenerationError
        When no model has that name or id.
    """
    for model in config.models:
        if name in (model.name, model.model_id):
            return model
    known = ", ".join(m.name for m in config.models)
    raise GenerationError(f"unknown judge model {name!r}; configured: {known}")


def _check_rubric_suites(config: ProjectConfig, suites: Sequence[str]) -> None:
    """A ``[[judge_rubrics]]`` entry naming no loaded suite is a file:line:field problem."""
    problems = [
        Problem(
            str(config.path),
            rubric.line,
            "suite",
            f"judge rubric for tier {rubric.tier}: unknown suite {rubric.suite!r} "
            f"(loaded: {', '.join(suites) or 'none'})",
        )
        for rubric in config.judge_rubrics
        if rubric.suite is not None and rubric.suite not in suites
    ]
    if problems:
        raise InputError(problems)


def _plan(
    engine: Engine,
    config: ProjectConfig,
    suite: Suite,
    judge: ModelConfig,
    judge_row_id: int,
    run_id: int,
    rubrics: dict[int, str],
    max_pairs: int | None,
    run_ids: Sequence[int] | None = None,
) -> tuple[list[_Job], int, int]:
    """The verdicts still missing in the run, the number stored for the pairs in scope, and
    how many pairs are in scope.

    Pairs already judged in this run come first, then those with the most human votes (so
    agreement has pairs to rest on), then by id: rerunning with the same ``--pairs`` finishes
    the same pairs.
    """
    with session_scope(engine) as session:
        judged = (
            select(func.count())
            .where(col(JudgeVerdict.judge_run_id) == run_id)
            .where(col(JudgeVerdict.pair_id) == col(Pair.id))
            .scalar_subquery()
        )
        votes = select(func.count()).where(col(Vote.pair_id) == col(Pair.id)).scalar_subquery()
        query = (
            select(Pair.id, Pair.prompt_id, Pair.response_a_id, Pair.response_b_id)
            .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
            .where(col(Prompt.suite_id) == suite.id)
            .order_by(judged.desc(), votes.desc(), col(Pair.id))
        )
        if run_ids is not None:
            # Both answers of a pair come from one run (pairing.build_pairs).
            query = query.join(Response, col(Response.id) == col(Pair.response_a_id)).where(
                col(Response.run_id).in_(list(run_ids))
            )
        if max_pairs is not None:
            query = query.limit(max_pairs)
        pairs = session.exec(query).all()
        prompt_ids = {p[1] for p in pairs}
        prompts = {
            p.id: p for p in session.exec(select(Prompt).where(col(Prompt.id).in_(prompt_ids)))
        }
        answer_ids = {a for p in pairs for a in p[2:]}
        texts = dict(
            session.exec(
                select(Response.id, Response.text).where(col(Response.id).in_(answer_ids))
            ).all()
        )
        done = set(
            session.exec(
                select(JudgeVerdict.pair_id, JudgeVerdict.position).where(
                    JudgeVerdict.judge_run_id == run_id, col(JudgeVerdict.error).is_(None)
                )
            ).all()
        )
    jobs: list[_Job] = []
    for pair_id, prompt_id, first, second in pairs:
        prompt = prompts[prompt_id]
        for position, (left, right) in enumerate(((first, second), (second, first))):
            if (pair_id, position) in done:
                continue
            rubric = rubrics[prompt.tier]
            messages = judge_messages(
                rubric, prompt.messages, texts.get(left) or "", texts.get(right) or ""
            )
            task = Task(
                prompt_id=prompt_id,
                model_row_id=judge_row_id,
                sample=0,
                messages=messages,
                tools=None,
                chain=(judge,),
            )
            jobs.append(_Job(pair_id, position, left, right, task))
    in_scope = {pair_id for pair_id, *_ in pairs}
    return jobs, sum(pair_id in in_scope for pair_id, _ in done), len(pairs)


def _find_or_create_run(
    engine: Engine, suite_id: int, judge_row_id: int, key: str, max_cost_usd: float | None
) -> int:
    with session_scope(engine) as session:
        run = session.exec(
            select(JudgeRun).where(
                JudgeRun.suite_id == suite_id,
                JudgeRun.judge_model_id == judge_row_id,
                JudgeRun.rubric_hash == key,
            )
        ).first()
        if run is None:
            run = JudgeRun(suite_id=suite_id, judge_model_id=judge_row_id, rubric_hash=key)
        run.status = "running"
        run.finished_at = None
        run.stop_reason = None
        run.max_cost_usd = max_cost_usd
        session.add(run)
        session.flush()
        return run.id  # type: ignore[return-value]


def _store(engine: Engine, run_id: int, job: _Job, answer: Answer) -> JudgeVerdict:
    """Commit one verdict (replacing a failed request's row); returns what was stored."""
    verdict = parse_verdict(answer.text) if answer.ok else None
    values: dict[str, Any] = {
        "judge_model_id": job.task.model_row_id,
        "left_response_id": job.left_response_id,
        "right_response_id": job.right_response_id,
        "choice": verdict.choice if verdict else None,
        "parse_error": verdict.error if verdict else None,
        "raw_reply": answer.text,
        "error": None if answer.ok else answer.error,
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "cost_usd": answer.cost_usd,
        "latency_ms": answer.latency_ms,
        "attempts": answer.attempts,
        "created_at": utc_now(),
    }
    with session_scope(engine) as session:
        row = session.exec(
            select(JudgeVerdict).where(
                JudgeVerdict.judge_run_id == run_id,
                JudgeVerdict.pair_id == job.pair_id,
                JudgeVerdict.position == job.position,
            )
        ).first()
        if row is None:
            row = JudgeVerdict(
                judge_run_id=run_id, pair_id=job.pair_id, position=job.position, **values
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
        session.add(row)
        session.flush()
        session.expunge(row)
        return row


async def judge_suite_async(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    suite_name: str,
    judge_name: str,
    max_pairs: int | None = None,
    run_ids: Sequence[int] | None = None,
    max_cost_usd: float | None = None,
    concurrency: int = 8,
    on_progress: Callable[[JudgeProgress], None] | None = None,
) -> JudgeResult:
    """Ask a judge model for every missing verdict on a suite's pairs, both orders each.

    Parameters
    ----------
    engine : Engine
        Database with the suite's answers and pairs (``blindside generate``).
    config : ProjectConfig
        Parsed models.toml: the judge model and the ``[[judge_rubrics]]``.
    settings : Settings
        Where the demo provider lives, among others.
    suite_name : str
        The suite whose pairs are judged.
    judge_name : str
        A configured model's name or model id.
    max_pairs : int, optional
        Judge at most this many pairs (two verdicts each).
    run_ids : sequence of int, optional
        Judge only the pairs of these generation runs (``rebench``); default every run.
    max_cost_usd : float, optional
        Stop asking before the spend of this call would pass it.
    concurrency : int
        Requests in flight at most (the endpoint's own limits apply too).
    on_progress : callable, optional
        Called with :class:`JudgeProgress` after every verdict.

    Returns
    -------
    JudgeResult

    Raises
    ------
    GenerationError
        Unknown suite or judge, or bad arguments.
    InputError
        A ``[[judge_rubrics]]`` entry names a suite that is not loaded.
    """
    if max_pairs is not None and max_pairs < 1:
        raise GenerationError("--pairs must be at least 1")
    if concurrency < 1:
        raise GenerationError("--concurrency must be at least 1")
    if max_cost_usd is not None and max_cost_usd <= 0:
        raise GenerationError("--max-cost must be a positive amount of USD")
    from blindside.client.endpoints import check_api_keys, endpoint_base_urls, make_client
    from blindside.engine.attempts import answer_task

    judge = resolve_judge(config, judge_name)
    check_api_keys([judge.endpoint])
    with session_scope(engine) as session:
        suites = list(session.exec(select(Suite.name).order_by(Suite.name)).all())
        suite = session.exec(select(Suite).where(Suite.name == suite_name)).first()
        judge_row_id = session.exec(select(Model.id).where(Model.name == judge.name)).first()
        tiers = sorted(
            set(
                session.exec(
                    select(Prompt.tier).where(Prompt.suite_id == (suite.id if suite else -1))
                )
            )
        )
        if suite is not None:
            session.expunge(suite)
    _check_rubric_suites(config, suites)
    if suite is None:
        raise GenerationError(
            f"unknown suite {suite_name!r} (known: {', '.join(suites) or 'none'})"
        )
    if judge_row_id is None:
        raise GenerationError(f"judge model {judge.name!r} is not registered, run `blindside init`")
    rubrics = {tier: rubric_for(config.judge_rubrics, suite.name, tier) for tier in tiers}
    run_id = _find_or_create_run(
        engine,
        suite.id,
        judge_row_id,
        rubric_hash(rubrics),
        max_cost_usd,  # type: ignore[arg-type]
    )
    jobs, already_done, n_pairs = _plan(
        engine, config, suite, judge, judge_row_id, run_id, rubrics, max_pairs, run_ids
    )
    progress = JudgeProgress(total=len(jobs))
    budget = Budget(max_cost_usd)
    errors: dict[str, int] = {}
    verdicts = 0

    with endpoint_base_urls([judge.endpoint], settings, config.models) as urls:
        client = make_client(judge.endpoint, urls[judge.endpoint.name])
        ask = functools.partial(
            answer_task,
            clients={judge.endpoint.name: client},
            seeded=False,
            rng=random.Random(),
            secrets=[judge.endpoint.api_key()],
        )
        pending = list(reversed(jobs))

        async def worker() -> None:
            nonlocal verdicts
            while pending:
                job = pending.pop()
                reserved = budget.reserve(job.task)
                if reserved is None:
                    progress.not_requested += 1
                    continue
                answer = await ask(job.task)
                budget.settle(reserved, judge.name, answer.cost_usd)
                row = await asyncio.to_thread(_store, engine, run_id, job, answer)
                progress.done += 1
                progress.retries += max(0, answer.attempts - 1)
                progress.cost_usd += answer.cost_usd or 0.0
                if row.error is not None:
                    progress.errors += 1
                    kind = answer.error_class or "other"
                    errors[kind] = errors.get(kind, 0) + 1
                elif row.choice is None:
                    progress.parse_failures += 1
                else:
                    verdicts += 1
                if on_progress is not None:
                    on_progress(progress)

        try:
            await asyncio.gather(*(worker() for _ in range(min(concurrency, len(jobs)))))
        finally:
            await client.close()

    stop_reason = None
    if progress.not_requested:
        stop_reason = (
            f"budget: the next verdicts would pass ${max_cost_usd:.2f} "
            f"({progress.not_requested} not requested)"
        )
    with session_scope(engine) as session:
        run = session.get(JudgeRun, run_id)
        assert run is not None
        run.finished_at = utc_now()
        run.status = (
            "stopped" if stop_reason else ("finished" if progress.errors == 0 else "incomplete")
        )
        run.stop_reason = stop_reason
        session.add(run)
    return JudgeResult(
        judge_run_id=run_id,
        judge_model_id=judge_row_id,
        pairs=n_pairs,
        requested=len(jobs) - progress.not_requested,
        verdicts=verdicts,
        parse_failures=progress.parse_failures,
        failed=progress.errors,
        already_done=already_done,
        not_requested=progress.not_requested,
        cost_usd=progress.cost_usd,
        wall_s=progress.elapsed_s,
        stop_reason=stop_reason,
        errors_by_class=errors,
    )


def judge_suite(
    engine: Engine, config: ProjectConfig, settings: Settings, **options: Any
) -> JudgeResult:
    """:func:`judge_suite_async` run to completion in its own event loop (CLI)."""
    return asyncio.run(judge_suite_async(engine, config, settings, **options))

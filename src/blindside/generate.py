"""Async generation engine: run a suite's prompts through models, store every answer.

A run is keyed on its configuration (suite content, models, samples): running
the same command again resumes that run and requests only the (prompt, model,
sample) triples that have no successful answer yet, so nothing already paid
for is requested twice. Answers are written in batches by one writer task.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from blindside.config import ModelConfig, ProjectConfig, Settings
from blindside.db import session_scope
from blindside.pairing import build_pairs
from blindside.pricing import cost_usd
from blindside.providers.endpoints import check_api_keys, endpoint_base_urls, make_client
from blindside.tables import Model, Prompt, Response, Run, Suite, utc_now

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
WRITE_BATCH = 64
WRITE_INTERVAL_S = 0.25


class GenerationError(Exception):
    """A run cannot start (unknown suite or model, nothing to do with)."""


@dataclass(frozen=True)
class Task:
    """One answer to produce: a prompt, a model and a sample index."""

    prompt_id: int
    model_row_id: int
    sample: int
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    model: ModelConfig


@dataclass
class Answer:
    """What one task produced; becomes (or replaces) a Response row."""

    task: Task
    text: str | None = None
    finish_reason: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    attempts: int = 0
    error: str | None = None


@dataclass
class Progress:
    """Live counters, handed to the progress callback after every answer."""

    total: int
    done: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta_s(self) -> float | None:
        if self.done == 0:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


@dataclass(frozen=True)
class RunResult:
    """Outcome of one call of :func:`generate`."""

    run_id: int
    requested: int
    succeeded: int
    failed: int
    skipped: int
    cost_usd: float
    pairs_created: int
    wall_s: float


ProgressCallback = Callable[[Progress], None]


def classify_error(exc: BaseException) -> str:
    """Name the class of a failed request (rate_limit, timeout, server_error, ...)."""
    if isinstance(exc, openai.APITimeoutError | asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limit"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "auth"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return "server_error"
        message = str(exc).lower()
        if "context" in message and "length" in message:
            return "context_length"
        if "content" in message and "filter" in message:
            return "content_filter"
        return "other"
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError | KeyError):
        return "bad_response"
    return "other"


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    return isinstance(exc, openai.APIConnectionError | asyncio.TimeoutError)


def _redact(message: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 8:
            message = message.replace(secret, "[redacted]")
    return message[:500]


def run_config_hash(suite_hash: str, model_names: Sequence[str], samples: int) -> str:
    """Identity of a run's configuration: same suite content, models and samples."""
    payload = json.dumps({"suite": suite_hash, "models": sorted(model_names), "samples": samples})
    return hashlib.sha256(payload.encode()).hexdigest()


async def _complete_once(
    client: AsyncOpenAI, task: Task, *, stream: bool, seed: int | None
) -> Answer:
    params: dict[str, Any] = dict(task.model.params)
    if seed is not None:
        params["seed"] = seed
    if task.tools:
        params["tools"] = task.tools
    answer = Answer(task=task)
    start = time.perf_counter()
    if not stream:
        completion = await client.chat.completions.create(
            model=task.model.model_id,
            messages=task.messages,
            **params,  # type: ignore[arg-type]
        )
        answer.latency_ms = (time.perf_counter() - start) * 1000
        choice = completion.choices[0]
        answer.text = choice.message.content or _tool_calls_text(choice.message.tool_calls)
        answer.finish_reason = choice.finish_reason
        usage = completion.usage
    else:
        parts: list[str] = []
        tool_calls: dict[int, dict[str, str]] = {}
        usage = None
        chunks = await client.chat.completions.create(
            model=task.model.model_id,
            messages=task.messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
            **params,
        )
        async for chunk in chunks:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    if answer.ttft_ms is None:
                        answer.ttft_ms = (time.perf_counter() - start) * 1000
                    parts.append(delta.content)
                for call in delta.tool_calls or []:
                    if answer.ttft_ms is None:
                        answer.ttft_ms = (time.perf_counter() - start) * 1000
                    slot = tool_calls.setdefault(call.index, {"name": "", "arguments": ""})
                    if call.function and call.function.name:
                        slot["name"] += call.function.name
                    if call.function and call.function.arguments:
                        slot["arguments"] += call.function.arguments
                if choice.finish_reason:
                    answer.finish_reason = choice.finish_reason
        answer.latency_ms = (time.perf_counter() - start) * 1000
        answer.text = "".join(parts) or (
            json.dumps(list(tool_calls.values())) if tool_calls else ""
        )
    if usage is not None:
        details = getattr(usage, "prompt_tokens_details", None)
        answer.input_tokens = usage.prompt_tokens
        answer.cached_tokens = (getattr(details, "cached_tokens", None) or 0) if details else 0
        answer.output_tokens = usage.completion_tokens
        answer.cost_usd = cost_usd(
            task.model.pricing,
            prompt_tokens=answer.input_tokens or 0,
            cached_tokens=answer.cached_tokens or 0,
            completion_tokens=answer.output_tokens or 0,
        )
    return answer


def _tool_calls_text(tool_calls: Any) -> str:
    if not tool_calls:
        return ""
    return json.dumps(
        [{"name": c.function.name, "arguments": c.function.arguments} for c in tool_calls]
    )


async def _complete_with_retries(
    client: AsyncOpenAI,
    task: Task,
    *,
    stream: bool,
    seed: int | None,
    max_attempts: int,
    secrets: Sequence[str],
) -> Answer:
    for attempt in range(1, max_attempts + 1):
        try:
            answer = await _complete_once(client, task, stream=stream, seed=seed)
            answer.attempts = attempt
            return answer
        except Exception as exc:  # every failure is classified and stored, none escapes
            if attempt < max_attempts and _is_retryable(exc):
                # Full jitter keeps many failed requests from retrying in lockstep.
                await asyncio.sleep(random.uniform(0, 0.25 * 2**attempt))
                continue
            return Answer(
                task=task,
                attempts=attempt,
                error=f"{classify_error(exc)}: {_redact(str(exc), secrets)}",
            )
    raise AssertionError("unreachable")


def _store_answers(engine: Engine, run_id: int, answers: Sequence[Answer]) -> None:
    """Insert or update the answers' rows in one transaction.

    An earlier failed attempt's row is replaced; a successful row is never
    overwritten (the planner never asks for it again).
    """
    with session_scope(engine) as session:
        for answer in answers:
            task = answer.task
            row = session.exec(
                select(Response).where(
                    Response.run_id == run_id,
                    Response.prompt_id == task.prompt_id,
                    Response.model_id == task.model_row_id,
                    Response.sample == task.sample,
                )
            ).first()
            if row is None:
                row = Response(
                    run_id=run_id,
                    prompt_id=task.prompt_id,
                    model_id=task.model_row_id,
                    sample=task.sample,
                )
            elif row.error is None:
                continue
            row.text = answer.text
            row.finish_reason = answer.finish_reason
            row.latency_ms = answer.latency_ms
            row.ttft_ms = answer.ttft_ms
            row.input_tokens = answer.input_tokens
            row.cached_tokens = answer.cached_tokens
            row.output_tokens = answer.output_tokens
            row.cost_usd = answer.cost_usd
            row.attempts = row.attempts + answer.attempts
            row.served_by = task.model.name if answer.error is None else None
            row.error = answer.error
            row.created_at = utc_now()
            session.add(row)


async def _writer(engine: Engine, run_id: int, queue: asyncio.Queue[Answer | None]) -> None:
    batch: list[Answer] = []
    finished = False
    while not finished:
        try:
            item = await asyncio.wait_for(queue.get(), timeout=WRITE_INTERVAL_S)
            if item is None:
                finished = True
            else:
                batch.append(item)
        except TimeoutError:
            pass
        if batch and (finished or len(batch) >= WRITE_BATCH or queue.empty()):
            # The database call runs in a thread so requests keep flowing meanwhile.
            await asyncio.to_thread(_store_answers, engine, run_id, batch)
            batch = []


def _find_or_create_run(
    engine: Engine, suite: Suite, models: Sequence[ModelConfig], samples: int, new_run: bool
) -> int:
    config_hash = run_config_hash(suite.content_hash, [m.name for m in models], samples)
    with session_scope(engine) as session:
        if not new_run:
            run = session.exec(
                select(Run).where(Run.config_hash == config_hash).order_by(col(Run.id).desc())
            ).first()
            if run is not None:
                run.status = "running"
                run.finished_at = None
                session.add(run)
                return run.id  # type: ignore[return-value]
        run = Run(
            suite_id=suite.id,  # type: ignore[arg-type]
            samples_per_prompt=samples,
            config_hash=config_hash,
            model_names=[m.name for m in models],
        )
        session.add(run)
        session.flush()
        return run.id  # type: ignore[return-value]


def plan_tasks(
    engine: Engine, run_id: int, models: Sequence[ModelConfig], samples: int
) -> tuple[list[Task], int]:
    """Tasks still missing a successful answer in this run, and how many are done.

    Returns
    -------
    tasks : list of Task
    already_done : int
    """
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        prompts = session.exec(
            select(Prompt).where(Prompt.suite_id == run.suite_id).order_by(col(Prompt.id))
        ).all()
        model_rows = {
            m.name: m
            for m in session.exec(
                select(Model).where(col(Model.name).in_([m.name for m in models]))
            )
        }
        done = set(
            session.exec(
                select(Response.prompt_id, Response.model_id, Response.sample).where(
                    Response.run_id == run_id, col(Response.error).is_(None)
                )
            ).all()
        )
    tasks: list[Task] = []
    for sample in range(samples):
        for prompt in prompts:
            for model in models:
                row = model_rows[model.name]
                if (prompt.id, row.id, sample) in done:
                    continue
                tasks.append(
                    Task(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        model_row_id=row.id,  # type: ignore[arg-type]
                        sample=sample,
                        messages=prompt.messages,
                        tools=prompt.tools,
                        model=model,
                    )
                )
    return tasks, len(done)


def resolve_models(config: ProjectConfig, names: Sequence[str] | None) -> list[ModelConfig]:
    """The models a run uses: the named ones, or every active one."""
    if not names:
        models = config.active_models()
    else:
        known = {m.name: m for m in config.models}
        by_id = {m.model_id: m for m in config.models}
        missing = [n for n in names if n not in known and n not in by_id]
        if missing:
            raise GenerationError(
                f"unknown model(s): {', '.join(missing)}; configured: "
                + ", ".join(m.name for m in config.models)
            )
        models = [known.get(n) or by_id[n] for n in names]
    if len(models) < 2:
        raise GenerationError("a run needs at least two models to compare")
    return models


async def generate_async(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    suite_name: str,
    model_names: Sequence[str] | None = None,
    samples: int = 1,
    concurrency: int = 16,
    max_attempts: int = 3,
    new_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Generate every missing answer of a run; see :func:`generate`."""
    if samples < 1 or concurrency < 1:
        raise GenerationError("--samples and --concurrency must be at least 1")
    models = resolve_models(config, model_names)
    endpoints = {m.endpoint.name: m.endpoint for m in models}
    check_api_keys(endpoints.values())
    with session_scope(engine) as session:
        suite = session.exec(select(Suite).where(Suite.name == suite_name)).first()
        if suite is None:
            names = ", ".join(s.name for s in session.exec(select(Suite))) or "none loaded"
            raise GenerationError(f"unknown suite '{suite_name}' (known: {names})")
        registered = {
            m.name
            for m in session.exec(
                select(Model).where(col(Model.name).in_([m.name for m in models]))
            )
        }
    unregistered = [m.name for m in models if m.name not in registered]
    if unregistered:
        raise GenerationError(f"model(s) not registered, run `blindside init`: {unregistered}")

    run_id = _find_or_create_run(engine, suite, models, samples, new_run)
    tasks, already_done = plan_tasks(engine, run_id, models, samples)
    progress = Progress(total=len(tasks))
    queue: asyncio.Queue[Answer | None] = asyncio.Queue()
    writer = asyncio.create_task(_writer(engine, run_id, queue))
    secrets = [e.api_key() for e in endpoints.values()]
    global_slots = asyncio.Semaphore(concurrency)
    endpoint_slots = {name: asyncio.Semaphore(e.max_concurrency) for name, e in endpoints.items()}
    succeeded = failed = 0

    with endpoint_base_urls(endpoints.values(), settings) as urls:
        clients = {name: make_client(e, urls[name]) for name, e in endpoints.items()}

        async def run_task(task: Task) -> None:
            nonlocal succeeded, failed
            endpoint = task.model.endpoint
            async with global_slots, endpoint_slots[endpoint.name]:
                answer = await _complete_with_retries(
                    clients[endpoint.name],
                    task,
                    stream=endpoint.stream,
                    seed=task.sample if samples > 1 else None,
                    max_attempts=max_attempts,
                    secrets=secrets,
                )
            await queue.put(answer)
            progress.done += 1
            if answer.error is None:
                succeeded += 1
                progress.cost_usd += answer.cost_usd or 0.0
            else:
                failed += 1
                progress.errors += 1
            if on_progress is not None:
                on_progress(progress)

        try:
            await asyncio.gather(*(run_task(t) for t in tasks))
        finally:
            await queue.put(None)
            await writer
            for client in clients.values():
                await client.close()

    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at = utc_now()
        run.status = "finished" if failed == 0 else "incomplete"
        session.add(run)
    pairs = build_pairs(engine, run_id)
    return RunResult(
        run_id=run_id,
        requested=len(tasks),
        succeeded=succeeded,
        failed=failed,
        skipped=already_done,
        cost_usd=progress.cost_usd,
        pairs_created=pairs,
        wall_s=progress.elapsed_s,
    )


def generate(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    suite_name: str,
    model_names: Sequence[str] | None = None,
    samples: int = 1,
    concurrency: int = 16,
    max_attempts: int = 3,
    new_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Run a suite through models and store every answer (resumable).

    Parameters
    ----------
    engine : Engine
        Database with the suite and models registered (``blindside init``).
    config : ProjectConfig
        Parsed models.toml.
    settings : Settings
        Where the demo provider lives, among others.
    suite_name : str
        Suite to run.
    model_names : sequence of str, optional
        Model names or model ids; every active model when omitted.
    samples : int
        Answers per (prompt, model), for consistency scoring.
    concurrency : int
        Requests in flight at most (each endpoint also caps its own).
    max_attempts : int
        Attempts per answer on retryable errors.
    new_run : bool
        Start a new run even if one with the same configuration exists.
    on_progress : callable, optional
        Called with :class:`Progress` after every answer.

    Returns
    -------
    RunResult
    """
    return asyncio.run(
        generate_async(
            engine,
            config,
            settings,
            suite_name=suite_name,
            model_names=model_names,
            samples=samples,
            concurrency=concurrency,
            max_attempts=max_attempts,
            new_run=new_run,
            on_progress=on_progress,
        )
    )

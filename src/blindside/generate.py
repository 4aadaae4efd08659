"""Async generation engine: run a suite's prompts through models, store every answer.

A run is keyed on its configuration (suite content, models, samples): running
the same command again resumes that run and requests only the (prompt, model,
sample) triples with no successful answer yet. Every finished answer is
journaled before it is handed to the batched database writer, so a killed
process loses nothing it paid for (:mod:`blindside.journal`).

Per endpoint, requests pass a limiter shared by every run in the process
(concurrency, rpm, tpm: :mod:`blindside.limits`) and are retried with
jittered exponential backoff that honours ``Retry-After``
(:mod:`blindside.retry`). When a model still fails, or its circuit is open
(:mod:`blindside.breaker`), the next model of its fallback chain serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from openai import AsyncOpenAI
from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from blindside.breaker import breaker_for
from blindside.config import EndpointConfig, ModelConfig, ProjectConfig, Settings
from blindside.db import session_scope
from blindside.identity import answer_checks
from blindside.identity import model_names as identifying_names
from blindside.journal import Journal, journal_path, read_journal
from blindside.limits import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    EndpointLimitConfig,
    estimate_tokens,
    limiter_for,
)
from blindside.pairing import build_pairs
from blindside.pricing import cost_usd
from blindside.providers.endpoints import check_api_keys, endpoint_base_urls, make_client
from blindside.redaction import redact
from blindside.retry import BadResponseError, RetryPolicy, classify_error, retry_delay, should_retry
from blindside.scorecard import prompt_scorers, score_columns
from blindside.streaming import stream_chat_completion
from blindside.tables import Model, Prompt, Response, Run, Suite, utc_now

PROVIDER_FAILURES = frozenset({"rate_limit", "timeout", "server_error", "bad_response"})
WRITE_BATCH = 500
WRITE_INTERVAL_S = 1.0
CHARS_PER_TOKEN = 4


class GenerationError(Exception):
    """A run cannot start (unknown suite or model, bad arguments)."""


@dataclass(frozen=True)
class Task:
    """One answer to produce: a prompt, a model (with its fallback chain) and a sample."""

    prompt_id: int
    model_row_id: int
    sample: int
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    chain: tuple[ModelConfig, ...]

    @property
    def model(self) -> ModelConfig:
        return self.chain[0]


@dataclass
class Answer:
    """What one task produced; becomes (or replaces) a Response row."""

    prompt_id: int
    model_row_id: int
    sample: int
    text: str | None = None
    finish_reason: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    itl_mean_ms: float | None = None
    itl_p95_ms: float | None = None
    output_tokens_per_s: float | None = None
    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False
    cost_usd: float | None = None
    attempts: int = 0
    retry_wait_ms: float = 0.0
    served_by: str | None = None
    is_fallback: bool = False
    error_class: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Progress:
    """Live counters, handed to the progress callback after every answer."""

    total: int
    done: int = 0
    errors: int = 0
    retries: int = 0
    fallbacks: int = 0
    not_requested: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta_s(self) -> float | None:
        if self.done == 0:
            return None
        return self.elapsed_s / self.done * (self.total - self.done - self.not_requested)


@dataclass(frozen=True)
class RunResult:
    """Outcome of one call of :func:`generate`."""

    run_id: int
    requested: int
    succeeded: int
    failed: int
    skipped: int
    not_requested: int
    recovered: int
    retries: int
    fallbacks: int
    cost_usd: float
    pairs_created: int
    wall_s: float
    stop_reason: str | None
    errors_by_class: dict[str, int]


ProgressCallback = Callable[[Progress], None]


class Budget:
    """Stops dispatching before the spend would pass ``max_cost_usd``.

    Before a request goes out its cost is estimated (see :meth:`estimate`) and
    reserved; the actual cost replaces the reservation when the answer
    arrives. An answer dearer than every earlier one of its model can still
    push the spend slightly past the limit.
    """

    def __init__(self, max_cost_usd: float | None) -> None:
        self.max_cost_usd = max_cost_usd
        self.spent = 0.0
        self.reserved = 0.0
        self._dearest: dict[str, float] = {}  # per model, the dearest answer so far
        self._answers: Counter[str] = Counter()  # per model, answers with a known cost
        self.stopped = False

    def estimate(self, task: Task) -> float:
        """Expected cost of a task, on the high side so the budget is not passed.

        The dearest answer of this model so far, and until five answers are in,
        no less than a guess that assumes the full output budget is used.
        """
        name = task.model.name
        dearest = self._dearest.get(name, 0.0)
        if self._answers[name] >= 5:
            return dearest
        guess = cost_usd(
            task.model.pricing,
            prompt_tokens=estimate_tokens(task.messages, 0, tools=task.tools),
            cached_tokens=0,
            completion_tokens=_max_output_tokens(task.model) or DEFAULT_MAX_OUTPUT_TOKENS,
        )
        return max(guess, dearest)

    def reserve(self, task: Task) -> float | None:
        """Reserve the task's estimated cost; None once the budget would be passed.

        Returns 0.0 without estimating anything when there is no budget.
        """
        if self.max_cost_usd is None:
            return 0.0
        amount = self.estimate(task)
        if self.stopped or self.spent + self.reserved + amount > self.max_cost_usd:
            self.stopped = True
            return None
        self.reserved += amount
        return amount

    def settle(self, reserved: float, model: str, actual: float | None) -> None:
        self.reserved -= reserved
        if actual is not None:
            self.spent += actual
            self._answers[model] += 1
            self._dearest[model] = max(actual, self._dearest.get(model, 0.0))


def _max_output_tokens(model: ModelConfig) -> int | None:
    value = model.params.get("max_completion_tokens", model.params.get("max_tokens"))
    return int(value) if isinstance(value, int | float) else None


def run_config_hash(suite_hash: str, model_names: Sequence[str], samples: int) -> str:
    """Identity of a run's configuration: same suite content, models and samples."""
    payload = json.dumps({"suite": suite_hash, "models": sorted(model_names), "samples": samples})
    return hashlib.sha256(payload.encode()).hexdigest()


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _estimate_text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) if text else 0


async def _call_once(
    client: AsyncOpenAI, model: ModelConfig, task: Task, *, seed: int | None
) -> Answer:
    """One request; returns a successful Answer or raises."""
    endpoint = model.endpoint
    params: dict[str, Any] = dict(model.params)
    if seed is not None and endpoint.supports_seed:
        params["seed"] = seed
    if task.tools:
        params["tools"] = task.tools
    answer = Answer(task.prompt_id, task.model_row_id, task.sample)
    start = time.perf_counter()
    usage: Mapping[str, Any] | None = None
    if not endpoint.stream:
        completion = await client.chat.completions.create(
            model=model.model_id,
            messages=task.messages,  # type: ignore[arg-type]
            **params,
        )
        answer.latency_ms = (time.perf_counter() - start) * 1000
        if not completion.choices:
            raise BadResponseError("the response has no choices")
        choice = completion.choices[0]
        answer.text = choice.message.content or _tool_calls_text(choice.message.tool_calls)
        answer.finish_reason = choice.finish_reason
        usage = completion.usage.model_dump() if completion.usage is not None else None
    else:
        # Raw events, not the SDK's typed chunks, which were a third of the client's
        # CPU per request (see blindside.streaming).
        body = {
            "model": model.model_id,
            "messages": task.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            **params,
        }
        reply = await stream_chat_completion(client, body)
        answer.latency_ms = (time.perf_counter() - start) * 1000
        if reply.finish_reason is None:
            # A stream cut short can look like a normal end of the body.
            raise BadResponseError("the stream ended before a finish_reason")
        answer.finish_reason = reply.finish_reason
        answer.text = reply.text
        usage = reply.usage
        times = reply.token_times
        if times:
            answer.ttft_ms = (times[0] - start) * 1000
            gaps = [(b - a) * 1000 for a, b in pairwise(times)]
            if gaps:
                answer.itl_mean_ms = sum(gaps) / len(gaps)
                answer.itl_p95_ms = _p95(gaps)
    _account_usage(answer, model, task, usage)
    if answer.ttft_ms is not None and answer.output_tokens:
        decode_s = (answer.latency_ms - answer.ttft_ms) / 1000
        if decode_s > 0:
            answer.output_tokens_per_s = answer.output_tokens / decode_s
    return answer


def _account_usage(
    answer: Answer, model: ModelConfig, task: Task, usage: Mapping[str, Any] | None
) -> None:
    """Token counts and cost, from ``usage`` or, when a provider sends none, estimated."""
    if usage is None:
        answer.tokens_estimated = True
        answer.input_tokens = estimate_tokens(task.messages, 0, tools=task.tools)
        answer.cached_tokens = 0
        answer.output_tokens = _estimate_text_tokens(answer.text or "")
    else:
        prompt_details = usage.get("prompt_tokens_details") or {}
        completion_details = usage.get("completion_tokens_details") or {}
        cached = int(prompt_details.get("cached_tokens") or 0)
        prompt = int(usage.get("prompt_tokens") or 0)
        # Some providers count cached tokens beside, not inside, the prompt tokens.
        answer.input_tokens = prompt if model.endpoint.cached_tokens_in_prompt else prompt + cached
        answer.cached_tokens = cached
        answer.output_tokens = int(usage.get("completion_tokens") or 0)
        reasoning = completion_details.get("reasoning_tokens")
        answer.reasoning_tokens = None if reasoning is None else int(reasoning)
    answer.cost_usd = cost_usd(
        model.pricing,
        prompt_tokens=answer.input_tokens,
        cached_tokens=answer.cached_tokens,
        completion_tokens=answer.output_tokens,
        batch_discount=model.endpoint.batch_discount,
    )


def _tool_calls_text(tool_calls: Any) -> str:
    if not tool_calls:
        return ""
    return json.dumps(
        [{"name": c.function.name, "arguments": c.function.arguments} for c in tool_calls]
    )


@dataclass
class _Attempts:
    count: int = 0
    wait_s: float = 0.0
    error: BaseException | None = None


async def _ask_model(
    client: AsyncOpenAI,
    model: ModelConfig,
    task: Task,
    *,
    seed: int | None,
    rng: random.Random,
    tally: _Attempts,
) -> Answer | None:
    """Ask one model with retries; None when every attempt failed (tally.error says why)."""
    endpoint = model.endpoint
    policy = RetryPolicy.from_endpoint(endpoint)
    limiter = limiter_for(endpoint.name, EndpointLimitConfig.from_endpoint(endpoint))
    estimated = (
        estimate_tokens(task.messages, _max_output_tokens(model), tools=task.tools)
        if limiter.tokens is not None
        else 0
    )
    attempt = 0
    while True:
        attempt += 1
        tally.count += 1
        try:
            async with limiter.slot(estimated):
                answer = await _call_once(client, model, task, seed=seed)
            used = (answer.input_tokens or 0) + (answer.output_tokens or 0)
            limiter.adjust_tokens(estimated, used)
            return answer
        except Exception as exc:  # every failure is classified and stored, none escapes
            tally.error = exc
            if not should_retry(exc, attempt, policy):
                return None
            delay = retry_delay(exc, attempt, policy, rng)
            tally.wait_s += delay
            await asyncio.sleep(delay)


class _Engine:
    """State of one generate call: clients, budget, journal, counters."""

    def __init__(
        self,
        clients: dict[str, AsyncOpenAI],
        secrets: list[str],
        samples: int,
        budget: Budget,
        journal: Journal,
        writer: BatchWriter,
        progress: Progress,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.clients = clients
        self.secrets = secrets
        self.samples = samples
        self.budget = budget
        self.journal = journal
        self.writer = writer
        self.progress = progress
        self.on_progress = on_progress
        self.errors: Counter[str] = Counter()
        self.succeeded = 0
        self.rng = random.Random()

    async def run_all(self, tasks: Sequence[Task], concurrency: int) -> None:
        """Run every task, at most ``concurrency`` at once, in order of dispatch.

        A fixed set of workers pulling from one queue, rather than a coroutine per
        task behind a semaphore: thousands of tasks cost no thousands of waiters.
        """
        pending = deque(tasks)

        async def worker() -> None:
            while pending:
                await self.run_task(pending.popleft())

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(pending)))))

    async def run_task(self, task: Task) -> None:
        reserved = self.budget.reserve(task)
        if reserved is None:
            self.progress.not_requested += 1
            self._report()
            return
        answer = await self._answer(task)
        self.budget.settle(reserved, task.model.name, answer.cost_usd)
        # Journal first: from here on a crash cannot make us pay for this answer again.
        self.journal.append(vars(answer))
        self.writer.add(answer)
        self.progress.done += 1
        self.progress.retries += max(0, answer.attempts - 1)
        if answer.ok:
            self.succeeded += 1
            self.progress.cost_usd += answer.cost_usd or 0.0
            self.progress.fallbacks += answer.is_fallback
        else:
            self.progress.errors += 1
            self.errors[answer.error_class or "other"] += 1
        self._report()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)

    async def _answer(self, task: Task) -> Answer:
        seed = task.sample if self.samples > 1 else None
        tally = _Attempts()
        skipped_open: list[str] = []
        for position, model in enumerate(task.chain):
            breaker = breaker_for(
                model.name,
                failure_threshold=model.endpoint.circuit_failures,
                cooldown_s=model.endpoint.circuit_cooldown_s,
            )
            # The last model of a chain is asked even with an open circuit: an
            # answer (or a real error) beats none.
            if not breaker.allow() and position < len(task.chain) - 1:
                skipped_open.append(model.name)
                continue
            answer = await _ask_model(
                self.clients[model.endpoint.name],
                model,
                task,
                seed=seed,
                rng=self.rng,
                tally=tally,
            )
            if answer is not None:
                breaker.record_success()
                answer.served_by = model.name
                answer.is_fallback = position > 0
                answer.attempts = tally.count
                answer.retry_wait_ms = tally.wait_s * 1000
                return answer
            # Only the provider's failures count against it: a prompt that is too
            # long or filtered says nothing about the model's health.
            if tally.error is not None and classify_error(tally.error) in PROVIDER_FAILURES:
                breaker.record_failure()
        exc = tally.error
        error_class = classify_error(exc) if exc is not None else "other"
        message = redact(str(exc), self.secrets)[:500] if exc is not None else "no answer"
        if skipped_open:
            message += f" (circuit open, skipped: {', '.join(skipped_open)})"
        return Answer(
            task.prompt_id,
            task.model_row_id,
            task.sample,
            attempts=tally.count,
            retry_wait_ms=tally.wait_s * 1000,
            error_class=error_class,
            error=f"{error_class}: {message}",
        )


_ANSWER_FIELDS = [
    f for f in Answer.__dataclass_fields__ if f not in ("prompt_id", "model_row_id", "sample")
]


def _store_answers(
    engine: Engine, run_id: int, answers: Sequence[Answer], names: Sequence[str]
) -> None:
    """Insert or update the answers' rows in one transaction.

    A failed row is replaced by a later attempt; a successful row is never
    overwritten, so replaying a journal twice changes nothing. Each row is
    checked for identity leaks (``names``: :func:`model_names`) and scored against its
    prompt's reference on the way in.
    Rows go in as one Core executemany (no ORM object, no ORM bulk path): the
    writer shares the GIL with the event loop, and ORM bookkeeping here
    measurably slowed whole runs.
    """
    if not answers:
        return
    with session_scope(engine) as session:
        prompt_ids = {a.prompt_id for a in answers}
        existing = {
            (prompt_id, model_id, sample): (row_id, error, attempts)
            for row_id, prompt_id, model_id, sample, error, attempts in session.exec(
                select(
                    Response.id,
                    Response.prompt_id,
                    Response.model_id,
                    Response.sample,
                    Response.error,
                    Response.attempts,
                ).where(Response.run_id == run_id, col(Response.prompt_id).in_(prompt_ids))
            )
        }
        scorers = prompt_scorers(session, prompt_ids)
        now = utc_now()
        inserts: dict[tuple[int, int, int], dict[str, Any]] = {}
        updates: list[dict[str, Any]] = []
        for answer in answers:
            key = (answer.prompt_id, answer.model_row_id, answer.sample)
            values = {name: getattr(answer, name) for name in _ANSWER_FIELDS}
            values["created_at"] = now
            values.update(answer_checks(answer.text, names))
            values.update(score_columns(answer.text, scorers.get(answer.prompt_id)))
            if key in existing:
                row_id, error, attempts = existing[key]
                if error is None:
                    continue
                updates.append({**values, "row_id": row_id, "attempts": attempts + answer.attempts})
                existing[key] = (row_id, answer.error, attempts + answer.attempts)
            elif key in inserts and inserts[key]["error"] is None:
                continue
            else:
                previous = inserts[key]["attempts"] if key in inserts else 0
                inserts[key] = {
                    **values,
                    "run_id": run_id,
                    "prompt_id": answer.prompt_id,
                    "model_id": answer.model_row_id,
                    "sample": answer.sample,
                    "attempts": previous + answer.attempts,
                }
        table = Response.__table__  # type: ignore[attr-defined]
        if inserts:
            session.execute(insert(table), list(inserts.values()))
        if updates:
            session.execute(update(table).where(table.c.id == bindparam("row_id")), updates)


class BatchWriter:
    """Stores answers in batches: every WRITE_INTERVAL_S, or once WRITE_BATCH are waiting.

    Few, large transactions keep the writer thread off the GIL most of the
    time (measured: flushing whenever the queue ran empty cost a 2,000-request
    run about 20% of its wall time), and :meth:`add` wakes nobody until a
    batch is due. The journal, not the writer, is what makes a crash safe.
    """

    def __init__(self, engine: Engine, run_id: int, names: Sequence[str]) -> None:
        self.engine = engine
        self.run_id = run_id
        self.names = names
        self._batch: list[Answer] = []
        self._due = asyncio.Event()
        self._closed = False

    def add(self, answer: Answer) -> None:
        self._batch.append(answer)
        if len(self._batch) >= WRITE_BATCH:
            self._due.set()

    def close(self) -> None:
        """No more answers: :meth:`run` stores what is left and returns."""
        self._closed = True
        self._due.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), WRITE_INTERVAL_S)
            self._due.clear()
            batch, self._batch = self._batch, []
            if batch:
                # The database call runs in a thread so requests keep flowing meanwhile.
                await asyncio.to_thread(_store_answers, self.engine, self.run_id, batch, self.names)
            if self._closed and not self._batch:
                return


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the cyclic GC's full collections off the objects that existed before the run.

    A run allocates many short-lived objects, and each full collection walked every
    long-lived one (the SDK's type modules, SQLAlchemy, Streamlit): in a process
    making three 2,000-request runs, seven full collections took 0.6 s, up to
    0.12 s each, with every stream in flight waiting (measured with
    ``gc.callbacks``). Frozen
    objects are still freed by reference counting; unfreezing at the end hands
    them back to the collector. A concurrent run's unfreeze only costs speed.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def replay_journal(engine: Engine, run_id: int, names: Sequence[str]) -> int:
    """Store the answers a killed process journaled but did not write; returns how many."""
    path = journal_path(engine, run_id)
    records = list(read_journal(path))
    answers = []
    for record in records:
        with contextlib.suppress(TypeError):
            answers.append(Answer(**record))
    _store_answers(engine, run_id, answers, names)
    path.unlink(missing_ok=True)
    return len(answers)


def _find_or_create_run(
    engine: Engine,
    suite: Suite,
    models: Sequence[ModelConfig],
    samples: int,
    new_run: bool,
    max_cost_usd: float | None,
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
                run.stop_reason = None
                run.max_cost_usd = max_cost_usd
                session.add(run)
                return run.id  # type: ignore[return-value]
        run = Run(
            suite_id=suite.id,  # type: ignore[arg-type]
            samples_per_prompt=samples,
            config_hash=config_hash,
            model_names=[m.name for m in models],
            max_cost_usd=max_cost_usd,
        )
        session.add(run)
        session.flush()
        return run.id  # type: ignore[return-value]


def fallback_chain(config: ProjectConfig, model: ModelConfig) -> tuple[ModelConfig, ...]:
    """The model followed by its fallbacks, in order, each at most once."""
    chain = [model]
    for name in model.fallbacks:
        candidate = config.model(name)
        if all(candidate.name != m.name for m in chain):
            chain.append(candidate)
    return tuple(chain)


def plan_tasks(
    engine: Engine, run_id: int, chains: Sequence[tuple[ModelConfig, ...]], samples: int
) -> tuple[list[Task], int]:
    """Tasks still missing a successful answer in this run, and how many are done."""
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        prompts = session.exec(
            select(Prompt).where(Prompt.suite_id == run.suite_id).order_by(col(Prompt.id))
        ).all()
        names = [chain[0].name for chain in chains]
        model_rows = {
            m.name: m for m in session.exec(select(Model).where(col(Model.name).in_(names)))
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
            for chain in chains:
                row = model_rows[chain[0].name]
                if (prompt.id, row.id, sample) in done:
                    continue
                tasks.append(
                    Task(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        model_row_id=row.id,  # type: ignore[arg-type]
                        sample=sample,
                        messages=prompt.messages,
                        tools=prompt.tools,
                        chain=chain,
                    )
                )
    return tasks, len(done)


def resolve_models(config: ProjectConfig, names: Sequence[str] | None) -> list[ModelConfig]:
    """The models a run uses: the named ones (names or model ids), or every active one."""
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
    new_run: bool = False,
    max_cost_usd: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Run a suite through models and store every answer (resumable, crash-safe).

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
        Answers per (prompt, model), for consistency scoring; sample ``i`` is
        sent with ``seed=i`` where the endpoint supports it.
    concurrency : int
        Answers in flight at most (each endpoint also caps its own requests).
    new_run : bool
        Start a new run even if one with the same configuration exists.
    max_cost_usd : float, optional
        Stop dispatching before the spend would pass this amount.
    on_progress : callable, optional
        Called with :class:`Progress` after every answer.

    Returns
    -------
    RunResult
    """
    if samples < 1 or concurrency < 1:
        raise GenerationError("--samples and --concurrency must be at least 1")
    if max_cost_usd is not None and max_cost_usd <= 0:
        raise GenerationError("--max-cost must be a positive amount of USD")
    models = resolve_models(config, model_names)
    chains = [fallback_chain(config, m) for m in models]
    endpoints: dict[str, EndpointConfig] = {
        m.endpoint.name: m.endpoint for chain in chains for m in chain
    }
    check_api_keys(endpoints.values())
    with session_scope(engine) as session:
        suite = session.exec(select(Suite).where(Suite.name == suite_name)).first()
        if suite is None:
            names = ", ".join(s.name for s in session.exec(select(Suite))) or "none loaded"
            raise GenerationError(f"unknown suite '{suite_name}' (known: {names})")
        registered = set(session.exec(select(Model.name)).all())
    unregistered = [m.name for m in models if m.name not in registered]
    if unregistered:
        raise GenerationError(f"model(s) not registered, run `blindside init`: {unregistered}")

    run_id = _find_or_create_run(engine, suite, models, samples, new_run, max_cost_usd)
    # Answers that name their author would unblind a vote: each is flagged (and its
    # style measured) as it is stored, against every configured name.
    names = identifying_names(engine)
    recovered = replay_journal(engine, run_id, names)
    tasks, already_done = plan_tasks(engine, run_id, chains, samples)
    progress = Progress(total=len(tasks))
    journal = Journal(journal_path(engine, run_id))
    writer = BatchWriter(engine, run_id, names)
    writing = asyncio.create_task(writer.run())

    with endpoint_base_urls(endpoints.values(), settings, config.models) as urls:
        clients = {name: make_client(e, urls[name]) for name, e in endpoints.items()}
        state = _Engine(
            clients,
            [e.api_key() for e in endpoints.values()],
            samples,
            Budget(max_cost_usd),
            journal,
            writer,
            progress,
            on_progress,
        )
        try:
            await state.run_all(tasks, concurrency)
        finally:
            writer.close()
            await writing
            for client in clients.values():
                await client.close()
    # Everything journaled is in the database now.
    journal.remove()

    failed = progress.errors
    stop_reason = None
    if progress.not_requested:
        stop_reason = (
            f"budget: the next answers would pass ${max_cost_usd:.2f} "
            f"({progress.not_requested} not requested)"
        )
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at = utc_now()
        run.status = "stopped" if stop_reason else ("finished" if failed == 0 else "incomplete")
        run.stop_reason = stop_reason
        session.add(run)
    pairs = build_pairs(engine, run_id)
    return RunResult(
        run_id=run_id,
        requested=len(tasks) - progress.not_requested,
        succeeded=state.succeeded,
        failed=failed,
        skipped=already_done,
        not_requested=progress.not_requested,
        recovered=recovered,
        retries=progress.retries,
        fallbacks=progress.fallbacks,
        cost_usd=progress.cost_usd,
        pairs_created=pairs,
        wall_s=progress.elapsed_s,
        stop_reason=stop_reason,
        errors_by_class=dict(state.errors),
    )


def generate(
    engine: Engine, config: ProjectConfig, settings: Settings, **options: Any
) -> RunResult:
    """:func:`generate_async` run to completion in its own event loop (CLI, Streamlit).

    The objects that exist before the run are kept out of the garbage
    collector's full passes while it lasts (see ``_heap_frozen``).
    """
    with _heap_frozen():
        return asyncio.run(generate_async(engine, config, settings, **options))

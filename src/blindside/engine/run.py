"""Run a suite's prompts through models and store every answer: ``generate``.

A run is keyed on its configuration (suite content, models, samples): running
the same command again resumes that run and requests only the (prompt, model,
sample) triples with no successful answer yet (:mod:`blindside.engine.tasks`).
Every finished answer is journaled before it is handed to the batched database
writer, so a killed process loses nothing it paid for
(:mod:`blindside.engine.writer`). Each answer is asked for with retries and
fallbacks (:mod:`blindside.engine.attempts`), within a budget
(:mod:`blindside.engine.budget`).

The SDK is imported when a run starts, not with this module: the CLI names
:class:`GenerationError` and :class:`Progress` without loading ``openai``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from blindside.config import EndpointConfig, ModelConfig, ProjectConfig, Settings
from blindside.db import session_scope
from blindside.engine.budget import Budget
from blindside.engine.journal import Journal, journal_path
from blindside.engine.tasks import Answer, Task, fallback_chain, find_or_create_run, plan_tasks
from blindside.engine.writer import BatchWriter, replay_journal
from blindside.identity import model_names as identifying_names
from blindside.pairing import build_pairs
from blindside.tables import Model, Run, Suite, utc_now

__all__ = [
    "GenerationError",
    "Progress",
    "ProgressCallback",
    "RunResult",
    "generate",
    "generate_async",
    "resolve_models",
]


class GenerationError(Exception):
    """A run cannot start (unknown suite or model, bad arguments)."""


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


class _Dispatcher:
    """One generate call's dispatch: budget, journal, writer and counters around each answer."""

    def __init__(
        self,
        answer: Callable[[Task], Awaitable[Answer]],
        budget: Budget,
        journal: Journal,
        writer: BatchWriter,
        progress: Progress,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.answer = answer
        self.budget = budget
        self.journal = journal
        self.writer = writer
        self.progress = progress
        self.on_progress = on_progress
        self.errors: Counter[str] = Counter()
        self.succeeded = 0

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
        answer = await self.answer(task)
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
    # The SDK loads here, when a run starts (see the module docstring).
    from blindside.client.endpoints import check_api_keys, endpoint_base_urls, make_client
    from blindside.engine.attempts import answer_task

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

    run_id = find_or_create_run(engine, suite, models, samples, new_run, max_cost_usd)
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
        answer = functools.partial(
            answer_task,
            clients=clients,
            seeded=samples > 1,
            rng=random.Random(),
            secrets=[s for e in endpoints.values() for s in e.secret_values()],
        )
        state = _Dispatcher(answer, Budget(max_cost_usd), journal, writer, progress, on_progress)
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

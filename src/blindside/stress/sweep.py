"""A stress sweep: each load in turn, bounded, stored step by step.

``blindside stress`` calls :func:`stress_models`. Each model gets its own sweep (all of a
command's sweeps share a ``batch``), run through its loads in increasing order. A sweep is
bounded twice: every step sends at most its count of requests, and the whole sweep stops
sending at ``max_seconds`` (what is in flight then is cancelled). It also stops early when a
step fails more than ``max_error_rate`` of its requests: past that ceiling more load only
burns quota. Each step is stored (:mod:`blindside.stress.store`) and reported through
``on_step`` as soon as it ends; the knee (:mod:`blindside.stress.knee`) when the sweep ends.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from blindside.stress.knee import Knee, find_knee, load_label
from blindside.stress.results import StepResult
from blindside.stress.schedule import requests_at
from blindside.stress.store import SweepPlan, finish_sweep, record_step, start_sweep

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from blindside.config import ModelConfig, Settings

__all__ = [
    "DEFAULT_PROMPT",
    "WARM_UP",
    "StepCallback",
    "SweepOutcome",
    "planned_requests",
    "run_sweep",
    "stress_messages",
    "stress_models",
]

DEFAULT_PROMPT = "In two sentences, explain why the sky is blue."

#: Requests sent before the first step and not measured: the first request of a process
#: opens the connection and runs the client's code paths for the first time (110 ms slower
#: than the next ones against the demo, measured).
WARM_UP = 1

#: Called with the model's name, the step's position and the step, as each step ends.
StepCallback = Callable[[str, int, StepResult], None]


@dataclass(frozen=True)
class SweepOutcome:
    """One model's sweep, as run and stored.

    Attributes
    ----------
    sweep_id : int
    model_name : str
    steps : list of StepResult
        The steps that ran, in load order.
    stop_reason : str or None
        Why the sweep ended before its last load; None when it ran them all.
    knee : Knee or None
    """

    sweep_id: int
    model_name: str
    steps: list[StepResult]
    stop_reason: str | None
    knee: Knee | None


def stress_messages(prompt: str) -> list[dict[str, str]]:
    """The one message every request of a sweep sends when no suite is given."""
    return [{"role": "user", "content": prompt}]


def planned_requests(plan: SweepPlan) -> int:
    """The most requests one sweep of ``plan`` sends (its request bound), warm-up included."""
    return WARM_UP + sum(
        requests_at(load, plan.mode, plan.requests_per_step) for load in plan.loads
    )


async def run_sweep(
    client: AsyncOpenAI,
    bodies: Sequence[Mapping[str, Any]],
    plan: SweepPlan,
    on_step: Callable[[int, StepResult], None],
) -> tuple[list[StepResult], str | None]:
    """Run the plan's loads in order; return the steps and why it stopped early (or None).

    Parameters
    ----------
    client : AsyncOpenAI
    bodies : sequence of mapping
        Request bodies, sent in turn.
    plan : SweepPlan
    on_step : callable
        Called with each step's position and result as it ends.
    """
    from blindside.stress.measure import one_request, run_closed_step, run_open_step

    deadline = time.perf_counter() + plan.max_seconds
    timed_out = f"time bound: --max-seconds {plan.max_seconds:g} passed"
    try:
        for _ in range(WARM_UP):
            await asyncio.wait_for(one_request(client, bodies[0]), deadline - time.perf_counter())
    except TimeoutError:
        return [], timed_out
    steps: list[StepResult] = []
    for position, load in enumerate(plan.loads):
        if time.perf_counter() >= deadline:
            return steps, timed_out
        n = requests_at(load, plan.mode, plan.requests_per_step)
        if plan.mode == "concurrency":
            step = await run_closed_step(client, bodies, int(load), n, deadline)
        else:
            step = await run_open_step(
                client, bodies, load, n, deadline, poisson=plan.poisson, seed=plan.seed + position
            )
        if step.requests == 0 and step.cancelled == 0:
            return steps, timed_out
        steps.append(step)
        on_step(position, step)
        if step.error_rate > plan.max_error_rate:
            return steps, (
                f"error ceiling: {step.error_rate:.0%} of requests failed at "
                f"{plan.mode} {load_label(load)}, more than --max-error-rate "
                f"{plan.max_error_rate:g}"
            )
        if step.cancelled or (time.perf_counter() >= deadline and position < len(plan.loads) - 1):
            return steps, timed_out
    return steps, None


def stress_models(
    engine: Engine,
    models: Sequence[ModelConfig],
    settings: Settings,
    plan: SweepPlan,
    *,
    messages: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    on_step: StepCallback | None = None,
) -> list[SweepOutcome]:
    """Sweep each model in turn and store every sweep (``blindside stress``).

    Every key is checked before any server starts or request leaves; a demo model is
    served by a loopback demo provider unless ``BLINDSIDE_DEMO_URL`` points at a running
    one.

    Parameters
    ----------
    engine : Engine
        Where the sweeps are stored.
    models : sequence of ModelConfig
    settings : Settings
    plan : SweepPlan
    messages : sequence of message lists, optional
        What the requests send, in turn (a suite's prompts); default the one stress prompt.
    on_step : StepCallback, optional
        Progress: called as each step ends (after it is stored).
    """
    from blindside.client.endpoints import endpoint_base_urls
    from blindside.client.request import chat_body

    for model in models:
        model.endpoint.secret_values()  # fail fast, before any server or request
    conversations = list(messages or [stress_messages(DEFAULT_PROMPT)])
    batch = uuid.uuid4().hex
    outcomes = []
    endpoints = {m.endpoint.name: m.endpoint for m in models}
    with endpoint_base_urls(endpoints.values(), settings, models) as urls:
        for model in models:
            bodies = [
                chat_body(model, turns, stream=True, max_tokens=plan.max_tokens)
                for turns in conversations
            ]
            sweep_id = start_sweep(engine, batch, model.name, plan)
            try:
                steps, stop_reason = asyncio.run(
                    _sweep_one(
                        engine, sweep_id, model, urls[model.endpoint.name], bodies, plan, on_step
                    )
                )
            except BaseException as exc:  # interrupted: the stored steps stay, marked
                finish_sweep(engine, sweep_id, stop_reason=f"interrupted: {exc!r}", knee=None)
                raise
            knee = find_knee(steps, mode=plan.mode)
            finish_sweep(engine, sweep_id, stop_reason=stop_reason, knee=knee)
            outcomes.append(SweepOutcome(sweep_id, model.name, steps, stop_reason, knee))
    return outcomes


async def _sweep_one(
    engine: Engine,
    sweep_id: int,
    model: ModelConfig,
    base_url: str,
    bodies: Sequence[Mapping[str, Any]],
    plan: SweepPlan,
    on_step: StepCallback | None,
) -> tuple[list[StepResult], str | None]:
    """One model's sweep with its own client; each step stored, then reported."""
    from blindside.client.endpoints import make_client

    def stored(position: int, step: StepResult) -> None:
        record_step(engine, sweep_id, position, step)
        if on_step is not None:
            on_step(model.name, position, step)

    client = make_client(model.endpoint, base_url)
    try:
        return await run_sweep(client, bodies, plan, stored)
    finally:
        await client.close()

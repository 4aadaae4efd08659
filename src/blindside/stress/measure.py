"""One stress request, one step of load, and a step's summary.

Each request is the engine's own (:func:`blindside.client.request.chat_completion`),
streamed, with no retries and no rate limiter: a stress test measures what the endpoint
does under exactly that load. A closed-loop step keeps ``load`` requests in flight; an
open-loop step sends them at the arrival times of :func:`~blindside.stress.schedule.
arrival_offsets` whatever the endpoint does. Both stop sending at the sweep's deadline and
cancel what is still in flight then (counted, not measured).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from openai import AsyncOpenAI

from blindside.client.request import chat_completion
from blindside.client.retry import classify_error
from blindside.client.tokens import text_tokens
from blindside.stress.results import StepResult, StressSample, summarise_step
from blindside.stress.schedule import arrival_offsets

__all__ = ["one_request", "run_closed_step", "run_open_step"]


async def one_request(client: AsyncOpenAI, body: Mapping[str, Any]) -> StressSample:
    """Send one request and measure it; a failure is a measured outcome, never raised."""
    sent_at = datetime.now(UTC)
    start = time.perf_counter()
    try:
        reply = await chat_completion(client, body)
    except Exception as exc:  # every failure is a measured outcome
        return StressSample(
            classify_error(exc), (time.perf_counter() - start) * 1000, sent_at=sent_at
        )
    if reply.finish_reason is None:  # the stream ended without saying it was complete
        return StressSample("bad_response", reply.latency_ms, sent_at=sent_at)
    usage = reply.usage or {}
    tokens = usage.get("completion_tokens")
    if not isinstance(tokens, int):
        tokens = text_tokens(reply.content)
    gaps = tuple((b - a) * 1000 for a, b in pairwise(reply.token_times))
    return StressSample(None, reply.latency_ms, reply.ttft_ms, tokens, gaps, sent_at)


class _Tracker:
    """The samples of a step as they end, and how many requests are in flight."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self.client = client
        self.samples: list[StressSample] = []
        self.in_flight = 0
        self.started_at = datetime.now(UTC)
        self.start = self.last_end = time.perf_counter()

    async def send(self, body: Mapping[str, Any]) -> None:
        self.in_flight += 1
        try:
            sample = await one_request(self.client, body)
        finally:
            self.in_flight -= 1
        self.samples.append(sample)
        self.last_end = time.perf_counter()


async def _finish(
    tracker: _Tracker, tasks: Sequence[asyncio.Task[None]], load: float, deadline: float
) -> StepResult:
    """Wait for the step's tasks until the deadline, cancel the rest, summarise."""
    cancelled = 0
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
        if pending:
            cancelled = tracker.in_flight
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    end = tracker.last_end if not cancelled else time.perf_counter()
    return summarise_step(
        load,
        tracker.samples,
        max(end - tracker.start, 0.0),
        cancelled=cancelled,
        started_at=tracker.started_at,
    )


async def run_closed_step(
    client: AsyncOpenAI,
    bodies: Sequence[Mapping[str, Any]],
    concurrency: int,
    requests: int,
    deadline: float,
) -> StepResult:
    """``requests`` requests with at most ``concurrency`` in flight, until ``deadline``.

    Parameters
    ----------
    client : AsyncOpenAI
    bodies : sequence of mapping
        Request bodies, sent in turn.
    concurrency, requests : int
    deadline : float
        ``time.perf_counter()`` after which nothing is sent and what is in flight is
        cancelled.
    """
    tracker = _Tracker(client)
    numbers = itertools.count()

    async def worker() -> None:
        while (i := next(numbers)) < requests and time.perf_counter() < deadline:
            await tracker.send(bodies[i % len(bodies)])

    tasks = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, requests))]
    return await _finish(tracker, tasks, float(concurrency), deadline)


async def run_open_step(
    client: AsyncOpenAI,
    bodies: Sequence[Mapping[str, Any]],
    rate: float,
    requests: int,
    deadline: float,
    *,
    poisson: bool,
    seed: int = 0,
) -> StepResult:
    """``requests`` requests sent at ``rate`` per second whatever the endpoint does.

    Arrival times come from :func:`~blindside.stress.schedule.arrival_offsets`; nothing
    is sent after ``deadline``, and what is in flight then is cancelled.
    """
    tracker = _Tracker(client)
    tasks: list[asyncio.Task[None]] = []

    async def launch() -> None:
        for i, offset in enumerate(arrival_offsets(rate, requests, poisson=poisson, seed=seed)):
            at = tracker.start + offset
            if at >= deadline:
                return
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            tasks.append(asyncio.ensure_future(tracker.send(bodies[i % len(bodies)])))

    launcher = asyncio.ensure_future(launch())
    await asyncio.wait([launcher], timeout=max(0.0, deadline - time.perf_counter()))
    launcher.cancel()
    return await _finish(tracker, list(tasks), rate, deadline)

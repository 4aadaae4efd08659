"""Load sweeps: how one model's endpoint behaves as concurrency grows.

``blindside stress MODEL`` sends the same short streamed request at each
concurrency level in turn (1, 4, 16, 64 by default) and measures, per level,
throughput, output tokens per second, latency and time to first token (median
and 95th percentile) and errors by class. No retries, no rate limiter: a stress
test measures what the endpoint does under exactly that load.

:func:`find_knee` names the level where more concurrency stopped paying: the
throughput gained fell below half of the load added, or errors passed 5%.
Below it the endpoint scales; past it requests only queue or fail.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from openai import AsyncOpenAI

from blindside.client.percentile import percentile
from blindside.client.request import chat_body, chat_completion
from blindside.client.retry import classify_error
from blindside.client.tokens import text_tokens
from blindside.config import ModelConfig, Settings

__all__ = [
    "DEFAULT_LEVELS",
    "Knee",
    "StressLevel",
    "StressSample",
    "find_knee",
    "requests_at",
    "run_stress",
    "stress_model",
    "summarise_level",
]

DEFAULT_LEVELS: tuple[int, ...] = (1, 4, 16, 64)
DEFAULT_PROMPT = "In two sentences, explain why the sky is blue."


@dataclass(frozen=True)
class StressSample:
    """One request of a sweep.

    Attributes
    ----------
    error_class : str or None
        None when the answer arrived whole; otherwise a class of
        :data:`blindside.client.retry.ERROR_CLASSES`.
    latency_ms : float
        From sending the request to the end of the answer (or the error).
    ttft_ms : float or None
        Time to the first content token.
    output_tokens : int
        From ``usage`` when the endpoint sent it, else estimated from the text.
    """

    error_class: str | None
    latency_ms: float
    ttft_ms: float | None = None
    output_tokens: int = 0


@dataclass(frozen=True)
class StressLevel:
    """What one concurrency level measured.

    Percentiles are over successful requests only; None when none succeeded.
    """

    concurrency: int
    requests: int
    succeeded: int
    errors_by_class: Mapping[str, int]
    wall_s: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    output_tokens: int

    @property
    def throughput_rps(self) -> float:
        """Successful requests per second."""
        return self.succeeded / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.output_tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def error_rate(self) -> float:
        return (self.requests - self.succeeded) / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Knee:
    """Where a sweep stopped scaling.

    Attributes
    ----------
    best : int
        The last concurrency that still paid off; 0 when even the first failed.
    first_bad : int
        The level after it.
    reason : str
        Why, in words, with the numbers.
    """

    best: int
    first_bad: int
    reason: str


def requests_at(level: int, requests_per_level: int | None = None) -> int:
    """Requests a level sends: as asked, else ``max(4 * level, 16)``.

    Four rounds of the level's concurrency keep it busy past the ramp-up; 16 at
    least, so low levels still give a p95.
    """
    return requests_per_level or max(4 * level, 16)


def stress_messages(prompt: str) -> list[dict[str, str]]:
    """The one message every request of a sweep sends."""
    return [{"role": "user", "content": prompt}]


def summarise_level(
    concurrency: int, samples: Sequence[StressSample], wall_s: float
) -> StressLevel:
    """Fold one level's samples into its summary.

    Parameters
    ----------
    concurrency : int
    samples : sequence of StressSample
        Every request of the level.
    wall_s : float
        Wall time from the first request sent to the last answer.
    """
    ok = [s for s in samples if s.error_class is None]
    ttfts = [s.ttft_ms for s in ok if s.ttft_ms is not None]
    return StressLevel(
        concurrency=concurrency,
        requests=len(samples),
        succeeded=len(ok),
        errors_by_class=dict(Counter(s.error_class for s in samples if s.error_class)),
        wall_s=wall_s,
        latency_p50_ms=percentile([s.latency_ms for s in ok], 50),
        latency_p95_ms=percentile([s.latency_ms for s in ok], 95),
        ttft_p50_ms=percentile(ttfts, 50),
        ttft_p95_ms=percentile(ttfts, 95),
        output_tokens=sum(s.output_tokens for s in ok),
    )


def find_knee(
    levels: Sequence[StressLevel], *, min_efficiency: float = 0.5, max_error_rate: float = 0.05
) -> Knee | None:
    """The first level where adding concurrency stopped paying off.

    Parameters
    ----------
    levels : sequence of StressLevel
        In increasing concurrency.
    min_efficiency : float
        A step must gain at least this share of the load it adds: going from 4
        to 16 (4x) must at least 2.5x the throughput at 0.5 (``1 + 0.5 * 3``).
    max_error_rate : float
        A level with more failed requests than this is past the knee.

    Returns
    -------
    Knee or None
        None when every level scaled (the sweep did not reach the knee).
    """
    if levels and levels[0].error_rate > max_error_rate:
        first = levels[0]
        return Knee(
            0,
            first.concurrency,
            f"{first.error_rate:.0%} of requests failed already at concurrency {first.concurrency}",
        )
    for previous, level in pairwise(levels):
        if level.error_rate > max_error_rate:
            return Knee(
                previous.concurrency,
                level.concurrency,
                f"{level.error_rate:.0%} of requests failed at concurrency {level.concurrency}",
            )
        load = level.concurrency / previous.concurrency
        gain = level.throughput_rps / previous.throughput_rps if previous.throughput_rps else 0.0
        if gain < 1 + min_efficiency * (load - 1):
            slower = (
                f"; time to first token p95 {level.ttft_p95_ms / previous.ttft_p95_ms:.1f}x"
                if level.ttft_p95_ms and previous.ttft_p95_ms
                else ""
            )
            return Knee(
                previous.concurrency,
                level.concurrency,
                f"concurrency {level.concurrency} gave {gain:.2f}x the throughput of "
                f"{previous.concurrency} for {load:g}x the load{slower}",
            )
    return None


async def _one(client: AsyncOpenAI, body: Mapping[str, Any]) -> StressSample:
    start = time.perf_counter()
    try:
        reply = await chat_completion(client, body)
    except Exception as exc:  # every failure is a measured outcome
        return StressSample(classify_error(exc), (time.perf_counter() - start) * 1000)
    if reply.finish_reason is None:  # the stream ended without saying it was complete
        return StressSample("bad_response", reply.latency_ms)
    usage = reply.usage or {}
    tokens = usage.get("completion_tokens")
    if not isinstance(tokens, int):
        tokens = text_tokens(reply.content)
    return StressSample(None, reply.latency_ms, reply.ttft_ms, tokens)


async def _run_level(
    client: AsyncOpenAI, body: Mapping[str, Any], concurrency: int, requests: int
) -> StressLevel:
    queue: asyncio.Queue[None] = asyncio.Queue()
    for _ in range(requests):
        queue.put_nowait(None)
    samples: list[StressSample] = []

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            samples.append(await _one(client, body))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    return summarise_level(concurrency, samples, time.perf_counter() - start)


async def run_stress(
    client: AsyncOpenAI,
    model: ModelConfig,
    *,
    levels: Sequence[int] = DEFAULT_LEVELS,
    requests_per_level: int | None = None,
    prompt: str = DEFAULT_PROMPT,
    max_tokens: int = 64,
) -> list[StressLevel]:
    """Sweep the levels in order with one client.

    Parameters
    ----------
    client : AsyncOpenAI
    model : ModelConfig
        Its ``params`` are sent (except the ones the sweep sets).
    levels : sequence of int
        Concurrency levels, run in increasing order.
    requests_per_level : int, optional
        Requests at each level; default :func:`requests_at`.
    prompt : str
    max_tokens : int
        Output cap, the same for every request.
    """
    body = chat_body(model, stress_messages(prompt), stream=True, max_tokens=max_tokens)
    results = []
    for level in sorted(set(levels)):
        results.append(
            await _run_level(client, body, level, requests_at(level, requests_per_level))
        )
    return results


def stress_model(
    model: ModelConfig,
    settings: Settings,
    **options: Any,
) -> list[StressLevel]:
    """Run :func:`run_stress` on a configured model (``blindside stress MODEL``).

    The key is checked before any server starts or request leaves; a demo model
    is served by a loopback demo provider unless ``BLINDSIDE_DEMO_URL`` points
    at a running one.
    """
    from blindside.client.endpoints import endpoint_base_urls, make_client

    model.endpoint.secret_values()  # fail fast, before any server or request

    async def sweep(base_url: str) -> list[StressLevel]:
        client = make_client(model.endpoint, base_url)
        try:
            return await run_stress(client, model, **options)
        finally:
            await client.close()

    with endpoint_base_urls([model.endpoint], settings, [model]) as urls:
        return asyncio.run(sweep(urls[model.endpoint.name]))


def format_stress_table(levels: Sequence[StressLevel]) -> str:
    """An aligned plain-text table of a sweep, one row per level."""

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    header = (
        f"{'conc':>5} {'requests':>8} {'ok':>5} {'req/s':>7} {'tok/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'ttft p50':>8} {'ttft p95':>8}  errors"
    )
    lines = [header]
    for level in levels:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(level.errors_by_class.items())) or "-"
        lines.append(
            f"{level.concurrency:>5} {level.requests:>8} {level.succeeded:>5} "
            f"{level.throughput_rps:>7.1f} {level.tokens_per_s:>8.0f} "
            f"{ms(level.latency_p50_ms):>7} {ms(level.latency_p95_ms):>7} "
            f"{ms(level.ttft_p50_ms):>8} {ms(level.ttft_p95_ms):>8}  {errors}"
        )
    return "\n".join(lines)

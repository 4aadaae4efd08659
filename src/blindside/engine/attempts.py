"""Asking for one answer: the request, the retry loop and the fallback walk.

Per endpoint, requests pass a limiter shared by every run in the process
(concurrency, rpm, tpm: :mod:`blindside.client.limits`) and are retried with
jittered exponential backoff that honours ``Retry-After``
(:mod:`blindside.client.retry`). When a model still fails, or its circuit is
open (:mod:`blindside.client.breaker`), the next model of its fallback chain
serves.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from openai import AsyncOpenAI

from blindside.client.breaker import breaker_for
from blindside.client.limits import EndpointLimitConfig, limiter_for
from blindside.client.percentile import percentile
from blindside.client.provenance import provenance, request_id
from blindside.client.redaction import redact
from blindside.client.request import chat_body, chat_completion
from blindside.client.retry import (
    Attempts,
    BadResponseError,
    RetryPolicy,
    call_with_retries,
    classify_error,
)
from blindside.client.tokens import estimate_tokens, max_output_tokens
from blindside.client.usage import account_usage
from blindside.config import ModelConfig
from blindside.engine.tasks import Answer, Task

__all__ = ["PROVIDER_FAILURES", "answer_task", "ask_model", "ask_once"]

#: Failures that count against a model's circuit breaker.
PROVIDER_FAILURES = frozenset({"rate_limit", "timeout", "server_error", "bad_response"})


async def ask_once(
    client: AsyncOpenAI, model: ModelConfig, task: Task, *, seed: int | None
) -> Answer:
    """One request; returns a successful Answer or raises.

    Raises
    ------
    BadResponseError
        A whole completion without choices, or a stream that ended before a
        finish reason (a stream cut short can look like a normal end of the body).
    """
    endpoint = model.endpoint
    extra: dict[str, Any] = {}
    if seed is not None and endpoint.supports_seed:
        extra["seed"] = seed
    if task.tools:
        extra["tools"] = task.tools
    body = chat_body(model, task.messages, stream=endpoint.stream, **extra)
    reply = await chat_completion(client, body)
    if not endpoint.stream and not reply.choices:
        raise BadResponseError("the response has no choices")
    if endpoint.stream and reply.finish_reason is None:
        raise BadResponseError("the stream ended before a finish_reason")
    answer = Answer(
        task.prompt_id,
        task.model_row_id,
        task.sample,
        text=reply.text,
        finish_reason=reply.finish_reason,
        latency_ms=reply.latency_ms,
        ttft_ms=reply.ttft_ms,
    )
    gaps = [(b - a) * 1000 for a, b in pairwise(reply.token_times)]
    if gaps:
        answer.itl_mean_ms = sum(gaps) / len(gaps)
        answer.itl_p95_ms = percentile(gaps, 95)
    _account(answer, model, task, reply.usage, reply.headers)
    if answer.ttft_ms is not None and answer.output_tokens:
        decode_s = (answer.latency_ms - answer.ttft_ms) / 1000
        if decode_s > 0:
            answer.output_tokens_per_s = answer.output_tokens / decode_s
    return answer


def _account(
    answer: Answer,
    model: ModelConfig,
    task: Task,
    reported: Mapping[str, Any] | None,
    headers: Mapping[str, str],
) -> None:
    usage = account_usage(
        reported, model, messages=task.messages, text=answer.text or "", tools=task.tools
    )
    origin = provenance(reported, headers)
    answer.usage_source = origin.usage_source
    answer.router_cost_usd = origin.router_cost_usd
    answer.request_id = origin.request_id
    answer.input_tokens = usage.input_tokens
    answer.cached_tokens = usage.cached_tokens
    answer.cache_write_tokens = usage.cache_write_tokens
    answer.output_tokens = usage.output_tokens
    answer.reasoning_tokens = usage.reasoning_tokens
    answer.tokens_estimated = usage.estimated
    answer.cost_usd = usage.cost_usd


async def ask_model(
    client: AsyncOpenAI,
    model: ModelConfig,
    task: Task,
    *,
    seed: int | None,
    rng: random.Random,
    attempts: Attempts,
) -> Answer | None:
    """Ask one model with retries; None when every attempt failed (``attempts.error`` says why)."""
    endpoint = model.endpoint
    limiter = limiter_for(endpoint.name, EndpointLimitConfig.from_endpoint(endpoint))
    estimated = (
        estimate_tokens(task.messages, max_output_tokens(model.params), tools=task.tools)
        if limiter.tokens is not None
        else 0
    )

    async def attempt() -> Answer:
        async with limiter.slot(estimated):
            answer = await ask_once(client, model, task, seed=seed)
        limiter.adjust_tokens(estimated, (answer.input_tokens or 0) + (answer.output_tokens or 0))
        return answer

    try:
        return await call_with_retries(attempt, RetryPolicy.from_endpoint(endpoint), rng, attempts)
    except Exception:  # every failure is classified and stored, none escapes
        return None


async def answer_task(
    task: Task,
    clients: Mapping[str, AsyncOpenAI],
    *,
    seeded: bool,
    rng: random.Random,
    secrets: Sequence[str],
) -> Answer:
    """Walk the task's fallback chain until a model answers; the last failure otherwise.

    Parameters
    ----------
    task : Task
    clients : mapping
        One SDK client per endpoint name.
    seeded : bool
        Send the sample number as ``seed`` (a run of several samples).
    rng : random.Random
        For the backoff's jitter.
    secrets : sequence of str
        The keys in use, redacted from stored error messages.

    Returns
    -------
    Answer
        A success, with who served it, or the last error, classified.
    """
    seed = task.sample if seeded else None
    attempts = Attempts()
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
        answer = await ask_model(
            clients[model.endpoint.name], model, task, seed=seed, rng=rng, attempts=attempts
        )
        if answer is not None:
            breaker.record_success()
            answer.served_by = model.name
            answer.is_fallback = position > 0
            answer.attempts = attempts.count
            answer.retry_wait_ms = attempts.wait_s * 1000
            return answer
        # Only the provider's failures count against it: a prompt that is too
        # long or filtered says nothing about the model's health.
        if attempts.error is not None and classify_error(attempts.error) in PROVIDER_FAILURES:
            breaker.record_failure()
    exc = attempts.error
    error_class = classify_error(exc) if exc is not None else "other"
    message = redact(str(exc), secrets)[:500] if exc is not None else "no answer"
    if skipped_open:
        message += f" (circuit open, skipped: {', '.join(skipped_open)})"
    response = getattr(exc, "response", None)
    return Answer(
        task.prompt_id,
        task.model_row_id,
        task.sample,
        attempts=attempts.count,
        retry_wait_ms=attempts.wait_s * 1000,
        error_class=error_class,
        error=f"{error_class}: {message}",
        request_id=request_id(getattr(response, "headers", None)),
    )

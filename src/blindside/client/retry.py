"""The one retry policy: when to retry a failed request, how long to wait, what failed.

Pure functions over exceptions raised by the ``openai`` SDK (with its own
retries off), by the ``httpx2`` layer underneath it, which surfaces unwrapped
when a stream breaks after the response started, by the aiohttp transport
under that, and by our own stream reader (:mod:`blindside.client.streaming`);
and :func:`call_with_retries`, the loop that applies them, for the engine and
the probe alike.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

import aiohttp
import httpx2
import openai

from blindside.client.streaming import StreamError

if TYPE_CHECKING:
    from blindside.config import EndpointConfig

__all__ = [
    "ERROR_CLASSES",
    "RETRYABLE_STATUS",
    "Attempts",
    "BadResponseError",
    "ErrorClass",
    "RetryPolicy",
    "backoff_delay",
    "call_with_retries",
    "classify_error",
    "is_retryable",
    "retry_after_seconds",
    "retry_delay",
    "should_retry",
]

#: HTTP statuses worth another attempt: timeouts, conflicts, rate limits, server errors.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})

ErrorClass = Literal[
    "rate_limit",
    "timeout",
    "server_error",
    "bad_response",
    "auth",
    "context_length",
    "content_filter",
    "other",
]

#: Every value :func:`classify_error` returns, in the order of :data:`ErrorClass`.
ERROR_CLASSES: tuple[ErrorClass, ...] = get_args(ErrorClass)

# How providers word "the prompt does not fit" (OpenAI, vLLM, Anthropic-compatible, ...).
_CONTEXT_LENGTH = re.compile(
    r"context[ _-]?(?:length|window|size)|maximum context|prompt is too long"
    r"|input is too long|too many (?:input )?tokens|maximum (?:input|prompt) length"
    r"|reduce the length|exceeds? the (?:model'?s? )?(?:maximum|max|context|token)",
    re.IGNORECASE,
)
_CONTENT_FILTER = re.compile(
    r"content[_ ]filter|content[_ ]policy|content management policy|responsibleaipolicy",
    re.IGNORECASE,
)
_CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})


class BadResponseError(Exception):
    """The provider answered, but with something unusable.

    Raised by the engine for malformed or truncated streams (no choices, a
    stream that ends without a finish reason, unparseable chunks). Retryable:
    such failures are usually transient.
    """


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them.

    Attributes
    ----------
    max_attempts : int
        Attempts in all, the first one included.
    base_delay_s : float
        Backoff ceiling after the first failure; doubles with every failure.
    max_delay_s : float
        Largest backoff ceiling.
    respect_retry_after : bool
        Wait at least what a ``Retry-After`` / ``retry-after-ms`` header asks.
    max_retry_after_s : float
        Cap on what a server may ask for.
    """

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    respect_retry_after: bool = True
    max_retry_after_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        for name in ("base_delay_s", "max_delay_s", "max_retry_after_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

    @classmethod
    def from_endpoint(cls, endpoint: EndpointConfig) -> RetryPolicy:
        """The retry settings of a ``[[endpoints]]`` entry of models.toml."""
        return cls(
            max_attempts=endpoint.max_attempts,
            base_delay_s=endpoint.backoff_base_s,
            max_delay_s=endpoint.backoff_max_s,
        )


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Exponential backoff with full jitter.

    Parameters
    ----------
    attempt : int
        Number of the attempt that failed, from 1.
    policy : RetryPolicy
    rng : random.Random

    Returns
    -------
    float
        Uniform in ``[0, min(max_delay_s, base_delay_s * 2**(attempt - 1))]``.
        Full jitter keeps many requests that failed together from retrying in
        lockstep.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    # cap the exponent: 2**1100 overflows a float
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** min(attempt - 1, 1000))
    return rng.uniform(0.0, ceiling)


def _parse_seconds(value: str, divisor: float) -> float | None:
    try:
        seconds = float(value.strip()) / divisor
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def retry_after_seconds(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds a response asks the client to wait, or None when it does not say.

    Parameters
    ----------
    headers : mapping or None
        Response headers; names are matched case-insensitively.
    now : float, optional
        Current Unix time, for ``Retry-After`` given as an HTTP date (defaults to
        ``time.time()``).

    Returns
    -------
    float or None
        ``retry-after-ms`` (milliseconds, OpenAI's extension) if valid, else
        ``Retry-After`` as seconds or as an HTTP date (a past date gives 0).
        Negative, non-finite or unparseable values are ignored.
    """
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        seconds = _parse_seconds(lowered["retry-after-ms"], 1000.0)
        if seconds is not None:
            return seconds
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _parse_seconds(value, 1.0)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None  # an HTTP date is always GMT; without a zone it is not one
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _code(exc: openai.APIError | StreamError) -> str:
    return (exc.code or "").lower()


def _text(exc: BaseException) -> str:
    # str(exc) of a status error already embeds the body ("Error code: 400 - {...}")
    parts = [str(exc)]
    body = getattr(exc, "body", None)
    if body is not None and not isinstance(body, str):
        parts.append(json.dumps(body, default=str))
    return " ".join(parts)


def _classify_body(exc: openai.APIError | StreamError) -> ErrorClass | None:
    """Context-length and content-filter refusals, named by code or by message."""
    code = _code(exc)
    if code == "context_length_exceeded" or _CONTEXT_LENGTH.search(_text(exc)):
        return "context_length"
    if code in _CONTENT_FILTER_CODES or _CONTENT_FILTER.search(_text(exc)):
        return "content_filter"
    return None


def _dropped_connection(exc: BaseException) -> bool:
    """A refused, reset or closed connection under the SDK's and httpx2's wrappers.

    The aiohttp transport maps every ``ClientConnectionError`` that is not a
    timeout to httpx2's ``ConnectTimeout``, so the SDK reports a refused
    connection as ``APITimeoutError``; the aiohttp error in the chain of
    causes says what happened.
    """
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, aiohttp.ClientError):
            return isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(
                cause, TimeoutError
            )
        cause = cause.__cause__
    return False


def classify_error(exc: BaseException) -> ErrorClass:
    """Name the kind of a failed request; one of :data:`ERROR_CLASSES`.

    Notes
    -----
    Only timeouts are ``timeout`` (including HTTP 408). A connection that was
    refused, reset or dropped mid-stream is ``server_error``: the provider did
    not serve the request, just as with a 5xx. An error event inside a stream
    that already returned 200 is classified by its code and message, and is
    ``server_error`` when they say nothing more specific.
    """
    if isinstance(
        exc,
        BadResponseError
        | openai.APIResponseValidationError
        | json.JSONDecodeError
        | httpx2.DecodingError,
    ):
        return "bad_response"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "content_filter"
    if _dropped_connection(exc):
        return "server_error"
    # APITimeoutError before APIConnectionError, its base class
    if isinstance(exc, openai.APITimeoutError | TimeoutError | httpx2.TimeoutException):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return "server_error"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return "rate_limit"
        if status == 408:
            return "timeout"
        if status in (401, 403):
            return "auth"
        if status >= 500:
            return "server_error"
        return _classify_body(exc) or "other"
    if isinstance(exc, openai.APIError | StreamError):
        # error event in a stream (no HTTP status of its own)
        named = _classify_body(exc)
        if named is not None:
            return named
        if "rate_limit" in _code(exc) or "rate_limit" in (exc.type or "").lower():
            return "rate_limit"
        return "server_error"
    return "other"


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt may succeed.

    True for status errors in :data:`RETRYABLE_STATUS`, connection errors and
    timeouts (SDK, asyncio and transport), malformed or truncated responses
    (:class:`BadResponseError`, broken JSON or encoding in a stream), and stream
    error events that are rate limits or server errors. A schema mismatch
    (``APIResponseValidationError``) is not: it would fail the same way again.
    """
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    if isinstance(
        exc,
        openai.APIConnectionError
        | TimeoutError
        | httpx2.TransportError
        | BadResponseError
        | json.JSONDecodeError
        | httpx2.DecodingError,
    ):
        return True
    if isinstance(exc, openai.APIResponseValidationError):
        return False
    if isinstance(exc, openai.APIError | StreamError):
        return classify_error(exc) in ("rate_limit", "server_error", "timeout")
    return False


def should_retry(exc: BaseException, attempt: int, policy: RetryPolicy) -> bool:
    """Whether attempt number ``attempt`` (from 1), which raised ``exc``, gets a successor."""
    return attempt < policy.max_attempts and is_retryable(exc)


T = TypeVar("T")


@dataclass
class Attempts:
    """Attempts made for one answer so far (across the models of a fallback chain).

    Attributes
    ----------
    count : int
        Requests sent.
    wait_s : float
        Seconds spent waiting between them.
    error : BaseException or None
        What the last failed attempt raised.
    """

    count: int = 0
    wait_s: float = 0.0
    error: BaseException | None = None


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    rng: random.Random,
    attempts: Attempts | None = None,
) -> T:
    """Await ``call()`` until it succeeds or the policy gives up.

    Parameters
    ----------
    call : callable
        Makes one attempt (one request) per call.
    policy : RetryPolicy
    rng : random.Random
        For the backoff's jitter.
    attempts : Attempts, optional
        Counted into (requests, waits, last error), so that a caller can report
        them; a fresh one when omitted.

    Returns
    -------
    The first successful result.

    Raises
    ------
    Exception
        What the last attempt raised, once :func:`should_retry` says no.
    """
    tally = Attempts() if attempts is None else attempts
    attempt = 0
    while True:
        attempt += 1
        tally.count += 1
        try:
            return await call()
        except Exception as exc:
            tally.error = exc
            if not should_retry(exc, attempt, policy):
                raise
            delay = retry_delay(exc, attempt, policy, rng)
            tally.wait_s += delay
            await asyncio.sleep(delay)


def _headers_of(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait after attempt number ``attempt`` failed with ``exc``.

    Parameters
    ----------
    exc : BaseException
        What the attempt raised; its response headers are read when it has some.
    attempt : int
        Number of the failed attempt, from 1.
    policy : RetryPolicy
    rng : random.Random

    Returns
    -------
    float
        Without a usable ``Retry-After``: :func:`backoff_delay`. With one (and
        ``policy.respect_retry_after``): the header's value, capped at
        ``max_retry_after_s``, *plus* the jittered backoff. The header is a
        floor, never shortened; the jitter on top spreads the many requests a
        server told to come back at the same instant, which would otherwise
        return together and be rate limited again.
    """
    backoff = backoff_delay(attempt, policy, rng)
    if not policy.respect_retry_after:
        return backoff
    asked = retry_after_seconds(_headers_of(exc))
    if asked is None:
        return backoff
    return min(asked, policy.max_retry_after_s) + backoff

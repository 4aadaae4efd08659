"""The one retry policy: when to retry a failed request, how long to wait, what failed.

What failed and whether it is worth another attempt is
:mod:`blindside.client.classify` (re-exported here); this module adds how long
to wait (full-jitter backoff, with the server's ``Retry-After`` as a floor) and
:func:`call_with_retries`, the loop that applies them, for the engine and the
probe alike.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from blindside.client.classify import (
    ERROR_CLASSES,
    RETRYABLE_STATUS,
    BadResponseError,
    ErrorClass,
    classify_error,
    is_retryable,
    named_by_body,
)

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
    "named_by_body",
    "retry_after_seconds",
    "retry_delay",
    "should_retry",
]


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


#: Header name prefixes whose retry hints count: the response's own, and the upstream's
#: as LiteLLM's proxy forwards them (``llm_provider-retry-after``).
RETRY_AFTER_PREFIXES = ("", "llm_provider-")


def _one_retry_after(lowered: Mapping[str, str], prefix: str, now: float | None) -> float | None:
    """``{prefix}retry-after-ms`` if valid, else ``{prefix}retry-after`` (seconds or HTTP date)."""
    milliseconds = lowered.get(f"{prefix}retry-after-ms")
    if milliseconds is not None:
        seconds = _parse_seconds(milliseconds, 1000.0)
        if seconds is not None:
            return seconds
    value = lowered.get(f"{prefix}retry-after")
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
        ``Retry-After`` as seconds or as an HTTP date (a past date gives 0); the
        same for the ``llm_provider-`` forms a LiteLLM proxy forwards from the
        upstream. When both the response and the upstream ask, the longer wait
        wins. Negative, non-finite or unparseable values are ignored.
    """
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    asked = [_one_retry_after(lowered, prefix, now) for prefix in RETRY_AFTER_PREFIXES]
    found = [seconds for seconds in asked if seconds is not None]
    return max(found) if found else None


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

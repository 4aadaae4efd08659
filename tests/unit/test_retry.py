"""Tests for blindside.client.retry on real openai / httpx2 exception objects."""

from __future__ import annotations

import asyncio
import email.utils
import json
import random

import aiohttp
import httpx2
import openai
import pytest

from blindside.client.retry import (
    ERROR_CLASSES,
    RETRYABLE_STATUS,
    BadResponseError,
    RetryPolicy,
    backoff_delay,
    classify_error,
    is_retryable,
    retry_after_seconds,
    retry_delay,
    should_retry,
)
from blindside.client.streaming import StreamError

REQUEST = httpx2.Request("POST", "https://api.example.com/v1/chat/completions")

# what _make_status_error does in the SDK: pick the subclass by status
_STATUS_CLASSES: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}


def status_error(
    status: int, error: dict[str, object] | None = None, headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    """Build the exception the SDK raises for an error response, the way the SDK does."""
    body = {"error": error or {"message": "boom", "type": "x", "code": None}}
    response = httpx2.Response(status, headers=headers, json=body, request=REQUEST)
    cls = _STATUS_CLASSES.get(
        status, openai.InternalServerError if status >= 500 else openai.APIStatusError
    )
    return cls(f"Error code: {status} - {body}", response=response, body=body["error"])


# --- classification -------------------------------------------------------------------


CASES: list[tuple[str, BaseException, str, bool]] = [
    ("429", status_error(429), "rate_limit", True),
    ("timeout", openai.APITimeoutError(request=REQUEST), "timeout", True),
    # asyncio.TimeoutError is the builtin TimeoutError since Python 3.11
    ("builtin timeout", TimeoutError(), "timeout", True),
    ("408", status_error(408), "timeout", True),
    ("httpx read timeout", httpx2.ReadTimeout("slow", request=REQUEST), "timeout", True),
    ("500", status_error(500), "server_error", True),
    ("502", status_error(502), "server_error", True),
    ("503", status_error(503), "server_error", True),
    ("501 not retryable", status_error(501), "server_error", False),
    ("connection refused", openai.APIConnectionError(request=REQUEST), "server_error", True),
    (
        "stream dropped",
        httpx2.RemoteProtocolError("peer closed connection", request=REQUEST),
        "server_error",
        True,
    ),
    ("401", status_error(401), "auth", False),
    ("403", status_error(403), "auth", False),
    (
        "context code",
        status_error(400, {"message": "too big", "code": "context_length_exceeded"}),
        "context_length",
        False,
    ),
    (
        "context message (vLLM)",
        status_error(
            400,
            {
                "message": "This model's maximum context length is 4096 tokens. However, "
                "you requested 5000 tokens.",
                "code": 400,
            },
        ),
        "context_length",
        False,
    ),
    (
        "content filter code",
        status_error(400, {"message": "filtered", "code": "content_filter"}),
        "content_filter",
        False,
    ),
    (
        "content policy",
        status_error(400, {"message": "no", "code": "content_policy_violation"}),
        "content_filter",
        False,
    ),
    (
        "finish reason content filter",
        openai.ContentFilterFinishReasonError(),
        "content_filter",
        False,
    ),
    ("bad response", BadResponseError("stream ended without finish_reason"), "bad_response", True),
    (
        "malformed json",
        json.JSONDecodeError("Expecting value", "data: {", 6),
        "bad_response",
        True,
    ),
    (
        "validation",
        openai.APIResponseValidationError(httpx2.Response(200, json={}, request=REQUEST), body={}),
        "bad_response",
        False,
    ),
    ("409", status_error(409), "other", True),
    ("plain 400", status_error(400, {"message": "unknown parameter 'foo'"}), "other", False),
    ("404", status_error(404), "other", False),
    (
        "stream error event",
        openai.APIError("overloaded", REQUEST, body={"type": "server_error"}),
        "server_error",
        True,
    ),
    (
        "stream rate limit event",
        openai.APIError("slow down", REQUEST, body={"code": "rate_limit_exceeded"}),
        "rate_limit",
        True,
    ),
    (
        "stream context event",
        openai.APIError("maximum context length exceeded", REQUEST, body=None),
        "context_length",
        False,
    ),
    (
        "our stream reader's error event",
        StreamError({"message": "slow down", "code": "rate_limit_exceeded"}),
        "rate_limit",
        True,
    ),
    (
        "our stream reader's filter event",
        StreamError({"message": "blocked by the content filter", "type": "invalid_request"}),
        "content_filter",
        False,
    ),
    ("our stream reader's bare event", StreamError({}), "server_error", True),
    ("value error", ValueError("bug"), "other", False),
    ("key error", KeyError("choices"), "other", False),
]


@pytest.mark.parametrize(
    ("exc", "expected", "retryable"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_classify_and_retryable(exc: BaseException, expected: str, retryable: bool) -> None:
    assert classify_error(exc) == expected
    assert expected in ERROR_CLASSES
    assert is_retryable(exc) is retryable


def test_sdk_status_subclasses_carry_the_status_and_headers() -> None:
    # guards the helper above against SDK changes
    exc = status_error(429, headers={"retry-after": "3"})
    assert isinstance(exc, openai.RateLimitError)
    assert exc.status_code == 429
    assert exc.response.headers["Retry-After"] == "3"


def test_every_retryable_status_is_retryable() -> None:
    for status in RETRYABLE_STATUS:
        assert is_retryable(status_error(status)), status
    for status in (400, 401, 403, 404, 422, 501):
        assert not is_retryable(status_error(status)), status


def test_should_retry_stops_at_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    exc = status_error(503)
    assert should_retry(exc, 1, policy)
    assert should_retry(exc, 2, policy)
    assert not should_retry(exc, 3, policy)
    assert not should_retry(status_error(401), 1, policy)


# --- Retry-After ----------------------------------------------------------------------


def test_retry_after_seconds_forms() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    assert retry_after_seconds({"RETRY-AFTER-MS": "250"}) == 0.25
    assert retry_after_seconds(None) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"x-other": "1"}) is None


def test_retry_after_ms_wins_over_seconds() -> None:
    assert retry_after_seconds({"Retry-After": "30", "retry-after-ms": "1500"}) == 1.5
    # ... unless it is garbage: then the seconds header counts
    assert retry_after_seconds({"Retry-After": "30", "retry-after-ms": "soon"}) == 30.0


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 12, usegmt=True)
    assert retry_after_seconds({"Retry-After": header}, now=now) == pytest.approx(12.0)
    past = email.utils.formatdate(now - 60, usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, now=now) == 0.0


@pytest.mark.parametrize("garbage", ["soon", "", "-5", "nan", "inf", "Mon, 99 Foo 2024"])
def test_retry_after_garbage_is_ignored(garbage: str) -> None:
    assert retry_after_seconds({"Retry-After": garbage}) is None
    assert retry_after_seconds({"retry-after-ms": garbage}) is None


def test_retry_after_reads_httpx_headers() -> None:
    headers = httpx2.Headers({"Retry-After-Ms": "2000"})
    assert retry_after_seconds(headers) == 2.0


# --- backoff --------------------------------------------------------------------------


def test_backoff_full_jitter_bounds_and_growth() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (60, 30.0)]:
        samples = [backoff_delay(attempt, policy, rng) for _ in range(2000)]
        assert min(samples) >= 0.0
        assert max(samples) <= ceiling
        # full jitter: spread over the whole range, not just its top
        assert min(samples) < 0.05 * ceiling
        assert max(samples) > 0.95 * ceiling
        assert sum(samples) / len(samples) == pytest.approx(ceiling / 2, rel=0.1)


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    policy = RetryPolicy()
    a = [backoff_delay(3, policy, random.Random(42)) for _ in range(3)]
    b = [backoff_delay(3, policy, random.Random(42)) for _ in range(3)]
    assert a == b


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, RetryPolicy(), random.Random(0))


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=-1)


# --- retry_delay ----------------------------------------------------------------------


def test_retry_delay_honours_retry_after_as_a_floor() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30.0)
    rng = random.Random(7)
    exc = status_error(429, headers={"Retry-After": "5"})
    delays = [retry_delay(exc, 2, policy, rng) for _ in range(500)]
    assert min(delays) >= 5.0
    assert max(delays) <= 5.0 + 1.0  # plus at most the attempt-2 backoff ceiling
    assert max(delays) - min(delays) > 0.5  # jittered, not in lockstep


def test_retry_delay_caps_what_the_server_asks() -> None:
    policy = RetryPolicy(max_retry_after_s=10.0, base_delay_s=0.5)
    exc = status_error(503, headers={"retry-after-ms": "3600000"})
    delay = retry_delay(exc, 1, policy, random.Random(0))
    assert 10.0 <= delay <= 10.5


def test_retry_delay_without_header_is_backoff() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30.0)
    for exc in (status_error(500), openai.APITimeoutError(request=REQUEST), TimeoutError()):
        delays = [retry_delay(exc, 3, policy, random.Random(i)) for i in range(200)]
        assert min(delays) >= 0.0 and max(delays) <= 2.0


def test_retry_delay_can_ignore_the_header() -> None:
    policy = RetryPolicy(respect_retry_after=False, base_delay_s=0.5)
    exc = status_error(429, headers={"Retry-After": "60"})
    assert retry_delay(exc, 1, policy, random.Random(0)) <= 0.5


def test_real_asyncio_timeout_is_a_retryable_timeout() -> None:
    async def main() -> BaseException:
        try:
            await asyncio.wait_for(asyncio.sleep(1), timeout=0.001)
        except BaseException as exc:  # what the engine would catch
            return exc
        raise AssertionError("no timeout")

    exc = asyncio.run(main())
    assert classify_error(exc) == "timeout"
    assert is_retryable(exc)


def _wrapped_by_the_aiohttp_transport(cause: BaseException) -> openai.APITimeoutError:
    """The chain the SDK raises when the aiohttp transport maps ``cause`` to ConnectTimeout."""
    mapped = httpx2.ConnectTimeout(str(cause))
    mapped.__cause__ = cause
    exc = openai.APITimeoutError(request=REQUEST)
    exc.__cause__ = mapped
    return exc


def test_the_aiohttp_cause_decides_between_timeout_and_dropped_connection() -> None:
    dropped = _wrapped_by_the_aiohttp_transport(aiohttp.ServerDisconnectedError())
    assert classify_error(dropped) == "server_error" and is_retryable(dropped)
    slow = _wrapped_by_the_aiohttp_transport(aiohttp.SocketTimeoutError("read"))
    assert classify_error(slow) == "timeout" and is_retryable(slow)

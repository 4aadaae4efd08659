"""Router signals: forwarded retry hints, and failures a router wraps in a status of its own."""

from __future__ import annotations

import email.utils
import random

import httpx2
import openai
import pytest

from blindside.client.retry import (
    RetryPolicy,
    classify_error,
    is_retryable,
    retry_after_seconds,
    retry_delay,
)
from blindside.client.streaming import StreamError
from tests.unit.test_retry import status_error


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"llm_provider-retry-after": "1"}, 1.0),
        ({"llm_provider-retry-after-ms": "1500"}, 1.5),
        ({"LLM_PROVIDER-RETRY-AFTER": "2.5"}, 2.5),
        # the router's own hint and the upstream's: the longer wait wins
        ({"retry-after": "1", "llm_provider-retry-after": "3"}, 3.0),
        ({"retry-after-ms": "4000", "llm_provider-retry-after": "3"}, 4.0),
        # within one source the precise milliseconds win, as before
        ({"llm_provider-retry-after": "30", "llm_provider-retry-after-ms": "1200"}, 1.2),
        ({"llm_provider-retry-after": "soon", "retry-after": "2"}, 2.0),
        ({"llm_provider-x-ratelimit-remaining-requests": "0"}, None),
    ],
)
def test_forwarded_retry_hints_are_read(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers) == seconds


def test_a_forwarded_http_date_is_read() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 5, usegmt=True)
    assert retry_after_seconds({"llm_provider-retry-after": header}, now=now) == pytest.approx(5.0)


def test_a_forwarded_hint_is_a_floor_for_the_retry_delay() -> None:
    exc = status_error(429, headers={"llm_provider-retry-after": "1"})
    delays = [retry_delay(exc, 1, RetryPolicy(), random.Random(i)) for i in range(50)]
    assert min(delays) >= 1.0


WRAPPED = [
    # (name, exception, class, retryable)
    (
        "litellm 500 naming the upstream 429 in code",
        status_error(500, {"message": "litellm.RateLimitError: slow down", "code": "429"}),
        "rate_limit",
        True,
    ),
    (
        "a gateway 502 whose type is rate_limit_error",
        status_error(502, {"message": "upstream said no", "type": "rate_limit_error"}),
        "rate_limit",
        True,
    ),
    (
        "500 wrapping a JSON decoder error",
        status_error(500, {"message": "APIError: Expecting value: line 1 column 1 (char 0)"}),
        "bad_response",
        True,
    ),
    (
        "500 wrapping an unterminated string",
        status_error(500, {"message": "JSONDecodeError('Unterminated string starting at')"}),
        "bad_response",
        True,
    ),
    (
        "500 whose code names a 401 upstream",
        status_error(500, {"message": "AuthenticationError", "code": "401"}),
        "auth",
        False,
    ),
    (
        "400 naming a context window by type",
        status_error(400, {"message": "nope", "type": "ContextWindowExceededError"}),
        "context_length",
        False,
    ),
    (
        "a 400 that could not parse the request is the request's fault",
        status_error(400, {"message": "could not parse the JSON body of your request"}),
        "other",
        False,
    ),
    (
        "a 429 saying too many tokens stays a rate limit",
        status_error(429, {"message": "Rate limit: too many tokens per minute"}),
        "rate_limit",
        True,
    ),
    ("plain 500", status_error(500), "server_error", True),
]


@pytest.mark.parametrize(
    ("exc", "expected", "retryable"), [c[1:] for c in WRAPPED], ids=[c[0] for c in WRAPPED]
)
def test_a_wrapped_failure_is_classified_by_the_body(
    exc: openai.APIStatusError, expected: str, retryable: bool
) -> None:
    assert classify_error(exc) == expected
    assert is_retryable(exc) is retryable


def test_a_stream_error_event_quoting_a_decoder_error_is_a_bad_response() -> None:
    exc = StreamError({"message": "litellm.APIError: Expecting property name enclosed in double"})
    assert classify_error(exc) == "bad_response"
    assert is_retryable(exc)


def test_status_errors_keep_their_headers_for_the_hint() -> None:
    response = httpx2.Response(
        429,
        headers={"llm_provider-retry-after": "2"},
        request=httpx2.Request("POST", "http://x/v1/chat/completions"),
    )
    assert retry_after_seconds(response.headers) == 2.0


def test_litellm_s_own_bodies_as_it_sends_them() -> None:
    """Bodies copied from a LiteLLM 1.108 proxy in front of the demo provider."""
    limited = status_error(
        429,
        {
            "message": "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit "
            "reached for requests. Please try again in 1s.",
            "type": "throttling_error",
            "code": "429",
        },
        headers={"llm_provider-retry-after": "1", "llm_provider-retry-after-ms": "1000"},
    )
    assert classify_error(limited) == "rate_limit"
    assert retry_after_seconds(limited.response.headers) == 1.0
    whole = status_error(
        500,
        {
            "message": "litellm.InternalServerError: InternalServerError: OpenAIException - "
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            "type": "internal_server_error",
            "code": "500",
        },
    )
    assert classify_error(whole) == "bad_response"
    streamed = StreamError(
        {
            "message": "litellm.APIConnectionError: APIConnectionError: OpenAIException - "
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            "type": None,
            "code": "500",
        }
    )
    assert classify_error(streamed) == "bad_response"
    assert classify_error(StreamError({"message": "upstream died", "code": "500"})) == (
        "server_error"
    )

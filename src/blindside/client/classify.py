"""Error classes: what kind of failure a request met, and whether another attempt may help.

Pure functions over exceptions raised by the ``openai`` SDK (with its own
retries off), by the ``httpx2`` layer underneath it, which surfaces unwrapped
when a stream breaks after the response started, by the aiohttp transport
under that, and by our own stream reader (:mod:`blindside.client.streaming`).
A router (a LiteLLM proxy, a gateway) may wrap an upstream failure in a status
of its own: the body's ``error.type`` / ``error.code`` and a quoted JSON
decoder error say what happened upstream (:func:`named_by_body`).
"""

from __future__ import annotations

import json
import re
from typing import Literal, get_args

import aiohttp
import httpx2
import openai

from blindside.client.streaming import StreamError

__all__ = [
    "ERROR_CLASSES",
    "RETRYABLE_STATUS",
    "BadResponseError",
    "ErrorClass",
    "classify_error",
    "is_retryable",
    "named_by_body",
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
# A router (LiteLLM, a gateway) answers with its own status and names what happened
# upstream in the body's error.type / error.code: these names win over the status.
_BODY_CLASSES: dict[str, ErrorClass] = {
    "rate_limit_error": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "throttling_error": "rate_limit",
    "ratelimiterror": "rate_limit",
    "timeout": "timeout",
    "timeout_error": "timeout",
    "request_timeout": "timeout",
    "apitimeouterror": "timeout",
    "authentication_error": "auth",
    "invalid_api_key": "auth",
    "permission_error": "auth",
    "context_length_exceeded": "context_length",
    "contextwindowexceedederror": "context_length",
    "content_filter": "content_filter",
    "content_policy_violation": "content_filter",
    "contentpolicyviolationerror": "content_filter",
    "bad_response": "bad_response",
    "invalid_response": "bad_response",
    "malformed_response": "bad_response",
    "jsondecodeerror": "bad_response",
}
# How a malformed upstream answer reads once a router has wrapped it: Python's JSON
# decoder, pydantic's, and the usual words.
_BAD_RESPONSE = re.compile(
    r"jsondecodeerror|expecting (?:value|property name|',' delimiter|':' delimiter)"
    r"|unterminated string|invalid control character|extra data: line"
    r"|invalid json|malformed (?:json|response|chunk)|could not (?:parse|decode)"
    r"|unable to (?:parse|decode)|failed to (?:parse|decode)",
    re.IGNORECASE,
)
#: Classes worth another attempt when a body names them.
_RETRYABLE_CLASSES = frozenset({"rate_limit", "timeout", "server_error", "bad_response"})


class BadResponseError(Exception):
    """The provider answered, but with something unusable.

    Raised by the engine for malformed or truncated streams (no choices, a
    stream that ends without a finish reason, unparseable chunks). Retryable:
    such failures are usually transient.
    """


def _code(exc: openai.APIError | StreamError) -> str:
    return (exc.code or "").lower()


def _text(exc: BaseException) -> str:
    # str(exc) of a status error already embeds the body ("Error code: 400 - {...}")
    parts = [str(exc)]
    body = getattr(exc, "body", None)
    if body is not None and not isinstance(body, str):
        parts.append(json.dumps(body, default=str))
    return " ".join(parts)


def _status_class(status: int) -> ErrorClass | None:
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status in (401, 403):
        return "auth"
    if status >= 500:
        return "server_error"
    return None


def named_by_body(
    exc: openai.APIError | StreamError, *, messages: bool = True
) -> ErrorClass | None:
    """The class a router's error body names, whatever status it came with; None if none.

    Read from ``error.type`` and ``error.code`` (LiteLLM puts the upstream's
    status in ``code``: ``"429"``, and its exception name in the message), then
    from a message that quotes a JSON decoder: a malformed upstream answer is
    ``bad_response`` even when the router wrapped it in a 500 (not read when
    ``messages`` is False).
    """
    for name in (exc.type, exc.code):
        key = str(name or "").strip().lower()
        if key in _BODY_CLASSES:
            return _BODY_CLASSES[key]
        # An upstream 5xx says no more than server_error, the default: the message may.
        if key.isdigit() and 400 <= int(key) < 500:
            named = _status_class(int(key))
            if named is not None:
                return named
    if messages and _BAD_RESPONSE.search(_text(exc)):
        return "bad_response"
    return None


def _classify_status_error(exc: openai.APIStatusError) -> ErrorClass:
    """A status error: the body's explicit name, else the status, else what the message says.

    A rate limit's message may say "too many tokens", so 429, 408, 401 and 403
    are read from the status before any message; a 4xx or 5xx that names
    nothing specific is read from its message (context length, content filter,
    and for a 5xx a router's wrapped JSON decoder error: a 400 saying it could
    not parse JSON is about the request, not the answer).
    """
    named = named_by_body(exc, messages=False)
    if named is not None:
        return named
    status = exc.status_code
    if status in (429, 408, 401, 403):
        return _status_class(status) or "other"
    return (
        _classify_body(exc)
        or named_by_body(exc, messages=status >= 500)
        or _status_class(status)
        or "other"
    )


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
        return _classify_status_error(exc)
    if isinstance(exc, openai.APIError | StreamError):
        # error event in a stream (no HTTP status of its own)
        named = _classify_body(exc) or named_by_body(exc)
        if named is not None:
            return named
        if "rate_limit" in _code(exc) or "rate_limit" in (exc.type or "").lower():
            return "rate_limit"
        return "server_error"
    return "other"


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt may succeed.

    True for status errors in :data:`RETRYABLE_STATUS` (unless a router's body
    names a failure that another attempt cannot mend, such as an upstream 401;
    a body naming a rate limit or a bad upstream answer is retryable whatever
    the status), connection errors and timeouts (SDK, asyncio and transport),
    malformed or truncated responses (:class:`BadResponseError`, broken JSON or
    encoding in a stream), and stream error events that are rate limits, server
    errors or bad answers. A schema mismatch (``APIResponseValidationError``) is
    not: it would fail the same way again.
    """
    if isinstance(exc, openai.APIStatusError):
        # A router's body that names the upstream's failure decides; else the status.
        named = named_by_body(exc, messages=exc.status_code >= 500)
        if named is not None:
            return named in _RETRYABLE_CLASSES
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
        return classify_error(exc) in _RETRYABLE_CLASSES
    return False

"""What the demo app sends: OpenAI-shaped bodies and errors, SSE framing, paced and cut responses.

A :class:`Reply` turns a :class:`~blindside.demo.planning.DemoCompletion` into
a ``chat.completion`` body or the SSE events of a stream, each event with the
delay before it; :class:`PacedResponse` sends them when they are due.
:func:`fault_response` is what an attempt with an injected fault gets.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from blindside.demo.faults import TIMEOUT_FAULT_S
from blindside.demo.knowledge import function_tools, tool_names
from blindside.demo.planning import DemoCompletion, named_choice
from blindside.demo.state import HeldRequests

Frame = tuple[float, bytes]  # (seconds to wait before, bytes to send)


class RequestIds:
    """ASGI middleware: an ``x-request-id`` header on every response, as OpenAI sends one.

    A pure ASGI layer (no task group per request, unlike Starlette's
    ``BaseHTTPMiddleware``): it only adds a header to the response's start.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = (b"x-request-id", f"req_{uuid.uuid4().hex}".encode())

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def error(
    status: int,
    message: str,
    *,
    type_: str,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An OpenAI-shaped error response."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def http_error(request: Request, exc: Exception) -> Response:
    """An unknown route (404) or method (405) as an OpenAI-shaped JSON error."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        message = f"Invalid URL ({request.method} {request.url.path})"
        return error(404, message, type_="invalid_request_error", code="unknown_url")
    if status == 405:
        message = f"Method {request.method} is not allowed for {request.url.path}"
        return error(405, message, type_="invalid_request_error", code="method_not_allowed")
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return error(status, str(detail), type_="invalid_request_error")


def bad_request(message: str, param: str | None, code: str = "invalid_value") -> JSONResponse:
    """A 400 ``invalid_request_error`` naming the parameter at fault."""
    return error(400, message, type_="invalid_request_error", param=param, code=code)


#: Most stop sequences a request may send.
MAX_STOP = 4


def stop_sequences(value: Any) -> tuple[str, ...] | JSONResponse:
    """``stop`` as a tuple: a string, or an array of up to 4 strings (None: none)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if (
        isinstance(value, list)
        and len(value) <= MAX_STOP
        and all(isinstance(v, str) for v in value)
    ):
        return tuple(value)
    return bad_request(
        f"'stop' must be a string or an array of at most {MAX_STOP} strings.", "stop"
    )


def tools_problem(tools: Any, tool_choice: Any) -> JSONResponse | None:
    """A 400 for a malformed ``tools`` / ``tool_choice``, as real providers reject them."""
    if tools is not None and (
        not isinstance(tools, list) or len(function_tools(tools)) != len(tools) or not tools
    ):
        return bad_request(
            "'tools' must be a non-empty array of function tools, each with 'function.name'.",
            "tools",
        )
    if tool_choice is None or tool_choice in ("none", "auto", "required"):
        return None
    named = named_choice(tool_choice)
    if named is None:
        return bad_request(
            "'tool_choice' must be 'none', 'auto', 'required' or a named function.",
            "tool_choice",
        )
    if named not in tool_names(tools):
        return bad_request(
            f"Invalid value for 'tool_choice': function '{named}' not found in 'tools'.",
            "tool_choice",
        )
    return None


def model_not_found(model: str) -> JSONResponse:
    """The 404 of a model id that no profile serves."""
    return error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        type_="invalid_request_error",
        param="model",
        code="model_not_found",
    )


def _sse(payload: Mapping[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


_DONE = _sse("[DONE]")
# Message and code of the server errors a fault can answer with, as OpenAI words them.
_SERVER_ERRORS = {
    "500": (
        "The server had an error while processing your request. Sorry about that!",
        "internal_error",
    ),
    "503": ("The server is overloaded. Please retry your request.", "service_unavailable"),
}


@dataclass(frozen=True)
class Reply:
    """One planned reply and the ids that its body, or every chunk of its stream, carries.

    Attributes
    ----------
    plan : DemoCompletion
        What the reply says, and when.
    model : str
        The requested model id.
    completion_id : str
        ``chatcmpl-...`` id of the completion.
    call_id : str
        ``call_...`` id of the tool call, if the plan has one.
    created : int
        Unix time of the request.
    usage_chunk : bool
        Whether a streamed reply ends with a usage chunk.
    others : tuple of DemoCompletion
        The further choices of a request with ``n`` above 1 (choice 1 on).
    """

    plan: DemoCompletion
    model: str
    completion_id: str
    call_id: str
    created: int
    usage_chunk: bool
    others: tuple[DemoCompletion, ...] = ()

    @property
    def plans(self) -> tuple[DemoCompletion, ...]:
        """Every choice, in index order."""
        return (self.plan, *self.others)

    def usage(self) -> dict[str, Any]:
        """The usage of all choices: the prompt once, the completions added up."""
        usage = self.plan.usage()
        if self.others:
            completion = sum(p.completion_tokens for p in self.plans)
            usage["completion_tokens"] = completion
            usage["total_tokens"] = usage["prompt_tokens"] + completion
        return usage

    def _message(self, plan: DemoCompletion, index: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if plan.tool_call is None:
            message["content"] = plan.text
        else:
            function = {"name": plan.tool_call.name, "arguments": plan.tool_call.arguments}
            call_id = self.call_id if index == 0 else f"{self.call_id}_{index}"
            message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
        return message

    def body(self) -> dict[str, Any]:
        """The ``chat.completion`` object of a reply that is not streamed."""
        return {
            "id": self.completion_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": index,
                    "message": self._message(plan, index),
                    "logprobs": None,
                    "finish_reason": plan.finish_reason,
                }
                for index, plan in enumerate(self.plans)
            ],
            "usage": self.usage(),
        }

    def _chunk(self, delta: dict[str, Any], finish: str | None, index: int = 0) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [choice],
            **({"usage": None} if self.usage_chunk else {}),
        }

    def frames(self) -> list[Frame]:
        """The SSE events of a streamed reply, each with the delay before it.

        With ``n`` above 1 the choices follow one another, each chunk naming its
        ``index``, as a client that folds chunks by index expects.
        """
        frames: list[Frame] = []
        for index, plan in enumerate(self.plans):
            frames += self._choice_frames(plan, index)
        if self.usage_chunk:
            last = {**self._chunk({}, None), "choices": [], "usage": self.usage()}
            frames.append((0.0, _sse(last)))
        frames.append((0.0, _DONE))
        return frames

    def _choice_frames(self, plan: DemoCompletion, index: int) -> list[Frame]:
        call = plan.tool_call
        call_id = self.call_id if index == 0 else f"{self.call_id}_{index}"
        role = {"role": "assistant", "content": None if call else "", "refusal": None}
        ttft = plan.ttft_s if index == 0 else 0.0
        frames: list[Frame] = [(ttft, _sse(self._chunk(role, None, index)))]
        for i, (piece, delay) in enumerate(zip(plan.chunks, plan.chunk_delays_s, strict=True)):
            if call is None:
                delta: dict[str, Any] = {"content": piece}
            elif i == 0:  # the first tool-call delta names the call; later ones add arguments
                function = {"name": call.name, "arguments": piece}
                delta = {
                    "tool_calls": [
                        {"index": 0, "id": call_id, "type": "function", "function": function}
                    ]
                }
            else:
                delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            frames.append((delay, _sse(self._chunk(delta, None, index))))
        frames.append((0.0, _sse(self._chunk({}, plan.finish_reason, index))))
        return frames


async def _paced(frames: Sequence[Frame]) -> AsyncIterator[bytes]:
    """Frame bytes, each released when its cumulative delay is due.

    Waiting for absolute due times, rather than sleeping each delay, keeps the
    per-sleep overshoot of the event loop from adding up over many chunks.
    """
    loop = asyncio.get_running_loop()
    due = loop.time()
    for delay, data in frames:
        due += delay
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        yield data


class PacedResponse(Response):
    """A 200 event stream that sends each frame when it is due; ``on_done`` runs before ``[DONE]``.

    Leaner than Starlette's ``StreamingResponse``, which runs an anyio task
    group per response to watch for a disconnect: anyio's own frames were about
    4% of the demo server's CPU under load (py-spy, leaf frames only, so a
    floor). One plain task waits for the disconnect
    instead; a client that goes away gets nothing more and its request never
    counts as completed.
    """

    def __init__(
        self,
        frames: Sequence[Frame],
        on_done: Callable[[], None],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        # Deliberately not Response.__init__: the body is sent frame by frame.
        self.status_code = 200
        self.background = None
        self.frames = frames
        self.on_done = on_done
        self.on_close = on_close  # runs however the response ends (a capacity slot's release)
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # The request body has been read, so the next message is the disconnect.
        gone = asyncio.ensure_future(receive())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for data in _paced(self.frames):
                if gone.done():
                    return
                if data == _DONE:
                    self.on_done()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()
            if self.on_close is not None:
                self.on_close()


class CutResponse(Response):
    """A 200 whose body stops partway and whose connection is then dropped.

    The app returns without sending the final body message, so the server
    closes the connection, which is what a client sees when an upstream dies
    mid-response. (``httpx2.ASGITransport`` reports it as a connection error.)
    """

    def __init__(
        self, frames: Sequence[Frame], *, media_type: str, content_length: int | None = None
    ) -> None:
        # Deliberately not Response.__init__: no body, no computed content-length.
        self.status_code = 200
        self.background = None
        self.frames = list(frames)
        self.raw_headers = [(b"content-type", media_type.encode())]
        if content_length is not None:
            self.raw_headers.append((b"content-length", str(content_length).encode()))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async for data in _paced(self.frames):
            await send({"type": "http.response.body", "body": data, "more_body": True})


async def fault_response(
    kind: str,
    reply: Reply,
    *,
    stream: bool,
    receive: Callable[[], Awaitable[Mapping[str, Any]]],
    retry_after_s: float,
    held: HeldRequests,
) -> Response:
    """The response of one faulted attempt.

    Parameters
    ----------
    kind : str
        The fault, one of :data:`~blindside.config.FAULT_KINDS`.
    reply : Reply
        The reply the attempt would have had; its timing paces the fault, and
        ``malformed`` and ``truncate`` send part of it.
    stream : bool
        Whether the request asked for a stream.
    receive : callable
        The ASGI ``receive`` of the request (a ``timeout`` fault ends when the
        client disconnects).
    retry_after_s : float
        Sent with a ``429``.
    held : HeldRequests
        Where a ``timeout`` fault holds the request.

    Returns
    -------
    Response

    Raises
    ------
    ValueError
        On an unknown fault kind.
    """
    plan = reply.plan
    if kind == "429":
        await asyncio.sleep(plan.ttft_s / 4)  # a rate limiter answers before any model work
        return error(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after_s:g}s.",
            type_="rate_limit_error",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(math.ceil(retry_after_s)),
                "retry-after-ms": str(round(retry_after_s * 1000)),
            },
        )
    if kind in _SERVER_ERRORS:
        await asyncio.sleep(plan.ttft_s / 2)
        message, code = _SERVER_ERRORS[kind]
        return error(int(kind), message, type_="server_error", code=code)
    if kind == "timeout":
        outcome = await held.hold(receive, TIMEOUT_FAULT_S)
        if outcome == "released":
            return error(
                503,
                "The server is shutting down.",
                type_="server_error",
                code="service_unavailable",
            )
        # After a disconnect nobody reads this; after the full hour it is a gateway timeout.
        return error(504, "The request timed out.", type_="server_error", code="timeout")
    if kind == "malformed":
        if not stream:
            await asyncio.sleep(plan.total_s)
            # Python-repr-like quoting: a classic broken-serialiser bug.
            text = json.dumps(reply.body(), ensure_ascii=False).replace('"', "'")
            return Response(text, media_type="application/json")
        events = reply.frames()
        content = [i for i in range(1, len(events)) if b'"delta": {"' in events[i][1]]
        broken = content[len(content) // 2] if content else len(events) - 2
        delay, data = events[broken]
        events[broken] = (delay, data.replace(b'"', b"'"))
        return PacedResponse(events, on_done=lambda: None)  # a broken reply never completes
    if kind == "truncate":
        if not stream:
            await asyncio.sleep(plan.total_s)
            data = json.dumps(reply.body(), ensure_ascii=False).encode()
            return CutResponse(
                [(0.0, data[: len(data) // 2])],
                media_type="application/json",
                content_length=len(data),
            )
        # The role chunk and the first half of the content, then the connection drops.
        keep = 1 + len(plan.chunks) // 2
        return CutResponse(reply.frames()[:keep], media_type="text/event-stream")
    raise ValueError(f"unknown fault kind {kind!r}")

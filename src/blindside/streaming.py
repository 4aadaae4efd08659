"""Read a streamed chat completion from its server-sent events, as plain dicts.

The SDK's own stream builds a pydantic ``ChatCompletionChunk`` for every
chunk; at about a dozen chunks per answer that was a third of the client's CPU
per request (py-spy on ``benchmarks/bench_generate.py``). The generation
engine reads only a handful of fields, so it asks the SDK for the raw response
(``client.post`` with ``cast_to=httpx2.Response``), decodes the events here and
folds the JSON chunks into a :class:`StreamedReply`.

:func:`stream_chat_completion` is that whole request: the engine's and the
throughput benchmark's one way to stream.

The decoder follows the event-stream format of the HTML standard as far as a
chat completion stream uses it: ``data`` lines (several are joined with a
newline), ``event`` lines, comments, and a blank line ending each event.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from openai import AsyncOpenAI

DONE = "[DONE]"


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an event stream.

    Attributes
    ----------
    data : str
        The event's ``data`` lines, joined by newlines.
    event : str or None
        The ``event`` field, when the server named the event.
    """

    data: str
    event: str | None = None


def _field(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if colon and value.startswith(" "):
        value = value[1:]
    return name, value


async def server_sent_events(lines: AsyncIterable[str]) -> AsyncIterator[ServerSentEvent]:
    """Decode an event stream, given line by line without line endings.

    Parameters
    ----------
    lines : async iterable of str
        The response body's lines (``httpx.Response.aiter_lines``).

    Yields
    ------
    ServerSentEvent
        Every event that carried data; an event still open when the stream
        ends is yielded too (a cut stream is judged by its content, not here).
    """
    data: list[str] = []
    event: str | None = None
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent("\n".join(data), event)
            data, event = [], None
            continue
        if line.startswith(":"):
            continue  # a comment, e.g. a keep-alive
        name, value = _field(line)
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    if data:
        yield ServerSentEvent("\n".join(data), event)


class StreamError(Exception):
    """An ``error`` object sent inside a stream that had already returned 200.

    Attributes
    ----------
    body : dict
        The error object as the provider sent it.
    code, type : str or None
        Its ``code`` and ``type``, as the SDK's ``APIError`` exposes them.
    """

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = dict(body)
        self.code = None if body.get("code") is None else str(body["code"])
        self.type = None if body.get("type") is None else str(body["type"])
        super().__init__(str(body.get("message") or "error event in the stream"))


@dataclass
class StreamedReply:
    """What a chat completion stream said, folded chunk by chunk.

    Attributes
    ----------
    parts : list of str
        Content deltas in order.
    tool_calls : dict
        Tool calls by index, their ``name`` and ``arguments`` concatenated.
    finish_reason : str or None
        The last finish reason seen; None if the stream never gave one.
    usage : dict or None
        The usage object of the final chunk, when the provider sent one.
    token_times : list of float
        Arrival time of every chunk that carried content or tool-call text.
    """

    parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    token_times: list[float] = field(default_factory=list)

    def add_chunk(self, chunk: Mapping[str, Any], arrived_at: float) -> None:
        """Fold one decoded ``chat.completion.chunk`` in.

        Raises
        ------
        StreamError
            The chunk is an error object.
        """
        error = chunk.get("error")
        if error:
            raise StreamError(error if isinstance(error, Mapping) else {"message": str(error)})
        usage = chunk.get("usage")
        if usage is not None:
            self.usage = usage
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            content = delta.get("content")
            calls = delta.get("tool_calls")
            if content or calls:
                self.token_times.append(arrived_at)
            if content:
                self.parts.append(content)
            for call in calls or ():
                slot = self.tool_calls.setdefault(
                    call.get("index", 0), {"name": "", "arguments": ""}
                )
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    @property
    def text(self) -> str:
        """The content, or the tool calls as JSON when there was none."""
        if self.parts:
            return "".join(self.parts)
        return json.dumps(list(self.tool_calls.values())) if self.tool_calls else ""


def decode_chunk(event: ServerSentEvent) -> dict[str, Any] | None:
    """The JSON chunk an event carries; None for the closing ``[DONE]``.

    Raises
    ------
    json.JSONDecodeError
        The data is not JSON (a malformed stream).
    """
    if event.data.startswith(DONE):
        return None
    chunk = json.loads(event.data)
    if not isinstance(chunk, dict):
        raise json.JSONDecodeError("a stream chunk is not a JSON object", event.data, 0)
    return chunk


async def stream_chat_completion(client: AsyncOpenAI, body: Mapping[str, Any]) -> StreamedReply:
    """POST a streaming chat completion and read it to its end.

    Uses the SDK's documented raw request (``client.post`` with
    ``cast_to=httpx2.Response``): its auth, base URL, timeout, transport and
    status errors, without typed params or typed chunks.

    Parameters
    ----------
    client : AsyncOpenAI
    body : mapping
        The JSON request body, ``"stream": True`` included.

    Returns
    -------
    StreamedReply
        Chunks folded up to ``[DONE]`` or the end of the body, with the
        ``time.perf_counter()`` arrival of each that carried text.

    Raises
    ------
    openai.APIStatusError, openai.APIConnectionError
        As the SDK raises them before the body starts.
    StreamError, json.JSONDecodeError, httpx2.TransportError
        An error object, a malformed chunk or a broken connection mid-stream.
    """
    reply = StreamedReply()
    response = await client.post(
        "/chat/completions", cast_to=httpx2.Response, body=dict(body), stream=True
    )
    try:
        async for event in server_sent_events(response.aiter_lines()):
            chunk = decode_chunk(event)
            if chunk is None:
                break
            reply.add_chunk(chunk, time.perf_counter())
    finally:
        await response.aclose()
    return reply

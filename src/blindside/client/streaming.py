"""Decode a streamed chat completion's server-sent events into plain dicts.

The SDK's own stream builds a pydantic ``ChatCompletionChunk`` for every
chunk; at about a dozen chunks per answer that was a third of the client's CPU
per request (py-spy on ``benchmarks/bench_generate.py``). Callers read only a
handful of fields, so :func:`blindside.client.request.chat_completion` asks the
SDK for the raw response, decodes the events here and folds the JSON chunks
into a :class:`~blindside.client.request.ChatReply`.

The decoder follows the event-stream format of the HTML standard as far as a
chat completion stream uses it: ``data`` lines (several are joined with a
newline), ``event`` lines, comments, and a blank line ending each event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any


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


#: The data of the event that closes a chat completion stream.
DONE = "[DONE]"


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

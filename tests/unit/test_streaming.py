"""Tests for blindside.streaming: event-stream decoding and folding chunks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import pytest

from blindside.streaming import (
    ServerSentEvent,
    StreamedReply,
    StreamError,
    decode_chunk,
    server_sent_events,
)


async def _lines(lines: Sequence[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


def events(lines: Sequence[str]) -> list[ServerSentEvent]:
    async def collect() -> list[ServerSentEvent]:
        return [e async for e in server_sent_events(_lines(lines))]

    return asyncio.run(collect())


def test_events_are_split_by_blank_lines() -> None:
    got = events(['data: {"a": 1}', "", 'data: {"a": 2}', "", "data: [DONE]", ""])
    assert [e.data for e in got] == ['{"a": 1}', '{"a": 2}', "[DONE]"]
    assert all(e.event is None for e in got)


def test_data_lines_join_and_one_leading_space_is_dropped() -> None:
    got = events(["data:first", "data:  second", "", ""])
    assert got == [ServerSentEvent("first\n second")]


def test_comments_and_other_fields_are_ignored_and_event_names_kept() -> None:
    got = events([": keep-alive", "", "event: error", "id: 7", "retry: 10", "data: x", ""])
    assert got == [ServerSentEvent("x", "error")]


def test_an_event_open_at_the_end_is_yielded() -> None:
    # A body cut without its final blank line: the content decides, not the framing.
    assert events(["data: {}"]) == [ServerSentEvent("{}")]
    assert events([]) == []


def chunk(**delta: object) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def test_content_is_folded_with_its_arrival_times() -> None:
    reply = StreamedReply()
    reply.add_chunk(chunk(role="assistant", content=""), 1.0)  # no text: no token time
    reply.add_chunk(chunk(content="Hel"), 2.0)
    reply.add_chunk(chunk(content="lo"), 3.5)
    reply.add_chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, 4.0)
    usage = {"prompt_tokens": 5, "completion_tokens": 2}
    reply.add_chunk({"choices": [], "usage": usage}, 4.1)
    assert reply.text == "Hello"
    assert reply.token_times == [2.0, 3.5]
    assert reply.finish_reason == "stop"
    assert reply.usage == usage


def test_usage_null_on_every_chunk_does_not_erase_the_final_usage() -> None:
    reply = StreamedReply()
    reply.add_chunk({"choices": [], "usage": {"prompt_tokens": 1}}, 1.0)
    reply.add_chunk({"choices": [], "usage": None}, 2.0)
    assert reply.usage == {"prompt_tokens": 1}


def test_tool_call_fragments_are_joined_per_index() -> None:
    reply = StreamedReply()
    first = {"index": 0, "id": "c1", "function": {"name": "get_", "arguments": '{"ci'}}
    reply.add_chunk(chunk(tool_calls=[first]), 1.0)
    reply.add_chunk(chunk(tool_calls=[{"index": 0, "function": {"name": "weather"}}]), 2.0)
    reply.add_chunk(chunk(tool_calls=[{"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}]), 3)
    reply.add_chunk(
        chunk(tool_calls=[{"index": 1, "function": {"name": "b", "arguments": "{}"}}]), 4
    )
    assert json.loads(reply.text) == [
        {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
        {"name": "b", "arguments": "{}"},
    ]
    assert len(reply.token_times) == 4


def test_an_error_chunk_raises_with_its_code_and_type() -> None:
    reply = StreamedReply()
    with pytest.raises(StreamError) as caught:
        body = {"message": "overloaded", "type": "server_error", "code": "overloaded"}
        reply.add_chunk({"error": body}, 1.0)
    assert str(caught.value) == "overloaded"
    assert (caught.value.code, caught.value.type) == ("overloaded", "server_error")
    with pytest.raises(StreamError):
        reply.add_chunk({"error": "plain text"}, 1.0)


def test_decode_chunk() -> None:
    assert decode_chunk(ServerSentEvent("[DONE]")) is None
    assert decode_chunk(ServerSentEvent('{"choices": []}')) == {"choices": []}
    with pytest.raises(json.JSONDecodeError):
        decode_chunk(ServerSentEvent("{'choices': []}"))  # a broken serialiser's quotes
    with pytest.raises(json.JSONDecodeError):
        decode_chunk(ServerSentEvent("[1, 2]"))

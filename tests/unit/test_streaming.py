"""Tests for blindside.client.streaming: event-stream decoding."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import pytest

from blindside.client.streaming import (
    ServerSentEvent,
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


def test_decode_chunk() -> None:
    assert decode_chunk(ServerSentEvent("[DONE]")) is None
    assert decode_chunk(ServerSentEvent('{"choices": []}')) == {"choices": []}
    with pytest.raises(json.JSONDecodeError):
        decode_chunk(ServerSentEvent("{'choices': []}"))  # a broken serialiser's quotes
    with pytest.raises(json.JSONDecodeError):
        decode_chunk(ServerSentEvent("[1, 2]"))

"""Tests for blindside.client.request: folding replies and building request bodies."""

from __future__ import annotations

import json

import pytest

from blindside.client.request import ChatReply, chat_body
from blindside.client.streaming import StreamError
from blindside.config import EndpointConfig, ModelConfig

ENDPOINT = EndpointConfig(name="e", kind="openai", base_url="http://x/v1", api_key_env=None)


def chunk(**delta: object) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def test_content_is_folded_with_its_arrival_times() -> None:
    reply = ChatReply()
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
    reply = ChatReply()
    reply.add_chunk({"choices": [], "usage": {"prompt_tokens": 1}}, 1.0)
    reply.add_chunk({"choices": [], "usage": None}, 2.0)
    assert reply.usage == {"prompt_tokens": 1}


def test_tool_call_fragments_are_joined_per_index() -> None:
    reply = ChatReply()
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
    reply = ChatReply()
    with pytest.raises(StreamError) as caught:
        body = {"message": "overloaded", "type": "server_error", "code": "overloaded"}
        reply.add_chunk({"error": body}, 1.0)
    assert str(caught.value) == "overloaded"
    assert (caught.value.code, caught.value.type) == ("overloaded", "server_error")
    with pytest.raises(StreamError):
        reply.add_chunk({"error": "plain text"}, 1.0)


def test_usage_alone_is_told_from_usage_on_a_content_chunk() -> None:
    alone = ChatReply()
    alone.add_chunk(chunk(content="a"), 1.0)
    alone.add_chunk({"choices": [], "usage": {"prompt_tokens": 1}}, 2.0)
    assert alone.usage_alone and alone.choices == 1
    along = ChatReply()
    along.add_chunk({**chunk(content="a"), "usage": {"prompt_tokens": 1}}, 1.0)
    assert not along.usage_alone and along.usage == {"prompt_tokens": 1}


def test_a_whole_completion_is_folded_like_a_stream() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    reply = ChatReply(sent_at=1.0, done_at=1.25)
    reply.add_completion(
        {
            "choices": [
                {
                    "message": {"content": None, "tool_calls": [call, call]},
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 3},
        }
    )
    assert json.loads(reply.text) == [{"name": "f", "arguments": "{}"}] * 2
    assert reply.content == "" and reply.finish_reason == "tool_calls"
    assert reply.usage == {"prompt_tokens": 3} and reply.choices == 1
    assert reply.latency_ms == pytest.approx(250.0) and reply.ttft_ms is None
    empty = ChatReply()
    empty.add_completion({"choices": []})
    assert empty.choices == 0 and empty.text == ""


def test_chat_body_names_the_output_cap_as_the_model_does() -> None:
    plain = ModelConfig(name="m", endpoint=ENDPOINT, model_id="m-1", params={"temperature": 0.2})
    messages = [{"role": "user", "content": "hi"}]
    assert chat_body(plain, messages, stream=True, max_tokens=5) == {
        "temperature": 0.2,
        "model": "m-1",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 5,
    }
    reasoning = ModelConfig(
        name="r", endpoint=ENDPOINT, model_id="r-1", params={"max_completion_tokens": 900}
    )
    body = chat_body(reasoning, messages, stream=False, max_tokens=5, params={}, seed=3)
    assert body == {"seed": 3, "model": "r-1", "messages": messages, "max_completion_tokens": 5}
    no_usage = chat_body(plain, messages, stream=True, include_usage=False)
    assert "stream_options" not in no_usage and "max_tokens" not in no_usage


def test_interleaved_choices_are_folded_each_on_its_own_and_choice_0_is_the_answer() -> None:
    def part(index: int, finish: str | None = None, **delta: object) -> dict[str, object]:
        return {"choices": [{"index": index, "delta": delta, "finish_reason": finish}]}

    reply = ChatReply(sent_at=0.0)
    reply.add_chunk(part(1, content="B1 "), 1.0)  # another choice may come first
    reply.add_chunk(part(0, content="A1 "), 2.0)
    reply.add_chunk(
        {"choices": [{"index": 2, "delta": {"content": "C1"}}, {"index": 0, "delta": {}}]}, 3.0
    )
    reply.add_chunk(part(0, content="A2"), 4.0)
    reply.add_chunk(part(1, content="B2"), 5.0)
    reply.add_chunk(part(1, "length"), 5.5)
    reply.add_chunk(part(2, "stop"), 5.6)
    reply.add_chunk(part(0, "stop"), 6.0)
    assert {i: c.text for i, c in reply.choice_replies.items()} == {
        0: "A1 A2",
        1: "B1 B2",
        2: "C1",
    }
    assert reply.text == reply.content == "A1 A2"
    assert reply.finish_reason == "stop" and reply.choice_replies[1].finish_reason == "length"
    # Time to first token and inter-token gaps are the answer's own chunks.
    assert reply.token_times == [2.0, 4.0]
    assert reply.ttft_ms == 2000.0


def test_a_whole_completion_with_n_choices_answers_with_choice_0() -> None:
    reply = ChatReply()
    reply.add_completion(
        {
            "choices": [
                {"index": 0, "message": {"content": "first"}, "finish_reason": "stop"},
                {"index": 1, "message": {"content": "second"}, "finish_reason": "length"},
            ],
            "usage": {"completion_tokens": 3},
        }
    )
    assert reply.text == "first" and reply.finish_reason == "stop" and reply.choices == 2
    assert reply.choice_replies[1].text == "second"
    assert ChatReply().text == "" and ChatReply().finish_reason is None

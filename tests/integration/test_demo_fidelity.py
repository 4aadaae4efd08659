"""The demo provider where OpenAI clients notice: request ids, JSON errors, roles; over a socket."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

from blindside.demo.server import LoopbackServer


def raw(server: LoopbackServer, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one plain HTTP request to the demo app."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.base_url.removesuffix("/v1") + path,
        data=data,
        headers={"content-type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_an_unknown_route_is_an_openai_error_body_with_a_request_id(
    demo_server: LoopbackServer,
) -> None:
    status, headers, body = raw(demo_server, "/v1/responses-nope")
    assert status == 404
    assert body["error"]["type"] == "invalid_request_error"
    assert "/v1/responses-nope" in body["error"]["message"]
    assert headers["x-request-id"].startswith("req_")
    status, _, body = raw(demo_server, "/v1/models", {"x": 1})
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_a_bogus_role_is_a_400_naming_the_message(demo_server: LoopbackServer) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "bogus", "content": "x"}]
    status, _, body = raw(
        demo_server, "/v1/chat/completions", {"model": "careful", "messages": messages}
    )
    assert status == 400
    assert body["error"]["param"] == "messages[1].role"
    assert "'bogus'" in body["error"]["message"]


def test_every_answer_carries_a_distinct_request_id_the_sdk_reads(
    demo_server: LoopbackServer,
) -> None:
    async def ask() -> list[str | None]:
        client = openai.AsyncOpenAI(base_url=demo_server.base_url, api_key="k", max_retries=0)
        ids = []
        try:
            for stream in (False, True):
                reply = await client.chat.completions.with_raw_response.create(
                    model="careful", messages=[{"role": "user", "content": "hi"}], stream=stream
                )
                ids.append(reply.headers.get("x-request-id"))
            with pytest.raises(openai.NotFoundError) as info:
                await client.models.retrieve("no-such-model")
            ids.append(info.value.request_id)
        finally:
            await client.close()
        return ids

    ids = asyncio.run(ask())
    assert all(i and i.startswith("req_") for i in ids)
    assert len(set(ids)) == 3


def _client(server: LoopbackServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0)


MESSAGES = [{"role": "user", "content": "Give me three tips for onboarding new support agents."}]


def test_n_gives_n_choices_whole_and_streamed(demo_server: LoopbackServer) -> None:
    async def ask() -> tuple[Any, Any, dict[int, str], Any]:
        client = _client(demo_server)
        try:
            one = await client.chat.completions.create(model="careful", messages=MESSAGES)
            three = await client.chat.completions.create(model="careful", messages=MESSAGES, n=3)
            streamed: dict[int, str] = {}
            usage = None
            stream = await client.chat.completions.create(
                model="careful",
                messages=MESSAGES,
                n=3,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in stream:
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    streamed[choice.index] = streamed.get(choice.index, "") + (
                        choice.delta.content or ""
                    )
        finally:
            await client.close()
        return one, three, streamed, usage

    one, three, streamed, usage = asyncio.run(ask())
    texts = [c.message.content for c in three.choices]
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert texts[0] == one.choices[0].message.content  # choice 0 is the answer without n
    assert three.usage.prompt_tokens == one.usage.prompt_tokens
    assert three.usage.completion_tokens > one.usage.completion_tokens
    assert streamed == dict(enumerate(texts))
    assert usage is not None and usage.completion_tokens == three.usage.completion_tokens


def test_stop_ends_the_answer_before_the_sequence(demo_server: LoopbackServer) -> None:
    async def ask(stop: Any, stream: bool) -> str:
        client = _client(demo_server)
        try:
            if not stream:
                reply = await client.chat.completions.create(
                    model="careful", messages=MESSAGES, stop=stop
                )
                assert reply.choices[0].finish_reason == "stop"
                return reply.choices[0].message.content or ""
            text = ""
            stream_ = await client.chat.completions.create(
                model="careful", messages=MESSAGES, stop=stop, stream=True
            )
            async for chunk in stream_:
                text += "".join(c.delta.content or "" for c in chunk.choices)
            return text
        finally:
            await client.close()

    whole = asyncio.run(ask(None, False))
    words = whole.split()
    cut_word = words[len(words) // 2]
    expected = whole[: whole.find(cut_word)]
    assert asyncio.run(ask([cut_word, "never-in-the-text"], False)) == expected
    assert asyncio.run(ask(cut_word, True)) == expected
    status, _, body = raw(
        demo_server,
        "/v1/chat/completions",
        {"model": "careful", "messages": MESSAGES, "stop": ["a", "b", "c", "d", "e"]},
    )
    assert status == 400 and body["error"]["param"] == "stop"
    status, _, body = raw(
        demo_server, "/v1/chat/completions", {"model": "careful", "messages": MESSAGES, "n": 0}
    )
    assert status == 400 and body["error"]["param"] == "n"


def test_the_responses_api_answers_text_whole_and_streamed(demo_server: LoopbackServer) -> None:
    async def ask() -> tuple[Any, Any, str, list[str], Any]:
        client = _client(demo_server)
        try:
            chat = await client.chat.completions.create(
                model="careful",
                messages=[{"role": "system", "content": "Be brief."}, *MESSAGES],
            )
            whole = await client.responses.create(
                model="careful", instructions="Be brief.", input=MESSAGES[0]["content"]
            )
            deltas: list[str] = []
            kinds: list[str] = []
            completed = None
            stream = await client.responses.create(
                model="careful",
                instructions="Be brief.",
                input=[
                    {
                        "role": "user",
                        "content": [{"type": "input_text", "text": MESSAGES[0]["content"]}],
                    }
                ],
                stream=True,
            )
            async for event in stream:
                kinds.append(event.type)
                if event.type == "response.output_text.delta":
                    deltas.append(event.delta)
                if event.type == "response.completed":
                    completed = event.response
        finally:
            await client.close()
        return chat, whole, "".join(deltas), kinds, completed

    chat, whole, streamed, kinds, completed = asyncio.run(ask())
    text = chat.choices[0].message.content
    assert whole.output_text == text  # the same request, asked the other way
    assert whole.status == "completed" and whole.id.startswith("resp_")
    assert whole.usage.input_tokens == chat.usage.prompt_tokens
    assert whole.usage.output_tokens == chat.usage.completion_tokens
    assert streamed == text
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert completed is not None and completed.output_text == text
    status, _, body = raw(
        demo_server,
        "/v1/responses",
        {"model": "careful", "input": "hi", "previous_response_id": "resp_1"},
    )
    assert status == 400 and body["error"]["param"] == "previous_response_id"

"""A request for ``n`` choices, streamed and whole, against the demo provider over a socket.

The answer blindside stores is choice 0 either way: each choice is folded from its own
chunks, never run together with the others'. The reference is what the openai SDK's own
typed ``chat.completions.create`` returns for the same request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from blindside.client.endpoints import make_client
from blindside.client.request import chat_body, chat_completion
from blindside.config import EndpointConfig, ModelConfig
from blindside.demo.server import LoopbackServer
from blindside.engine.attempts import ask_once
from blindside.engine.tasks import Task

MESSAGES = [{"role": "user", "content": "Give me three tips for onboarding new support agents."}]


def _model(server: LoopbackServer, *, stream: bool, n: int) -> ModelConfig:
    endpoint = EndpointConfig(
        name="demo-socket", kind="openai", base_url=server.base_url, api_key_env=None,
        stream=stream,
    )  # fmt: skip
    return ModelConfig(name="Verbose", endpoint=endpoint, model_id="verbose", params={"n": n})


async def _sdk_choices(server: LoopbackServer, n: int) -> list[str]:
    """The choices' texts as the SDK's typed, whole completion gives them, by index."""
    model = _model(server, stream=False, n=n)
    client = make_client(model.endpoint, server.base_url)
    try:
        whole = await client.chat.completions.create(model="verbose", messages=MESSAGES, n=n)
    finally:
        await client.close()
    return [c.message.content or "" for c in sorted(whole.choices, key=lambda c: c.index)]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_each_choice_is_its_own_and_choice_0_is_the_answer(
    demo_server: LoopbackServer, stream: bool
) -> None:
    async def ask() -> tuple[list[str], list[str], Any]:
        model = _model(demo_server, stream=stream, n=3)
        client = make_client(model.endpoint, demo_server.base_url)
        try:
            reply = await chat_completion(client, chat_body(model, MESSAGES, stream=stream))
        finally:
            await client.close()
        return await _sdk_choices(demo_server, 3), await _sdk_choices(demo_server, 1), reply

    three, one, reply = asyncio.run(ask())
    # verbose's choices are the same on every request, and not all alike: a mix-up shows.
    assert len(three) == 3 and len(set(three)) > 1
    assert {i: c.text for i, c in reply.choice_replies.items()} == dict(enumerate(three))
    assert reply.text == three[0] == one[0]  # choice 0 is the answer without n
    assert reply.finish_reason == "stop"
    # The usage is the request's: every choice's completion tokens.
    assert reply.usage["completion_tokens"] > 0
    if stream:
        assert reply.ttft_ms is not None and reply.token_times


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_the_engine_stores_choice_0_streamed_or_not(
    demo_server: LoopbackServer, stream: bool
) -> None:
    model = _model(demo_server, stream=stream, n=3)
    task = Task(
        prompt_id=1, model_row_id=1, sample=0, messages=MESSAGES, tools=None, chain=(model,)
    )

    async def ask() -> tuple[Any, list[str]]:
        client = make_client(model.endpoint, demo_server.base_url)
        try:
            answer = await ask_once(client, model, task, seed=None)
        finally:
            await client.close()
        return answer, await _sdk_choices(demo_server, 3)

    answer, choices = asyncio.run(ask())
    assert answer.text == choices[0]
    assert answer.finish_reason == "stop" and answer.usage_source == "provider"

"""The demo app over a real loopback socket: real streaming, real time to first token."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import openai
import pytest

from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import DemoKnowledge, knowledge_key
from blindside.demo.planning import plan_completion
from blindside.demo.profiles import DEMO_PROFILES
from blindside.demo.server import LoopbackServer

PROMPT = "Classify the urgency of this ticket: the checkout page returns an error for everyone."
KNOWLEDGE = {
    knowledge_key(PROMPT): DemoKnowledge(
        3, "triage", "urgent", {"type": "label", "labels": ["urgent", "normal", "low"]}
    )
}
# careful at this scale: ~175 ms to first token, then ~12 ms per token.
SCALE = 0.5
MESSAGES = [{"role": "user", "content": PROMPT}]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(create_demo_app(latency_scale=SCALE, knowledge=KNOWLEDGE)) as srv:
        yield srv


def client_for(server: LoopbackServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def test_stream_has_real_time_to_first_token(server: LoopbackServer) -> None:
    plan = plan_completion(
        DEMO_PROFILES["careful"], MESSAGES, knowledge=KNOWLEDGE, latency_scale=SCALE
    )
    generation_s = plan.total_s - plan.ttft_s
    assert plan.ttft_s > 0.1 and generation_s > 0.2  # the plan itself leaves a clear margin

    async def go() -> tuple[float, float, str, openai.types.CompletionUsage | None]:
        async with client_for(server) as client:
            start = time.perf_counter()
            stream = await client.chat.completions.create(
                model="careful",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
            first: float | None = None
            parts: list[str] = []
            usage = None
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first if first is not None else time.perf_counter() - start
                    parts.append(chunk.choices[0].delta.content)
                if chunk.usage is not None:
                    usage = chunk.usage
            total = time.perf_counter() - start
            assert first is not None
            return first, total, "".join(parts), usage

    ttft, total, text, usage = asyncio.run(go())
    print(f"ttft {ttft:.3f} s (planned {plan.ttft_s:.3f}), total {total:.3f} s")
    assert text == plan.text
    assert ttft >= 0.9 * plan.ttft_s  # the first token really waited for the simulated ttft
    assert total - ttft >= 0.6 * generation_s  # and later tokens arrived later, not buffered
    assert usage is not None and usage.completion_tokens == plan.completion_tokens


def test_concurrent_requests_overlap(server: LoopbackServer) -> None:
    async def one(client: openai.AsyncOpenAI, i: int) -> str:
        if i % 2:  # half streamed, so both paths must sleep without blocking
            stream = await client.chat.completions.create(
                model="careful", messages=MESSAGES, seed=i, stream=True
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        response = await client.chat.completions.create(model="careful", messages=MESSAGES, seed=i)
        return response.choices[0].message.content or ""

    async def go() -> tuple[float, float, list[str]]:
        async with client_for(server) as client:
            start = time.perf_counter()
            await one(client, 0)
            single = time.perf_counter() - start
            start = time.perf_counter()
            texts = await asyncio.gather(*(one(client, i) for i in range(16)))
            return single, time.perf_counter() - start, texts

    single, sixteen, texts = asyncio.run(go())
    assert all(texts)
    assert single > 0.2
    assert sixteen < 4 * single  # sequential sleeps would take ~16x
    print(f"single {single:.3f} s, 16 concurrent {sixteen:.3f} s")


def test_stop_releases_the_port() -> None:
    srv = LoopbackServer(create_demo_app(latency_scale=0.0))
    port = srv.port
    assert port > 0 and srv.base_url == f"http://127.0.0.1:{port}/v1"
    with srv:
        assert srv.running

        async def ping() -> list[str]:
            async with client_for(srv) as client:
                return [m.id async for m in client.models.list()]

        assert "careful" in asyncio.run(ping())
        assert srv.start() is srv  # starting twice is harmless
    assert not srv.running
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass
    with pytest.raises(RuntimeError):
        srv.start()  # no restart after stop
    # The same port can be served again at once.
    with LoopbackServer(create_demo_app(latency_scale=0.0), port=port) as again:
        assert again.port == port and again.running
    srv.stop()  # idempotent


def test_a_stream_the_client_leaves_is_not_a_completion() -> None:
    """A client that hangs up mid-stream was not served: the stats must not count it."""
    app = create_demo_app(latency_scale=SCALE, knowledge=KNOWLEDGE)
    plan = plan_completion(
        DEMO_PROFILES["careful"], MESSAGES, knowledge=KNOWLEDGE, latency_scale=SCALE
    )

    async def read(base_url: str, *, chunks: int | None) -> None:
        """Read ``chunks`` chunks (all when None), then hang up."""
        async with openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="careful", messages=MESSAGES, stream=True
            )
            seen = 0
            async for _ in stream:
                seen += 1
                if seen == chunks:
                    break
            await stream.close()

    with LoopbackServer(app) as srv:
        asyncio.run(read(srv.base_url, chunks=1))
        time.sleep(plan.total_s + 0.2)  # long past the end the stream would have had
        left = app.state.stats.snapshot()
        asyncio.run(read(srv.base_url, chunks=None))
        served = app.state.stats.snapshot()
    assert (left["requests"], left["completions"]) == (1, 0)
    assert (served["requests"], served["completions"]) == (2, 1)

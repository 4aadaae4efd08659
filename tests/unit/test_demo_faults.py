"""Fault injection, fixed latency and the request log of the demo provider.

Faults are observed the way the product sees them: through the real openai SDK
(``max_retries=0``), in-process over ``httpx2.ASGITransport`` where buffering does
not matter, and over a real loopback socket for timeouts, dropped connections and
latency.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx2
import openai
import pytest
from starlette.applications import Starlette

from blindside.demo.app import create_demo_app
from blindside.demo.faults import FAULT_KINDS, FaultConfig, parse_fault_kinds
from blindside.demo.planning import plan_completion, request_digest
from blindside.demo.profiles import DEMO_PROFILES
from blindside.demo.server import LoopbackServer

T = TypeVar("T")
PROMPT = "Give me three tips for onboarding new support agents."


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def faulty(kinds: tuple[str, ...], rate: float = 1.0, **kwargs: Any) -> Starlette:
    return create_demo_app(
        seed=5, latency_scale=0.0, faults=FaultConfig(rate=rate, kinds=kinds), **kwargs
    )


def run(factory: Callable[[openai.AsyncOpenAI], Coroutine[Any, Any, T]], app: Starlette) -> T:
    """Run ``factory(client)`` against the app in-process; no retries, so faults show."""

    async def main() -> T:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:
            client = openai.AsyncOpenAI(
                base_url="http://demo/v1", api_key="x", http_client=http, max_retries=0
            )
            return await factory(client)

    return asyncio.run(main())


def stats(app: Starlette) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://demo") as http:
            response = await http.get("/v1/_demo/stats")
            assert response.status_code == 200
            return response.json()

    return asyncio.run(main())


async def ask(
    client: openai.AsyncOpenAI, *, model: str = "careful", prompt: str = PROMPT, stream: bool
) -> list[Any] | Any:
    """One request; a stream is read to its end (chunks returned)."""
    if not stream:
        return await client.chat.completions.create(model=model, messages=user(prompt))
    chunks = await client.chat.completions.create(
        model=model, messages=user(prompt), stream=True, stream_options={"include_usage": True}
    )
    return [chunk async for chunk in chunks]


# --------------------------------------------------------------------------- config


def test_parse_fault_kinds() -> None:
    assert parse_fault_kinds("429, 503,,timeout,429") == ("429", "503", "timeout")
    assert parse_fault_kinds("") == ()
    assert parse_fault_kinds("all") == FAULT_KINDS
    assert parse_fault_kinds("TRUNCATE") == ("truncate",)
    with pytest.raises(ValueError, match="'404'"):
        parse_fault_kinds("429,404")


def test_fault_config_is_validated() -> None:
    assert FaultConfig() == FaultConfig(rate=0.0, kinds=(), latency_ms=None, retry_after_s=1.0)
    assert FaultConfig(rate=0.1, kinds=["503", "429"]).kinds == ("503", "429")  # type: ignore[arg-type]
    for bad in (
        {"rate": 1.5, "kinds": ("503",)},
        {"rate": -0.1},
        {"rate": 0.1},  # a rate with no kinds
        {"rate": 0.1, "kinds": ("502",)},
        {"latency_ms": -1.0},
        {"retry_after_s": -1.0},
    ):
        with pytest.raises(ValueError):
            FaultConfig(**bad)
    config = FaultConfig.from_mapping({"rate": 0.2, "kinds": ["429", "timeout"], "latency_ms": 80})
    assert config == FaultConfig(rate=0.2, kinds=("429", "timeout"), latency_ms=80.0)
    assert FaultConfig.from_mapping({"kinds": "500,503", "rate": 1}).kinds == ("500", "503")
    with pytest.raises(ValueError, match="'ratio'"):
        FaultConfig.from_mapping({"ratio": 0.1})
    with pytest.raises(ValueError, match="rate"):
        FaultConfig.from_mapping({"rate": "high", "kinds": ["503"]})
    with pytest.raises(ValueError, match="'nope'"):
        create_demo_app(model_faults={"nope": FaultConfig()})


# --------------------------------------------------------------------------- each kind


def test_429_has_openai_body_and_retry_after_headers() -> None:
    app = create_demo_app(
        latency_scale=0.0, faults=FaultConfig(rate=1.0, kinds=("429",), retry_after_s=2.5)
    )

    async def go(client: openai.AsyncOpenAI) -> list[openai.RateLimitError]:
        errors = []
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError) as info:
                await ask(client, stream=stream)
            errors.append(info.value)
        return errors

    for error in run(go, app):
        assert error.status_code == 429
        assert error.code == "rate_limit_exceeded" and error.type == "rate_limit_error"
        assert error.response.headers["retry-after"] == "3"  # whole seconds, rounded up
        assert error.response.headers["retry-after-ms"] == "2500"
        assert set(error.response.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("kind", "code"), [("500", "internal_error"), ("503", "service_unavailable")]
)
def test_server_errors(kind: str, code: str) -> None:
    async def go(client: openai.AsyncOpenAI) -> list[openai.InternalServerError]:
        errors = []
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as info:
                await ask(client, stream=stream)
            errors.append(info.value)
        return errors

    for error in run(go, faulty((kind,))):
        assert error.status_code == int(kind)
        assert error.code == code and error.type == "server_error"


def test_malformed_body_and_stream_do_not_parse() -> None:
    async def go(client: openai.AsyncOpenAI) -> list[Any]:
        with pytest.raises(json.JSONDecodeError):
            await ask(client, stream=False)
        seen: list[Any] = []
        stream = await client.chat.completions.create(
            model="careful", messages=user(PROMPT), stream=True
        )
        with pytest.raises(json.JSONDecodeError):
            async for chunk in stream:  # good chunks first, then a broken one
                seen.append(chunk)
        return seen

    seen = run(go, faulty(("malformed",)))
    assert any(c.choices and c.choices[0].delta.content for c in seen)
    assert not any(c.choices and c.choices[0].finish_reason for c in seen)


def test_truncate_drops_the_connection_midway() -> None:
    app = create_demo_app(latency_scale=0.02, faults=FaultConfig(rate=1.0, kinds=("truncate",)))
    full = plan_completion(DEMO_PROFILES["careful"], user(PROMPT), latency_scale=0.02).text

    async def go(base_url: str) -> list[Any]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
            with pytest.raises(openai.APIConnectionError):  # the body was cut off
                await ask(client, stream=False)
            seen: list[Any] = []
            stream = await client.chat.completions.create(
                model="careful", messages=user(PROMPT), stream=True
            )
            with pytest.raises(openai.APIConnectionError):
                async for chunk in stream:
                    seen.append(chunk)
            return seen

    with LoopbackServer(app) as server:
        seen = asyncio.run(go(server.base_url))
    text = "".join(c.choices[0].delta.content or "" for c in seen if c.choices)
    assert text and full.startswith(text) and len(text) < len(full)  # stopped midway
    assert not any(c.choices and c.choices[0].finish_reason for c in seen)


def test_timeout_hangs_until_the_client_gives_up_and_stop_is_prompt() -> None:
    app = create_demo_app(latency_scale=0.0, faults=FaultConfig(rate=1.0, kinds=("timeout",)))
    server = LoopbackServer(app).start()
    outcome: dict[str, Any] = {}

    async def impatient() -> float:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", max_retries=0, timeout=0.5
        ) as client:
            start = time.perf_counter()
            for stream in (False, True):
                with pytest.raises(openai.APITimeoutError):
                    await ask(client, stream=stream)
            return time.perf_counter() - start

    def patient() -> None:  # still held when the server stops
        async def go() -> None:
            async with openai.AsyncOpenAI(
                base_url=server.base_url, api_key="x", max_retries=0, timeout=60
            ) as client:
                try:
                    await ask(client, stream=False)
                    outcome["result"] = "answered"
                except openai.APIError as exc:
                    outcome["result"] = type(exc).__name__

        asyncio.run(go())

    try:
        assert 0.9 < asyncio.run(impatient()) < 3.0  # ~0.5 s each, no answer
        waiter = threading.Thread(target=patient)
        waiter.start()
        time.sleep(0.3)
        assert "result" not in outcome
        start = time.perf_counter()
        server.stop()
        stop_s = time.perf_counter() - start
        waiter.join(5)
    finally:
        server.stop()
    assert stop_s < 1.5, stop_s  # not the 5 s graceful-shutdown wait, nor the hour
    assert outcome["result"] in ("InternalServerError", "APIConnectionError")
    assert stats(app)["faults"]["timeout"] == 3 and stats(app)["completions"] == 0


# --------------------------------------------------------------------------- draws


def test_fault_rate_is_about_the_configured_rate() -> None:
    app = faulty(("500", "503", "429"), rate=0.2)
    prompts = [f"Name one good habit, number {i}." for i in range(400)]

    async def go(client: openai.AsyncOpenAI) -> Counter[str]:
        seen: Counter[str] = Counter()
        for prompt in prompts:
            try:
                await ask(client, model="verbose", prompt=prompt, stream=False)
                seen["ok"] += 1
            except openai.APIStatusError as exc:
                seen[str(exc.status_code)] += 1
        return seen

    seen = run(go, app)
    failed = 400 - seen["ok"]
    assert 50 <= failed <= 115, seen  # ~80 expected
    assert all(seen[kind] >= 8 for kind in ("500", "503", "429")), seen  # each kind drawn
    assert stats(app)["faults"] == {
        **dict.fromkeys(FAULT_KINDS, 0),
        **{k: seen[k] for k in ("500", "503", "429")},
    }


def outcomes(app: Starlette, prompts: list[str], repeats: int = 1) -> list[str]:
    async def go(client: openai.AsyncOpenAI) -> list[str]:
        out = []
        for _ in range(repeats):
            for prompt in prompts:
                try:
                    r = await ask(client, model="careful", prompt=prompt, stream=False)
                    out.append(r.choices[0].message.content)
                except openai.APIStatusError as exc:
                    out.append(f"error {exc.status_code}")
        return out

    return run(go, app)


def test_faults_are_deterministic_per_seed_and_attempt() -> None:
    prompts = [f"Name one good habit, number {i}." for i in range(60)]
    first = outcomes(faulty(("500", "503"), rate=0.5), prompts, repeats=2)
    again = outcomes(faulty(("500", "503"), rate=0.5), prompts, repeats=2)
    assert first == again  # a fresh app replays the same faults
    other_seed = create_demo_app(
        seed=6, latency_scale=0.0, faults=FaultConfig(rate=0.5, kinds=("500", "503"))
    )
    assert [o.startswith("error") for o in outcomes(other_seed, prompts)] != [
        o.startswith("error") for o in first[:60]
    ]
    # A retry is a new attempt, drawn afresh: some failures succeed the second time, and a
    # success is the same answer as any other success of that request.
    retried = list(zip(first[:60], first[60:], strict=True))
    assert any(a.startswith("error") and not b.startswith("error") for a, b in retried)
    assert all(
        a == b for a, b in retried if not a.startswith("error") and not b.startswith("error")
    )


def test_model_faults_override_the_app_faults() -> None:
    app = create_demo_app(
        latency_scale=0.0,
        faults=FaultConfig(rate=1.0, kinds=("503",)),
        model_faults={
            "careful": FaultConfig(),
            "fast-cheap": FaultConfig(rate=1.0, kinds=("429",)),
        },
    )

    async def go(client: openai.AsyncOpenAI) -> dict[str, str]:
        out = {}
        for model in DEMO_PROFILES:
            try:
                await ask(client, model=model, stream=False)
                out[model] = "ok"
            except openai.APIStatusError as exc:
                out[model] = str(exc.status_code)
        return out

    assert run(go, app) == {
        "careful": "ok",
        "fast-cheap": "429",
        "verbose": "503",
        "erratic": "503",
    }


# --------------------------------------------------------------------------- stats


def test_stats_count_requests_completions_and_faults() -> None:
    app = create_demo_app(
        seed=3, latency_scale=0.0, model_faults={"verbose": FaultConfig(rate=1.0, kinds=("500",))}
    )
    assert stats(app) == {
        "requests": 0,
        "completions": 0,
        "by_digest": {},
        "attempts_by_digest": {},
        "faults": dict.fromkeys(FAULT_KINDS, 0),
    }

    async def go(client: openai.AsyncOpenAI) -> None:
        await ask(client, model="careful", stream=False)
        await ask(client, model="careful", stream=True)  # the same digest, served twice
        await client.chat.completions.create(model="careful", messages=user(PROMPT), seed=9)
        with pytest.raises(openai.InternalServerError):
            await ask(client, model="verbose", stream=False)
        with pytest.raises(openai.BadRequestError):  # over erratic's context window
            await ask(client, model="erratic", prompt="word " * 8000, stream=False)

    run(go, app)
    snapshot = stats(app)
    plain = request_digest(3, "careful", user(PROMPT))
    seeded = request_digest(3, "careful", user(PROMPT), 9)
    failed = request_digest(3, "verbose", user(PROMPT))
    assert snapshot["requests"] == 5
    assert snapshot["completions"] == 3
    assert snapshot["by_digest"] == {plain: 2, seeded: 1}  # only successful completions
    assert snapshot["attempts_by_digest"][plain] == 2
    assert snapshot["attempts_by_digest"][failed] == 1
    assert snapshot["faults"] == {**dict.fromkeys(FAULT_KINDS, 0), "500": 1}
    assert app.state.stats.snapshot() == snapshot


# --------------------------------------------------------------------------- latency


def test_latency_ms_fixes_every_request_latency() -> None:
    # latency_scale would make careful take seconds; latency_ms is absolute and wins.
    app = create_demo_app(latency_scale=3.0, faults=FaultConfig(latency_ms=150))
    for model, profile in DEMO_PROFILES.items():
        plan = plan_completion(profile, user(PROMPT), latency_scale=3.0, latency_ms=150)
        assert plan.total_s == pytest.approx(0.150), model
        assert plan.ttft_s == pytest.approx(0.015), model  # small; the rest over the chunks

    async def go(base_url: str) -> dict[tuple[str, bool], float]:
        timings = {}
        async with openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
            await client.models.list()  # warm up the connection and the SDK
            for model in ("careful", "fast-cheap", "verbose"):
                for stream in (False, True):
                    start = time.perf_counter()
                    await ask(client, model=model, stream=stream)
                    timings[(model, stream)] = time.perf_counter() - start
        return timings

    with LoopbackServer(app) as server:
        timings = asyncio.run(go(server.base_url))
    print({k: round(v, 3) for k, v in timings.items()})
    assert all(0.14 < t < 0.3 for t in timings.values()), timings


# --------------------------------------------------------------------------- capacity


def test_capacity_is_validated() -> None:
    assert FaultConfig.from_mapping({"capacity": 4}).capacity == 4
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="capacity"):
            FaultConfig(capacity=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [False, True])
def test_requests_past_capacity_queue_for_a_slot(stream: bool) -> None:
    """Two slots, 150 ms per answer: six at once finish in three waves, a slot frees when a
    stream ends, and another model is not held up by it."""
    faults = {"careful": FaultConfig(latency_ms=150, capacity=2)}
    app = create_demo_app(latency_scale=0.0, model_faults=faults)

    async def go(base_url: str) -> tuple[list[float], float]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
            await client.models.list()

            async def timed(model: str) -> float:
                start = time.perf_counter()
                await ask(client, model=model, stream=stream)
                return time.perf_counter() - start

            capped = asyncio.gather(*(timed("careful") for _ in range(6)))
            other = asyncio.ensure_future(timed("fast-cheap"))
            return sorted(await capped), await other

    with LoopbackServer(app) as server:
        times, other = asyncio.run(go(server.base_url))
    print([round(t, 3) for t in times], round(other, 3))
    # Waves end at about 150, 300 and 450 ms: none can end sooner. One slot would end the
    # last at about 900 ms.
    assert times[3] >= 0.29 and times[5] >= 0.44, times
    assert times[5] < 0.8, times
    assert other < times[5] - 0.1  # fast-cheap has no capacity set
    assert stats(app)["completions"] == 7

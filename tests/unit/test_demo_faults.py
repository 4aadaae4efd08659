"""Fault injection, fixed latency and the request log of the demo provider, in process.

Faults are observed the way the product sees them: through the real openai SDK
(``max_retries=0``), over ``httpx2.ASGITransport`` where buffering does not
matter. Timeouts, dropped connections, latency and capacity need a real socket:
``tests/integration/test_demo_faults_loopback.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx2
import openai
import pytest
from starlette.applications import Starlette

from blindside.config import FAULT_KINDS, FaultConfig
from blindside.demo.app import create_demo_app
from blindside.demo.planning import request_digest
from blindside.demo.profiles import DEMO_PROFILES

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


def test_faults_for_an_unknown_model_are_refused() -> None:
    # FaultConfig itself is tested with the configuration (tests/unit/test_config_faults.py).
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


# --------------------------------------------------------------------------- capacity

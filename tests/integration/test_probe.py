"""The compatibility probe against the real demo provider and small fake servers, over sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blindside.config import (
    EndpointConfig,
    MissingApiKeyError,
    ModelConfig,
    Settings,
    load_models_toml,
    load_settings,
)
from blindside.demo.profiles import DEMO_PROFILES, DemoProfile
from blindside.demo.server import LoopbackServer
from blindside.probe import (
    CHECK_NAMES,
    DEFAULT_CONTEXT_LADDER,
    ProbeResult,
    format_probe_table,
    probe_model,
    probe_model_async,
)
from tests.conftest import MODELS_TOML, SEED_PROMPTS

SMALL_LADDER = (1_000, 4_000)
UNSET_KEY_VAR = "BLINDSIDE_TEST_PROBE_KEY_NOT_SET"


def by_check(results: list[ProbeResult]) -> dict[str, ProbeResult]:
    assert [r.check for r in results] == list(CHECK_NAMES)  # every check, in order, once
    return {r.check: r for r in results}


def demo_model(name: str) -> ModelConfig:
    return load_models_toml(MODELS_TOML).model(name)


@pytest.fixture(scope="module")
def demo_settings(demo_server: LoopbackServer) -> Settings:
    return load_settings(
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )


def real_model(base_url: str, *, api_key_env: str | None = None, timeout_s: float = 5.0):
    endpoint = EndpointConfig(
        name="external", kind="openai", base_url=base_url, api_key_env=api_key_env,
        timeout_s=timeout_s,
    )  # fmt: skip
    return ModelConfig(name="External model", endpoint=endpoint, model_id="ext-1")


# ------------------------------------------------------------------ a scriptable fake


class FakeProvider:
    """A tiny OpenAI-shaped server: counts requests, enforces a context limit, echoes keys."""

    def __init__(self, *, context_tokens: int | None = None, reject_key: bool = False) -> None:
        self.context_tokens = context_tokens
        self.reject_key = reject_key
        self.requests: list[dict] = []

    async def chat(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(body)
        if self.reject_key:
            # Like providers that echo the key they were given: the probe must redact it.
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            return JSONResponse(
                {"error": {"message": f"Incorrect API key provided: {key}", "code": "bad_key"}},
                status_code=401,
            )
        chars = sum(len(m.get("content") or "") for m in body["messages"])
        if self.context_tokens is not None and chars / 4 > self.context_tokens:
            message = (
                f"This model's maximum context length is {self.context_tokens} tokens. "
                f"However, your messages resulted in {chars // 4} tokens."
            )
            return JSONResponse(
                {"error": {"message": message, "code": "context_length_exceeded"}},
                status_code=400,
            )
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "OK"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": chars // 4, "completion_tokens": 1, "total_tokens": 1},
            }
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])


@pytest.fixture
def fake() -> Iterator[tuple[FakeProvider, LoopbackServer]]:
    provider = FakeProvider(context_tokens=10_000)
    with LoopbackServer(provider.app()) as server:
        yield provider, server


# ------------------------------------------------------------------ the demo models


def test_careful_passes_the_core_checks(demo_settings: Settings) -> None:
    model = demo_model("Demo careful")
    results = by_check(probe_model(model, demo_settings, context_ladder=SMALL_LADDER))

    assert results["system prompt"].status == "ok", results["system prompt"]
    assert results["streaming"].status == "ok"
    assert "TTFT" in results["streaming"].detail
    assert results["streaming"].ms is not None and results["streaming"].ms > 0
    assert results["usage in stream"].status == "ok"
    assert "final usage chunk" in results["usage in stream"].detail
    assert results["usage fields"].status == "ok"
    assert "cached" in results["usage fields"].detail
    assert "reasoning" in results["usage fields"].detail
    assert results["seed"].status == "ok"
    assert results["JSON mode"].status == "ok"
    assert results["tool calling"].status == "ok"
    # Simulated: the ladder runs by default.
    assert results["max context"].status == "ok"
    assert results["latency"].status == "ok"
    assert results["latency"].ms is not None and results["latency"].ms > 0


def expected_context(
    profile: DemoProfile, ladder: tuple[int, ...]
) -> tuple[int | None, int | None]:
    """(largest rung that fits, first rung that does not) for a profile's context window."""
    fits = [n for n in ladder if n <= profile.context_tokens]
    too_big = [n for n in ladder if n > profile.context_tokens]
    return (fits[-1] if fits else None), (too_big[0] if too_big else None)


@pytest.mark.parametrize(
    "name", ["Demo careful", "Demo fast-cheap", "Demo verbose", "Demo erratic"]
)
def test_findings_match_what_each_demo_profile_does(name: str, demo_server: LoopbackServer) -> None:
    model = demo_model(name)
    profile = DEMO_PROFILES[model.model_id]
    results = by_check(asyncio.run(probe_model_async(model, demo_server.base_url)))

    def status(flag: bool) -> str:
        return "ok" if flag else "differs"

    assert results["system prompt"].status == status(profile.follows_system), results
    assert results["usage in stream"].status == status(profile.usage_in_stream), results
    assert results["seed"].status == status(profile.honours_seed), results
    if profile.supports_json_mode and profile.follows_system:
        assert results["JSON mode"].status == "ok", results["JSON mode"]
    elif not profile.supports_json_mode:
        assert results["JSON mode"].status == "differs", results["JSON mode"]
    if profile.tool_call_rate in (0.0, 1.0):
        assert results["tool calling"].status == status(profile.tool_call_rate == 1.0)
    else:  # sometimes calls the tool, sometimes answers in text
        assert results["tool calling"].status in ("ok", "differs"), results["tool calling"]
    if results["tool calling"].status == "ok":
        assert results["tool calling"].detail.startswith("get_weather({")
    for check in ("streaming", "usage fields", "latency"):
        assert results[check].status == "ok", results[check]

    # Simulated: the default ladder runs, and stops at the profile's window.
    row = results["max context"]
    largest, first_too_big = expected_context(profile, DEFAULT_CONTEXT_LADDER)
    assert row.status == "ok", row
    if first_too_big is None:
        assert "all worked" in row.detail, row
    else:
        assert f"largest that worked: ~{largest // 1000}k tokens" in row.detail, row
        assert f"~{first_too_big // 1000}k: HTTP 400 context_length_exceeded" in row.detail, row


def test_table_names_every_check_the_model_and_the_host(
    demo_settings: Settings, demo_server: LoopbackServer
) -> None:
    model = demo_model("Demo fast-cheap")
    results = probe_model(model, demo_settings, max_context=False)
    table = format_probe_table(model, results, base_url=demo_server.base_url)

    assert "Demo fast-cheap (simulated)" in table.splitlines()[0]
    assert f"127.0.0.1:{demo_server.port}" in table.splitlines()[0]
    for check in CHECK_NAMES:
        assert any(line.startswith(check + " ") for line in table.splitlines()), check
    assert by_check(results)["max context"].status == "skipped"
    # Columns line up: every row's status starts where the "status" title does.
    lines = table.splitlines()
    column = lines[2].index("status")
    rows = [line for line in lines[4:] if line.split(" ")[0] and line[column:].strip()]
    for line in rows[: len(CHECK_NAMES)]:
        assert line[column:].split()[0] in ("ok", "differs", "fails", "skipped"), line


# ------------------------------------------------------------------ failures


def test_missing_key_raises_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    fake: tuple[FakeProvider, LoopbackServer],
    demo_settings: Settings,
) -> None:
    provider, server = fake
    monkeypatch.delenv(UNSET_KEY_VAR, raising=False)
    model = real_model(server.base_url, api_key_env=UNSET_KEY_VAR)

    with pytest.raises(MissingApiKeyError) as info:
        probe_model(model, demo_settings)
    assert info.value.variable == UNSET_KEY_VAR
    with pytest.raises(MissingApiKeyError):
        asyncio.run(probe_model_async(model, server.base_url))
    assert provider.requests == []


def test_unreachable_endpoint_gives_fails_rows_not_a_crash() -> None:
    model = real_model("http://127.0.0.1:9/v1")
    results = by_check(asyncio.run(probe_model_async(model, "http://127.0.0.1:9/v1")))

    assert results["system prompt"].status == "fails"
    assert "connection" in results["system prompt"].detail
    for check in CHECK_NAMES:
        expected = "skipped" if check == "max context" else "fails"
        assert results[check].status == expected, results[check]
    # Off by default for a real endpoint: it costs tokens.
    assert "--max-context" in results["max context"].detail
    table = format_probe_table(model, list(results.values()))
    assert "127.0.0.1:9" in table.splitlines()[0]
    assert all(check in table for check in CHECK_NAMES)


def test_an_echoed_key_is_redacted_and_auth_errors_stop_the_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "sk-probe-test-0123456789abcdef"
    monkeypatch.setenv("BLINDSIDE_TEST_PROBE_KEY", key)
    provider = FakeProvider(reject_key=True)
    with LoopbackServer(provider.app()) as server:
        model = real_model(server.base_url, api_key_env="BLINDSIDE_TEST_PROBE_KEY")
        results = asyncio.run(probe_model_async(model, server.base_url))

    table = format_probe_table(model, results)
    assert key not in table and "0123456789abcdef" not in table
    first = results[0]
    assert first.status == "fails" and "HTTP 401" in first.detail
    assert "[redacted]" in first.detail
    # The same 401 would come back for every check: only one request was sent.
    assert len(provider.requests) == 1
    assert all(r.status in ("fails", "skipped") for r in results)


def test_context_ladder_stops_at_the_first_context_error(
    fake: tuple[FakeProvider, LoopbackServer],
) -> None:
    provider, server = fake  # limit: 10,000 tokens
    model = real_model(server.base_url)
    results = by_check(
        asyncio.run(
            probe_model_async(
                model,
                server.base_url,
                max_context=True,
                context_ladder=(2_000, 10_000, 32_000, 64_000),
            )
        )
    )

    row = results["max context"]
    assert row.status == "ok", row
    # A rung the size of the window fits: the prompt leaves room for the output cap.
    assert "largest that worked: ~10k" in row.detail
    assert "~32k" in row.detail and "maximum context length is 10000" in row.detail
    sizes = [sum(len(m["content"]) for m in r["messages"]) for r in provider.requests]
    assert max(sizes) < 64_000 * 4  # stopped: the 64k rung was never sent


def test_max_context_is_opt_in_for_real_endpoints(
    fake: tuple[FakeProvider, LoopbackServer],
) -> None:
    provider, server = fake
    model = real_model(server.base_url)
    results = by_check(asyncio.run(probe_model_async(model, server.base_url)))

    assert results["max context"].status == "skipped"
    sizes = [sum(len(m["content"]) for m in r["messages"]) for r in provider.requests]
    assert max(sizes) < 1_000  # nothing near even the smallest rung
    # Every request stays cheap.
    assert all((r.get("max_tokens") or 0) <= 48 for r in provider.requests)
    # Non-streamed JSON to a stream request is not a crash either.
    assert {r.status for r in results.values()} <= {"ok", "differs", "fails", "skipped"}


def test_simulated_flag_decides_the_default(demo_server: LoopbackServer) -> None:
    model = demo_model("Demo fast-cheap")
    as_real = replace(model, endpoint=replace(model.endpoint, kind="openai", base_url="x"))
    results = by_check(asyncio.run(probe_model_async(as_real, demo_server.base_url)))
    assert results["max context"].status == "skipped"

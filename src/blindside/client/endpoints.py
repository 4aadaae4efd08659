"""One ``AsyncOpenAI`` client per endpoint, and the demo server when needed.

Every endpoint, the built-in demo included, is reached through the real
``openai`` SDK over a real socket. The demo endpoint is served by an
already running ``blindside serve-demo`` when ``BLINDSIDE_DEMO_URL`` is set,
otherwise by a uvicorn server started here on an ephemeral loopback port.
The demo provider (starlette, uvicorn) is imported only when an endpoint of
kind ``demo`` needs it.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx2
from openai import AsyncOpenAI, DefaultAioHttpClient

from blindside.config import EndpointConfig, FaultConfig, ModelConfig, Settings
from blindside.config.drift import DemoOverride


def check_api_keys(endpoints: Iterable[EndpointConfig]) -> None:
    """Fail before any request when a needed key or secret-header variable is missing.

    Raises
    ------
    blindside.config.MissingApiKeyError
        Naming the variable and the endpoint, never a value.
    """
    for endpoint in endpoints:
        endpoint.secret_values()


def demo_model_faults(models: Iterable[ModelConfig]) -> dict[str, FaultConfig]:
    """The faults models.toml asks the demo provider to inject, by model id."""
    return {m.model_id: m.faults for m in models if m.simulated and m.faults is not None}


def demo_model_overrides(models: Iterable[ModelConfig]) -> dict[str, DemoOverride]:
    """The profile changes models.toml asks of the demo provider (``demo``), by model id."""
    return {m.model_id: m.demo for m in models if m.simulated and m.demo is not None}


@contextlib.contextmanager
def demo_base_url(settings: Settings, models: Iterable[ModelConfig] = ()) -> Iterator[str]:
    """Base URL of a demo provider: the configured one, or one served here for the block.

    A demo server started here injects the faults that ``models`` declare; a
    running ``blindside serve-demo`` reads them from models.toml itself.
    """
    if settings.demo_url:
        yield settings.demo_url.rstrip("/")
        return
    from blindside.demo.app import create_demo_app
    from blindside.demo.knowledge import load_demo_knowledge
    from blindside.demo.server import LoopbackServer

    knowledge = load_demo_knowledge(sorted(Path(settings.suites_dir).glob("*.jsonl")))
    app = create_demo_app(
        seed=settings.demo_seed,
        latency_scale=settings.demo_latency_scale,
        knowledge=knowledge,
        model_faults=demo_model_faults(models),
        model_overrides=demo_model_overrides(models),
    )
    with LoopbackServer(app) as server:
        yield server.base_url


@functools.cache
def verifying_tls_context() -> ssl.SSLContext:
    """The default certificate-verifying context, made once per process.

    Loading the CA bundle took ~20 ms for every client otherwise; a context is
    safe to share between clients and threads.
    """
    return httpx2.create_ssl_context()


def make_client(endpoint: EndpointConfig, base_url: str) -> AsyncOpenAI:
    """An SDK client for one endpoint.

    The SDK's own retries are off (``max_retries=0``): the generation engine
    retries itself so that every attempt is counted and recorded. Requests go
    over the SDK's aiohttp transport: with dozens of streams in flight, the
    default httpx transport cost about a quarter more CPU per request (3.3
    against 2.4 ms with typed chunks, measured on the workload of
    ``benchmarks/bench_generate.py``). The client must be closed in the event
    loop that used it.

    The endpoint's ``headers`` and ``headers_env`` go on every request as the
    client's default headers, streamed or not: they are never part of a body.
    """
    return AsyncOpenAI(
        base_url=base_url,
        api_key=endpoint.api_key(),
        timeout=endpoint.timeout_s,
        max_retries=0,
        default_headers=endpoint.request_headers(),
        http_client=DefaultAioHttpClient(verify=verifying_tls_context()),
    )


@contextlib.contextmanager
def endpoint_base_urls(
    endpoints: Iterable[EndpointConfig], settings: Settings, models: Iterable[ModelConfig] = ()
) -> Iterator[dict[str, str]]:
    """Map endpoint name to base URL, starting the demo server only if a demo endpoint is used."""
    endpoints = list(endpoints)
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        demo_url: str | None = None
        for endpoint in endpoints:
            if endpoint.simulated:
                if demo_url is None:
                    demo_url = stack.enter_context(demo_base_url(settings, models))
                urls[endpoint.name] = demo_url
            else:
                assert endpoint.base_url is not None  # validated by config
                urls[endpoint.name] = endpoint.base_url
        yield urls

"""The demo provider's ASGI app: OpenAI-compatible routes over the simulated models.

It speaks ``/v1/chat/completions`` and ``/v1/models`` well enough for the real
``openai`` SDK (plain and streamed calls, ``stream_options.include_usage``,
tools, JSON mode), ``/v1/responses`` (text only:
:func:`~blindside.demo.responses_api.create_response`), and ``GET /v1/_demo/stats``
reports what was served. A chat request is validated
(:func:`~blindside.demo.chat_request.parse_chat_request`), counted, planned
(:func:`~blindside.demo.chat_request.plan_choices`), and then either faulted or
served, paced like the simulated model.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blindside.config import FaultConfig
from blindside.config.drift import DemoOverride
from blindside.demo.chat_request import (
    ChatRequest,
    context_problem,
    parse_chat_request,
    plan_choices,
)
from blindside.demo.faults import draw_fault
from blindside.demo.knowledge import DemoKnowledge
from blindside.demo.planning import request_digest
from blindside.demo.profiles import DEMO_PROFILES, DemoProfile, overridden
from blindside.demo.responses import (
    PacedResponse,
    Reply,
    RequestIds,
    fault_response,
    http_error,
    model_not_found,
)
from blindside.demo.responses_api import create_response
from blindside.demo.state import DemoAppState

OWNED_BY = "blindside-demo"
# Fixed creation time for /v1/models so listings are byte-stable across runs.
_MODELS_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z


def create_demo_app(
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
    faults: FaultConfig | None = None,
    model_faults: Mapping[str, FaultConfig] | None = None,
    model_overrides: Mapping[str, DemoOverride] | None = None,
) -> Starlette:
    """The OpenAI-compatible demo app serving every profile of :data:`DEMO_PROFILES`.

    Parameters
    ----------
    seed : int
        App seed; with the same seed, the same request gets the same answer,
        usage, latency plan and injected faults.
    latency_scale : float
        Multiplier on every simulated delay (0 disables them; tests use ~0.05).
        A ``latency_ms`` in the fault config replaces the delays instead.
    knowledge : mapping, optional
        Suite knowledge from :func:`~blindside.demo.knowledge.load_demo_knowledge`.
    faults : FaultConfig, optional
        Faults and fixed latency for every model.
    model_faults : mapping of str to FaultConfig, optional
        Per model id, a config that replaces ``faults`` (entirely, not field by
        field) for that model.
    model_overrides : mapping of str to DemoOverride, optional
        Per model id, a change to its profile (accuracy, latency, failures): how
        drift is simulated.

    Returns
    -------
    Starlette
        Routes ``GET /v1/models``, ``GET /v1/models/{model}``,
        ``POST /v1/chat/completions`` and ``GET /v1/_demo/stats``. ``app.state``
        holds ``demo`` (:class:`~blindside.demo.state.DemoAppState`), ``stats``
        (:class:`~blindside.demo.state.DemoStats`) and ``on_server_stop``, a
        thread-safe callable that releases requests held by ``timeout`` faults
        (:class:`~blindside.demo.server.LoopbackServer` calls it on stop).

    Raises
    ------
    ValueError
        On a negative ``latency_scale`` or a ``model_faults`` key that is not a
        demo model id.
    """
    if latency_scale < 0:
        raise ValueError("latency_scale must be >= 0")
    unknown = sorted((set(model_faults or {}) | set(model_overrides or {})) - set(DEMO_PROFILES))
    if unknown:
        raise ValueError(
            f"model_faults or model_overrides names unknown demo model {unknown[0]!r}; "
            f"expected one of {', '.join(DEMO_PROFILES)}"
        )
    demo = DemoAppState(
        seed=seed,
        latency_scale=latency_scale,
        knowledge=dict(knowledge or {}),
        faults=faults or FaultConfig(),
        model_faults=dict(model_faults or {}),
        model_overrides=dict(model_overrides or {}),
    )
    app = Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", get_model, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/responses", create_response, methods=["POST"]),
            Route("/v1/_demo/stats", get_stats, methods=["GET"]),
            Route("/v1/_demo/latencies", get_latencies, methods=["GET"]),
        ],
        middleware=[Middleware(RequestIds)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.demo = demo
    app.state.stats = demo.stats
    app.state.on_server_stop = demo.held.release_all
    return app


# --------------------------------------------------------------------------- models and stats


def _model_card(profile: DemoProfile) -> dict[str, Any]:
    return {
        "id": profile.model_id,
        "object": "model",
        "created": _MODELS_CREATED,
        "owned_by": OWNED_BY,
    }


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: every simulated model."""
    data = [_model_card(p) for p in DEMO_PROFILES.values()]
    return JSONResponse({"object": "list", "data": data})


async def get_model(request: Request) -> Response:
    """``GET /v1/models/{model}``: one simulated model, or a 404."""
    model = request.path_params["model"]
    profile = DEMO_PROFILES.get(model)
    return JSONResponse(_model_card(profile)) if profile else model_not_found(model)


async def get_stats(request: Request) -> Response:
    """``GET /v1/_demo/stats``: what the app has served (see ``DemoStats.snapshot``)."""
    demo: DemoAppState = request.app.state.demo
    return JSONResponse(demo.stats.snapshot())


async def get_latencies(request: Request) -> Response:
    """``GET /v1/_demo/latencies``: each model's logged completion latencies (ms)."""
    demo: DemoAppState = request.app.state.demo
    return JSONResponse(demo.stats.latencies())


# --------------------------------------------------------------------------- chat completion


def _draw_fault(faults: FaultConfig, profile: DemoProfile, digest: str, attempt: int) -> str | None:
    """The fault of one attempt: an injected one, else the profile's own transient 503."""
    fault = draw_fault(faults, digest, attempt)
    # The profile's own 503s (the same draw as before injected faults existed).
    own_503 = random.Random(f"{digest}:{attempt}").random() < profile.failure_rate
    if fault is None and own_503:
        fault = "503"
    return fault


async def _serve(
    demo: DemoAppState,
    chat: ChatRequest,
    reply: Reply,
    digest: str,
    capacity: int | None,
    arrived: float,
) -> Response:
    """The reply, paced like the model, after waiting for a capacity slot if the model has any.

    ``arrived`` (``time.perf_counter()`` at the request's arrival) dates the latency logged.
    """

    def completed() -> None:
        demo.stats.complete(digest, chat.model, (time.perf_counter() - arrived) * 1000)

    slot: asyncio.Semaphore | None = None
    if capacity is not None:
        slot = demo.capacity_slot(chat.model, capacity)
        await slot.acquire()  # queued behind the requests the model is serving
    if not chat.stream:
        try:
            await asyncio.sleep(reply.plan.total_s)
        finally:
            if slot is not None:
                slot.release()
        completed()
        return JSONResponse(reply.body())
    return PacedResponse(
        reply.frames(),
        completed,
        None if slot is None else slot.release,
    )


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: validate, count, plan, then fault or serve."""
    arrived = time.perf_counter()
    demo: DemoAppState = request.app.state.demo
    chat = parse_chat_request(await request.body())
    if isinstance(chat, JSONResponse):
        return chat
    override = demo.model_overrides.get(chat.model)
    if override is not None:
        chat = dataclasses.replace(chat, profile=overridden(chat.profile, override))
    digest = request_digest(demo.seed, chat.model, chat.messages, chat.seed)
    attempt = demo.stats.begin(digest)
    too_long = context_problem(chat)
    if too_long is not None:
        return too_long
    faults = demo.faults_for(chat.model)
    plan, *others = plan_choices(demo, chat, faults)
    # The prompt is sent once, so the provider's cache accounts for it once (choice 0).
    plan = demo.prompt_cache.account(chat.profile, chat.messages, plan)
    fault = _draw_fault(faults, chat.profile, digest, attempt)
    reply = Reply(
        plan,
        chat.model,
        completion_id=f"chatcmpl-{uuid.uuid4().hex[:24]}",
        call_id=f"call_{uuid.uuid4().hex[:24]}",
        created=int(time.time()),
        usage_chunk=chat.include_usage and chat.profile.usage_in_stream,
        others=tuple(others),
    )
    if fault is not None:
        demo.stats.fault(fault)
        return await fault_response(
            fault,
            reply,
            stream=chat.stream,
            receive=request.receive,
            retry_after_s=faults.retry_after_s,
            held=demo.held,
        )
    return await _serve(demo, chat, reply, digest, faults.capacity, arrived)

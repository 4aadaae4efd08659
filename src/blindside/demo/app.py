"""The demo provider's ASGI app: OpenAI-compatible routes over the simulated models.

It speaks ``/v1/chat/completions`` and ``/v1/models`` well enough for the real
``openai`` SDK (plain and streamed calls, ``stream_options.include_usage``,
tools, JSON mode), and ``GET /v1/_demo/stats`` reports what was served. A chat
request is validated (:func:`parse_chat_request`), counted, planned
(:func:`~blindside.demo.planning.plan_completion`), and then either faulted or
served, paced like the simulated model.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blindside.config import FaultConfig
from blindside.config.drift import DemoOverride
from blindside.demo.faults import draw_fault
from blindside.demo.knowledge import DemoKnowledge
from blindside.demo.planning import (
    DemoCompletion,
    count_prompt_tokens,
    plan_completion,
    request_digest,
)
from blindside.demo.profiles import DEMO_PROFILES, DemoProfile, overridden
from blindside.demo.responses import (
    PacedResponse,
    Reply,
    RequestIds,
    bad_request,
    fault_response,
    http_error,
    model_not_found,
    stop_sequences,
    tools_problem,
)
from blindside.demo.responses_api import ResponsesReply
from blindside.demo.responses_api import chat_body as responses_chat_body
from blindside.demo.state import DemoAppState

OWNED_BY = "blindside-demo"
# Fixed creation time for /v1/models so listings are byte-stable across runs.
_MODELS_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
#: The message roles of the chat completions API (``function`` is its deprecated form).
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_MAX_CHOICES = 8  # OpenAI allows up to 128; a simulator needs a handful


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


# --------------------------------------------------------------------------- chat request


@dataclass(frozen=True)
class ChatRequest:
    """A valid ``POST /v1/chat/completions`` body, for a model that exists.

    Attributes
    ----------
    profile : DemoProfile
        The simulated model that ``model`` names.
    messages : list of dict
        The chat messages (each has a ``role``).
    seed : int
        The request's ``seed`` (0 when absent).
    max_tokens : int or None
        ``max_completion_tokens``, else ``max_tokens``.
    tools, tool_choice : any
        As sent (validated).
    json_mode : bool
        ``response_format`` asks for a JSON object or schema.
    stream : bool
        The reply is streamed.
    include_usage : bool
        ``stream_options.include_usage`` was asked for.
    n : int
        Choices to answer with (1 to 8).
    stop : tuple of str
        Stop sequences (up to 4).
    """

    profile: DemoProfile
    messages: list[dict[str, Any]]
    seed: int
    max_tokens: int | None
    tools: Any
    tool_choice: Any
    json_mode: bool
    stream: bool
    include_usage: bool
    n: int = 1
    stop: tuple[str, ...] = ()

    @property
    def model(self) -> str:
        """The requested model id."""
        return self.profile.model_id


def _optional_int(body: Mapping[str, Any], name: str) -> int | JSONResponse | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return bad_request(f"'{name}' must be an integer.", name, "invalid_type")
    return value


def _valid_messages(messages: Any) -> bool:
    return (
        isinstance(messages, list)
        and bool(messages)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    )


def parse_chat_request(raw: bytes) -> ChatRequest | JSONResponse:
    """The request of a chat completion body, or the 400/404 a provider answers it with.

    Parameters
    ----------
    raw : bytes
        The HTTP request body.

    Returns
    -------
    ChatRequest or JSONResponse
        The parsed request, or the first problem found, checked in the order
        real providers check: JSON, model, messages, model existence, seed,
        token cap, tools, response format.
    """
    try:
        body = json.loads(raw)
    except ValueError:
        return bad_request("The request body is not valid JSON.", None, "invalid_json")
    if not isinstance(body, dict):
        return bad_request("The request body must be a JSON object.", None, "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return bad_request(
            "You must provide a model parameter.", "model", "missing_required_parameter"
        )
    messages = body.get("messages")
    if messages is None:
        return bad_request(
            "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    if not _valid_messages(messages):
        return bad_request(
            "'messages' must be a non-empty array of objects with a 'role'.", "messages"
        )
    for index, message in enumerate(messages):
        if message["role"] not in ROLES:
            return bad_request(
                f"Invalid value: '{message['role']}'. Supported values are: "
                + ", ".join(f"'{r}'" for r in ROLES)
                + ".",
                f"messages[{index}].role",
            )
    profile = DEMO_PROFILES.get(model)
    if profile is None:
        return model_not_found(model)
    request_seed = _optional_int(body, "seed")
    if isinstance(request_seed, JSONResponse):
        return request_seed
    cap_name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    max_tokens = _optional_int(body, cap_name)
    if isinstance(max_tokens, JSONResponse):
        return max_tokens
    if max_tokens is not None and max_tokens < 1:
        return bad_request(f"'{cap_name}' must be at least 1.", cap_name)
    tools, tool_choice = body.get("tools"), body.get("tool_choice")
    problem = tools_problem(tools, tool_choice)
    if problem is not None:
        return problem
    response_format = body.get("response_format")
    if response_format is not None and not (
        isinstance(response_format, dict) and response_format.get("type") in _RESPONSE_FORMATS
    ):
        return bad_request(
            "'response_format.type' must be one of 'text', 'json_object', 'json_schema'.",
            "response_format",
        )
    n = _optional_int(body, "n")
    if isinstance(n, JSONResponse):
        return n
    if n is not None and not 1 <= n <= _MAX_CHOICES:
        return bad_request(f"'n' must be between 1 and {_MAX_CHOICES}.", "n")
    stop = stop_sequences(body.get("stop"))
    if isinstance(stop, JSONResponse):
        return stop
    stream_options = body.get("stream_options")
    return ChatRequest(
        profile=profile,
        messages=messages,
        seed=request_seed or 0,
        max_tokens=max_tokens,
        tools=tools,
        tool_choice=tool_choice,
        json_mode=isinstance(response_format, dict) and response_format["type"] != "text",
        stream=bool(body.get("stream")),
        include_usage=isinstance(stream_options, dict)
        and bool(stream_options.get("include_usage")),
        n=n or 1,
        stop=stop,
    )


def _context_problem(chat: ChatRequest) -> JSONResponse | None:
    """The 400 of a prompt longer than the model's context window."""
    prompt_tokens = count_prompt_tokens(chat.messages)
    limit = chat.profile.context_tokens
    if prompt_tokens <= limit:
        return None
    return bad_request(
        f"This model's maximum context length is {limit} tokens. "
        f"However, your messages resulted in {prompt_tokens} tokens. "
        "Please reduce the length of the messages.",
        "messages",
        "context_length_exceeded",
    )


# --------------------------------------------------------------------------- chat completion


def _plans(demo: DemoAppState, chat: ChatRequest, faults: FaultConfig) -> list[DemoCompletion]:
    """The ``n`` choices of one request (for a profile that ignores ``seed``, of this attempt)."""
    attempt = 0
    if not chat.profile.honours_seed:
        attempt = demo.stats.seedless_attempt(request_digest(demo.seed, chat.model, chat.messages))
    return [_plan(demo, chat, faults, attempt, choice) for choice in range(chat.n)]


def _plan(
    demo: DemoAppState, chat: ChatRequest, faults: FaultConfig, attempt: int, choice: int
) -> DemoCompletion:
    """One choice of one request."""
    return plan_completion(
        chat.profile,
        chat.messages,
        app_seed=demo.seed,
        request_seed=chat.seed,
        knowledge=demo.knowledge,
        max_tokens=chat.max_tokens,
        latency_scale=demo.latency_scale,
        json_mode=chat.json_mode,
        tools=chat.tools,
        tool_choice=chat.tool_choice,
        attempt=attempt,
        latency_ms=faults.latency_ms,
        stop=chat.stop,
        choice=choice,
    )


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
    too_long = _context_problem(chat)
    if too_long is not None:
        return too_long
    faults = demo.faults_for(chat.model)
    plan, *others = _plans(demo, chat, faults)
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


async def create_response(request: Request) -> Response:
    """``POST /v1/responses``: the Responses API, text only, planned like a chat completion.

    Faults are not injected here, and the request log counts chat completions only.
    """
    demo: DemoAppState = request.app.state.demo
    try:
        body = json.loads(await request.body())
    except ValueError:
        return bad_request("The request body is not valid JSON.", None, "invalid_json")
    chat_body = responses_chat_body(body)
    if isinstance(chat_body, JSONResponse):
        return chat_body
    chat = parse_chat_request(json.dumps(chat_body).encode())
    if isinstance(chat, JSONResponse):
        return chat
    too_long = _context_problem(chat)
    if too_long is not None:
        return too_long
    plan = _plans(demo, chat, demo.faults_for(chat.model))[0]
    reply = ResponsesReply(
        plan, chat.model, f"resp_{uuid.uuid4().hex}", f"msg_{uuid.uuid4().hex}", int(time.time())
    )
    if not chat.stream:
        await asyncio.sleep(plan.total_s)
        return JSONResponse(reply.body())
    return PacedResponse(reply.frames(), lambda: None)

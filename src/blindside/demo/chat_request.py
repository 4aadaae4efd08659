"""A chat completion request to the demo provider: parsed, checked and planned.

:func:`parse_chat_request` checks a ``POST /v1/chat/completions`` body as providers do and
gives a :class:`ChatRequest` or the error response; :func:`context_problem` is the 400 of a
prompt past the model's context window; :func:`plan_choices` plans a request's choices
(:func:`~blindside.demo.planning.plan_completion`). The chat route (:mod:`blindside.demo.app`)
and the Responses API route (:mod:`blindside.demo.responses_api`) share them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from blindside.config import FaultConfig
from blindside.demo.planning import (
    DemoCompletion,
    count_prompt_tokens,
    plan_completion,
    request_digest,
)
from blindside.demo.profiles import DEMO_PROFILES, DemoProfile
from blindside.demo.responses import bad_request, model_not_found, stop_sequences, tools_problem
from blindside.demo.state import DemoAppState

_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
#: The message roles of the chat completions API (``function`` is its deprecated form).
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_MAX_CHOICES = 8  # OpenAI allows up to 128; a simulator needs a handful


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


def context_problem(chat: ChatRequest) -> JSONResponse | None:
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


def plan_choices(
    demo: DemoAppState, chat: ChatRequest, faults: FaultConfig
) -> list[DemoCompletion]:
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

"""The Responses API (``POST /v1/responses``) over the simulated models: text in, text out.

Enough for clients that call it by default (inspect-ai's ``openai/`` provider for
some models): ``input`` as a string or a list of messages (string content or
``input_text`` parts), ``instructions`` as the system message,
``max_output_tokens``, and ``stream``. A request is turned into the chat
completion request it means (:func:`chat_body`), planned like one, and its
answer written as a ``response`` object or as the Responses API's typed
server-sent events; :func:`create_response` is the route. Stateless: no stored
responses, no ``previous_response_id``, no tools (each is a 400 naming the parameter).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from blindside.demo.chat_request import context_problem, parse_chat_request, plan_choices
from blindside.demo.planning import DemoCompletion
from blindside.demo.responses import Frame, PacedResponse, bad_request
from blindside.demo.state import DemoAppState

__all__ = ["ResponsesReply", "chat_body", "create_response"]

_UNSUPPORTED = ("previous_response_id", "tools", "conversation", "background", "prompt")


def _message(item: Any) -> dict[str, Any] | None:
    """A chat message from one ``input`` item, or None when it is not a text message."""
    if not isinstance(item, dict) or not isinstance(item.get("role"), str):
        return None
    if item.get("type", "message") != "message":
        return None
    return {"role": item["role"], "content": item.get("content")}


def chat_body(body: Any) -> dict[str, Any] | JSONResponse:
    """The chat completion request a Responses API request means, or the 400 it gets."""
    if not isinstance(body, dict):
        return bad_request("The request body must be a JSON object.", None, "invalid_json")
    for name in _UNSUPPORTED:
        if body.get(name) not in (None, [], False):
            return bad_request(
                f"'{name}' is not supported by the demo provider's Responses API.", name
            )
    given = body.get("input")
    if isinstance(given, str):
        messages: list[dict[str, Any]] = [{"role": "user", "content": given}]
    elif isinstance(given, list) and given:
        converted = [_message(item) for item in given]
        if any(m is None for m in converted):
            return bad_request("'input' items must be messages with a 'role'.", "input")
        messages = [m for m in converted if m is not None]
    else:
        return bad_request("'input' must be a string or a non-empty array.", "input")
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.insert(0, {"role": "system", "content": instructions})
    chat: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat


def _sse(event: Mapping[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


@dataclass(frozen=True)
class ResponsesReply:
    """One planned answer as a ``response`` object or its event stream.

    Attributes
    ----------
    plan : DemoCompletion
    model : str
    response_id, message_id : str
        ``resp_...`` and ``msg_...`` ids.
    created : int
        Unix time of the request.
    """

    plan: DemoCompletion
    model: str
    response_id: str
    message_id: str
    created: int

    def _usage(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "input_tokens": plan.prompt_tokens,
            "input_tokens_details": {"cached_tokens": plan.cached_tokens},
            "output_tokens": plan.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": plan.prompt_tokens + plan.completion_tokens,
        }

    def _item(self, text: str, status: str) -> dict[str, Any]:
        content = [{"type": "output_text", "text": text, "annotations": []}]
        return {
            "type": "message",
            "id": self.message_id,
            "status": status,
            "role": "assistant",
            "content": content if status == "completed" else [],
        }

    def body(self, status: str = "completed") -> dict[str, Any]:
        """The ``response`` object (``in_progress`` ones have no output yet)."""
        done = status == "completed"
        incomplete = self.plan.finish_reason == "length"
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created,
            "status": ("incomplete" if incomplete else status) if done else status,
            "incomplete_details": {"reason": "max_output_tokens"} if done and incomplete else None,
            "error": None,
            "model": self.model,
            "output": [self._item(self.plan.text, "completed")] if done else [],
            "parallel_tool_calls": False,
            "tool_choice": "auto",
            "tools": [],
            "usage": self._usage() if done else None,
        }

    def frames(self) -> list[Frame]:
        """The typed events of a streamed answer, each with the delay before it."""
        plan = self.plan
        part = {"type": "output_text", "text": "", "annotations": []}
        where = {"item_id": self.message_id, "output_index": 0, "content_index": 0}
        events: list[tuple[float, dict[str, Any]]] = [
            (0.0, {"type": "response.created", "response": self.body("in_progress")}),
            (0.0, {"type": "response.in_progress", "response": self.body("in_progress")}),
            (
                plan.ttft_s,
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": self._item("", "in_progress"),
                },
            ),
            (0.0, {"type": "response.content_part.added", **where, "part": part}),
        ]
        for piece, delay in zip(plan.chunks, plan.chunk_delays_s, strict=True):
            events.append((delay, {"type": "response.output_text.delta", **where, "delta": piece}))
        final_part = {**part, "text": plan.text}
        events += [
            (0.0, {"type": "response.output_text.done", **where, "text": plan.text}),
            (0.0, {"type": "response.content_part.done", **where, "part": final_part}),
            (
                0.0,
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": self._item(plan.text, "completed"),
                },
            ),
            (0.0, {"type": "response.completed", "response": self.body()}),
        ]
        return [
            (delay, _sse({**event, "sequence_number": number}))
            for number, (delay, event) in enumerate(events)
        ]


async def create_response(request: Request) -> Response:
    """``POST /v1/responses``: the Responses API, text only, planned like a chat completion.

    Faults are not injected here, and the request log counts chat completions only.
    """
    demo: DemoAppState = request.app.state.demo
    try:
        body = json.loads(await request.body())
    except ValueError:
        return bad_request("The request body is not valid JSON.", None, "invalid_json")
    as_chat = chat_body(body)
    if isinstance(as_chat, JSONResponse):
        return as_chat
    chat = parse_chat_request(json.dumps(as_chat).encode())
    if isinstance(chat, JSONResponse):
        return chat
    too_long = context_problem(chat)
    if too_long is not None:
        return too_long
    plan = plan_choices(demo, chat, demo.faults_for(chat.model))[0]
    reply = ResponsesReply(
        plan, chat.model, f"resp_{uuid.uuid4().hex}", f"msg_{uuid.uuid4().hex}", int(time.time())
    )
    if not chat.stream:
        await asyncio.sleep(plan.total_s)
        return JSONResponse(reply.body())
    return PacedResponse(reply.frames(), lambda: None)

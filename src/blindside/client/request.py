"""The one chat completion request: the engine, stress and probe all send it here.

:func:`chat_body` builds the JSON body from a model's configuration, and
:func:`chat_completion` sends it and folds the answer into a :class:`ChatReply`,
streamed or not. It uses the SDK's documented raw request (``client.post``
with ``cast_to=httpx2.Response``): the SDK's auth, base URL, timeout,
transport and status errors, without typed params or typed chunks, which were
a third of the client's CPU per streamed request (see
:mod:`blindside.client.streaming`).

No retries here: callers decide (:mod:`blindside.client.retry`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from blindside.client.streaming import StreamError, decode_chunk, server_sent_events

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from blindside.config import ModelConfig

__all__ = ["ANSWER_INDEX", "ChatReply", "ChoiceReply", "chat_body", "chat_completion"]


#: The choice that is the answer when a request asks for several (``n``), streamed or not.
ANSWER_INDEX = 0


@dataclass
class ChoiceReply:
    """One choice of a completion, folded from its own chunks or taken whole.

    Attributes
    ----------
    parts : list of str
        Content deltas in order (the whole content, once, when not streamed).
    tool_calls : dict
        Tool calls by index, their ``name`` and ``arguments`` concatenated.
    finish_reason : str or None
        The last finish reason seen; None if the stream never gave one.
    token_times : list of float
        ``time.perf_counter()`` arrival of every chunk that carried this choice's
        content or tool-call text; empty when not streamed.
    """

    parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    finish_reason: str | None = None
    token_times: list[float] = field(default_factory=list)

    def add_delta(self, choice: Mapping[str, Any], arrived_at: float) -> None:
        """Fold one streamed ``choices[i]`` (its ``delta`` and finish reason) in."""
        delta = choice.get("delta") or {}
        content = delta.get("content")
        calls = delta.get("tool_calls")
        if content or calls:
            self.token_times.append(arrived_at)
        if content:
            self.parts.append(content)
        for call in calls or ():
            self._add_tool_call(call.get("index", 0), call)
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]

    def add_message(self, choice: Mapping[str, Any]) -> None:
        """Take in one whole ``choices[i]`` (its ``message`` and finish reason)."""
        message = choice.get("message") or {}
        if message.get("content"):
            self.parts.append(message["content"])
        for index, call in enumerate(message.get("tool_calls") or ()):
            self._add_tool_call(index, call)
        self.finish_reason = choice.get("finish_reason")

    def _add_tool_call(self, index: int, call: Mapping[str, Any]) -> None:
        slot = self.tool_calls.setdefault(index, {"name": "", "arguments": ""})
        function = call.get("function") or {}
        slot["name"] += function.get("name") or ""
        slot["arguments"] += function.get("arguments") or ""

    @property
    def content(self) -> str:
        """The content alone ("" when there was none)."""
        return "".join(self.parts)

    @property
    def text(self) -> str:
        """The content, or the tool calls as JSON when there was none."""
        if self.parts:
            return "".join(self.parts)
        return json.dumps(list(self.tool_calls.values())) if self.tool_calls else ""


@dataclass
class ChatReply:
    """What a chat completion said, whole or folded chunk by chunk.

    A request may ask for several choices (``n``). Each is folded on its own, by its
    ``index`` (a stream may interleave their chunks); the answer is choice
    :data:`ANSWER_INDEX`, streamed or not, and ``parts``, ``tool_calls``,
    ``finish_reason``, ``token_times``, ``content`` and ``text`` are its.

    Attributes
    ----------
    choice_replies : dict of int to ChoiceReply
        Every choice, by index.
    usage : dict or None
        The usage object, when the provider sent one (of the whole request: every
        choice's tokens).
    choices : int
        Choices folded in (one per choice of each chunk of a stream); 0 for a body
        without any.
    usage_alone : bool
        The usage came on a chunk of its own, without choices (as OpenAI
        sends it with ``stream_options.include_usage``).
    sent_at, done_at : float
        ``time.perf_counter()`` when the request left and when the answer ended.
    headers : dict of str to str
        The response's headers, names in lower case (``x-request-id``, rate
        limits, a router's ``x-litellm-response-cost``).
    """

    choice_replies: dict[int, ChoiceReply] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    choices: int = 0
    usage_alone: bool = False
    sent_at: float = 0.0
    done_at: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def _choice(self, index: Any) -> ChoiceReply:
        key = index if isinstance(index, int) else ANSWER_INDEX
        reply = self.choice_replies.get(key)
        if reply is None:
            reply = self.choice_replies[key] = ChoiceReply()
        return reply

    def add_chunk(self, chunk: Mapping[str, Any], arrived_at: float) -> None:
        """Fold one decoded ``chat.completion.chunk`` in, each choice into its own index.

        Raises
        ------
        StreamError
            The chunk is an error object.
        """
        error = chunk.get("error")
        if error:
            raise StreamError(error if isinstance(error, Mapping) else {"message": str(error)})
        usage = chunk.get("usage")
        choices = chunk.get("choices") or ()
        if usage is not None:
            self.usage = usage
            self.usage_alone = self.usage_alone or not choices
        self.choices += len(choices)
        for choice in choices:
            self._choice(choice.get("index", ANSWER_INDEX)).add_delta(choice, arrived_at)

    def add_completion(self, completion: Mapping[str, Any]) -> None:
        """Take in a whole (not streamed) ``chat.completion``: every choice, and the usage."""
        self.usage = completion.get("usage")
        choices = completion.get("choices") or ()
        self.choices = len(choices)
        for position, choice in enumerate(choices):
            self._choice(choice.get("index", position)).add_message(choice)

    @property
    def answer(self) -> ChoiceReply:
        """Choice :data:`ANSWER_INDEX` (empty when the reply had none)."""
        return self.choice_replies.get(ANSWER_INDEX) or ChoiceReply()

    @property
    def parts(self) -> list[str]:
        return self.answer.parts

    @property
    def tool_calls(self) -> dict[int, dict[str, str]]:
        return self.answer.tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.answer.finish_reason

    @property
    def token_times(self) -> list[float]:
        return self.answer.token_times

    @property
    def content(self) -> str:
        """The answer's content alone ("" when there was none)."""
        return self.answer.content

    @property
    def text(self) -> str:
        """The answer's content, or its tool calls as JSON when there was none."""
        return self.answer.text

    @property
    def latency_ms(self) -> float:
        """From sending the request to the end of the answer."""
        return (self.done_at - self.sent_at) * 1000

    @property
    def ttft_ms(self) -> float | None:
        """Time to the first chunk that carried the answer's text; None when not streamed."""
        times = self.token_times
        return (times[0] - self.sent_at) * 1000 if times else None


def chat_body(
    model: ModelConfig,
    messages: Sequence[Mapping[str, Any]],
    *,
    stream: bool,
    include_usage: bool = True,
    max_tokens: int | None = None,
    params: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON body of a chat completion request to one configured model.

    Parameters
    ----------
    model : ModelConfig
        Its ``model_id`` is sent, and its ``params`` unless ``params`` replaces them.
    messages : sequence of mapping
    stream : bool
        Ask for server-sent events.
    include_usage : bool
        With ``stream``: ask for the usage chunk (``stream_options``).
    max_tokens : int, optional
        Output cap, sent under the name the model's params use
        (``max_completion_tokens`` for reasoning models, else ``max_tokens``).
    params : mapping, optional
        Request parameters to send instead of the model's own.
    **extra
        Further fields (``seed``, ``tools``, ``response_format``, ...); they win
        over the parameters.

    Returns
    -------
    dict
    """
    own = model.params if params is None else params
    body: dict[str, Any] = {**own, **extra, "model": model.model_id, "messages": messages}
    if stream:
        body["stream"] = True
        if include_usage:
            body["stream_options"] = {"include_usage": True}
    if max_tokens is not None:
        cap = "max_completion_tokens" if "max_completion_tokens" in model.params else "max_tokens"
        body[cap] = max_tokens
    return body


async def chat_completion(client: AsyncOpenAI, body: Mapping[str, Any]) -> ChatReply:
    """POST a chat completion and read it to its end.

    Parameters
    ----------
    client : AsyncOpenAI
    body : mapping
        The JSON request body (:func:`chat_body`); ``"stream": True`` reads
        server-sent events up to ``[DONE]`` or the end of the body.

    Returns
    -------
    ChatReply
        With ``sent_at``, ``done_at`` and, when streamed, the arrival of each
        chunk that carried text.

    Raises
    ------
    openai.APIStatusError, openai.APIConnectionError
        As the SDK raises them before the body starts.
    StreamError, json.JSONDecodeError, httpx2.TransportError
        An error object, a malformed body or chunk, or a broken connection.
    """
    stream = bool(body.get("stream"))
    reply = ChatReply(sent_at=time.perf_counter())
    response = await client.post(
        "/chat/completions", cast_to=httpx2.Response, body=dict(body), stream=stream
    )
    reply.headers = {name.lower(): value for name, value in response.headers.items()}
    try:
        if stream:
            async for event in server_sent_events(response.aiter_lines()):
                chunk = decode_chunk(event)
                if chunk is None:
                    break
                reply.add_chunk(chunk, time.perf_counter())
        else:
            completion = json.loads(await response.aread())
            if not isinstance(completion, dict):
                raise json.JSONDecodeError("a completion is not a JSON object", "", 0)
            reply.add_completion(completion)
    finally:
        await response.aclose()
    reply.done_at = time.perf_counter()
    return reply

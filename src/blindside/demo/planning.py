"""Planning of one completion: answer or tool call, usage and latency, decided up front.

Every random choice comes from a ``random.Random`` seeded with a sha256 digest
of (app seed, model id, messages, request ``seed``) (:func:`request_digest`), so
the same request to an app with the same seed always gets the same answer,
usage and latency plan (``erratic`` ignores ``seed`` and varies per attempt
instead).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from blindside.client.tokens import CHARS_PER_TOKEN, text_tokens
from blindside.demo.compose import NUMBER, answer_kind, compose_answer, wrong_json
from blindside.demo.knowledge import (
    DemoKnowledge,
    function_tools,
    knowledge_key,
    last_user_text,
    message_text,
)
from blindside.demo.profiles import DemoProfile
from blindside.demo.prose import topic_phrase

_MESSAGE_OVERHEAD_TOKENS = 4  # per message, like the chat format's role/separator tokens
_REPLY_PRIMING_TOKENS = 3  # every reply is primed with "<assistant>"
# With a fixed latency (FaultConfig.latency_ms), this share of it comes before the first token.
_FIXED_TTFT_SHARE = 0.1


def count_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Prompt tokens: per message ``text_tokens(content) + 4``, plus 3 for reply priming."""
    return _REPLY_PRIMING_TOKENS + sum(
        text_tokens(message_text(m.get("content"))) + _MESSAGE_OVERHEAD_TOKENS for m in messages
    )


@dataclass(frozen=True)
class DemoToolCall:
    """The one function call a simulated model answers with.

    Attributes
    ----------
    name : str
        Function name, one of the request's ``tools``.
    arguments : str
        JSON text of the arguments (after any ``max_tokens`` cut).
    """

    name: str
    arguments: str


FinishReason = Literal["stop", "length", "tool_calls"]


@dataclass(frozen=True)
class DemoCompletion:
    """Everything one request will produce, decided up front.

    Attributes
    ----------
    text : str
        Answer content (after any ``max_tokens`` cut); ``""`` for a tool call.
    finish_reason : {"stop", "length", "tool_calls"}
        ``"length"`` when the answer was cut by ``max_tokens``, ``"tool_calls"``
        when the answer is a tool call.
    chunks : tuple of str
        Streamed pieces; they concatenate to ``text``, or to the tool call's
        ``arguments``.
    ttft_s : float
        Seconds before the first chunk (already scaled).
    chunk_delays_s : tuple of float
        Seconds before each chunk after the first (already scaled); the first
        chunk's delay is 0 since it is covered by ``ttft_s``.
    prompt_tokens, cached_tokens, completion_tokens : int
        Usage figures. A plan reads nothing from the prompt cache: the app's
        :class:`~blindside.demo.prompt_cache.PromptCache` sets ``cached_tokens``.
    tool_call : DemoToolCall or None
        The function call, when the model answers with one.
    """

    text: str
    finish_reason: FinishReason
    chunks: tuple[str, ...]
    ttft_s: float
    chunk_delays_s: tuple[float, ...]
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    tool_call: DemoToolCall | None = None
    cache_write_tokens: int = 0

    @property
    def total_s(self) -> float:
        """Seconds from request to last chunk."""
        return self.ttft_s + sum(self.chunk_delays_s)

    def usage(self) -> dict[str, Any]:
        """OpenAI ``usage`` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            # cache_write_tokens as OpenRouter reports it (Anthropic's cache_creation_input_tokens).
            "prompt_tokens_details": {
                "cached_tokens": self.cached_tokens,
                "cache_write_tokens": self.cache_write_tokens,
                "audio_tokens": 0,
            },
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }


def request_digest(
    app_seed: int, model: str, messages: Sequence[Mapping[str, Any]], seed: int = 0
) -> str:
    """Stable sha256 hex of what determines a request's outcome (never Python's ``hash()``)."""
    content = [[str(m.get("role", "")), message_text(m.get("content"))] for m in messages]
    payload = json.dumps([app_seed, model, content, seed], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jittered(rng: random.Random, base: float, spread: float) -> float:
    return max(0.0, base * (1.0 + spread * rng.uniform(-1.0, 1.0)))


def _json_object_text(text: str) -> str:
    """``text`` as a JSON object: itself if it is one, a fenced object in it, or wrapped."""
    for candidate in (text.strip(), *re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)):
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return json.dumps(obj, ensure_ascii=False)
    return json.dumps({"answer": text}, ensure_ascii=False)


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text up to (not including) the first of the stop sequences it contains."""
    found = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[: min(found)] if found else text


def named_choice(tool_choice: Any) -> str | None:
    """The function name of a ``{"type": "function", "function": {"name": ...}}`` choice.

    Parameters
    ----------
    tool_choice : any
        The request's ``tool_choice``.

    Returns
    -------
    str or None
        The named function; None for ``"none"``, ``"auto"``, ``"required"`` or
        anything malformed.
    """
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return function["name"]
    return None


def _schema_value(spec: Mapping[str, Any], text: str, rng: random.Random) -> Any:
    """A plausible value for one JSON-schema property, taken from the prompt where possible."""
    enum = spec.get("enum")
    if isinstance(enum, list) and enum:
        lowered = text.lower()
        mentioned = [v for v in enum if isinstance(v, str) and v.lower() in lowered]
        return mentioned[0] if mentioned else rng.choice(enum)
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind in ("integer", "number"):
        match = NUMBER.search(text)
        value = float(match.group().replace(",", "")) if match else 1.0
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return topic_phrase(text)


def _plan_tool_call(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    knowledge: Mapping[str, DemoKnowledge],
    rng: random.Random,
) -> DemoToolCall | None:
    """The tool call a profile answers with, or None for a text answer.

    A call is made when tools are given and either ``tool_choice`` forces one
    ("required" or a named function) or the prompt clearly asks for it: its
    suite line offers one of the tools, or it names one. Profiles then call with
    probability ``tool_call_rate`` (``fast-cheap`` never, ``erratic`` half the time).
    """
    functions = function_tools(tools)
    if not functions or tool_choice == "none":
        return None
    text = last_user_text(messages)
    known = knowledge.get(knowledge_key(text))
    offered = set(known.tools) if known is not None else set()
    named = named_choice(tool_choice)
    mentioned = [f for f in functions if re.search(rf"\b{re.escape(f['name'])}\b", text)]
    forced = tool_choice == "required" or named is not None
    asked = any(f["name"] in offered for f in functions) or bool(mentioned)
    if not (forced or asked) or rng.random() >= profile.tool_call_rate:
        return None
    function = (
        next((f for f in functions if f["name"] == named), None)
        or next((f for f in functions if f["name"] in offered), None)
        or (mentioned[0] if mentioned else functions[0])
    )
    arguments: dict[str, Any] | None = None
    scorer = (known.scorer or {}) if known is not None else {}
    if known is not None and known.reference and answer_kind(known) == "json":
        try:
            reference = json.loads(known.reference)
        except ValueError:
            reference = None
        if isinstance(reference, dict):
            # Known arguments: right or wrong like a JSON answer.
            right = rng.random() < profile.accuracy
            arguments = reference if right else wrong_json(reference, rng, scorer.get("fields"))
    if arguments is None:
        params = function.get("parameters")
        params = params if isinstance(params, Mapping) else {}
        props = params.get("properties")
        props = props if isinstance(props, Mapping) else {}
        required = params.get("required")
        names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        arguments = {}
        for name in names or list(props):
            spec = props.get(name)
            arguments[name] = _schema_value(spec if isinstance(spec, Mapping) else {}, text, rng)
    return DemoToolCall(function["name"], json.dumps(arguments, ensure_ascii=False))


def plan_completion(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    *,
    app_seed: int = 0,
    request_seed: int = 0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
    max_tokens: int | None = None,
    latency_scale: float = 1.0,
    json_mode: bool = False,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    attempt: int = 0,
    latency_ms: float | None = None,
    stop: Sequence[str] = (),
    choice: int = 0,
) -> DemoCompletion:
    """Decide the answer, usage and latency of one request, deterministically.

    Parameters
    ----------
    profile : DemoProfile
        The simulated model.
    messages : sequence of mapping
        The request's chat messages.
    app_seed : int
        Seed of the app.
    request_seed : int
        The request's ``seed`` parameter (0 when absent). Ignored by profiles
        that do not honour seeds (``erratic``).
    knowledge : mapping, optional
        Suite knowledge keyed by :func:`knowledge_key`.
    max_tokens : int, optional
        Output cap; a longer answer (or tool-call arguments) is cut to
        ``4 * max_tokens`` characters.
    latency_scale : float
        Multiplier on every delay (not on ``latency_ms``).
    json_mode : bool
        ``response_format`` asked for a JSON object; profiles with JSON mode
        answer with one (``{"answer": ...}`` around a non-JSON answer).
    tools : sequence of mapping, optional
        The request's ``tools``.
    tool_choice : str or mapping, optional
        The request's ``tool_choice``.
    attempt : int
        For profiles that ignore ``seed``: how many times the app has seen this
        request (by its seedless digest) before. 0 gives the first answer.
    latency_ms : float, optional
        Fixed total latency in ms, absolute (``latency_scale`` does not apply):
        10% before the first chunk, the rest spread evenly over the others.
    stop : sequence of str
        The request's ``stop`` sequences: a text answer ends just before the
        first one it contains (finish reason ``stop``), as a provider's does.
    choice : int
        Which of the request's ``n`` choices: choice 0 is the answer of a
        request without ``n``; the others are drawn afresh.

    Returns
    -------
    DemoCompletion
    """
    digest = request_digest(
        app_seed, profile.model_id, messages, request_seed if profile.honours_seed else 0
    )
    # A profile that ignores seed draws every attempt afresh instead, like an unseeded sampler.
    base = digest if profile.honours_seed or attempt == 0 else f"{digest}:{attempt}"
    if choice:
        base = f"{base}:choice{choice}"
    rng = random.Random(base)
    known = knowledge or {}
    tool_call = _plan_tool_call(
        profile, messages, tools, tool_choice, known, random.Random(f"{base}:tools")
    )
    if tool_call is not None:
        payload = tool_call.arguments
    else:
        payload = compose_answer(profile, messages, known, rng)
        if json_mode and profile.supports_json_mode:
            payload = _json_object_text(payload)
    finish_reason: FinishReason = "tool_calls" if tool_call is not None else "stop"
    if tool_call is None:
        payload = _cut_at_stop(payload, stop)
    if max_tokens is not None and text_tokens(payload) > max_tokens:
        payload = payload[: max_tokens * CHARS_PER_TOKEN]
        finish_reason = "length"
    # Token-like pieces (up to 4 visible chars with their leading space) grouped per chunk.
    pieces = re.findall(r"\s*\S{1,4}|\s+", payload)
    step = profile.tokens_per_chunk
    groups = [pieces[i : i + step] for i in range(0, len(pieces), step)]
    chunks = tuple("".join(group) for group in groups)
    if latency_ms is not None:
        total_s = latency_ms / 1000.0
        ttft_s = total_s if len(groups) <= 1 else total_s * _FIXED_TTFT_SHARE
        rest = (total_s - ttft_s) / max(1, len(groups) - 1)
        delays = tuple(0.0 if i == 0 else rest for i in range(len(groups)))
    else:
        ttft_ms = _jittered(rng, profile.ttft_ms, profile.jitter)
        if rng.random() < profile.stall_rate:
            ttft_ms *= rng.uniform(2.5, 5.0)
        ttft_s = ttft_ms * latency_scale / 1000.0
        delays = tuple(
            0.0
            if i == 0
            else _jittered(rng, profile.ms_per_token * len(group), profile.jitter / 2)
            * latency_scale
            / 1000.0
            for i, group in enumerate(groups)
        )
    completion_tokens = text_tokens(payload)
    if tool_call is not None:
        completion_tokens += text_tokens(tool_call.name)
        tool_call = DemoToolCall(tool_call.name, payload)
    return DemoCompletion(
        text="" if tool_call is not None else payload,
        finish_reason=finish_reason,
        chunks=chunks,
        ttft_s=ttft_s,
        chunk_delays_s=delays,
        prompt_tokens=count_prompt_tokens(messages),
        cached_tokens=0,
        completion_tokens=completion_tokens,
        tool_call=tool_call,
    )

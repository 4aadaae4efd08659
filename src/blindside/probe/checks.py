"""The probe's checks: each sends a few tiny requests and says what differs from OpenAI.

Every request is :func:`blindside.client.request.chat_completion`, the one the
engine sends, retried once under :mod:`blindside.client.retry`'s policy.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import openai
from openai import AsyncOpenAI

from blindside.client.percentile import percentile
from blindside.client.request import ChatReply, chat_body, chat_completion
from blindside.client.retry import RetryPolicy, call_with_retries, classify_error
from blindside.client.tokens import CHARS_PER_TOKEN
from blindside.config import ModelConfig
from blindside.probe.headers import describe_headers
from blindside.probe.report import (
    HEADERS,
    JSON_MODE,
    LATENCY,
    MAX_CONTEXT,
    SEED,
    SNIPPET_CHARS,
    STREAMING,
    SYSTEM_PROMPT,
    TOOL_CALLING,
    USAGE_FIELDS,
    USAGE_IN_STREAM,
    ProbeResult,
    blocks_endpoint,
    describe_error,
    shorten,
    snippet,
)

__all__ = ["DEFAULT_CONTEXT_LADDER", "Prober"]

#: Approximate prompt sizes (tokens) tried by the max-context check, smallest first.
DEFAULT_CONTEXT_LADDER: tuple[int, ...] = (4_000, 16_000, 64_000, 128_000)

# Output caps keep a probe to a few hundred output tokens in all. Checks whose
# answer must hold something (a token, a JSON object, a tool call) get just enough.
_TINY_TOKENS = 5
_ANSWER_TOKENS = 16
# Samples with one seed that must all match for the seed check to pass.
_SEED_SAMPLES = 3
_JSON_TOKENS = 24
_TOOL_TOKENS = 48
_LATENCY_SAMPLES = 3
# A rung of N tokens must fit a window of exactly N: leave room for the instruction,
# the chat format's per-message tokens and the output cap.
_RUNG_MARGIN_TOKENS = 50

# One quick retry on what the engine would retry too, so a single 503 does not read
# as a missing capability; anything else is reported as it came.
_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.25, max_delay_s=0.25, max_retry_after_s=2.0)

# Parameters the checks set themselves; the model's own values would fight them.
_CONTROLLED_PARAMS = frozenset(
    {
        "max_tokens",
        "max_completion_tokens",
        "seed",
        "stream",
        "stream_options",
        "response_format",
        "tools",
        "tool_choice",
        "n",
    }
)

_WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}

# Ordinary English prose: tokenizers average close to 4 characters per token on it.
_FILLER = (
    "The harbour town woke slowly while fishing boats returned with the morning tide, "
    "and merchants opened their stalls along the narrow cobbled street near the old market. "
)


def _tokens_label(tokens: int) -> str:
    return f"~{tokens // 1000}k" if tokens >= 1000 and tokens % 1000 == 0 else f"~{tokens:,}"


def _detail(usage: Mapping[str, Any], details: str, name: str) -> int | None:
    """``usage[details][name]``; None when either is missing."""
    value = (usage.get(details) or {}).get(name)
    return value if isinstance(value, int) else None


def _filler(tokens: int) -> str:
    """Prose of about ``tokens`` tokens (``tokens * 4`` characters)."""
    chars = tokens * CHARS_PER_TOKEN
    return (_FILLER * (chars // len(_FILLER) + 1))[:chars]


class Prober:
    """The checks of one probe, sharing a client and the model's request parameters.

    Parameters
    ----------
    model : ModelConfig
        The probed model; its ``params`` are sent, except those a check sets.
    client : AsyncOpenAI
    secret_values : sequence of str
        Values redacted from every detail (the API key).
    """

    def __init__(
        self, model: ModelConfig, client: AsyncOpenAI, secret_values: Sequence[str]
    ) -> None:
        self.model = model
        self.client = client
        self.secrets = tuple(secret_values)
        self.params = {k: v for k, v in model.params.items() if k not in _CONTROLLED_PARAMS}
        self.rng = random.Random()

    def checks(
        self, max_context: bool, context_ladder: Sequence[int]
    ) -> list[tuple[str, Callable[[], Awaitable[ProbeResult]]]]:
        """Every check by name, in :data:`~blindside.probe.report.CHECK_NAMES` order.

        Parameters
        ----------
        max_context : bool
            Run the max-context ladder (else that check says why it skipped).
        context_ladder : sequence of int
            Its approximate prompt sizes in tokens.
        """
        return [
            (SYSTEM_PROMPT, self.system_prompt),
            (STREAMING, self.streaming),
            (USAGE_IN_STREAM, self.usage_in_stream),
            (USAGE_FIELDS, self.usage_fields),
            (SEED, self.seed),
            (JSON_MODE, self.json_mode),
            (TOOL_CALLING, self.tool_calling),
            (MAX_CONTEXT, lambda: self.max_context(max_context, context_ladder)),
            (LATENCY, self.latency),
            (HEADERS, self.headers),
        ]

    # ----------------------------------------------------------------- requests

    async def create(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int,
        stream: bool = False,
        include_usage: bool = True,
        **extra: Any,
    ) -> ChatReply:
        """One chat completion (or stream), retried once on what the engine retries."""
        body = chat_body(
            self.model,
            messages,
            stream=stream,
            include_usage=include_usage,
            max_tokens=max_tokens,
            params=self.params,
            **extra,
        )
        return await call_with_retries(lambda: chat_completion(self.client, body), _RETRY, self.rng)

    # ----------------------------------------------------------------- checks

    async def system_prompt(self) -> ProbeResult:
        token = f"PONG-{secrets.token_hex(4).upper()}"
        reply = await self.create(
            [
                {"role": "system", "content": f"Reply with exactly: {token}"},
                {"role": "user", "content": "ping"},
            ],
            max_tokens=_ANSWER_TOKENS,
        )
        text = reply.content
        if text.strip().strip("\"'`.").strip() == token:
            return ProbeResult(SYSTEM_PROMPT, "ok", "the answer is exactly the requested token")
        if token in text:
            return ProbeResult(
                SYSTEM_PROMPT, "ok", f"the token is in a longer answer: {snippet(text)}"
            )
        cut = reply.finish_reason == "length"
        return ProbeResult(
            SYSTEM_PROMPT,
            "differs",
            f"system instruction not followed: answered {snippet(text)}"
            + (" (cut by max_tokens)" if cut else ""),
        )

    async def _stream(self, *, include_usage: bool, max_tokens: int) -> ChatReply:
        """Stream one answer (the chunks that carried text are its ``token_times``)."""
        return await self.create(
            [{"role": "user", "content": "Count from one to ten in words."}],
            max_tokens=max_tokens,
            stream=True,
            include_usage=include_usage,
        )

    async def streaming(self) -> ProbeResult:
        reply = await self._stream(include_usage=False, max_tokens=_ANSWER_TOKENS)
        chunks, ttft_ms, total_ms = len(reply.token_times), reply.ttft_ms, reply.latency_ms
        note = "" if self.model.endpoint.stream else "; this endpoint has stream = false"
        if chunks == 0:
            return ProbeResult(
                STREAMING,
                "differs",
                f"stream=True gave no content chunks (total {total_ms:.0f} ms){note}",
            )
        timing = f"TTFT {ttft_ms:.0f} ms, total {total_ms:.0f} ms"
        if chunks == 1:
            return ProbeResult(
                STREAMING,
                "differs",
                f"the whole answer came in one chunk ({timing}): TTFT equals latency{note}",
                ms=ttft_ms,
            )
        return ProbeResult(STREAMING, "ok", f"{chunks} content chunks, {timing}{note}", ms=ttft_ms)

    async def usage_in_stream(self) -> ProbeResult:
        try:
            reply = await self._stream(include_usage=True, max_tokens=_TINY_TOKENS)
        except openai.BadRequestError as exc:
            # The engine always sends stream_options when streaming: say what breaks.
            detail = describe_error(exc, self.secrets)
            return ProbeResult(
                USAGE_IN_STREAM,
                "fails",
                shorten(f"{detail} (streamed generation will fail: set stream = false)"),
            )
        usage = reply.usage
        if usage is None:
            return ProbeResult(
                USAGE_IN_STREAM,
                "differs",
                "no usage chunk: tokens and cost of streamed answers must be estimated "
                "(or set stream = false)",
                ms=reply.latency_ms,
            )
        where = "final usage chunk" if reply.usage_alone else "usage on a content chunk"
        return ProbeResult(
            USAGE_IN_STREAM,
            "ok",
            f"{where}: {usage.get('prompt_tokens')} prompt + "
            f"{usage.get('completion_tokens')} completion tokens",
            ms=reply.latency_ms,
        )

    async def usage_fields(self) -> ProbeResult:
        reply = await self.create([{"role": "user", "content": "Say hi."}], max_tokens=_TINY_TOKENS)
        ms = reply.latency_ms
        usage = reply.usage
        if usage is None:
            return ProbeResult(
                USAGE_FIELDS, "differs", "no usage in the response: cost cannot be measured", ms
            )
        cached = _detail(usage, "prompt_tokens_details", "cached_tokens")
        reasoning = _detail(usage, "completion_tokens_details", "reasoning_tokens")
        found = [
            f"prompt {usage.get('prompt_tokens')}",
            f"completion {usage.get('completion_tokens')}",
        ]
        missing = []
        if cached is None:
            missing.append("cached_tokens (no cache discount in cost)")
        else:
            found.append(f"cached {cached}")
        if reasoning is None:
            missing.append("reasoning_tokens")
        else:
            found.append(f"reasoning {reasoning}")
        detail = "has " + ", ".join(found)
        if missing:
            return ProbeResult(
                USAGE_FIELDS, "differs", f"{detail}; missing {', '.join(missing)}", ms
            )
        return ProbeResult(USAGE_FIELDS, "ok", detail, ms)

    async def seed(self) -> ProbeResult:
        seed = secrets.randbelow(2**31 - 1) + 1
        messages = [{"role": "user", "content": "Write one sentence about any animal you like."}]

        async def sample(value: int) -> str:
            reply = await self.create(
                messages, max_tokens=_ANSWER_TOKENS, seed=value, temperature=1.0
            )
            return reply.content

        # Three samples, not two: an unseeded sampler can repeat a short sentence by chance,
        # and three matches in a row from one that ignores seed are far rarer.
        texts = [await sample(seed) for _ in range(_SEED_SAMPLES)]
        distinct = list(dict.fromkeys(texts))
        if len(distinct) > 1:
            supports_seed = getattr(self.model.endpoint, "supports_seed", True)
            hint = "; set supports_seed = false" if supports_seed else ""
            return ProbeResult(
                SEED,
                "differs",
                f"same seed, {len(distinct)} different texts in {_SEED_SAMPLES} samples "
                f"({snippet(distinct[0])} vs {snippet(distinct[1])}): "
                f"repeated samples cannot be reproduced{hint}",
            )
        return ProbeResult(
            SEED, "ok", f"same seed, same text {_SEED_SAMPLES} times: {snippet(texts[0])}"
        )

    async def json_mode(self) -> ProbeResult:
        reply = await self.create(
            [
                # The exact reply keeps the answer a few tokens long on any model
                # that follows instructions; JSON mode must still make it an object.
                {"role": "system", "content": 'Reply with exactly: {"ok": true}'},
                {
                    "role": "user",
                    "content": 'Reply with a JSON object with one key "ok" set to true.',
                },
            ],
            max_tokens=_JSON_TOKENS,
            response_format={"type": "json_object"},
        )
        text = reply.content
        cut = reply.finish_reason == "length"
        try:
            value = json.loads(text)
        except ValueError:
            if text.strip().startswith("```"):
                problem = "JSON inside a ``` fence"
            elif cut and text.lstrip().startswith("{"):
                problem = "a long JSON answer, cut by max_tokens before it closed"
            else:
                problem = "content is not JSON"
            return ProbeResult(JSON_MODE, "differs", f"{problem}: {snippet(text)}")
        if not isinstance(value, dict):
            return ProbeResult(JSON_MODE, "differs", f"JSON but not an object: {snippet(text)}")
        return ProbeResult(JSON_MODE, "ok", f"parses as a JSON object: {snippet(text)}")

    async def tool_calling(self) -> ProbeResult:
        reply = await self.create(
            [{"role": "user", "content": "What is the weather in Paris right now?"}],
            max_tokens=_TOOL_TOKENS,
            tools=[_WEATHER_TOOL],
            tool_choice="required",
        )
        if not reply.tool_calls:
            return ProbeResult(
                TOOL_CALLING,
                "differs",
                f"no tool_calls despite tool_choice=required; answered {snippet(reply.content)}",
            )
        call = reply.tool_calls[min(reply.tool_calls)]
        name = call["name"] or "?"
        arguments = call["arguments"]
        try:
            args = json.loads(arguments or "")
        except ValueError:
            return ProbeResult(
                TOOL_CALLING, "differs", f"{name}(): arguments are not JSON: {snippet(arguments)}"
            )
        if not isinstance(args, dict):
            return ProbeResult(
                TOOL_CALLING, "differs", f"{name}(): arguments are not an object: {arguments}"
            )
        shown = shorten(json.dumps(args), SNIPPET_CHARS)
        if name != "get_weather":
            return ProbeResult(TOOL_CALLING, "differs", f"called unknown tool {name}({shown})")
        return ProbeResult(TOOL_CALLING, "ok", f"get_weather({shown})")

    async def max_context(self, enabled: bool, ladder: Sequence[int]) -> ProbeResult:
        rungs = sorted({int(n) for n in ladder if int(n) > 0})
        if not enabled:
            return ProbeResult(
                MAX_CONTEXT,
                "skipped",
                f"off for real endpoints: sends up to {sum(rungs):,} prompt tokens; "
                "pass --max-context",
            )
        if not rungs:
            return ProbeResult(MAX_CONTEXT, "skipped", "empty context ladder")
        claimed = await self._claimed_context()
        claim = f"; the endpoint claims {claimed:,}" if claimed else ""
        largest: tuple[int, int | None] | None = None  # (rung, prompt tokens counted)
        for tokens in rungs:
            messages = [
                {
                    "role": "user",
                    "content": "Reply with OK. Ignore the text after this line.\n"
                    + _filler(max(1, tokens - _RUNG_MARGIN_TOKENS)),
                }
            ]
            try:
                reply = await self.create(messages, max_tokens=_TINY_TOKENS)
            except Exception as exc:
                detail = describe_error(exc, self.secrets)
                context_error = classify_error(exc) == "context_length"
                if largest is None and not context_error:
                    raise
                worked = f"largest that worked: {self._rung(largest)}" if largest else "none worked"
                if context_error:
                    return ProbeResult(
                        MAX_CONTEXT,
                        "ok",
                        shorten(f"{worked}; {_tokens_label(tokens)}: {detail}{claim}", 300),
                    )
                # Not recognisable as a context error: the engine won't classify it as one.
                return ProbeResult(
                    MAX_CONTEXT,
                    "differs",
                    shorten(
                        f"{worked}; {_tokens_label(tokens)} failed without a context-length "
                        f"error: {detail}{claim}",
                        300,
                    ),
                )
            counted = (reply.usage or {}).get("prompt_tokens")
            largest = (tokens, counted)
        return ProbeResult(
            MAX_CONTEXT,
            "ok",
            f"all worked, up to {self._rung(largest)}; no limit reached{claim}",
        )

    @staticmethod
    def _rung(largest: tuple[int, int | None] | None) -> str:
        if largest is None:
            return "none"
        tokens, counted = largest
        counted_note = f" ({counted:,} counted)" if counted else ""
        return f"{_tokens_label(tokens)} tokens{counted_note}"

    async def _claimed_context(self) -> int | None:
        """The context length ``GET /models/{id}`` advertises, if any (free to ask)."""
        try:
            card = await self.client.models.retrieve(self.model.model_id)
        except Exception:
            return None  # many servers have no such route; the ladder still answers
        extra = {**(getattr(card, "model_extra", None) or {})}
        for key in ("context_length", "max_model_len", "context_window", "max_context_length"):
            value = extra.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None

    async def latency(self) -> ProbeResult:
        timings: list[float] = []
        errors: list[str] = []
        for _ in range(_LATENCY_SAMPLES):
            try:
                reply = await self.create(
                    [{"role": "user", "content": "Say hi."}], max_tokens=_TINY_TOKENS
                )
            except Exception as exc:
                # The last try with nothing timed yet: report it as the check's failure.
                if blocks_endpoint(exc) or (not timings and len(errors) == _LATENCY_SAMPLES - 1):
                    raise
                errors.append(describe_error(exc, self.secrets))
                continue
            timings.append(reply.latency_ms)
        if not timings:
            raise RuntimeError(errors[-1])
        median = percentile(timings, 50)
        shown = ", ".join(f"{t:.0f}" for t in timings)
        if errors:
            return ProbeResult(
                LATENCY,
                "differs",
                shorten(f"median {median:.0f} ms ({shown}); {len(errors)} failed: {errors[0]}"),
                ms=median,
            )
        return ProbeResult(
            LATENCY, "ok", f"median of {len(timings)} tiny requests ({shown} ms)", ms=median
        )

    async def headers(self) -> ProbeResult:
        reply = await self.create([{"role": "user", "content": "Say hi."}], max_tokens=_TINY_TOKENS)
        detail = describe_headers(self.model.endpoint, reply.headers, list(self.secrets))
        return ProbeResult(HEADERS, "ok", shorten(detail, 400), ms=reply.latency_ms)

"""Compatibility probe: what one configured endpoint does differently from OpenAI.

Teams integrating a new endpoint trip over small differences: a system prompt
that is ignored, no usage in streams, a ``seed`` that does nothing, JSON mode
or tools rejected with a 400. :func:`probe_model` sends a handful of tiny
requests to one model and reports, per check, ``ok`` / ``differs`` / ``fails`` /
``skipped`` with a short detail. ``blindside probe MODEL`` prints
:func:`format_probe_table` of the result.

Every check catches its own exceptions, so one failed check never stops the
others. Error details name the HTTP status and the provider's message and are
redacted: an API key is never printed. See ``docs/probe.md``.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import openai
from openai import AsyncOpenAI

from blindside.client.redaction import redact
from blindside.config import ModelConfig, Settings

__all__ = [
    "CHECK_NAMES",
    "DEFAULT_CONTEXT_LADDER",
    "ProbeResult",
    "ProbeStatus",
    "format_probe_table",
    "probe_model",
    "probe_model_async",
]

ProbeStatus = Literal["ok", "differs", "fails", "skipped"]

SYSTEM_PROMPT = "system prompt"
STREAMING = "streaming"
USAGE_IN_STREAM = "usage in stream"
USAGE_FIELDS = "usage fields"
SEED = "seed"
JSON_MODE = "JSON mode"
TOOL_CALLING = "tool calling"
MAX_CONTEXT = "max context"
LATENCY = "latency"

#: Every check, in the order they run and are reported.
CHECK_NAMES: tuple[str, ...] = (
    SYSTEM_PROMPT,
    STREAMING,
    USAGE_IN_STREAM,
    USAGE_FIELDS,
    SEED,
    JSON_MODE,
    TOOL_CALLING,
    MAX_CONTEXT,
    LATENCY,
)

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
_CHARS_PER_TOKEN = 4  # the usual rough rule for English text
# A rung of N tokens must fit a window of exactly N: leave room for the instruction,
# the chat format's per-message tokens and the output cap.
_RUNG_MARGIN_TOKENS = 50
_DETAIL_CHARS = 220
_SNIPPET_CHARS = 60

# One quick retry on transient statuses, so a single 503 does not read as a
# missing capability; anything else is reported as it came.
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_RETRY_DELAY_S = 0.25

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

_CONTEXT_ERROR_RE = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|too many (input )?tokens"
    r"|prompt is too long|input is too long|reduce the length|exceeds? the (model'?s? )?"
    r"(maximum|max|context|token)",
    re.IGNORECASE,
)
# Key-like strings a provider may echo back (OpenAI, Anthropic, OpenRouter, ... styles).

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


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe check.

    Attributes
    ----------
    check : str
        One of :data:`CHECK_NAMES`.
    status : {"ok", "differs", "fails", "skipped"}
        ``ok``: behaves like OpenAI. ``differs``: works, but not the way
        blindside assumes (the detail says what that costs). ``fails``: the
        request errored. ``skipped``: not tried (the detail says why).
    detail : str
        Short, redacted explanation.
    ms : float or None
        The check's headline timing (time to first token, median latency, ...).
    """

    check: str
    status: ProbeStatus
    detail: str
    ms: float | None = None


def _short(text: str, limit: int = _DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(text: str | None) -> str:
    return repr(_short(text or "", _SNIPPET_CHARS))


def _provider_message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    elif isinstance(body, str) and body.strip():
        return body
    return exc.message


def describe_error(exc: BaseException, secret_values: Sequence[str] = ()) -> str:
    """One redacted line for a failed request: HTTP status, code and provider message.

    Parameters
    ----------
    exc : BaseException
        What the request raised.
    secret_values : sequence of str
        Values that must never appear (the API key).

    Returns
    -------
    str
    """
    if isinstance(exc, openai.APITimeoutError):
        text = "timeout: the request timed out"
    elif isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        text = f"connection error: {exc.message}" + (f" ({cause})" if cause else "")
    elif isinstance(exc, openai.APIStatusError):
        code = f" {exc.code}" if exc.code else ""
        text = f"HTTP {exc.status_code}{code}: {_provider_message(exc)}"
    elif isinstance(exc, openai.APIError):
        text = f"{type(exc).__name__}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _short(redact(text, secret_values))


def _is_context_error(exc: BaseException) -> bool:
    """A provider's "prompt too long for the context window" error."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 413, 422):
        return False
    return exc.code == "context_length_exceeded" or bool(
        _CONTEXT_ERROR_RE.search(_provider_message(exc))
    )


def _blocks_endpoint(exc: BaseException) -> bool:
    """Errors that every later check would hit too: no connection, timeouts, bad key."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (401, 403)


def _tokens_label(tokens: int) -> str:
    return f"~{tokens // 1000}k" if tokens >= 1000 and tokens % 1000 == 0 else f"~{tokens:,}"


def _filler(tokens: int) -> str:
    """Prose of about ``tokens`` tokens (``tokens * 4`` characters)."""
    chars = tokens * _CHARS_PER_TOKEN
    return (_FILLER * (chars // len(_FILLER) + 1))[:chars]


class _Prober:
    """The checks of one probe, sharing a client and the model's request parameters."""

    def __init__(
        self, model: ModelConfig, client: AsyncOpenAI, secret_values: Sequence[str]
    ) -> None:
        self.model = model
        self.client = client
        self.secrets = tuple(secret_values)
        self.params = {k: v for k, v in model.params.items() if k not in _CONTROLLED_PARAMS}
        # Reasoning models reject max_tokens; follow the name the model's config uses.
        self.cap_name = (
            "max_completion_tokens" if "max_completion_tokens" in model.params else "max_tokens"
        )

    # ----------------------------------------------------------------- requests

    async def create(self, messages: list[dict[str, Any]], *, max_tokens: int, **extra: Any) -> Any:
        """One chat completion (or stream), retried once on a transient status."""
        kwargs: dict[str, Any] = {
            **self.params,
            **extra,
            "model": self.model.model_id,
            "messages": messages,
            self.cap_name: max_tokens,
        }
        try:
            return await self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            if exc.status_code not in _RETRY_STATUS:
                raise
        await asyncio.sleep(_RETRY_DELAY_S)
        return await self.client.chat.completions.create(**kwargs)

    @staticmethod
    def _content(completion: Any) -> str:
        if not completion.choices:
            return ""
        return completion.choices[0].message.content or ""

    # ----------------------------------------------------------------- checks

    async def system_prompt(self) -> ProbeResult:
        token = f"PONG-{secrets.token_hex(4).upper()}"
        completion = await self.create(
            [
                {"role": "system", "content": f"Reply with exactly: {token}"},
                {"role": "user", "content": "ping"},
            ],
            max_tokens=_ANSWER_TOKENS,
        )
        text = self._content(completion)
        if text.strip().strip("\"'`.").strip() == token:
            return ProbeResult(SYSTEM_PROMPT, "ok", "the answer is exactly the requested token")
        if token in text:
            return ProbeResult(
                SYSTEM_PROMPT, "ok", f"the token is in a longer answer: {_snippet(text)}"
            )
        cut = completion.choices[0].finish_reason == "length" if completion.choices else False
        return ProbeResult(
            SYSTEM_PROMPT,
            "differs",
            f"system instruction not followed: answered {_snippet(text)}"
            + (" (cut by max_tokens)" if cut else ""),
        )

    async def _stream(
        self, *, include_usage: bool, max_tokens: int
    ) -> tuple[int, float | None, float, Any, bool]:
        """Stream one answer: content chunks, TTFT ms, total ms, last usage, usage-only chunk."""
        extra: dict[str, Any] = {"stream": True}
        if include_usage:
            extra["stream_options"] = {"include_usage": True}
        start = time.perf_counter()
        stream = await self.create(
            [{"role": "user", "content": "Count from one to ten in words."}],
            max_tokens=max_tokens,
            **extra,
        )
        content_chunks = 0
        ttft_ms: float | None = None
        usage = None
        usage_only_chunk = False
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
                usage_only_chunk = usage_only_chunk or not chunk.choices
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    content_chunks += 1
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - start) * 1000
        total_ms = (time.perf_counter() - start) * 1000
        return content_chunks, ttft_ms, total_ms, usage, usage_only_chunk

    async def streaming(self) -> ProbeResult:
        chunks, ttft_ms, total_ms, _, _ = await self._stream(
            include_usage=False, max_tokens=_ANSWER_TOKENS
        )
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
            _, _, total_ms, usage, usage_only = await self._stream(
                include_usage=True, max_tokens=_TINY_TOKENS
            )
        except openai.BadRequestError as exc:
            # generate.py always sends stream_options when streaming: say what breaks.
            detail = describe_error(exc, self.secrets)
            return ProbeResult(
                USAGE_IN_STREAM,
                "fails",
                _short(f"{detail} (streamed generation will fail: set stream = false)"),
            )
        if usage is None:
            return ProbeResult(
                USAGE_IN_STREAM,
                "differs",
                "no usage chunk: tokens and cost of streamed answers must be estimated "
                "(or set stream = false)",
                ms=total_ms,
            )
        where = "final usage chunk" if usage_only else "usage on a content chunk"
        return ProbeResult(
            USAGE_IN_STREAM,
            "ok",
            f"{where}: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens",
            ms=total_ms,
        )

    async def usage_fields(self) -> ProbeResult:
        start = time.perf_counter()
        completion = await self.create(
            [{"role": "user", "content": "Say hi."}], max_tokens=_TINY_TOKENS
        )
        ms = (time.perf_counter() - start) * 1000
        usage = completion.usage
        if usage is None:
            return ProbeResult(
                USAGE_FIELDS, "differs", "no usage in the response: cost cannot be measured", ms
            )
        prompt_details = usage.prompt_tokens_details
        completion_details = usage.completion_tokens_details
        cached = prompt_details.cached_tokens if prompt_details else None
        reasoning = completion_details.reasoning_tokens if completion_details else None
        found = [f"prompt {usage.prompt_tokens}", f"completion {usage.completion_tokens}"]
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
            completion = await self.create(
                messages, max_tokens=_ANSWER_TOKENS, seed=value, temperature=1.0
            )
            return self._content(completion)

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
                f"({_snippet(distinct[0])} vs {_snippet(distinct[1])}): "
                f"repeated samples cannot be reproduced{hint}",
            )
        return ProbeResult(
            SEED, "ok", f"same seed, same text {_SEED_SAMPLES} times: {_snippet(texts[0])}"
        )

    async def json_mode(self) -> ProbeResult:
        completion = await self.create(
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
        text = self._content(completion)
        cut = bool(completion.choices) and completion.choices[0].finish_reason == "length"
        try:
            value = json.loads(text)
        except ValueError:
            if text.strip().startswith("```"):
                problem = "JSON inside a ``` fence"
            elif cut and text.lstrip().startswith("{"):
                problem = "a long JSON answer, cut by max_tokens before it closed"
            else:
                problem = "content is not JSON"
            return ProbeResult(JSON_MODE, "differs", f"{problem}: {_snippet(text)}")
        if not isinstance(value, dict):
            return ProbeResult(JSON_MODE, "differs", f"JSON but not an object: {_snippet(text)}")
        return ProbeResult(JSON_MODE, "ok", f"parses as a JSON object: {_snippet(text)}")

    async def tool_calling(self) -> ProbeResult:
        completion = await self.create(
            [{"role": "user", "content": "What is the weather in Paris right now?"}],
            max_tokens=_TOOL_TOKENS,
            tools=[_WEATHER_TOOL],
            tool_choice="required",
        )
        message = completion.choices[0].message if completion.choices else None
        calls = (message.tool_calls if message else None) or []
        if not calls:
            text = message.content if message else ""
            return ProbeResult(
                TOOL_CALLING,
                "differs",
                f"no tool_calls despite tool_choice=required; answered {_snippet(text)}",
            )
        call = calls[0]
        function = getattr(call, "function", None)
        name = function.name if function else "?"
        arguments = function.arguments if function else ""
        try:
            args = json.loads(arguments or "")
        except ValueError:
            return ProbeResult(
                TOOL_CALLING, "differs", f"{name}(): arguments are not JSON: {_snippet(arguments)}"
            )
        if not isinstance(args, dict):
            return ProbeResult(
                TOOL_CALLING, "differs", f"{name}(): arguments are not an object: {arguments}"
            )
        shown = _short(json.dumps(args), _SNIPPET_CHARS)
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
                completion = await self.create(messages, max_tokens=_TINY_TOKENS)
            except Exception as exc:
                detail = describe_error(exc, self.secrets)
                if largest is None and not _is_context_error(exc):
                    raise
                worked = f"largest that worked: {self._rung(largest)}" if largest else "none worked"
                if _is_context_error(exc):
                    return ProbeResult(
                        MAX_CONTEXT,
                        "ok",
                        _short(f"{worked}; {_tokens_label(tokens)}: {detail}{claim}", 300),
                    )
                # Not recognisable as a context error: the engine won't classify it as one.
                return ProbeResult(
                    MAX_CONTEXT,
                    "differs",
                    _short(
                        f"{worked}; {_tokens_label(tokens)} failed without a context-length "
                        f"error: {detail}{claim}",
                        300,
                    ),
                )
            counted = completion.usage.prompt_tokens if completion.usage else None
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
            start = time.perf_counter()
            try:
                await self.create([{"role": "user", "content": "Say hi."}], max_tokens=_TINY_TOKENS)
            except Exception as exc:
                # The last try with nothing timed yet: report it as the check's failure.
                if _blocks_endpoint(exc) or (not timings and len(errors) == _LATENCY_SAMPLES - 1):
                    raise
                errors.append(describe_error(exc, self.secrets))
                continue
            timings.append((time.perf_counter() - start) * 1000)
        if not timings:
            raise RuntimeError(errors[-1])
        median = statistics.median(timings)
        shown = ", ".join(f"{t:.0f}" for t in timings)
        if errors:
            return ProbeResult(
                LATENCY,
                "differs",
                _short(f"median {median:.0f} ms ({shown}); {len(errors)} failed: {errors[0]}"),
                ms=median,
            )
        return ProbeResult(
            LATENCY, "ok", f"median of {len(timings)} tiny requests ({shown} ms)", ms=median
        )


async def probe_model_async(
    model: ModelConfig,
    base_url: str,
    *,
    max_context: bool | None = None,
    context_ladder: Sequence[int] = DEFAULT_CONTEXT_LADDER,
    client: AsyncOpenAI | None = None,
) -> list[ProbeResult]:
    """Run every check against one model, one request at a time.

    Parameters
    ----------
    model : ModelConfig
        The model to probe (its ``params`` are sent, except those a check sets).
    base_url : str
        The endpoint's base URL including the version path.
    max_context : bool, optional
        Run the max-context ladder. None (default): only for simulated models,
        since on a paid endpoint it sends up to ``sum(context_ladder)`` tokens.
    context_ladder : sequence of int
        Approximate prompt sizes in tokens (``4`` characters each), tried in
        increasing order until the first context-length error.
    client : AsyncOpenAI, optional
        Client to use (it is not closed); default: one made here and closed.

    Returns
    -------
    list of ProbeResult
        One per check, in :data:`CHECK_NAMES` order.

    Raises
    ------
    blindside.config.MissingApiKeyError
        When ``client`` is None and the endpoint's key variable is unset; raised
        before any request.
    """
    api_key = model.endpoint.api_key()  # raises MissingApiKeyError before any request
    own_client = client is None
    if client is None:
        # No SDK retries: the probe retries once itself and reports what it saw.
        client = AsyncOpenAI(
            base_url=base_url, api_key=api_key, timeout=model.endpoint.timeout_s, max_retries=0
        )
    prober = _Prober(model, client, [api_key])
    enabled = model.simulated if max_context is None else max_context
    checks: list[tuple[str, Callable[[], Awaitable[ProbeResult]]]] = [
        (SYSTEM_PROMPT, prober.system_prompt),
        (STREAMING, prober.streaming),
        (USAGE_IN_STREAM, prober.usage_in_stream),
        (USAGE_FIELDS, prober.usage_fields),
        (SEED, prober.seed),
        (JSON_MODE, prober.json_mode),
        (TOOL_CALLING, prober.tool_calling),
        (MAX_CONTEXT, lambda: prober.max_context(enabled, context_ladder)),
        (LATENCY, prober.latency),
    ]
    results: list[ProbeResult] = []
    unreachable: str | None = None
    try:
        for name, check in checks:
            if unreachable is not None and not (name == MAX_CONTEXT and not enabled):
                # Each would wait for the same timeout or get the same 401: don't repeat it.
                results.append(ProbeResult(name, "fails", f"not tried: {unreachable}"))
                continue
            start = time.perf_counter()
            try:
                results.append(await check())
            except Exception as exc:  # a check never stops the probe
                ms = (time.perf_counter() - start) * 1000
                results.append(ProbeResult(name, "fails", describe_error(exc, [api_key]), ms))
                if _blocks_endpoint(exc) and name != MAX_CONTEXT:
                    unreachable = f"{name} got {describe_error(exc, [api_key])}"
                    unreachable = _short(unreachable, 120)
    finally:
        if own_client:
            await client.close()
    return results


def probe_model(
    model: ModelConfig,
    settings: Settings,
    *,
    max_context: bool | None = None,
    context_ladder: Sequence[int] = DEFAULT_CONTEXT_LADDER,
) -> list[ProbeResult]:
    """Probe one configured model (``blindside probe MODEL``).

    Parameters
    ----------
    model : ModelConfig
        The model to probe.
    settings : Settings
        Where the demo provider is (``BLINDSIDE_DEMO_URL``, or a loopback
        server started for the probe).
    max_context : bool, optional
        See :func:`probe_model_async`; None runs the ladder only for simulated models.
    context_ladder : sequence of int
        Approximate prompt sizes in tokens for the max-context check.

    Returns
    -------
    list of ProbeResult

    Raises
    ------
    blindside.config.MissingApiKeyError
        If the endpoint's key variable is unset, before any request (and before
        a demo server is started).
    """
    from blindside.client.endpoints import endpoint_base_urls  # imports the demo app

    model.endpoint.api_key()  # fail fast, before any server or request
    with endpoint_base_urls([model.endpoint], settings) as urls:
        return asyncio.run(
            probe_model_async(
                model,
                urls[model.endpoint.name],
                max_context=max_context,
                context_ladder=context_ladder,
            )
        )


def format_probe_table(
    model: ModelConfig, results: Sequence[ProbeResult], *, base_url: str | None = None
) -> str:
    """An aligned plain-text table of probe results.

    Parameters
    ----------
    model : ModelConfig
        The probed model; the header shows its display name (simulated models
        say so), its ``model_id`` and the endpoint's host.
    results : sequence of ProbeResult
        From :func:`probe_model`.
    base_url : str, optional
        The URL actually probed; default: the endpoint's configured ``base_url``
        (demo endpoints have none and are shown as the built-in demo provider).

    Returns
    -------
    str
        Header line, column titles, one row per check, and a count per status.
    """
    url = base_url or model.endpoint.base_url
    host = (urlsplit(url).netloc or url) if url else "built-in demo provider"
    header = f"Probe of {model.display_name} (model_id {model.model_id!r}) at {host}"
    rows = [(r.check, r.status, "" if r.ms is None else f"{r.ms:.0f}", r.detail) for r in results]
    titles = ("check", "status", "ms", "detail")
    widths = [max(len(titles[i]), *(len(row[i]) for row in rows)) for i in range(3)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            [
                cells[0].ljust(widths[0]),
                cells[1].ljust(widths[1]),
                cells[2].rjust(widths[2]),
                cells[3],
            ]
        ).rstrip()

    counts = {s: sum(r.status == s for r in results) for s in ("ok", "differs", "fails", "skipped")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    out = [header, "", line(titles), line(["-" * w for w in widths] + ["-" * 6])]
    out += [line(row) for row in rows]
    out += ["", summary or "no checks"]
    return "\n".join(out)

"""The simulated models: how each one answers, how fast, how often it fails, what it supports.

The shipped profiles are data, in ``profiles.toml`` next to this module. Profiles
differ, on purpose, where a compatibility probe looks: system prompt,
usage in stream, ``seed``, JSON mode, tool calling and context window (see the
``DemoProfile`` capability fields).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from blindside.config.drift import DemoOverride

Style = Literal["reasoned", "terse", "padded", "chatty"]


@dataclass(frozen=True)
class DemoProfile:
    """How one simulated model behaves.

    Attributes
    ----------
    model_id : str
        Id served by ``/v1/models`` and expected in requests.
    description : str
        One line for product leads (never shown to raters).
    accuracy : float
        Probability that an answer with a reference is right.
    ttft_ms : float
        Mean time to first token, in milliseconds, before ``latency_scale``.
    ms_per_token : float
        Mean generation time per output token, in milliseconds.
    jitter : float
        Relative spread (+/-) applied to ``ttft_ms`` and per-chunk time.
    stall_rate : float
        Probability that the first token is delayed 2.5-5x (a long-tail stall).
    failure_rate : float
        Probability that one attempt fails with a 503 before any output.
    style : {"reasoned", "terse", "padded", "chatty"}
        How answers are written.
    supports_caching : bool
        Whether ``usage.prompt_tokens_details.cached_tokens`` reports cached
        system-prompt tokens.
    tokens_per_chunk : int
        Token-like pieces (up to 4 characters each) per streamed content chunk.
    context_tokens : int
        Context window: a request whose prompt tokens exceed it gets a 400
        ``context_length_exceeded``.
    supports_json_mode : bool
        Whether ``response_format`` ``json_object`` / ``json_schema`` makes the
        content a JSON object.
    tool_call_rate : float
        Probability of answering with a tool call when one is asked for
        (0: no tool support, the answer is text).
    follows_system : bool
        Whether system/developer messages are obeyed (``Reply with exactly: X``).
    honours_seed : bool
        Whether the request ``seed`` makes answers reproducible. When False the
        answer varies with each attempt of the same request instead.
    usage_in_stream : bool
        Whether ``stream_options.include_usage`` gets a final usage chunk.
    """

    model_id: str
    description: str
    accuracy: float
    ttft_ms: float
    ms_per_token: float
    jitter: float
    stall_rate: float
    failure_rate: float
    style: Style
    supports_caching: bool
    tokens_per_chunk: int = 3
    context_tokens: int = 128_000
    supports_json_mode: bool = True
    tool_call_rate: float = 1.0
    follows_system: bool = True
    honours_seed: bool = True
    usage_in_stream: bool = True


def _shipped_profiles() -> dict[str, DemoProfile]:
    """The profiles of ``profiles.toml`` (package data), by model id, in file order."""
    text = resources.files("blindside.demo").joinpath("profiles.toml").read_text("utf-8")
    return {p["model_id"]: DemoProfile(**p) for p in tomllib.loads(text)["profile"]}


#: The simulated models, by model id: careful, fast-cheap, verbose and erratic.
DEMO_PROFILES: dict[str, DemoProfile] = _shipped_profiles()

# Substrings that would identify a model or the simulator; never emitted from our own text
# and stripped from prompt words reused in composed answers.
IDENTIFYING_WORDS: tuple[str, ...] = (
    *DEMO_PROFILES,
    "careful",
    "fast",
    "cheap",
    "verbose",
    "erratic",
    "demo",
    "simulat",
    "blindside",
    "mock",
    "fake",
    "profile",
)


def overridden(profile: DemoProfile, override: DemoOverride) -> DemoProfile:
    """``profile`` changed as a model's ``demo`` table asks: how drift is simulated.

    ``latency_scale`` multiplies both the time to first token and the time per token,
    so the whole answer takes that much longer.
    """
    scale = override.latency_scale
    return dataclasses.replace(
        profile,
        accuracy=profile.accuracy if override.accuracy is None else override.accuracy,
        ttft_ms=profile.ttft_ms * scale,
        ms_per_token=profile.ms_per_token * scale,
        failure_rate=profile.failure_rate
        if override.failure_rate is None
        else override.failure_rate,
    )


def is_identifying(word: str) -> bool:
    """Whether ``word`` contains one of :data:`IDENTIFYING_WORDS` (case-insensitive)."""
    lowered = word.lower()
    return any(bad in lowered for bad in IDENTIFYING_WORDS)

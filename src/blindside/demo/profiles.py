"""The simulated models: how each one answers, how fast, how often it fails, what it supports.

Profiles differ, on purpose, where a compatibility probe looks: system prompt,
usage in stream, ``seed``, JSON mode, tool calling and context window (see the
``DemoProfile`` capability fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


DEMO_PROFILES: dict[str, DemoProfile] = {
    p.model_id: p
    for p in (
        DemoProfile(
            model_id="careful",
            description="Simulated: usually right (~92%), short reasoning before the answer, slow.",
            accuracy=0.92,
            ttft_ms=350.0,
            ms_per_token=25.0,
            jitter=0.15,
            stall_rate=0.0,
            failure_rate=0.0,
            style="reasoned",
            supports_caching=True,
            tokens_per_chunk=3,
            context_tokens=128_000,
        ),
        DemoProfile(
            model_id="fast-cheap",
            description="Simulated: terse, right ~70% of the time, very fast and cheap.",
            accuracy=0.70,
            ttft_ms=60.0,
            ms_per_token=4.0,
            jitter=0.20,
            stall_rate=0.0,
            failure_rate=0.0,
            style="terse",
            supports_caching=True,
            tokens_per_chunk=4,
            context_tokens=16_000,
            tool_call_rate=0.0,  # no tool support: answers in text
            usage_in_stream=False,  # ignores stream_options.include_usage
        ),
        DemoProfile(
            model_id="verbose",
            description="Simulated: right ~88% but padded with filler, medium speed.",
            accuracy=0.88,
            ttft_ms=180.0,
            ms_per_token=12.0,
            jitter=0.20,
            stall_rate=0.0,
            failure_rate=0.0,
            style="padded",
            supports_caching=False,
            tokens_per_chunk=3,
            context_tokens=32_000,
        ),
        DemoProfile(
            model_id="erratic",
            description=(
                "Simulated: right ~45%, often off-format, variable latency, ~3% 503 errors."
            ),
            accuracy=0.45,
            ttft_ms=200.0,
            ms_per_token=10.0,
            jitter=0.80,
            stall_rate=0.10,
            failure_rate=0.03,
            style="chatty",
            supports_caching=False,
            tokens_per_chunk=2,
            context_tokens=8_000,
            supports_json_mode=False,
            tool_call_rate=0.5,
            follows_system=False,
            honours_seed=False,
        ),
    )
}

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


def is_identifying(word: str) -> bool:
    """Whether ``word`` contains one of :data:`IDENTIFYING_WORDS` (case-insensitive)."""
    lowered = word.lower()
    return any(bad in lowered for bad in IDENTIFYING_WORDS)

"""Usage and cost accounting: the tokens and USD of one answer.

:func:`account_usage` reads a provider's ``usage`` object (or, when it sent
none, estimates the counts with :mod:`blindside.client.tokens`) and prices
it with :func:`cost_usd`. Pure functions, no I/O. Prices are USD per million
tokens (:class:`blindside.config.Pricing`), as providers publish them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from blindside.client.tokens import estimate_tokens, text_tokens
from blindside.config import ModelConfig, Pricing

__all__ = [
    "TOKENS_PER_PRICE_UNIT",
    "Usage",
    "account_usage",
    "batch_cost_usd",
    "cost_usd",
    "uncached_cost_usd",
]

#: Prices are quoted per this many tokens.
TOKENS_PER_PRICE_UNIT = 1_000_000


def _count(name: str, value: int) -> int:
    # bool is an int subclass; a True token count is a bug upstream, not 1 token
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if n < 0:
        raise ValueError(f"{name} must be >= 0, got {n}")
    return n


def cost_usd(
    pricing: Pricing,
    *,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    cache_write_tokens: int = 0,
) -> float:
    """Cost in USD of one request, as the provider bills it.

    Parameters
    ----------
    pricing : Pricing
        Prices in USD per million tokens.
    prompt_tokens : int
        All input tokens, cached and cache-written ones included (the OpenAI ``usage``
        convention: ``prompt_tokens_details.cached_tokens`` is a part of ``prompt_tokens``).
    cached_tokens : int
        Input tokens read from the prompt cache; clamped to ``prompt_tokens``
        because some providers report more cached than prompt tokens.
    completion_tokens : int
        Output tokens, reasoning tokens included.
    cache_write_tokens : int, default 0
        Input tokens written into the prompt cache (Anthropic-style caching), priced
        at ``cache_write``; clamped to what is left of ``prompt_tokens`` after the
        cached ones.

    Returns
    -------
    float
        ``((prompt - cached - written) * input + cached * cached_input
        + written * cache_write + completion * output) / 1e6``.

    Raises
    ------
    ValueError
        If a token count is negative.
    TypeError
        If a token count is not an integer.

    Examples
    --------
    >>> from blindside.config import Pricing
    >>> p = Pricing(input_per_mtok=3.0, cached_input_per_mtok=0.3, output_per_mtok=15.0)
    >>> round(cost_usd(p, prompt_tokens=1000, cached_tokens=0, completion_tokens=500), 6)
    0.0105
    """
    prompt = _count("prompt_tokens", prompt_tokens)
    cached = min(_count("cached_tokens", cached_tokens), prompt)
    written = min(_count("cache_write_tokens", cache_write_tokens), prompt - cached)
    completion = _count("completion_tokens", completion_tokens)
    micro_usd = (
        (prompt - cached - written) * pricing.input_per_mtok
        + cached * pricing.cached_input_per_mtok
        + written * float(pricing.cache_write_per_mtok or 0.0)
        + completion * pricing.output_per_mtok
    )
    return micro_usd / TOKENS_PER_PRICE_UNIT


def uncached_cost_usd(pricing: Pricing, *, prompt_tokens: int, completion_tokens: int) -> float:
    """What the same tokens would cost with no prompt cache: every input token at ``input``.

    The "no cache" figure beside a measured cost. Cost is linear in the token
    counts, so a sum of tokens over many answers gives the sum of their costs.

    Examples
    --------
    >>> from blindside.config import Pricing
    >>> p = Pricing(input_per_mtok=3.0, cached_input_per_mtok=0.3, output_per_mtok=15.0)
    >>> round(uncached_cost_usd(p, prompt_tokens=1000, completion_tokens=500), 6)
    0.0105
    """
    return cost_usd(
        pricing, prompt_tokens=prompt_tokens, cached_tokens=0, completion_tokens=completion_tokens
    )


def batch_cost_usd(cost: float, batch_discount: float) -> float:
    """A measured cost projected onto the provider's batch API: ``cost * (1 - discount)``.

    blindside sends ordinary requests, so no measured cost carries the discount;
    this is what the same answers would cost through the batch API.

    Raises
    ------
    ValueError
        If ``batch_discount`` is outside [0, 1).
    TypeError
        If ``batch_discount`` is not a number.

    Examples
    --------
    >>> batch_cost_usd(0.0105, 0.5)
    0.00525
    """
    if not (isinstance(batch_discount, int | float) and not isinstance(batch_discount, bool)):
        raise TypeError(f"batch_discount must be a number, got {batch_discount!r}")
    if not (math.isfinite(batch_discount) and 0.0 <= batch_discount < 1.0):
        raise ValueError(f"batch_discount must be in [0, 1), got {batch_discount!r}")
    return cost * (1.0 - batch_discount)


@dataclass(frozen=True)
class Usage:
    """Token counts and cost of one answer.

    Attributes
    ----------
    input_tokens : int
        Every input token, cached and cache-written ones included.
    cached_tokens : int
        Input tokens read from the prompt cache.
    output_tokens : int
        Output tokens, reasoning tokens included.
    reasoning_tokens : int or None
        None when the provider does not report them.
    cost_usd : float
    estimated : bool
        The provider sent no usage: the counts are :mod:`~blindside.client.tokens`
        estimates.
    cache_write_tokens : int
        Input tokens written into the prompt cache (0 when the provider does not say).
    """

    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int | None
    cost_usd: float
    estimated: bool = False
    cache_write_tokens: int = 0


def _cache_write_tokens(reported: Mapping[str, Any], prompt_details: Mapping[str, Any]) -> int:
    """Tokens written into the cache: OpenRouter's ``prompt_tokens_details.cache_write_tokens``,
    else Anthropic's ``cache_creation_input_tokens`` (passed on by LiteLLM)."""
    value = prompt_details.get("cache_write_tokens")
    if value is None:
        value = reported.get("cache_creation_input_tokens")
    return int(value or 0)


def account_usage(
    reported: Mapping[str, Any] | None,
    model: ModelConfig,
    *,
    messages: Sequence[Mapping[str, Any]],
    text: str,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> Usage:
    """Token counts and cost of one answer, from ``usage`` or, when a provider sent none, estimated.

    Parameters
    ----------
    reported : mapping or None
        The response's ``usage`` object as JSON (``prompt_tokens``,
        ``completion_tokens``, ``prompt_tokens_details.cached_tokens`` and
        ``cache_write_tokens`` or ``cache_creation_input_tokens``,
        ``completion_tokens_details.reasoning_tokens``).
    model : ModelConfig
        Its pricing, and its endpoint's convention: whether cached (and
        cache-written) tokens are counted inside ``prompt_tokens``.
    messages : sequence of mapping
        The request's messages, for an estimate of the input.
    text : str
        The answer, for an estimate of the output.
    tools : sequence of mapping, optional
        The request's tool definitions, which count as input.

    Returns
    -------
    Usage
    """
    endpoint = model.endpoint
    if reported is None:
        input_tokens = estimate_tokens(messages, 0, tools=tools)
        cached = written = 0
        output = text_tokens(text)
        reasoning = None
    else:
        prompt_details = reported.get("prompt_tokens_details") or {}
        completion_details = reported.get("completion_tokens_details") or {}
        cached = int(prompt_details.get("cached_tokens") or 0)
        written = _cache_write_tokens(reported, prompt_details)
        prompt = int(reported.get("prompt_tokens") or 0)
        # Some providers count cache reads and writes beside, not inside, the prompt tokens.
        input_tokens = prompt if endpoint.cached_tokens_in_prompt else prompt + cached + written
        output = int(reported.get("completion_tokens") or 0)
        value = completion_details.get("reasoning_tokens")
        reasoning = None if value is None else int(value)
    cost = cost_usd(
        model.pricing,
        prompt_tokens=input_tokens,
        cached_tokens=cached,
        completion_tokens=output,
        cache_write_tokens=written,
    )
    return Usage(
        input_tokens,
        cached,
        output,
        reasoning,
        cost,
        estimated=reported is None,
        cache_write_tokens=written,
    )

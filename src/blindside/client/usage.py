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

__all__ = ["TOKENS_PER_PRICE_UNIT", "Usage", "account_usage", "cost_usd"]

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
    batch_discount: float = 0.0,
) -> float:
    """Cost in USD of one request.

    Parameters
    ----------
    pricing : Pricing
        Prices in USD per million tokens.
    prompt_tokens : int
        All input tokens, cached ones included (the OpenAI ``usage`` convention:
        ``prompt_tokens_details.cached_tokens`` is a part of ``prompt_tokens``).
    cached_tokens : int
        Input tokens served from the prompt cache; clamped to ``prompt_tokens``
        because some providers report more cached than prompt tokens.
    completion_tokens : int
        Output tokens, reasoning tokens included.
    batch_discount : float, default 0.0
        Fraction in [0, 1) taken off the total, e.g. 0.5 for a provider's batch API.

    Returns
    -------
    float
        ``((prompt - cached) * input + cached * cached_input + completion * output)
        / 1e6 * (1 - batch_discount)``.

    Raises
    ------
    ValueError
        If a token count is negative or ``batch_discount`` is outside [0, 1).
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
    completion = _count("completion_tokens", completion_tokens)
    if not (isinstance(batch_discount, int | float) and not isinstance(batch_discount, bool)):
        raise TypeError(f"batch_discount must be a number, got {batch_discount!r}")
    if not (math.isfinite(batch_discount) and 0.0 <= batch_discount < 1.0):
        raise ValueError(f"batch_discount must be in [0, 1), got {batch_discount!r}")
    micro_usd = (
        (prompt - cached) * pricing.input_per_mtok
        + cached * pricing.cached_input_per_mtok
        + completion * pricing.output_per_mtok
    )
    return micro_usd / TOKENS_PER_PRICE_UNIT * (1.0 - batch_discount)


@dataclass(frozen=True)
class Usage:
    """Token counts and cost of one answer.

    Attributes
    ----------
    input_tokens : int
        Every input token, cached ones included.
    cached_tokens : int
        Input tokens served from the prompt cache.
    output_tokens : int
        Output tokens, reasoning tokens included.
    reasoning_tokens : int or None
        None when the provider does not report them.
    cost_usd : float
    estimated : bool
        The provider sent no usage: the counts are :mod:`~blindside.client.tokens`
        estimates.
    """

    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int | None
    cost_usd: float
    estimated: bool = False


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
        ``completion_tokens``, ``prompt_tokens_details.cached_tokens``,
        ``completion_tokens_details.reasoning_tokens``).
    model : ModelConfig
        Its pricing, and its endpoint's conventions: whether cached tokens are
        counted inside ``prompt_tokens`` and the batch discount.
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
        cached = 0
        output = text_tokens(text)
        reasoning = None
    else:
        prompt_details = reported.get("prompt_tokens_details") or {}
        completion_details = reported.get("completion_tokens_details") or {}
        cached = int(prompt_details.get("cached_tokens") or 0)
        prompt = int(reported.get("prompt_tokens") or 0)
        # Some providers count cached tokens beside, not inside, the prompt tokens.
        input_tokens = prompt if endpoint.cached_tokens_in_prompt else prompt + cached
        output = int(reported.get("completion_tokens") or 0)
        value = completion_details.get("reasoning_tokens")
        reasoning = None if value is None else int(value)
    cost = cost_usd(
        model.pricing,
        prompt_tokens=input_tokens,
        cached_tokens=cached,
        completion_tokens=output,
        batch_discount=endpoint.batch_discount,
    )
    return Usage(input_tokens, cached, output, reasoning, cost, estimated=reported is None)

"""Cost of a request from its token counts.

Pure functions, no I/O. Prices are USD per million tokens
(:class:`blindside.config.Pricing`), as providers publish them.
"""

from __future__ import annotations

import math
import operator

from blindside.config import Pricing

__all__ = ["TOKENS_PER_PRICE_UNIT", "cost_usd"]

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

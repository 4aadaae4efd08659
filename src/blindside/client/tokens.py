"""The package's one token estimate, for when a provider has not counted.

Before a request, the rate limiter's tokens-per-minute bucket and the budget
need its size; after it, a provider that sent no ``usage`` leaves the count
to us; the demo provider counts its own simulated tokens; the probe builds a
prompt of a given size. All of them use the rough rule of English text,
four characters per token, from here. Pure functions, no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "estimate_tokens",
    "max_output_tokens",
    "text_tokens",
]

#: Rough characters per token of English text.
CHARS_PER_TOKEN = 4

#: Output tokens assumed when a request sets no ``max_tokens``.
DEFAULT_MAX_OUTPUT_TOKENS = 512

# Roles, names and separators cost a few tokens per message (OpenAI counts ~3-4).
_TOKENS_PER_MESSAGE = 4


def text_tokens(text: str) -> int:
    """Estimated tokens of a text: ``ceil(len(text) / 4)``, 0 for an empty text.

    Examples
    --------
    >>> text_tokens("y" * 41)
    11
    """
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def max_output_tokens(params: Mapping[str, Any]) -> int | None:
    """The output cap request parameters set, if any.

    Parameters
    ----------
    params : mapping
        A model's request parameters (``max_completion_tokens`` wins over
        ``max_tokens``, as reasoning models use the former).

    Returns
    -------
    int or None
    """
    value = params.get("max_completion_tokens", params.get("max_tokens"))
    return int(value) if isinstance(value, int | float) else None


def _chars(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Sequence):
        # content parts: count the text of text parts, the JSON of the others
        total = 0
        for part in value:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                total += len(part["text"])
            else:
                total += _chars(part)
        return total
    return len(json.dumps(value, default=str))


def estimate_tokens(
    messages: Sequence[Mapping[str, Any]],
    max_output_tokens: int | None,
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Cheap upper-ish estimate of the tokens a request will use.

    Parameters
    ----------
    messages : sequence of mapping
        Chat messages; ``content`` may be a string or a list of content parts.
    max_output_tokens : int or None
        The request's ``max_tokens``; :data:`DEFAULT_MAX_OUTPUT_TOKENS` when None,
        and 0 for the prompt alone.
    tools : sequence of mapping, optional
        Tool definitions, which count as input.

    Returns
    -------
    int
        ``ceil(chars / 4)`` of the contents and tool calls, a few tokens per
        message, plus the output budget.
    """
    chars = 0
    for message in messages:
        chars += _chars(message.get("content"))
        chars += _chars(message.get("tool_calls"))
    chars += _chars(list(tools)) if tools else 0
    output = DEFAULT_MAX_OUTPUT_TOKENS if max_output_tokens is None else max(0, max_output_tokens)
    prompt = math.ceil(chars / CHARS_PER_TOKEN) + _TOKENS_PER_MESSAGE * len(messages)
    return prompt + output

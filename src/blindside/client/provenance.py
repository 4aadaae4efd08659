"""Where an answer's usage and cost came from, and its request id.

A provider's own ``usage`` is what it bills. A router in between may pass it
on, or make it up: a LiteLLM proxy whose upstream sent no usage counts the
tokens with its own tokenizer and reports them as usage, and nothing on the
wire says which of the two a client got. So every answer that came through a
recognised router is marked ``router``, one without any usage ``estimated``
(blindside counted, :mod:`blindside.client.tokens`), and the rest ``provider``.

Routers also report a cost of their own (LiteLLM's ``x-litellm-response-cost``
header, OpenRouter's ``usage.cost``); it is kept beside blindside's cost, which
stays tokens times the prices in models.toml. Pure functions, no I/O.

An imported answer (:mod:`blindside.imports`) made no request here: its
``usage_source`` stays None, and ``response.imported_from`` is the one mark that
its figures are the file's; the leaderboard counts it as ``imported``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "REQUEST_ID_HEADERS",
    "USAGE_SOURCES",
    "Provenance",
    "UsageSource",
    "provenance",
    "request_id",
]

UsageSource = Literal["provider", "router", "estimated"]
#: Every value of ``response.usage_source``.
USAGE_SOURCES: tuple[UsageSource, ...] = ("provider", "router", "estimated")

#: Response headers that carry a request id, in order of preference: the provider's
#: own, then the upstream's as a LiteLLM proxy forwards it, then the proxy's call id.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "llm_provider-x-request-id",
    "llm_provider-request-id",
    "x-litellm-call-id",
)
# A response with any of these headers came through a router that may make up usage.
_ROUTER_HEADER_PREFIXES = ("x-litellm-",)
_ROUTER_COST_HEADER = "x-litellm-response-cost"


@dataclass(frozen=True)
class Provenance:
    """Where one answer's figures came from.

    Attributes
    ----------
    usage_source : {"provider", "router", "estimated"}
    router_cost_usd : float or None
        What a router said the answer cost; None when it said nothing.
    request_id : str or None
    """

    usage_source: UsageSource
    router_cost_usd: float | None
    request_id: str | None


def _amount(value: Any) -> float | None:
    """A non-negative finite number from a header or JSON value, else None."""
    if isinstance(value, bool):
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return amount if math.isfinite(amount) and amount >= 0 else None


def request_id(headers: Mapping[str, str] | None) -> str | None:
    """The request id a response names (:data:`REQUEST_ID_HEADERS`), cut to 200 characters."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    for name in REQUEST_ID_HEADERS:
        value = lowered.get(name, "").strip()
        if value:
            return value[:200]
    return None


def provenance(reported: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> Provenance:
    """Where the usage of one answer came from, a router's cost, and the request id.

    Parameters
    ----------
    reported : mapping or None
        The response's ``usage`` object; None when it sent none.
    headers : mapping or None
        The response's headers (any case).

    Returns
    -------
    Provenance
        ``estimated`` without usage; ``router`` when a LiteLLM proxy answered
        (any ``x-litellm-*`` header); else ``provider``. The router's cost is
        ``x-litellm-response-cost``, else OpenRouter's ``usage.cost``.
    """
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    routed = any(name.startswith(_ROUTER_HEADER_PREFIXES) for name in lowered)
    if reported is None:
        source: UsageSource = "estimated"
    else:
        source = "router" if routed else "provider"
    cost = _amount(lowered.get(_ROUTER_COST_HEADER))
    if cost is None and reported is not None:
        cost = _amount(reported.get("cost"))
    return Provenance(source, cost, request_id(lowered))

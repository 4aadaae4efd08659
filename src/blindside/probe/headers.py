"""The probe's headers check: which configured headers went out, and which came back.

Routers and gateways authenticate and route by header (Portkey's
``x-portkey-api-key``, OpenRouter's ``HTTP-Referer``), and answer with request
ids and rate-limit headers. The check names every header the endpoint sends,
with the value of a plain one and ``***`` for a secret one, and lists the
response headers worth knowing: the request id, rate limits, a retry hint and
a router's cost.
"""

from __future__ import annotations

from collections.abc import Mapping

from blindside.client.redaction import redact
from blindside.config import EndpointConfig

__all__ = ["MASK", "describe_headers", "received_headers", "sent_headers"]

MASK = "***"
# Response headers a probe reports, by prefix of their lower-cased name.
_REPORTED_PREFIXES = (
    "x-request-id",
    "request-id",
    "x-ratelimit-",
    "ratelimit-",
    "retry-after",
    "llm_provider-x-ratelimit-",
    "x-litellm-response-cost",
    "x-litellm-model-api-base",
    "x-portkey-",
    "x-openrouter-",
)


def sent_headers(endpoint: EndpointConfig) -> list[str]:
    """``name=value`` for each plain header and ``name=***`` for each secret one."""
    shown = [f"{name}={value}" for name, value in endpoint.headers.items()]
    shown += [f"{name}={MASK}" for name in endpoint.headers_env]
    return shown


def received_headers(headers: Mapping[str, str]) -> list[str]:
    """``name=value`` for the response headers worth reporting, in name order."""
    return [
        f"{name}={value}"
        for name, value in sorted(headers.items())
        if name.lower().startswith(_REPORTED_PREFIXES)
    ]


def describe_headers(
    endpoint: EndpointConfig, response_headers: Mapping[str, str], secrets: list[str]
) -> str:
    """One line: what was sent (secret values masked) and what came back, redacted."""
    sent = sent_headers(endpoint)
    back = received_headers(response_headers)
    text = "sent " + (", ".join(sent) if sent else "no extra headers")
    text += "; got " + (", ".join(back) if back else "no request id or rate-limit headers")
    return redact(text, secrets)

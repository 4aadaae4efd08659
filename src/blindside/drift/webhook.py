"""Posting a rebench's summary to a webhook (Slack-compatible), keys from the environment.

A webhook address often is the key (Slack's carry a token in the path), so the
address may name an environment variable instead of being written out
(``env:SLACK_WEBHOOK_URL``), and a bearer token is only ever read from one. Neither
is stored, printed or written to a report: messages name the host alone.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


class WebhookError(Exception):
    """The webhook could not be resolved or did not accept the summary."""


def resolve_url(value: str, environ: Mapping[str, str] = os.environ) -> str:
    """The webhook address: ``value`` itself, or the variable ``env:NAME`` / ``$NAME`` names."""
    name = None
    if value.startswith("env:"):
        name = value[4:]
    elif value.startswith("${") and value.endswith("}"):
        name = value[2:-1]
    elif value.startswith("$"):
        name = value[1:]
    if name is not None:
        url = environ.get(name, "").strip()
        if not url:
            raise WebhookError(f"--webhook names ${name}, which is not set")
        value = url
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("--webhook must be an http(s) address, or env:NAME of one")
    return value


def host_of(url: str) -> str:
    """What messages say of a webhook: its host, never its path or query (the key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    token_env: str | None = None,
    environ: Mapping[str, str] = os.environ,
    timeout_s: float = 10.0,
) -> int:
    """POST ``payload`` as JSON; returns the HTTP status.

    Raises
    ------
    WebhookError
        On a connection failure or a status outside 2xx (the message names the host only).
    """
    headers = {"Content-Type": "application/json", "User-Agent": "blindside-rebench"}
    if token_env:
        token = environ.get(token_env, "").strip()
        if not token:
            raise WebhookError(f"--webhook-token-env names ${token_env}, which is not set")
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"webhook {host_of(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"webhook {host_of(url)} unreachable: {reason}") from None

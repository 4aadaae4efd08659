"""A probe's results: what each check found, its redacted error lines and the table.

Error details name the HTTP status and the provider's message and are
redacted: an API key is never printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import openai

from blindside.client.redaction import redact
from blindside.config import ModelConfig

__all__ = [
    "CHECK_NAMES",
    "ProbeResult",
    "ProbeStatus",
    "blocks_endpoint",
    "describe_error",
    "format_probe_table",
    "shorten",
    "snippet",
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
HEADERS = "headers"

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
    HEADERS,
)

# Details stay one short line in the table; answers are quoted as excerpts.
DETAIL_CHARS = 220
SNIPPET_CHARS = 60


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


def shorten(text: str, limit: int = DETAIL_CHARS) -> str:
    """The text on one line, cut with an ellipsis past ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snippet(text: str | None) -> str:
    """A short quoted excerpt of an answer, for a detail."""
    return repr(shorten(text or "", SNIPPET_CHARS))


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
    return shorten(redact(text, secret_values))


def blocks_endpoint(exc: BaseException) -> bool:
    """Errors that every later check would hit too: no connection, timeouts, bad key."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (401, 403)


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

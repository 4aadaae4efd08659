"""Remove API keys and secret header values from text before it is stored, printed or shown.

Providers sometimes quote the key they rejected in their error message, and
routers sometimes echo the request's headers, so every error text passes
through :func:`redact` on its way out. The values in use (the API key and the
``headers_env`` values, :meth:`blindside.config.EndpointConfig.secret_values`)
are removed wherever they appear; so is the value of any ``name: value`` or
``name=value`` whose name says it is a credential.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Shapes of common provider keys (OpenAI sk-, OpenRouter sk-or-, Fireworks fw_, Groq gsk_, ...).
_KEY_LIKE_RE = re.compile(r"\b(sk|pk|rk|or|fw|gsk|xai)[-_][A-Za-z0-9_\-*]{8,}")
_BEARER_RE = re.compile(r"(?i)\bbearer\s+\S+")
# "x-portkey-api-key: abc...", '"api_key": "abc..."', "token=abc...": the name stays.
_CREDENTIAL_FIELD_RE = re.compile(
    r"(?i)\b([\w-]*(?:api[-_]?key|token(?!s)|secret|password|authorization)[\w-]*[\"']?\s*[:=]\s*[\"']?)"
    r"(?!bearer\b)([^\s\"',;}]{8,})"
)
REDACTED = "[redacted]"


def redact(message: str, secret_values: Sequence[str] = ()) -> str:
    """The message without the known keys, key-like strings and bearer tokens.

    Parameters
    ----------
    message : str
        Text that may quote a key (an error message, a response body).
    secret_values : sequence of str
        The actual keys and secret header values in use; values shorter than 8
        characters (placeholders such as "not-needed") are not treated as secrets.

    Returns
    -------
    str
    """
    for secret in secret_values:
        if secret and len(secret) >= 8:
            message = message.replace(secret, REDACTED)
    message = _BEARER_RE.sub(f"Bearer {REDACTED}", message)
    message = _CREDENTIAL_FIELD_RE.sub(lambda m: m.group(1) + REDACTED, message)
    return _KEY_LIKE_RE.sub(REDACTED, message)

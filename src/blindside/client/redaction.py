"""Remove API keys from text before it is stored, printed or shown.

Providers sometimes quote the key they rejected in their error message, so
every error text passes through :func:`redact` on its way out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Shapes of common provider keys (OpenAI sk-, OpenRouter sk-or-, Fireworks fw_, Groq gsk_, ...).
_KEY_LIKE_RE = re.compile(r"\b(sk|pk|rk|or|fw|gsk|xai)[-_][A-Za-z0-9_\-*]{8,}")
_BEARER_RE = re.compile(r"(?i)\bbearer\s+\S+")
REDACTED = "[redacted]"


def redact(message: str, secret_values: Sequence[str] = ()) -> str:
    """The message without the known keys, key-like strings and bearer tokens.

    Parameters
    ----------
    message : str
        Text that may quote a key (an error message, a response body).
    secret_values : sequence of str
        The actual keys in use; values shorter than 8 characters (placeholders
        such as "not-needed") are not treated as secrets.

    Returns
    -------
    str
    """
    for secret in secret_values:
        if secret and len(secret) >= 8:
            message = message.replace(secret, REDACTED)
    message = _BEARER_RE.sub(f"Bearer {REDACTED}", message)
    return _KEY_LIKE_RE.sub(REDACTED, message)

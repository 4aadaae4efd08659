"""Secrets that must never be written anywhere, and models.toml entries that read them.

A test sets a :func:`sentinel` in an environment variable, names that variable in an
endpoint (:func:`keyed_endpoint`), lets blindside work, then searches everything it wrote
or printed for the sentinel.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping


def sentinel(prefix: str) -> str:
    """A fresh secret-shaped value to search for, e.g. ``sk-sentinel-<32 hex>`` for ``"sk"``."""
    return f"{prefix}-sentinel-{uuid.uuid4().hex}"


def keyed_endpoint(
    name: str,
    base_url: str,
    key_var: str,
    *,
    headers_env: Mapping[str, str] | None = None,
    max_attempts: int | None = None,
) -> str:
    """An ``[[endpoints]]`` entry whose key (and secret header values) come from variables."""
    lines = ["[[endpoints]]", f'name = "{name}"', f'base_url = "{base_url}"']
    lines.append(f'api_key_env = "{key_var}"')
    if headers_env:
        pairs = ", ".join(f'"{header}" = "{var}"' for header, var in headers_env.items())
        lines.append(f"headers_env = {{ {pairs} }}")
    if max_attempts is not None:
        lines.append(f"max_attempts = {max_attempts}")
    return "\n".join(lines) + "\n"


def priced_model(name: str, endpoint: str, model_id: str) -> str:
    """A ``[[models]]`` entry with a fixed price (USD 1 in, 2 out per million tokens)."""
    return (
        f'[[models]]\nname = "{name}"\nendpoint = "{endpoint}"\nmodel_id = "{model_id}"\n'
        "pricing = { input = 1.0, output = 2.0 }\n"
    )


def models_toml(*entries: str) -> str:
    """A models.toml of ``entries``, a blank line apart."""
    return "\n".join(entries)

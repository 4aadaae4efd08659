"""Validation of an endpoint's ``headers`` and ``headers_env`` tables.

``headers`` are sent as written: routers' provider and attribution headers
(``x-portkey-provider``, ``HTTP-Referer``, ``X-Title``). A header whose value is
a secret is never written in the file: ``headers_env`` names the environment
variable that holds it, as ``api_key_env`` does for the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from blindside.config.checker import Checker, toml_type

__all__ = ["check_headers"]

# RFC 9110 field names: a token.
_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names whose values are credentials: they belong in headers_env, never in the file.
# Compared with each dash- or underscore-separated part of the name, so that
# "x-portkey-api-key" is one and "x-portkey-provider" is not.
_SECRET_PARTS = frozenset(
    {"auth", "authorization", "key", "apikey", "token", "secret", "password", "cookie", "signature"}
)
# Set by the HTTP client for every request; a configured value would fight it.
_TRANSPORT_HEADERS = frozenset(
    {"content-length", "content-type", "host", "transfer-encoding", "connection"}
)


def _name_problem(name: str) -> str | None:
    if not _NAME_RE.match(name):
        return "is not a valid HTTP header name (letters, digits and -_.!#$%&'*+^`|~)"
    if name.lower() in _TRANSPORT_HEADERS:
        return "is set by the HTTP client itself"
    return None


def check_headers(
    ck: Checker, raw: dict[str, Any], where: str, at: Callable[..., int | None]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """The endpoint's plain headers and its secret headers' variables; None on problems.

    Parameters
    ----------
    ck : Checker
        Records each problem with its line and field (``headers.X-Title``).
    raw : dict
        The ``[[endpoints]]`` table.
    where : str
        How messages name the endpoint.
    at : callable
        The line of a key path in the entry (``at("headers", "X-Title")``).

    Returns
    -------
    tuple of (dict, dict) or None
        ``headers`` (name to value) and ``headers_env`` (name to variable).
    """
    before = len(ck.problems)
    tables: dict[str, dict[str, str]] = {"headers": {}, "headers_env": {}}
    seen: dict[str, str] = {}
    for key in tables:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            ck.add(at(key), key, f"{where}: '{key}' must be a table, got {toml_type(value)}")
            continue
        for name, item in value.items():
            fld = f"{key}.{name}"
            line = at(key, name) or at(key)
            problem = _name_problem(name)
            if problem is not None:
                ck.add(line, fld, f"{where}: header {name!r} {problem}")
                continue
            if name.lower() in seen:
                ck.add(line, fld, f"{where}: header {name!r} is also set in {seen[name.lower()]}")
                continue
            seen[name.lower()] = fld
            if not isinstance(item, str):
                ck.add(line, fld, f"{where}: '{fld}' must be a string, got {toml_type(item)}")
            elif key == "headers_env":
                if not _ENV_NAME_RE.match(item):
                    ck.add(
                        line,
                        fld,
                        f"{where}: '{fld}' must be the NAME of an environment variable "
                        f"(letters, digits, underscores, e.g. PORTKEY_API_KEY), got {item!r}",
                    )
                else:
                    tables[key][name] = item
            elif _SECRET_PARTS & set(re.split(r"[-_]", name.lower())):
                # The value is deliberately never echoed: it may be a real secret.
                ck.add(
                    line,
                    fld,
                    f"{where}: header {name!r} carries a credential, which must not be written "
                    f"in models.toml; put it in an environment variable and name it in "
                    f'headers_env (headers_env = {{ "{name}" = "MY_VARIABLE" }})',
                )
            elif any(c in item for c in "\r\n\0"):
                ck.add(line, fld, f"{where}: '{fld}' must be one line (no CR, LF or NUL)")
            else:
                tables[key][name] = item
    if len(ck.problems) > before:
        return None
    return tables["headers"], tables["headers_env"]

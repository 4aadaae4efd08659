"""A suite's settings file: a long context shared by every prompt of the suite.

Beside ``NAME.jsonl`` a suite may have ``NAME.toml``::

    [shared_context]
    file = "handbook.md"   # read relative to this file, UTF-8
    as = "system"          # or "user_prefix"

The file's text is placed first, byte-identical, in every request of the suite
(:meth:`blindside.suites.PromptSpec.chat_messages`), so a provider's prompt cache
serves it after the first request and cached-token pricing shows in the cost. The
settings are validated like the suite: every problem with file, line and field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blindside.config.locator import Locator
from blindside.errors import InputError, Problem
from blindside.json_values import json_kind

__all__ = ["SHARED_AS", "SharedContext", "load_suite_settings", "settings_path"]

#: Where the shared text goes: its own leading system message, or the start of the
#: first user message.
SHARED_AS: tuple[str, ...] = ("system", "user_prefix")
#: Between the shared text and the first user message's own text (``user_prefix``).
USER_PREFIX_SEPARATOR = "\n\n"

_TOP_KEYS = ("shared_context",)
_SHARED_KEYS = ("file", "as")
_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class SharedContext:
    """A long text every prompt of a suite starts with.

    Attributes
    ----------
    text : str
        The document or long system prompt, exactly as read (a BOM removed).
    placement : {"system", "user_prefix"}
        ``system``: a system message of its own, the first message of every request;
        ``user_prefix``: the start of the first user message, before the prompt's text.
    file : str
        The file the text came from, as the settings named it (for messages).
    """

    text: str
    placement: str
    file: str

    def apply(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """``messages`` with the shared text first (``messages`` is not changed)."""
        if self.placement == "system":
            return [{"role": "system", "content": self.text}, *messages]
        first, *rest = messages
        joined = self.text + USER_PREFIX_SEPARATOR + first["content"]
        return [{"role": first["role"], "content": joined}, *rest]


def settings_path(suite_path: Path) -> Path:
    """The settings file of the suite in ``suite_path``: the same stem, ``.toml``."""
    return suite_path.with_suffix(".toml")


def load_suite_settings(suite_path: Path) -> SharedContext | None:
    """Read and validate the settings beside a suite file, if there are any.

    Parameters
    ----------
    suite_path : pathlib.Path
        The suite's ``.jsonl`` file.

    Returns
    -------
    SharedContext or None
        None when there is no settings file or it sets no ``shared_context``.

    Raises
    ------
    InputError
        With every problem, each naming the settings file, line and field (a missing
        or unreadable context file, an unknown placement, unknown keys).
    """
    path = settings_path(suite_path)
    if not path.is_file():
        return None
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(file, None, "", f"cannot read the suite settings: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE_RE.search(str(exc))
        line = int(found.group(1)) if found else None
        message = _TOML_LINE_RE.sub("", str(exc)).strip()
        raise InputError.single(file, line, "", f"not valid TOML: {message}") from None
    loc = Locator(text)
    problems: list[Problem] = []

    def report(line: int | None, field_name: str, message: str) -> None:
        problems.append(Problem(file, line, field_name, message))

    for key in data:
        if key not in _TOP_KEYS:
            report(loc.top_level(key), key, _unknown(key, _TOP_KEYS))
    shared = _shared_context(data.get("shared_context"), path, loc, report)
    if problems:
        raise InputError(problems)
    return shared


def _shared_context(raw: Any, path: Path, loc: Locator, report: Any) -> SharedContext | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        report(
            loc.top_level("shared_context"),
            "shared_context",
            f'must be a table like {{file = "doc.md", as = "system"}}, got {_kind(raw)}',
        )
        return None

    def line(key: str) -> int | None:
        return loc.table_key("shared_context", key)

    ok = True
    for key in raw:
        if key not in _SHARED_KEYS:
            report(line(key), f"shared_context.{key}", _unknown(key, _SHARED_KEYS))
            ok = False
    placement = raw.get("as", "system")
    if placement not in SHARED_AS:
        got = repr(placement) if isinstance(placement, str) else _kind(placement)
        report(line("as"), "shared_context.as", f"must be one of system, user_prefix, got {got}")
        ok = False
    name = raw.get("file")
    if name is None:
        report(line("file"), "shared_context.file", "required key is missing (the text to share)")
        return None
    if not isinstance(name, str) or not name.strip():
        report(line("file"), "shared_context.file", "must be a non-empty string (a file name)")
        return None
    text = _read_context(path.parent / name, name, line("file"), report)
    if text is None or not ok:
        return None
    return SharedContext(text=text, placement=placement, file=name)


def _read_context(path: Path, name: str, line: int | None, report: Any) -> str | None:
    where = "shared_context.file"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report(line, where, f"file not found: {name} (looked in {path.parent})")
        return None
    except OSError as exc:
        report(line, where, f"cannot read {name}: {exc.strerror}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report(line, where, f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        return None
    if not text.strip():
        report(line, where, f"{name} is empty")
        return None
    return text


def _kind(value: Any) -> str:
    return (
        json_kind(value)
        if isinstance(value, str | int | float | bool | list | dict)
        else type(value).__name__
    )


def _unknown(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key{hint}"

"""What the demo app knows about the prompts of the suites, and how it reads chat messages.

The request only carries messages, so the app is given a ``knowledge`` mapping
from :func:`knowledge_key` of the last user message to that prompt's tier,
category, reference, scorer and offered tools (:func:`load_demo_knowledge`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DemoKnowledge:
    """What the demo app knows about one prompt of a suite.

    Attributes
    ----------
    tier : int
        Suite tier (1 reasoning, 2 creative, 3 high-volume); 0 when unknown.
    category : str
        Prompt category ("" when unknown).
    reference : str or None
        Reference answer; None for open-ended prompts.
    scorer : dict or None
        Scorer spec from the suite (``type`` and its options), if any.
    tools : tuple of str
        Names of the functions the suite line offers as ``tools``; the prompt
        expects one of them to be called.
    """

    tier: int
    category: str
    reference: str | None
    scorer: dict[str, Any] | None = field(default=None, hash=False)
    tools: tuple[str, ...] = ()


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def knowledge_key(text: str) -> str:
    """Key under which a prompt is known, from the content of its last user message.

    The key is the sha256 hex digest (64 characters) of the whitespace-normalised
    text, so a prompt keeps its key however its lines are wrapped.
    """
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def message_text(content: Any) -> str:
    """Plain text of a chat message ``content`` (string, list of parts, or None)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Text of the last ``user`` message (or of the last message if none is from a user)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return message_text(messages[-1].get("content")) if messages else ""


def _knowledge_from_line(obj: Any) -> tuple[str, DemoKnowledge] | None:
    """Key and knowledge for one parsed suite line, or None when it is unusable."""
    if not isinstance(obj, dict):
        return None
    text = obj.get("text")
    if not isinstance(text, str):
        messages = obj.get("messages")
        if not isinstance(messages, list) or not messages:
            return None
        if not all(isinstance(m, dict) for m in messages):
            return None
        text = last_user_text(messages)
    if not text.strip():
        return None
    try:
        tier = int(obj.get("tier", 0))
    except (TypeError, ValueError):
        tier = 0
    category = obj.get("category")
    reference = obj.get("reference")
    if reference is not None and not isinstance(reference, str):
        # A JSON reference given as an object is still usable: keep its JSON text.
        reference = json.dumps(reference) if isinstance(reference, dict | list) else str(reference)
    scorer = obj.get("scorer")
    return knowledge_key(text), DemoKnowledge(
        tier=tier,
        category=category if isinstance(category, str) else "",
        reference=reference,
        scorer=scorer if isinstance(scorer, dict) else None,
        tools=tuple(tool_names(obj.get("tools"))),
    )


def function_tools(tools: Any) -> list[Mapping[str, Any]]:
    """The ``function`` objects of a ``tools`` array (suite line or request) that have a name.

    Parameters
    ----------
    tools : any
        The ``tools`` value as sent or written.

    Returns
    -------
    list of mapping
        One per entry with a ``function.name``; entries without one are
        skipped, and anything but an array gives none.
    """
    if not isinstance(tools, list | tuple):
        return []
    functions = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            functions.append(function)
    return functions


def tool_names(tools: Any) -> list[str]:
    """Function names of a ``tools`` array (suite line or request), skipping bad entries."""
    return [function["name"] for function in function_tools(tools)]


def load_demo_knowledge(paths: Iterable[Path]) -> dict[str, DemoKnowledge]:
    """Read prompt-suite JSONL files leniently into a knowledge mapping.

    Unreadable files, bad JSON lines and lines without a usable prompt are
    skipped: the demo should answer something rather than fail. A directory is
    read as all of its ``*.jsonl`` files, sorted. Later lines win on duplicates.

    Parameters
    ----------
    paths : iterable of Path
        Suite files (``*.jsonl``) or directories holding them.

    Returns
    -------
    dict of str to DemoKnowledge
        Keyed by :func:`knowledge_key` of each prompt's (last user) text.
    """
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    knowledge: dict[str, DemoKnowledge] = {}
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = _knowledge_from_line(json.loads(line))
            except ValueError:
                continue
            if entry is not None:
                knowledge[entry[0]] = entry[1]
    return knowledge

"""What a valid suite is: its prompts' fields and the values they may take."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blindside.suites.shared import SharedContext

__all__ = ["PROMPT_FIELDS", "ROLES", "TIERS", "PromptSpec", "SuiteSpec"]

TIERS: tuple[int, ...] = (1, 2, 3)
"""Valid values of ``tier``: 1 high-stakes, 2 creative, 3 high-volume."""

ROLES: tuple[str, ...] = ("system", "user", "assistant")
"""Valid ``role`` values of an entry of ``messages``."""

PROMPT_FIELDS: tuple[str, ...] = (
    "id",
    "tier",
    "category",
    "text",
    "messages",
    "system",
    "reference",
    "scorer",
    "tools",
    "meta",
)
"""Every field a prompt line may have."""


@dataclass(frozen=True)
class PromptSpec:
    """One validated prompt of a suite.

    Attributes
    ----------
    external_id : str
        The ``id`` of the line, unique within its suite.
    tier : int
        1 (high-stakes reasoning), 2 (creative) or 3 (high-volume).
    category : str
        Free-form category used to cut results, e.g. ``"contract_review"``.
    text : str or None
        The user prompt; None when ``messages`` is given.
    messages : tuple of dict or None
        A conversation of ``{"role", "content"}`` dicts ending with a user
        message; None when ``text`` is given.
    system : str or None
        System prompt sent before ``text`` or ``messages``.
    reference : str or None
        The expected answer (label, number, JSON document or model answer).
    scorer : dict or None
        Scorer definition, e.g. ``{"type": "numeric", "tolerance": 0.01}``.
    tools : list of dict or None
        OpenAI tool definitions, sent as given.
    meta : dict
        Free-form metadata (empty when absent).
    line : int
        1-based line of the prompt in its file.
    shared : SharedContext or None
        The suite's shared context (its settings file), placed first in every request.
    """

    external_id: str
    tier: int
    category: str
    text: str | None
    messages: tuple[dict[str, str], ...] | None
    system: str | None
    reference: str | None
    scorer: dict[str, Any] | None
    tools: list[dict[str, Any]] | None
    meta: dict[str, Any]
    line: int
    shared: SharedContext | None = None

    def chat_messages(self) -> list[dict[str, str]]:
        """Build the ``messages`` argument of ``chat.completions.create``.

        Returns
        -------
        list of dict
            The system prompt (if any) followed by ``text`` as a user message,
            or followed by a copy of ``messages``; the suite's shared context
            first of all (:meth:`SharedContext.apply`). Fresh dicts on every
            call, so callers may mutate them.
        """
        out: list[dict[str, str]] = []
        if self.system is not None:
            out.append({"role": "system", "content": self.system})
        if self.messages is None:
            out.append({"role": "user", "content": self.text if self.text is not None else ""})
        else:
            out.extend(dict(message) for message in self.messages)
        return out if self.shared is None else self.shared.apply(out)

    @property
    def display_text(self) -> str:
        """What a rater reads: ``text``, or the conversation as lines.

        Returns
        -------
        str
            ``text`` as is, or one ``"role: content"`` line per message. The
            ``system`` field is not included; pages may show it separately.
        """
        if self.messages is None:
            return self.text if self.text is not None else ""
        return "\n".join(f"{m['role']}: {m['content']}" for m in self.messages)


@dataclass(frozen=True)
class SuiteSpec:
    """A validated suite: its name, its file and its prompts in file order.

    Attributes
    ----------
    name : str
        Suite name (the file stem).
    path : pathlib.Path
        File the suite was read from.
    prompts : tuple of PromptSpec
        Prompts in file order; never empty.
    shared : SharedContext or None
        The context every prompt shares (``NAME.toml`` beside the file), if any.
    """

    name: str
    path: Path
    prompts: tuple[PromptSpec, ...]
    shared: SharedContext | None = None

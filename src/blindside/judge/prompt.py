"""What the judge reads and how its reply is read: the prompt, and a strict verdict parser.

The judge sees the prompt (system instructions and turns) and two answers labelled A and
B, and is told to end with one line ``Verdict: A``, ``Verdict: B``, ``Verdict: tie`` or
``Verdict: both bad``. :func:`parse_verdict` reads only that last line: anything else is
a parse failure, recorded as such and never guessed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PROMPT_VERSION",
    "Verdict",
    "judge_messages",
    "parse_verdict",
    "rubric_hash",
]

#: Changes whenever the wording below changes, so that a new wording is a new judge run.
PROMPT_VERSION = "judge-v1"

_INSTRUCTIONS = """You are an impartial judge. You compare two answers, A and B, to the same \
prompt and decide which one is better.

Rubric:
{rubric}

Judge the content only: the order of the answers and their length say nothing about their \
quality by themselves. Explain your reasoning in a few sentences. Then end your reply with \
exactly one final line, which must be one of:
Verdict: A
Verdict: B
Verdict: tie
Verdict: both bad"""

# The final line: "Verdict:" and one of the four words, any case, an optional full stop.
_VERDICT_LINE = re.compile(r"^verdict:[ \t]*(a|b|tie|both bad)[ \t]*\.?$", re.IGNORECASE)
_CHOICE = {"a": "left", "b": "right", "tie": "tie", "both bad": "both_bad"}


@dataclass(frozen=True)
class Verdict:
    """A parsed reply: the choice in the votes' vocabulary, or why there is none.

    Attributes
    ----------
    choice : str or None
        ``left`` (answer A, shown first), ``right`` (B), ``tie`` or ``both_bad``; None on
        a parse failure.
    error : str or None
        Why the reply did not parse; None when it did.
    """

    choice: str | None
    error: str | None = None


def parse_verdict(reply: str | None) -> Verdict:
    """Read the verdict from the last non-blank line of a judge's reply, strictly.

    Parameters
    ----------
    reply : str or None
        The judge's whole reply.

    Returns
    -------
    Verdict
        The choice, or a parse failure that says what the last line was.
    """
    lines = [line.strip() for line in (reply or "").splitlines() if line.strip()]
    if not lines:
        return Verdict(None, "empty reply")
    match = _VERDICT_LINE.match(lines[-1])
    if match is None:
        shown = lines[-1] if len(lines[-1]) <= 80 else lines[-1][:77] + "..."
        return Verdict(None, f"the last line is not 'Verdict: A|B|tie|both bad': {shown!r}")
    return Verdict(_CHOICE[match.group(1).lower()])


def _render_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """The prompt's messages as tagged blocks: ``<system>`` and ``<turn role="...">``."""
    parts = []
    for message in messages:
        role = str(message.get("role", "user"))
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        if role in ("system", "developer"):
            parts.append(f"<system>\n{text}\n</system>")
        else:
            parts.append(f'<turn role="{role}">\n{text}\n</turn>')
    return "\n".join(parts)


def judge_messages(
    rubric: str, messages: Sequence[Mapping[str, Any]], answer_a: str, answer_b: str
) -> list[dict[str, str]]:
    """The chat messages sent to a judge for one pair in one order.

    Parameters
    ----------
    rubric : str
        The tier's rubric (:func:`blindside.config.rubrics.rubric_for`).
    messages : sequence of mapping
        The prompt as sent to the models (``Prompt.messages``).
    answer_a, answer_b : str
        The answer shown first (A) and second (B).

    Returns
    -------
    list of dict
        A system message with the instructions and rubric, and a user message with the
        prompt and both answers.
    """
    user = (
        f"<prompt>\n{_render_prompt(messages)}\n</prompt>\n\n"
        f"<answer_a>\n{answer_a}\n</answer_a>\n\n"
        f"<answer_b>\n{answer_b}\n</answer_b>"
    )
    return [
        {"role": "system", "content": _INSTRUCTIONS.format(rubric=rubric)},
        {"role": "user", "content": user},
    ]


def rubric_hash(rubrics: Mapping[int, str]) -> str:
    """Identity of what a judge was asked: the prompt's version and each tier's rubric."""
    payload = json.dumps({"version": PROMPT_VERSION, "rubrics": sorted(rubrics.items())})
    return hashlib.sha256(payload.encode()).hexdigest()

"""Vote records from other arenas and from blindside's own export, checked one by one.

Two formats, told apart per record:

- **Arena** (LMArena's battles, the format :mod:`blindside.arena` ranks): ``model_a``,
  ``model_b``, ``winner`` (``model_a``, ``model_b``, ``tie``, ``tie (bothbad)``), and the
  conversations ``conversation_a`` and ``conversation_b`` (``{role, content}`` lists ending
  with each model's answer). The prompt is ``conversation_a`` without its last answer;
  ``judge`` names the rater and ``tstamp`` (Unix seconds) the time, when present. ``model_a``
  is taken as the answer shown on the left, as LMArena shows it.
- **blindside's export** (:mod:`blindside.export`; a record with ``answer_a``): ``model_a`` is
  the left answer, ``choice`` the rater's click, ``prompt_id``, ``suite``, ``tier``,
  ``category``, ``system``, ``prompt`` and ``reference`` the prompt, ``rater`` the rater,
  ``created_at`` the time, with each answer's latency and cost.

Fields these do not use are ignored: both formats carry more than a vote needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blindside.arena import WINNERS
from blindside.errors import Problem
from blindside.imports.answers import prompt_from_text
from blindside.imports.fields import Fields
from blindside.imports.records import Record, file_format, read_records
from blindside.json_values import show
from blindside.suites import PromptSpec
from blindside.suites.lines import parse_line
from blindside.tables import VOTE_CHOICES

__all__ = ["CHOICE_OF_WINNER", "VoteDefaults", "VoteRow", "vote_records"]

#: The vote choice of each arena ``winner``, with ``model_a`` on the left.
CHOICE_OF_WINNER = {
    "model_a": "left",
    "model_b": "right",
    "tie": "tie",
    "tie (bothbad)": "both_bad",
}
assert set(CHOICE_OF_WINNER) == set(WINNERS)


@dataclass(frozen=True)
class VoteDefaults:
    """``--suite``, ``--tier`` and ``--category`` for records that do not say them."""

    suite: str | None = None
    tier: int = 2
    category: str = "arena"


@dataclass(frozen=True)
class VoteRow:
    """One imported vote, checked: the prompt, both answers by side, the verdict, the rater."""

    line: int
    suite: str
    prompt: PromptSpec
    left_model: str
    right_model: str
    left_text: str
    right_text: str
    choice: str
    rater: str
    created_at: datetime | None = None
    flagged: bool = False
    comment: str | None = None
    dwell_ms: int | None = None
    # latency_ms and cost_usd of each side, when the file has them.
    left_measures: dict[str, float | None] = field(default_factory=dict)
    right_measures: dict[str, float | None] = field(default_factory=dict)


def _model(fields: Fields, name: str) -> str | None:
    value = fields.text(name, required=True)
    return value.strip() if value is not None else None


def _winner_choice(fields: Fields) -> str | None:
    winner = fields.record.values.get("winner")
    if winner not in CHOICE_OF_WINNER:
        fields.report("winner", f"must be one of {', '.join(WINNERS)}, got {show(winner)}")
        return None
    return CHOICE_OF_WINNER[winner]


def _answer(conversation: Any, fields: Fields, name: str) -> tuple[list[Any], str] | None:
    """The messages before the last one, and the last one's text (the model's answer)."""
    if not isinstance(conversation, list) or len(conversation) < 2:
        fields.report(
            name, "must be the conversation: [{role, content}, ...] ending with an answer"
        )
        return None
    last = conversation[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        fields.report(name, "the last message must be the model's answer (role assistant)")
        return None
    content = last.get("content")
    if not isinstance(content, str) or not content.strip():
        fields.report(f"{name}[{len(conversation) - 1}].content", "must be the answer's text")
        return None
    return conversation[:-1], content


def _arena_row(file: str, record: Record, defaults: VoteDefaults) -> VoteRow | list[Problem]:
    fields = Fields(file, record)
    left, right = _model(fields, "model_a"), _model(fields, "model_b")
    choice = _winner_choice(fields)
    values = record.values
    for name in ("conversation_a", "conversation_b"):
        if name not in values:
            fields.report(
                name,
                "required field is missing: votes are stored on the answers they compare "
                "(to rank a file without them, use blindside rank --votes)",
            )
    if fields.problems:
        return fields.problems
    side_a = _answer(fields.json_value("conversation_a"), fields, "conversation_a")
    side_b = _answer(fields.json_value("conversation_b"), fields, "conversation_b")
    if side_a is None or side_b is None:
        return fields.problems
    if left == right:
        fields.report("model_b", f"same model on both sides ({left})")
    asked = [m.get("content") for m in side_a[0] if isinstance(m, dict) and m.get("role") == "user"]
    asked_b = [
        m.get("content") for m in side_b[0] if isinstance(m, dict) and m.get("role") == "user"
    ]
    if asked != asked_b:
        fields.report("conversation_b", "asks something else than conversation_a")
    created_at = None
    stamp = fields.number("tstamp")
    if stamp is not None:
        created_at = datetime.fromtimestamp(stamp, UTC)
    rater = fields.text("judge") or ""
    if fields.problems:
        return fields.problems
    line_object = {"tier": defaults.tier, "category": defaults.category, "messages": side_a[0]}

    def rename(name: str) -> str:
        return name.replace("messages", "conversation_a")

    prompt, problems = prompt_from_text(line_object, record.line, file, rename)
    if prompt is None:
        return problems
    assert left is not None and right is not None and choice is not None
    return VoteRow(
        line=record.line,
        suite=defaults.suite or "arena",
        prompt=prompt,
        left_model=left,
        right_model=right,
        left_text=side_a[1],
        right_text=side_b[1],
        choice=choice,
        rater=rater,
        created_at=created_at,
    )


def _export_row(file: str, record: Record, defaults: VoteDefaults) -> VoteRow | list[Problem]:
    fields = Fields(file, record)
    values = record.values
    left, right = _model(fields, "model_a"), _model(fields, "model_b")
    left_text = fields.text("answer_a", required=True)
    right_text = fields.text("answer_b", required=True)
    choice = values.get("choice")
    if choice is None:
        choice = _winner_choice(fields)
    elif choice not in VOTE_CHOICES:
        fields.report("choice", f"must be one of {', '.join(VOTE_CHOICES)}, got {show(choice)}")
    suite = defaults.suite or fields.text("suite", required=True)
    rater = fields.text("rater") or ""
    created_at = None
    if values.get("created_at") is not None:
        try:
            created_at = datetime.fromisoformat(str(values["created_at"]))
        except ValueError:
            fields.report(
                "created_at", f"must be an ISO 8601 time, got {show(values['created_at'])}"
            )
        else:
            if created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=UTC)
    flagged = values.get("flagged") in (True, "true", "True", "1")
    comment = fields.text("comment")
    dwell_ms = fields.count("dwell_ms")
    measures = {
        side: {name: fields.number(f"{name}_{side}") for name in ("latency_ms", "cost_usd")}
        for side in ("a", "b")
    }
    tier = fields.count("tier", default=defaults.tier)
    line_object = {
        "id": fields.text("prompt_id", required=True),
        "tier": tier,
        "category": values.get("category") or defaults.category,
        "text": values.get("prompt"),
        "system": values.get("system") or None,
        "reference": values.get("reference") or None,
    }
    if fields.problems:
        return fields.problems
    prompt, _, problems = parse_line(json.dumps(line_object), record.line, file)
    if prompt is None or problems:
        return [
            p if p.field != "text" else Problem(p.file, p.line, "prompt", p.message)
            for p in problems
        ]
    assert left and right and left_text and right_text and suite
    if left == right:
        return [Problem(file, record.line, "model_b", f"same model on both sides ({left})")]
    return VoteRow(
        line=record.line,
        suite=suite,
        prompt=prompt,
        left_model=left,
        right_model=right,
        left_text=left_text,
        right_text=right_text,
        choice=str(choice),
        rater=rater,
        created_at=created_at,
        flagged=flagged,
        comment=comment,
        dwell_ms=dwell_ms,
        left_measures=measures["a"],
        right_measures=measures["b"],
    )


def vote_records(
    path: str | Path, defaults: VoteDefaults, *, fmt: str | None = None
) -> Iterator[VoteRow | Problem]:
    """The votes of an arena or export file (JSONL or CSV), each checked."""
    file = str(path)
    for item in read_records(path, file_format(path, fmt)):
        if isinstance(item, Problem):
            yield item
            continue
        is_export = "answer_a" in item.values or "vote_id" in item.values
        row = (_export_row if is_export else _arena_row)(file, item, defaults)
        if isinstance(row, list):
            yield from row
        else:
            yield row

"""The record of each export format, made from a labelled-pair tuple.

- ``labelled`` (``jsonl``, ``csv``, ``parquet``): every field of
  :data:`~blindside.export.records.EXPORT_FIELDS`.
- ``arena``: LMArena's battle record (``model_a`` is the **left** answer; ``left_model``
  says so in each record), with both conversations as chat messages.
- ``preference``: ``prompt``, ``chosen``, ``rejected`` for DPO and reward-model training;
  ties and "both bad" are left out unless asked for, and then say so in ``outcome``.

Every format carries the screen position (``left_model``) and the impression id.
"""

from __future__ import annotations

import json
from typing import Any

from blindside.export.records import EXPORT_FIELDS, iso_time

__all__ = [
    "ARENA_FIELDS",
    "PREFERENCE_FIELDS",
    "PREFERRED_CHOICES",
    "arena_record",
    "labelled_record",
    "preference_record",
]

_AT = {name: i for i, name in enumerate(EXPORT_FIELDS)}

#: Fields of an arena record, in order.
ARENA_FIELDS: tuple[str, ...] = (
    "question_id",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "conversation_a",
    "conversation_b",
    "turn",
    "anony",
    "tstamp",
    "left_model",
    "impression_id",
    "vote_id",
    "tier",
    "suite",
    "prompt_id",
)

#: Fields of a preference record, in order.
PREFERENCE_FIELDS: tuple[str, ...] = (
    "prompt",
    "chosen",
    "rejected",
    "system",
    "chosen_model",
    "rejected_model",
    "left_model",
    "outcome",
    "rater",
    "vote_id",
    "impression_id",
    "created_at",
    "tier",
    "suite",
    "prompt_id",
)

#: The choices that name a better answer; ``tie`` and ``both_bad`` do not.
PREFERRED_CHOICES: tuple[str, ...] = ("left", "right")

#: A preference record's ``outcome`` for each choice.
_OUTCOME = {"left": "preferred", "right": "preferred", "tie": "tie", "both_bad": "both_bad"}


def labelled_record(row: tuple[Any, ...]) -> dict[str, Any]:
    """A labelled pair as a JSON-ready dict (``created_at`` as ISO 8601 text)."""
    record = dict(zip(EXPORT_FIELDS, row[: len(EXPORT_FIELDS)], strict=True))
    record["created_at"] = iso_time(record["created_at"])
    return record


def _conversation(messages: list[dict[str, Any]], answer: str) -> list[dict[str, Any]]:
    return [*messages, {"role": "assistant", "content": answer}]


def arena_record(row: tuple[Any, ...]) -> dict[str, Any]:
    """An arena battle from a labelled tuple that carries the prompt's messages last."""
    messages = json.loads(row[len(EXPORT_FIELDS)])
    return {
        "question_id": f"{row[_AT['suite']]}/{row[_AT['prompt_id']]}",
        "model_a": row[_AT["model_a"]],
        "model_b": row[_AT["model_b"]],
        "winner": row[_AT["winner"]],
        "judge": row[_AT["rater"]],
        "conversation_a": _conversation(messages, row[_AT["answer_a"]]),
        "conversation_b": _conversation(messages, row[_AT["answer_b"]]),
        "turn": sum(1 for m in messages if m.get("role") == "user"),
        "anony": True,
        "tstamp": round(row[_AT["created_at"]].timestamp(), 3),
        "left_model": row[_AT["left_model"]],
        "impression_id": row[_AT["impression_id"]],
        "vote_id": row[_AT["vote_id"]],
        "tier": row[_AT["tier"]],
        "suite": row[_AT["suite"]],
        "prompt_id": row[_AT["prompt_id"]],
    }


def preference_record(row: tuple[Any, ...]) -> dict[str, Any]:
    """A (prompt, chosen, rejected) record; a tie keeps the left answer as ``chosen``."""
    choice = row[_AT["choice"]]
    a, b = ("a", "b") if choice != "right" else ("b", "a")
    return {
        "prompt": row[_AT["prompt"]],
        "chosen": row[_AT[f"answer_{a}"]],
        "rejected": row[_AT[f"answer_{b}"]],
        "system": row[_AT["system"]],
        "chosen_model": row[_AT[f"model_{a}"]],
        "rejected_model": row[_AT[f"model_{b}"]],
        "left_model": row[_AT["left_model"]],
        "outcome": _OUTCOME[choice],
        "rater": row[_AT["rater"]],
        "vote_id": row[_AT["vote_id"]],
        "impression_id": row[_AT["impression_id"]],
        "created_at": iso_time(row[_AT["created_at"]]),
        "tier": row[_AT["tier"]],
        "suite": row[_AT["suite"]],
        "prompt_id": row[_AT["prompt_id"]],
    }

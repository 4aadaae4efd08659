"""Answers made by any pipeline: what an imported answer is, and the generic format.

A generic record (a JSON line, or a CSV row under a header) names its prompt by
``prompt_id`` (a prompt already in the suite) or by its text (``prompt``, or a
``messages`` conversation, with an optional ``system``, ``reference``, ``tier``
and ``category``), the ``model`` (or ``--model``), the ``answer``, and optionally
``sample``, ``latency_ms``, ``ttft_ms``, ``input_tokens``, ``output_tokens`` and
``cost_usd``. A missing measurement stays missing (NULL): it is never a zero.

A prompt given by its text is checked by :func:`blindside.suites.lines.parse_line`,
like a suite line, and is known by a hash of what is sent to a model (system and
turns), so two files answering the same prompt join one prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from blindside.errors import Problem
from blindside.imports.fields import Fields
from blindside.imports.records import Record, file_format, read_records
from blindside.suites import PromptSpec
from blindside.suites.lines import parse_line

__all__ = [
    "ANSWER_FIELDS",
    "AnswerDefaults",
    "AnswerRow",
    "generic_answers",
    "prompt_from_text",
    "prompt_key",
]

#: Every field of a generic answer record.
ANSWER_FIELDS: tuple[str, ...] = (
    "prompt_id",
    "prompt",
    "messages",
    "system",
    "reference",
    "tier",
    "category",
    "model",
    "answer",
    "sample",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)

_LM_EVAL_HINT = "unknown field; an lm-eval --log_samples file? use --format lm-eval"


@dataclass(frozen=True)
class AnswerDefaults:
    """What the command line says for records that do not say it themselves.

    Attributes
    ----------
    model : str or None
        ``--model``: the model of records without one.
    tier : int
        ``--tier`` of prompts created from their text.
    category : str or None
        ``--category`` of prompts created from their text (lm-eval: the task).
    scorer : dict or None
        ``--scorer`` of prompts created from their text, checked against each
        prompt's reference like a suite line's scorer.
    """

    model: str | None = None
    tier: int = 2
    category: str | None = None
    scorer: dict[str, Any] | None = None


@dataclass(frozen=True)
class AnswerRow:
    """One imported answer, checked.

    Exactly one of ``prompt_id`` (a prompt already in the suite) and ``prompt``
    (a prompt given by its text, added to the suite when new) is set.
    """

    line: int
    model: str
    sample: int
    text: str
    prompt_id: str | None = None
    prompt: PromptSpec | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


def prompt_key(messages: list[dict[str, Any]]) -> str:
    """The id of a prompt given by its text: a hash of what is sent to the model."""
    canonical = json.dumps(messages, sort_keys=True, ensure_ascii=False)
    return "imported-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def prompt_from_text(
    line_object: dict[str, Any],
    line: int,
    file: str,
    rename: Callable[[str], str] = lambda field: field,
) -> tuple[PromptSpec | None, list[Problem]]:
    """A prompt from a suite line's fields (no ``id``: it is :func:`prompt_key`).

    Parameters
    ----------
    line_object : dict
        ``tier``, ``category``, ``text`` or ``messages``, and optionally ``system``,
        ``reference`` and ``scorer``.
    line, file
        Where problems point.
    rename : callable
        Maps a suite field to the field of the import format a problem should name.
    """
    prompt, _, problems = parse_line(json.dumps({"id": "-", **line_object}), line, file)
    problems = [replace(p, field=rename(p.field)) for p in problems]
    if prompt is None or problems:
        return None, problems
    return replace(prompt, external_id=prompt_key(prompt.chat_messages())), []


def _generic_row(file: str, record: Record, defaults: AnswerDefaults) -> AnswerRow | list[Problem]:
    fields = Fields(file, record)
    fields.unknown(ANSWER_FIELDS, {"resps": _LM_EVAL_HINT, "doc_id": _LM_EVAL_HINT})
    model = fields.text("model", required=True, default=defaults.model)
    text = fields.text("answer", required=True)
    sample = fields.count("sample", default=0)
    measured = {
        "latency_ms": fields.number("latency_ms"),
        "ttft_ms": fields.number("ttft_ms"),
        "input_tokens": fields.count("input_tokens"),
        "output_tokens": fields.count("output_tokens"),
        "cost_usd": fields.number("cost_usd"),
    }
    prompt_id = prompt = None
    by_text = [name for name in ("prompt", "messages") if fields.has(name)]
    if fields.has("prompt_id"):
        prompt_id = fields.text("prompt_id")
        for name in (*by_text, "system", "reference", "tier", "category"):
            if fields.has(name):
                fields.report(name, "give either 'prompt_id' or the prompt itself, not both")
    elif not by_text:
        fields.report("prompt_id", "required field is missing; give 'prompt_id' or 'prompt'")
    else:
        tier = fields.count("tier", default=defaults.tier)
        line_object: dict[str, Any] = {
            "tier": tier,
            "category": fields.text("category") or defaults.category or "imported",
        }
        if fields.has("prompt"):
            line_object["text"] = fields.record.values["prompt"]
        if fields.has("messages"):
            line_object["messages"] = fields.json_value("messages")
        for name in ("system", "reference"):
            if fields.has(name):
                line_object[name] = fields.record.values[name]
        if defaults.scorer is not None:
            line_object["scorer"] = defaults.scorer
        if not fields.problems:
            prompt, problems = prompt_from_text(
                line_object, record.line, file, lambda f: "prompt" if f == "text" else f
            )
            fields.problems.extend(problems)
    if fields.problems:
        return fields.problems
    assert model is not None and text is not None and sample is not None
    return AnswerRow(
        line=record.line,
        model=model.strip(),
        sample=sample,
        text=text,
        prompt_id=prompt_id,
        prompt=prompt,
        **measured,  # type: ignore[arg-type]
    )


def generic_answers(
    path: str | Path, defaults: AnswerDefaults, *, fmt: str | None = None
) -> Iterator[AnswerRow | Problem]:
    """The answers of a JSONL or CSV file, each checked; problems in place of bad records."""
    file = str(path)
    for item in read_records(path, file_format(path, fmt)):
        if isinstance(item, Problem):
            yield item
            continue
        row = _generic_row(file, item, defaults)
        if isinstance(row, list):
            yield from row
        else:
            yield row

"""lm-evaluation-harness ``--log_samples`` files, read as lm-eval writes them.

``lm_eval ... --log_samples --output_path DIR`` writes, per task, a
``samples_<task>_<timestamp>.jsonl`` file: one JSON object per document with
``doc_id``, ``doc``, ``target``, ``arguments`` (the requests sent),
``resps`` (the model's raw outputs) and ``filtered_resps`` (after the task's
filters), the per-document metrics and some hashes. The file names no model:
``--model`` does.

- **Prompt:** the first argument of the request (``arguments.gen_args_0.arg_0``,
  or ``arguments[0][0]`` in older files). With ``--apply_chat_template`` it is
  the chat as a JSON list of ``{role, content}`` messages; otherwise plain text.
- **Answer:** each raw output in ``resps`` (one per repeat, so repeats become
  samples 0, 1, ...), else ``filtered_resps``. Only generation tasks
  (``generate_until``) have answers to rate; a log-likelihood task's
  responses are numbers, and each such record is a problem.
- **Reference:** ``target``, for the ``--scorer`` of the prompts created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from blindside.errors import Problem
from blindside.imports.answers import AnswerDefaults, AnswerRow, prompt_from_text
from blindside.imports.fields import Fields
from blindside.imports.records import Record, read_records
from blindside.json_values import json_kind

__all__ = ["lm_eval_answers", "lm_eval_task"]

# samples_<task>_<ISO timestamp with '-' for ':'>.jsonl, as lm-eval's tracker names them.
_SAMPLES_NAME = re.compile(r"^samples_(?P<task>.+)_\d{4}-\d{2}-\d{2}T[\d.\-]+$")

_REQUIRED = ("doc_id", "arguments")


def lm_eval_task(path: str | Path) -> str:
    """The task of a samples file, from its name (the stem when it is not lm-eval's pattern)."""
    stem = Path(path).stem
    match = _SAMPLES_NAME.match(stem)
    return match.group("task") if match else stem


def _first_argument(arguments: Any) -> Any:
    """The first argument of the first request: ``gen_args_0.arg_0`` or ``[0][0]``."""
    if isinstance(arguments, dict):
        first = arguments.get("gen_args_0")
        return first.get("arg_0") if isinstance(first, dict) else None
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list | tuple):
        return arguments[0][0] if arguments[0] else None
    return None


def _chat(value: Any) -> list[Any] | None:
    """The chat messages a context holds, or None when it is plain text."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]  # a chat string written as a one-field tuple
    if isinstance(value, str):
        if not value.lstrip().startswith("["):
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
        return value
    return None


def _prompt_object(context: Any, fields: Fields) -> dict[str, Any] | None:
    """``text`` or ``messages`` (and ``system``) of a suite line for the request's context."""
    messages = _chat(context)
    if messages is not None:
        systems = [m for m in messages if m.get("role") == "system"]
        turns = [m for m in messages if m.get("role") != "system"]
        obj: dict[str, Any] = {
            "messages": [{"role": m.get("role"), "content": m.get("content")} for m in turns]
        }
        if len(systems) == 1:
            obj["system"] = systems[0].get("content")
        elif systems:
            obj["messages"] = [
                {"role": m.get("role"), "content": m.get("content")} for m in messages
            ]
        return obj
    if isinstance(context, list) and len(context) == 1:
        context = context[0]
    if not isinstance(context, str):
        got = json_kind(context)
        fields.report("arguments", f"the request's first argument must be the prompt, got {got}")
        return None
    return {"text": context}


def _answers(record: dict[str, Any], fields: Fields) -> list[str]:
    """The model's outputs, one per repeat: ``resps[0]``, else ``filtered_resps[0]``."""
    for name in ("resps", "filtered_resps"):
        value = record.get(name)
        if value is None:
            continue
        first = value[0] if isinstance(value, list) and value else None
        outputs = first if isinstance(first, list) else [first]
        if not outputs or not all(isinstance(o, str) for o in outputs):
            fields.report(
                name,
                "holds no generated text (a log-likelihood task's scores?); only "
                "generate_until tasks have answers to rate",
            )
            return []
        if not any(o.strip() for o in outputs):
            fields.report(name, "every output is empty")
            return []
        return outputs
    fields.report("resps", "required field is missing (no resps or filtered_resps)")
    return []


def _reference(target: Any) -> str | None:
    if isinstance(target, str):
        return target if target.strip() else None
    if isinstance(target, int | float) and not isinstance(target, bool):
        return str(target)
    return None


def _rows(file: str, record: Record, defaults: AnswerDefaults) -> list[AnswerRow] | list[Problem]:
    fields = Fields(file, record)
    values = record.values
    for name in _REQUIRED:
        if name not in values:
            fields.report(name, "required field is missing; is this an lm-eval samples file?")
    if fields.problems:
        return fields.problems
    obj = _prompt_object(_first_argument(values["arguments"]), fields)
    outputs = _answers(values, fields)
    if obj is None or fields.problems:
        return fields.problems
    line_object: dict[str, Any] = {
        "tier": defaults.tier,
        "category": defaults.category or lm_eval_task(file),
        **obj,
    }
    reference = _reference(values.get("target"))
    if reference is not None:
        line_object["reference"] = reference
    if defaults.scorer is not None:
        line_object["scorer"] = defaults.scorer

    def rename(field: str) -> str:
        if field == "reference" or field.startswith("scorer"):
            return "target" if field == "reference" else f"--scorer ({field})"
        return "arguments"

    prompt, problems = prompt_from_text(line_object, record.line, file, rename)
    if prompt is None:
        return problems
    model = defaults.model or ""  # response_import requires --model for lm-eval
    return [
        AnswerRow(line=record.line, model=model, sample=i, text=text, prompt=prompt)
        for i, text in enumerate(outputs)
        if text.strip()
    ]


def lm_eval_answers(path: str | Path, defaults: AnswerDefaults) -> Iterator[AnswerRow | Problem]:
    """The answers of an lm-eval samples file, each checked; problems in place of bad records."""
    file = str(path)
    for item in read_records(path, "jsonl"):
        if isinstance(item, Problem):
            yield item
            continue
        yield from _rows(file, item, defaults)

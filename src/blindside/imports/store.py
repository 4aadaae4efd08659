"""Storing imported answers: check the whole file, then write it in one transaction, then pair.

An import reads its file twice. The first pass checks every record and what the
database already holds, keeping only keys and hashes (never the answers), and
raises every problem at once; the second pass writes, in batches, inside one
transaction. A file of any size goes through in bounded memory per record.

Imported answers live in one run per suite, with status ``imported``. An answer
is keyed like a generated one, on (run, prompt, model, sample): the same answer
again changes nothing, so importing a file twice is a no-op, and a different
answer under a key already taken is a problem, not an overwrite. Each answer is
scored (:func:`blindside.scorecard.score_columns`) and checked for identity
leaks and style (:func:`blindside.identity.answer_checks`) as the engine's writer
does, and marked with ``imported_from``. What was not measured stays NULL, so
latency and cost figures are means over the answers that carry them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.catalog import prompt_fields
from blindside.db import session_scope
from blindside.errors import InputError, Problem
from blindside.identity import answer_checks, model_names
from blindside.imports.answers import AnswerRow, prompt_key
from blindside.imports.records import MAX_PROBLEMS
from blindside.json_values import show
from blindside.pairing import build_pairs
from blindside.scorecard import prompt_scorers, score_columns
from blindside.suites import PromptSpec
from blindside.tables import Model, Prompt, Response, Run, Suite, utc_now

__all__ = [
    "IMPORTED_STATUS",
    "AnswerImport",
    "import_answers",
    "import_run_hash",
    "imported_model",
]

#: The status of the run that holds a suite's imported answers.
IMPORTED_STATUS = "imported"
#: The endpoint recorded for a model known only from imported answers.
IMPORTED_ENDPOINT = "imported"

_BATCH = 1000

# A prompt as an import names it: ("id", external id) or ("text", prompt key); ("db", its
# row id) once it is known to be stored.
_PromptRef = tuple[str, str]
# (prompt, model name, sample): the natural key of an answer within the import run.
_AnswerKey = tuple[_PromptRef, str, int]


@dataclass(frozen=True)
class AnswerImport:
    """What an import of answers did."""

    suite: str
    run_id: int
    answers_created: int
    answers_unchanged: int
    prompts_created: int
    models_created: tuple[str, ...]
    pairs_created: int


def import_run_hash(kind: str, suite: str) -> str:
    """The ``config_hash`` of the run that holds a suite's imported answers or votes' answers."""
    return f"imported-{kind}:{suite}"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _stored_ref(ref: _PromptRef, prompt_ids: dict[_PromptRef, int]) -> _PromptRef:
    """``("db", prompt id)`` for a prompt already stored, else the file's own reference."""
    return ("db", str(prompt_ids[ref])) if ref in prompt_ids else ref


def _ref(row: AnswerRow) -> _PromptRef:
    if row.prompt_id is not None:
        return ("id", row.prompt_id)
    assert row.prompt is not None
    return ("text", row.prompt.external_id)


@dataclass
class _Plan:
    """What the checking pass found: the prompts to add and the keys already stored."""

    suite_id: int | None
    run_id: int | None
    prompt_ids: dict[_PromptRef, int]
    new_prompts: dict[str, PromptSpec]
    models: set[str]
    stored: set[_AnswerKey]
    rows: int


def _existing(session: Session, suite: str) -> tuple[int | None, int | None, dict[_PromptRef, int]]:
    """The suite's id, its import run's id, and its prompts by id and by text key."""
    suite_id = session.exec(select(Suite.id).where(Suite.name == suite)).first()
    if suite_id is None:
        return None, None, {}
    prompt_ids: dict[_PromptRef, int] = {}
    for prompt_id, external_id, messages in session.exec(
        select(Prompt.id, Prompt.external_id, Prompt.messages).where(Prompt.suite_id == suite_id)
    ):
        prompt_ids[("id", external_id)] = prompt_id
        prompt_ids.setdefault(("text", prompt_key(messages)), prompt_id)
    run_id = session.exec(
        select(Run.id).where(
            Run.suite_id == suite_id, Run.config_hash == import_run_hash("answers", suite)
        )
    ).first()
    return suite_id, run_id, prompt_ids


def _check(
    engine: Engine, rows: Iterable[AnswerRow | Problem], suite: str, file: str
) -> tuple[_Plan, list[Problem]]:
    problems: list[Problem] = []
    with Session(engine) as session:
        suite_id, run_id, prompt_ids = _existing(session, suite)
    new_prompts: dict[str, PromptSpec] = {}
    seen: dict[_AnswerKey, tuple[int, bytes]] = {}
    for row in rows:
        if len(problems) >= MAX_PROBLEMS:
            break
        if isinstance(row, Problem):
            problems.append(row)
            continue
        ref = _ref(row)
        if row.prompt is not None and ref not in prompt_ids:
            new_prompts.setdefault(row.prompt.external_id, row.prompt)
        elif row.prompt_id is not None and ref not in prompt_ids:
            problems.append(
                Problem(
                    file,
                    row.line,
                    "prompt_id",
                    f"no prompt {show(row.prompt_id)} in suite {show(suite)}; "
                    "import the prompts first (blindside import prompts) or give the prompt text",
                )
            )
            continue
        # A prompt already stored is one key however the file names it (by id or by text).
        key = (_stored_ref(ref, prompt_ids), row.model, row.sample)
        digest = _digest(row.text)
        if key in seen and seen[key][1] != digest:
            problems.append(
                Problem(
                    file,
                    row.line,
                    "answer",
                    f"{show(row.model)} already answered this prompt as sample {row.sample} on "
                    f"line {seen[key][0]}, differently; give each answer its own 'sample'",
                )
            )
        seen.setdefault(key, (row.line, digest))
    if not problems and not seen:
        problems.append(Problem(file, None, "", "the file has no answers"))
    stored: set[_AnswerKey] = set()
    if run_id is not None:
        with Session(engine) as session:
            for prompt_id, model, sample, text in session.exec(
                select(Response.prompt_id, Model.name, Response.sample, Response.text)
                .join(Model, col(Model.id) == col(Response.model_id))
                .where(Response.run_id == run_id)
            ):
                key = (("db", str(prompt_id)), model, sample)
                if key not in seen:
                    continue
                line, digest = seen[key]
                if text is not None and _digest(text) == digest:
                    stored.add(key)
                else:
                    problems.append(
                        Problem(
                            file,
                            line,
                            "answer",
                            f"{show(model)} has another answer to this prompt as sample "
                            f"{sample} in suite {show(suite)} already; give this one its "
                            "own 'sample'",
                        )
                    )
    plan = _Plan(
        suite_id=suite_id,
        run_id=run_id,
        prompt_ids=prompt_ids,
        new_prompts=new_prompts,
        models={model for _, model, _ in seen},
        stored=stored,
        rows=len(seen),
    )
    return plan, problems


def imported_model(session: Session, name: str) -> tuple[int, bool]:
    """The id of the model called ``name``, added if new; and whether it was added.

    A model known only from imports has no endpoint blindside can call: it is
    recorded with endpoint ``imported`` and inactive (``init`` would mark it so).
    """
    model_id = session.exec(select(Model.id).where(Model.name == name)).first()
    if model_id is not None:
        return model_id, False
    model = Model(name=name, endpoint=IMPORTED_ENDPOINT, model_id=name, active=False)
    session.add(model)
    session.flush()
    assert model.id is not None
    return model.id, True


def _write(
    engine: Engine, plan: _Plan, rows: Iterable[AnswerRow | Problem], suite: str, source: str
) -> tuple[int, int, tuple[str, ...]]:
    """Write the plan and the rows in one transaction: (run id, answers created, new models)."""
    created_models: list[str] = []
    # What an answer must not mention: every model's name and id, the imported ones too.
    names = [*model_names(engine), *sorted(plan.models)]
    with session_scope(engine) as session:
        if plan.suite_id is None:
            row = Suite(name=suite, description="imported", source_path=source)
            session.add(row)
            session.flush()
            plan.suite_id = row.id
        prompt_ids = dict(plan.prompt_ids)
        for key, spec in plan.new_prompts.items():
            prompt = Prompt(suite_id=plan.suite_id, external_id=key, **prompt_fields(spec))
            session.add(prompt)
            session.flush()
            assert prompt.id is not None
            prompt_ids[("text", key)] = prompt.id
        model_ids: dict[str, int] = {}
        for name in sorted(plan.models):
            model_ids[name], added = imported_model(session, name)
            if added:
                created_models.append(name)
        run = session.get(Run, plan.run_id) if plan.run_id is not None else None
        if run is None:
            run = Run(
                suite_id=plan.suite_id,  # type: ignore[arg-type]
                status=IMPORTED_STATUS,
                config_hash=import_run_hash("answers", suite),
                finished_at=utc_now(),
            )
            session.add(run)
        run.model_names = sorted(set(run.model_names) | plan.models)
        session.flush()
        assert run.id is not None
        scorers = prompt_scorers(session, set(prompt_ids.values()))
        written = set(plan.stored)
        batch: list[dict[str, Any]] = []
        created = 0
        now = utc_now()
        table = Response.__table__  # type: ignore[attr-defined]
        for row in rows:
            if isinstance(row, Problem):  # checked already: none left
                raise InputError([row])
            key = (_stored_ref(_ref(row), plan.prompt_ids), row.model, row.sample)
            if key in written:
                continue
            written.add(key)
            prompt_id = int(key[0][1]) if key[0][0] == "db" else prompt_ids[key[0]]
            batch.append(
                {
                    "run_id": run.id,
                    "prompt_id": prompt_id,
                    "model_id": model_ids[row.model],
                    "sample": row.sample,
                    "text": row.text,
                    "latency_ms": row.latency_ms,
                    "ttft_ms": row.ttft_ms,
                    "input_tokens": row.input_tokens,
                    "output_tokens": row.output_tokens,
                    "cost_usd": row.cost_usd,
                    # No request of blindside's made it: no attempt, no retry, no wait.
                    "attempts": 0,
                    "retry_wait_ms": 0.0,
                    "tokens_estimated": False,
                    "is_fallback": False,
                    "imported_from": source,
                    "created_at": now,
                    **answer_checks(row.text, names),
                    **score_columns(row.text, scorers.get(prompt_id)),
                }
            )
            if len(batch) >= _BATCH:
                session.execute(insert(table), batch)
                created += len(batch)
                batch = []
        if batch:
            session.execute(insert(table), batch)
            created += len(batch)
        run.samples_per_prompt = max(
            run.samples_per_prompt,
            1 + max((sample for _, _, sample in written), default=0),
        )
        run_id = run.id
    return run_id, created, tuple(created_models)


def import_answers(
    engine: Engine,
    rows: Callable[[], Iterable[AnswerRow | Problem]],
    *,
    suite: str,
    file: str,
    source: str,
) -> AnswerImport:
    """Check every answer of a file, then store them, then pair them for rating.

    Parameters
    ----------
    engine : Engine
    rows : callable
        Returns a fresh iterator over the file's answers (problems in place of bad
        records); called once to check and once to write.
    suite : str
        The suite the answers' prompts belong to (created when new).
    file : str
        The file, as problems name it.
    source : str
        What ``imported_from`` records, e.g. ``"lm-eval:samples_gsm8k.jsonl"``.

    Raises
    ------
    InputError
        With every problem found; nothing is written then.
    """
    if not suite.strip():
        raise InputError.single("--suite", None, "", "the suite name must not be empty")
    plan, problems = _check(engine, rows(), suite, file)
    if problems:
        raise InputError(problems)
    run_id, created, new_models = _write(engine, plan, rows(), suite, source)
    # Pairs of the import run, as for a generated run (same prompt, same sample, two models).
    pairs = build_pairs(engine, run_id)
    return AnswerImport(
        suite=suite,
        run_id=run_id,
        answers_created=created,
        answers_unchanged=plan.rows - created,
        prompts_created=len(plan.new_prompts),
        models_created=new_models,
        pairs_created=pairs,
    )

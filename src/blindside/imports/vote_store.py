"""Storing imported votes: on the answers they compare, by raters named as imported.

A vote is stored on a pair of answers, as on the Vote page, so it counts in every
ranking and cut like a rater's vote. What it needs is found or created, in one
transaction after the whole file was checked:

- the suite and prompt (by the export's ``prompt_id``, or by a hash of an arena prompt);
- the models (a new name becomes a model with endpoint ``imported``);
- the answers, in the suite's run for imported votes (status ``imported``), keyed by
  their text, so the same answer twice is one answer;
- the pair, and the rater: ``imported: NAME``, from the file's ``judge`` or ``rater``
  (``imported: FILE`` when it names none). Such a rater has no sign-in link.

The vote has no impression (nobody was shown it here) and carries ``imported_from``.
The same vote again (same pair, same rater) changes nothing; the same pair and rater
with another verdict is a problem, and the import writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.catalog import prompt_fields
from blindside.db import session_scope
from blindside.errors import InputError, Problem
from blindside.identity import answer_checks, model_names
from blindside.imports.records import MAX_PROBLEMS
from blindside.imports.store import IMPORTED_STATUS, import_run_hash, imported_model
from blindside.imports.votes import VoteRow
from blindside.json_values import show
from blindside.raters import rater_name_key
from blindside.scorecard import prompt_scorers, score_columns
from blindside.tables import Pair, Prompt, Rater, Response, Run, Suite, Vote, utc_now
from blindside.votes import insert_vote

__all__ = ["VoteImport", "import_votes", "imported_rater_name"]

#: What an imported rater's name starts with, so no one mistakes them for a local rater.
RATER_PREFIX = "imported: "


@dataclass(frozen=True)
class VoteImport:
    """What an import of votes did."""

    votes_created: int
    votes_unchanged: int
    answers_created: int
    pairs_created: int


def imported_rater_name(row: VoteRow, file: str) -> str:
    """The rater of an imported vote: the file's judge or rater, else the file."""
    return RATER_PREFIX + (row.rater.strip() or Path(file).name)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _vote_key(row: VoteRow, file: str) -> tuple[object, ...]:
    """A vote's natural key: prompt, the two answers (either side), rater."""
    sides = frozenset(
        ((row.left_model, _digest(row.left_text)), (row.right_model, _digest(row.right_text)))
    )
    return (row.suite, row.prompt.external_id, sides, imported_rater_name(row, file))


def _verdict(row: VoteRow) -> tuple[str, str]:
    return (row.left_model, row.choice)


def _check(rows: Iterable[VoteRow | Problem], file: str) -> tuple[int, list[Problem]]:
    problems: list[Problem] = []
    seen: dict[tuple[object, ...], tuple[int, tuple[str, str]]] = {}
    # A hash per prompt, not its text: a file of a million battles is checked in small memory.
    prompts: dict[tuple[str, str], tuple[int, str]] = {}
    for row in rows:
        if len(problems) >= MAX_PROBLEMS:
            break
        if isinstance(row, Problem):
            problems.append(row)
            continue
        fields = _digest(json.dumps(prompt_fields(row.prompt), sort_keys=True))
        first = prompts.setdefault((row.suite, row.prompt.external_id), (row.line, fields))
        if first[1] != fields:
            problems.append(
                Problem(
                    file,
                    row.line,
                    "prompt",
                    f"prompt {show(row.prompt.external_id)} differs from line {first[0]}",
                )
            )
        key = _vote_key(row, file)
        if key in seen and seen[key][1] != _verdict(row):
            problems.append(
                Problem(
                    file,
                    row.line,
                    "winner",
                    f"the same rater voted differently on these answers on line {seen[key][0]}",
                )
            )
        seen.setdefault(key, (row.line, _verdict(row)))
    if not problems and not seen:
        problems.append(Problem(file, None, "", "the file has no votes"))
    return len(seen), problems


class _Writer:
    """Finds or creates what votes need, inside one session; caches every lookup."""

    def __init__(self, session: Session, source: str, names: list[str]) -> None:
        self.session = session
        self.source = source
        self.names = names
        self.suites: dict[str, int] = {}
        self.runs: dict[str, int] = {}
        self.prompts: dict[tuple[int, str], int] = {}
        self.models: dict[str, int] = {}
        self.raters: dict[str, int] = {}
        self.answers: dict[tuple[int, int, int, str], int] = {}
        self.samples: dict[tuple[int, int, int], int] = {}
        self.answers_created = 0
        self.pairs_created = 0

    def suite(self, name: str) -> int:
        if name not in self.suites:
            suite_id = self.session.exec(select(Suite.id).where(Suite.name == name)).first()
            if suite_id is None:
                row = Suite(name=name, description="imported", source_path=self.source)
                self.session.add(row)
                self.session.flush()
                suite_id = row.id
            assert suite_id is not None
            self.suites[name] = suite_id
        return self.suites[name]

    def run(self, suite: str) -> int:
        if suite not in self.runs:
            config_hash = import_run_hash("votes", suite)
            run_id = self.session.exec(select(Run.id).where(Run.config_hash == config_hash)).first()
            if run_id is None:
                run = Run(
                    suite_id=self.suite(suite),
                    status=IMPORTED_STATUS,
                    config_hash=config_hash,
                    finished_at=utc_now(),
                )
                self.session.add(run)
                self.session.flush()
                run_id = run.id
            assert run_id is not None
            self.runs[suite] = run_id
            for prompt_id, model_id, sample, text in self.session.exec(
                select(Response.prompt_id, Response.model_id, Response.sample, Response.text).where(
                    Response.run_id == run_id
                )
            ):
                self.answers[(run_id, prompt_id, model_id, _digest(text or ""))] = -1
                key = (run_id, prompt_id, model_id)
                self.samples[key] = max(self.samples.get(key, 0), sample + 1)
        return self.runs[suite]

    def prompt(self, row: VoteRow) -> int:
        suite_id = self.suite(row.suite)
        key = (suite_id, row.prompt.external_id)
        if key not in self.prompts:
            prompt_id = self.session.exec(
                select(Prompt.id).where(
                    Prompt.suite_id == suite_id, Prompt.external_id == row.prompt.external_id
                )
            ).first()
            if prompt_id is None:
                prompt = Prompt(
                    suite_id=suite_id,
                    external_id=row.prompt.external_id,
                    **prompt_fields(row.prompt),
                )
                self.session.add(prompt)
                self.session.flush()
                prompt_id = prompt.id
            assert prompt_id is not None
            self.prompts[key] = prompt_id
        return self.prompts[key]

    def model(self, name: str) -> int:
        if name not in self.models:
            self.models[name], _ = imported_model(self.session, name)
        return self.models[name]

    def rater(self, name: str) -> int:
        if name not in self.raters:
            key = rater_name_key(name)
            rater_id = self.session.exec(select(Rater.id).where(Rater.name_key == key)).first()
            if rater_id is None:
                rater = Rater(name=name, name_key=key, role="rater")
                self.session.add(rater)
                self.session.flush()
                rater_id = rater.id
            assert rater_id is not None
            self.raters[name] = rater_id
        return self.raters[name]

    def answer(self, row: VoteRow, prompt_id: int, model: str, text: str, measures: dict) -> int:
        run_id = self.run(row.suite)
        model_id = self.model(model)
        key = (run_id, prompt_id, model_id, _digest(text))
        known = self.answers.get(key)
        if known is None or known < 0:
            if known is not None:  # stored before this import: read its id
                known = self.session.exec(
                    select(Response.id).where(
                        Response.run_id == run_id,
                        Response.prompt_id == prompt_id,
                        Response.model_id == model_id,
                        Response.text == text,
                    )
                ).first()
            if known is None or known < 0:
                sample_key = (run_id, prompt_id, model_id)
                sample = self.samples.get(sample_key, 0)
                self.samples[sample_key] = sample + 1
                scorer = prompt_scorers(self.session, [prompt_id]).get(prompt_id)
                response = Response(
                    run_id=run_id,
                    prompt_id=prompt_id,
                    model_id=model_id,
                    sample=sample,
                    text=text,
                    latency_ms=measures.get("latency_ms"),
                    cost_usd=measures.get("cost_usd"),
                    attempts=0,
                    imported_from=self.source,
                    **answer_checks(text, self.names),
                    **score_columns(text, scorer),
                )
                self.session.add(response)
                self.session.flush()
                known = response.id
                self.answers_created += 1
            assert known is not None
            self.answers[key] = known
        return known

    def pair(self, prompt_id: int, first: int, second: int) -> int:
        low, high = sorted((first, second))
        pair_id = self.session.exec(
            select(Pair.id).where(Pair.response_a_id == low, Pair.response_b_id == high)
        ).first()
        if pair_id is None:
            pair = Pair(prompt_id=prompt_id, response_a_id=low, response_b_id=high)
            self.session.add(pair)
            self.session.flush()
            pair_id = pair.id
            self.pairs_created += 1
        assert pair_id is not None
        return pair_id


def import_votes(
    engine: Engine, rows: Callable[[], Iterable[VoteRow | Problem]], *, file: str, source: str
) -> VoteImport:
    """Check every vote of a file, then store them in one transaction.

    Raises
    ------
    InputError
        With every problem found (nothing is written then), including a vote that
        contradicts one stored before by the same imported rater.
    """
    count, problems = _check(rows(), file)
    if problems:
        raise InputError(problems)
    names = model_names(engine)
    created = 0
    with session_scope(engine) as session:
        writer = _Writer(session, source, names)
        for row in rows():
            if isinstance(row, Problem):
                raise InputError([row])
            prompt_id = writer.prompt(row)
            left = writer.answer(row, prompt_id, row.left_model, row.left_text, row.left_measures)
            right = writer.answer(
                row, prompt_id, row.right_model, row.right_text, row.right_measures
            )
            pair_id = writer.pair(prompt_id, left, right)
            rater_id = writer.rater(imported_rater_name(row, file))
            stored = session.exec(
                select(Vote.left_response_id, Vote.choice).where(
                    Vote.pair_id == pair_id, Vote.rater_id == rater_id
                )
            ).first()
            if stored is not None:
                if tuple(stored) != (left, row.choice):
                    raise InputError.single(
                        file,
                        row.line,
                        "winner",
                        "this rater's vote on these answers is stored already with another verdict",
                    )
                continue
            stored_vote = insert_vote(
                session.connection(),
                rater_id,
                pair_id,
                left,
                row.choice,
                dwell_ms=row.dwell_ms,
                flagged=row.flagged,
                comment=row.comment,
            )
            # What the vote path does not set: where the vote came from, and its own time.
            marks: dict[str, object] = {"imported_from": source}
            if row.created_at is not None:
                marks["created_at"] = row.created_at
            session.exec(update(Vote).where(Vote.id == stored_vote.vote_id).values(**marks))  # type: ignore[call-overload]
            session.flush()
            created += 1
        answers, pairs = writer.answers_created, writer.pairs_created
    return VoteImport(
        votes_created=created,
        votes_unchanged=count - created,
        answers_created=answers,
        pairs_created=pairs,
    )

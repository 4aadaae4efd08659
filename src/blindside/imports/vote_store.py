"""Storing imported votes: on the answers they compare, by raters named as imported.

A vote is stored on a pair of answers, as on the Vote page, so it counts in every
ranking and cut like a rater's vote. What it needs is found or created, in one
transaction after the whole file was checked, a batch of votes at a time: each
batch's prompts, answers, pairs and votes are looked up with one query each and
the new ones written with one executemany each, so the statements grow with the
batches, not the votes:

- the suite and prompt (by the export's ``prompt_id``, or by a hash of an arena prompt);
- the models (a new name becomes a model with endpoint ``imported``);
- the answers, in the suite's run for imported votes (status ``imported``), keyed by
  their text, so the same answer twice is one answer;
- the pair, and the rater: ``imported: NAME``, from the file's ``judge`` or ``rater``
  (``imported: FILE`` when it names none). Such a rater has no sign-in link.

The vote has no impression (nobody was shown it here) and carries ``imported_from``.
The same vote again (same pair, same rater) changes nothing; the same pair and rater
with another verdict is a problem, and the import writes nothing: every such problem
is collected, then the transaction is rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

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
from blindside.votes import insert_imported_votes

__all__ = ["VoteImport", "import_votes", "imported_rater_name"]

#: What an imported rater's name starts with, so no one mistakes them for a local rater.
RATER_PREFIX = "imported: "

#: Votes written per batch.
_BATCH = 1000

# An answer of the import run: (run, prompt, model, hash of its text).
_AnswerKey = tuple[int, int, int, str]


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
    """A vote's natural key: prompt, the two answers (either side), rater (case-folded)."""
    sides = frozenset(
        ((row.left_model, _digest(row.left_text)), (row.right_model, _digest(row.right_text)))
    )
    rater = rater_name_key(imported_rater_name(row, file))
    return (row.suite, row.prompt.external_id, sides, rater)


def _verdict(row: VoteRow) -> tuple[str, str]:
    return (row.left_model, row.choice)


def _check(rows: Iterable[VoteRow | Problem], file: str) -> tuple[int, set[int], list[Problem]]:
    """(distinct votes, lines repeating a vote given before, problems) of the file."""
    problems: list[Problem] = []
    seen: dict[tuple[object, ...], tuple[int, tuple[str, str]]] = {}
    repeated: set[int] = set()
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
        if key in seen:
            if seen[key][1] != _verdict(row):
                problems.append(
                    Problem(
                        file,
                        row.line,
                        "winner",
                        f"the same rater voted differently on these answers on line {seen[key][0]}",
                    )
                )
            repeated.add(row.line)
            continue
        seen[key] = (row.line, _verdict(row))
    if not problems and not seen:
        problems.append(Problem(file, None, "", "the file has no votes"))
    return len(seen), repeated, problems


class _Writer:
    """Finds or creates what votes need, a batch at a time, inside one session.

    Suites, runs, models and raters are few: each is looked up or added once and cached.
    Prompts, answers, pairs and votes come per batch (:meth:`write`).
    """

    def __init__(self, session: Session, source: str, names: list[str], file: str) -> None:
        self.session = session
        self.conn = session.connection()
        self.source = source
        self.names = names
        self.file = file
        self.suites: dict[str, int] = {}
        self.runs: dict[str, int] = {}
        self.prompts: dict[tuple[int, str], int] = {}
        self.models: dict[str, int] = {}
        self.raters: dict[str, int] = {}
        self.answers: dict[_AnswerKey, int] = {}
        # Answers stored before this import: only pairs of two of them can be stored already.
        self.stored_answers: set[int] = set()
        self.samples: dict[tuple[int, int, int], int] = {}
        self.pairs: dict[tuple[int, int], int] = {}
        # Pairs stored before this import: only they can hold a vote already.
        self.stored_pairs: set[int] = set()
        self.answers_created = 0
        self.pairs_created = 0
        self.votes_created = 0
        self.problems: list[Problem] = []

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
            for answer_id, prompt_id, model_id, sample, text in self.session.exec(
                select(
                    Response.id,
                    Response.prompt_id,
                    Response.model_id,
                    Response.sample,
                    Response.text,
                )
                .where(Response.run_id == run_id)
                .order_by(col(Response.id))
            ):
                assert answer_id is not None
                self.answers.setdefault(
                    (run_id, prompt_id, model_id, _digest(text or "")), answer_id
                )
                self.stored_answers.add(answer_id)
                key = (run_id, prompt_id, model_id)
                self.samples[key] = max(self.samples.get(key, 0), sample + 1)
        return self.runs[suite]

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

    def write(self, batch: list[VoteRow]) -> None:
        """Store one batch of votes, and what they need that is not stored yet."""
        prompt_ids = self._prompts(batch)
        answers = self._answers(batch, prompt_ids)
        pair_ids = self._pairs(prompt_ids, answers)
        self._votes(batch, answers, pair_ids)

    def _prompts(self, batch: list[VoteRow]) -> list[int]:
        """Each vote's prompt id: found by one query per suite, the new ones added at once."""
        wanted: dict[tuple[int, str], VoteRow] = {}
        for row in batch:
            key = (self.suite(row.suite), row.prompt.external_id)
            if key not in self.prompts:
                wanted.setdefault(key, row)
        for suite_id in {suite_id for suite_id, _ in wanted}:
            names = [name for sid, name in wanted if sid == suite_id]
            for name, prompt_id in self.session.exec(
                select(Prompt.external_id, Prompt.id).where(
                    Prompt.suite_id == suite_id, col(Prompt.external_id).in_(names)
                )
            ):
                assert prompt_id is not None
                self.prompts[(suite_id, name)] = prompt_id
        new = [
            {"suite_id": key[0], "external_id": key[1], **prompt_fields(row.prompt)}
            for key, row in wanted.items()
            if key not in self.prompts
        ]
        if new:
            table = Prompt.__table__  # type: ignore[attr-defined]
            returned = table.c.suite_id, table.c.external_id, table.c.id
            for suite_id, name, prompt_id in self.conn.execute(
                insert(table).returning(*returned), new
            ):
                self.prompts[(suite_id, name)] = prompt_id
        return [self.prompts[(self.suites[row.suite], row.prompt.external_id)] for row in batch]

    def _answers(self, batch: list[VoteRow], prompt_ids: list[int]) -> list[tuple[int, int]]:
        """Each vote's (left, right) answer ids; the answers not stored yet added at once."""
        new: dict[_AnswerKey, dict[str, Any]] = {}
        keys: list[tuple[_AnswerKey, _AnswerKey]] = []
        for row, prompt_id in zip(batch, prompt_ids, strict=True):
            run_id = self.run(row.suite)
            sides = []
            for model, text, measures in (
                (row.left_model, row.left_text, row.left_measures),
                (row.right_model, row.right_text, row.right_measures),
            ):
                key = (run_id, prompt_id, self.model(model), _digest(text))
                if key not in self.answers and key not in new:
                    sample = self.samples.get(key[:3], 0)
                    self.samples[key[:3]] = sample + 1
                    new[key] = {
                        "run_id": run_id,
                        "prompt_id": prompt_id,
                        "model_id": key[2],
                        "sample": sample,
                        "text": text,
                        "latency_ms": measures.get("latency_ms"),
                        "cost_usd": measures.get("cost_usd"),
                        "attempts": 0,
                        "imported_from": self.source,
                    }
                sides.append(key)
            keys.append((sides[0], sides[1]))
        if new:
            scorers = prompt_scorers(self.session, {key[1] for key in new})
            for answer in new.values():
                answer.update(answer_checks(answer["text"], self.names))
                answer.update(score_columns(answer["text"], scorers.get(answer["prompt_id"])))
            by_sample = {(*key[:3], answer["sample"]): key for key, answer in new.items()}
            table = Response.__table__  # type: ignore[attr-defined]
            returned = table.c.run_id, table.c.prompt_id, table.c.model_id, table.c.sample
            for run_id, prompt_id, model_id, sample, answer_id in self.conn.execute(
                insert(table).returning(*returned, table.c.id), list(new.values())
            ):
                self.answers[by_sample[(run_id, prompt_id, model_id, sample)]] = answer_id
            self.answers_created += len(new)
        return [(self.answers[left], self.answers[right]) for left, right in keys]

    def _pairs(self, prompt_ids: list[int], answers: list[tuple[int, int]]) -> list[int]:
        """Each vote's pair id: stored pairs found by one query, the new ones added at once."""
        wanted: dict[tuple[int, int], int] = {}
        for prompt_id, (left, right) in zip(prompt_ids, answers, strict=True):
            key = (min(left, right), max(left, right))
            if key not in self.pairs:
                wanted.setdefault(key, prompt_id)
        maybe_stored = [
            k for k in wanted if k[0] in self.stored_answers and k[1] in self.stored_answers
        ]
        if maybe_stored:
            ids = tuple_(col(Pair.response_a_id), col(Pair.response_b_id))
            for low, high, pair_id in self.session.exec(
                select(Pair.response_a_id, Pair.response_b_id, Pair.id).where(ids.in_(maybe_stored))
            ):
                assert pair_id is not None
                self.pairs[(low, high)] = pair_id
                self.stored_pairs.add(pair_id)
        new = [
            {"prompt_id": prompt_id, "response_a_id": key[0], "response_b_id": key[1]}
            for key, prompt_id in wanted.items()
            if key not in self.pairs
        ]
        if new:
            table = Pair.__table__  # type: ignore[attr-defined]
            returned = table.c.response_a_id, table.c.response_b_id, table.c.id
            for low, high, pair_id in self.conn.execute(insert(table).returning(*returned), new):
                self.pairs[(low, high)] = pair_id
            self.pairs_created += len(new)
        return [self.pairs[(min(pair), max(pair))] for pair in answers]

    def _votes(
        self, batch: list[VoteRow], answers: list[tuple[int, int]], pair_ids: list[int]
    ) -> None:
        """The batch's votes, but for those stored before (a problem if with another verdict)."""
        raters = [self.rater(imported_rater_name(row, self.file)) for row in batch]
        voted = [(p, r) for p, r in zip(pair_ids, raters, strict=True) if p in self.stored_pairs]
        stored: dict[tuple[int, int], tuple[int, str]] = {}
        if voted:
            for pair_id, rater_id, left, choice in self.session.exec(
                select(Vote.pair_id, Vote.rater_id, Vote.left_response_id, Vote.choice).where(
                    col(Vote.pair_id).in_({p for p, _ in voted}),
                    col(Vote.rater_id).in_({r for _, r in voted}),
                )
            ):
                stored[(pair_id, rater_id)] = (left, choice)
        now = utc_now()
        new = []
        for row, (left, _), pair_id, rater_id in zip(batch, answers, pair_ids, raters, strict=True):
            before = stored.get((pair_id, rater_id))
            if before is not None:
                if before != (left, row.choice):
                    self.problems.append(
                        Problem(
                            self.file,
                            row.line,
                            "winner",
                            "this rater's vote on these answers is stored already with "
                            "another verdict",
                        )
                    )
                continue
            new.append(
                {
                    "rater_id": rater_id,
                    "pair_id": pair_id,
                    "left_response_id": left,
                    "choice": row.choice,
                    "dwell_ms": row.dwell_ms,
                    "flagged": row.flagged,
                    "comment": row.comment,
                    "created_at": row.created_at or now,
                }
            )
        insert_imported_votes(self.conn, new, self.source)
        self.votes_created += len(new)


def _batches(rows: Iterable[VoteRow | Problem], repeated: set[int]) -> Iterator[list[VoteRow]]:
    """The file's votes in batches of :data:`_BATCH`, each once (``repeated`` lines left out)."""
    batch: list[VoteRow] = []
    for row in rows:
        if isinstance(row, Problem):  # checked already: none left
            raise InputError([row])
        if row.line in repeated:
            continue
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def import_votes(
    engine: Engine, rows: Callable[[], Iterable[VoteRow | Problem]], *, file: str, source: str
) -> VoteImport:
    """Check every vote of a file, then store them in one transaction, in batches.

    Raises
    ------
    InputError
        With every problem found (nothing is written then), including votes that
        contradict ones stored before by the same imported raters.
    """
    count, repeated, problems = _check(rows(), file)
    if problems:
        raise InputError(problems)
    names = model_names(engine)
    with session_scope(engine) as session:
        writer = _Writer(session, source, names, file)
        for batch in _batches(rows(), repeated):
            writer.write(batch)
            if len(writer.problems) >= MAX_PROBLEMS:
                break
        if writer.problems:  # raised inside the transaction: it is rolled back
            raise InputError(writer.problems[:MAX_PROBLEMS])
    return VoteImport(
        votes_created=writer.votes_created,
        votes_unchanged=count - writer.votes_created,
        answers_created=writer.answers_created,
        pairs_created=writer.pairs_created,
    )

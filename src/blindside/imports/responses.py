"""``blindside import responses``: which reader a file needs, and the import of its answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Engine

from blindside.errors import InputError, Problem
from blindside.imports.answers import AnswerDefaults, AnswerRow, generic_answers
from blindside.imports.lm_eval import lm_eval_answers, lm_eval_task
from blindside.imports.records import MAX_PROBLEMS, file_format
from blindside.imports.store import AnswerImport, import_answers

__all__ = ["DEFAULT_SUITE", "ResponseImport", "response_import"]

#: The suite of imported prompts when neither ``--suite`` nor the file names one.
DEFAULT_SUITE = "imported"


@dataclass(frozen=True)
class ResponseImport:
    """One file of answers to import: its reader, the suite, and what the rows record."""

    file: str
    suite: str
    source: str
    rows: Callable[[], Iterable[AnswerRow | Problem]]

    def check_file(self) -> None:
        """Every problem of the file alone (no database), raised as one :class:`InputError`."""
        problems: list[Problem] = []
        count = 0
        for row in self.rows():
            if isinstance(row, Problem):
                problems.append(row)
                if len(problems) >= MAX_PROBLEMS:
                    break
            else:
                count += 1
        if not problems and not count:
            problems.append(Problem(self.file, None, "", "the file has no answers"))
        if problems:
            raise InputError(problems)

    def run(self, engine: Engine) -> AnswerImport:
        """Check against the database, store and pair: :func:`.store.import_answers`."""
        return import_answers(
            engine, self.rows, suite=self.suite, file=self.file, source=self.source
        )


def response_import(
    path: str | Path,
    fmt: str | None,
    defaults: AnswerDefaults,
    *,
    suite: str | None = None,
) -> ResponseImport:
    """The import of one file of answers.

    Parameters
    ----------
    path : str or Path
    fmt : {"jsonl", "csv", "lm-eval"} or None
        None: CSV for a ``.csv`` file, JSON lines otherwise.
    defaults : AnswerDefaults
        ``--model``, ``--tier``, ``--category``, ``--scorer``.
    suite : str, optional
        The suite the prompts join: by default the lm-eval task, else ``imported``.
    """
    path = Path(path)
    file = str(path)
    if fmt == "lm-eval":
        if defaults.model is None or not defaults.model.strip():
            raise InputError.single(
                "--model", None, "", "lm-eval samples files name no model: give --model NAME"
            )
        defaults = replace(defaults, model=defaults.model.strip())
        task = lm_eval_task(path)
        defaults = replace(defaults, category=defaults.category or task)
        return ResponseImport(
            file=file,
            suite=suite or task,
            source=f"lm-eval:{path.name}",
            rows=lambda: lm_eval_answers(path, defaults),
        )
    kind = file_format(path, fmt)
    return ResponseImport(
        file=file,
        suite=suite or DEFAULT_SUITE,
        source=f"{kind}:{path.name}",
        rows=lambda: generic_answers(path, defaults, fmt=kind),
    )

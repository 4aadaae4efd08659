"""Validation errors that name the file, line and field of every problem.

Suites and ``models.toml`` are validated as a whole before anything is written:
every problem found is collected into one :class:`InputError`, which the CLI
prints and turns into exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in one input file.

    Attributes
    ----------
    file : str
        Path of the file, as given by the caller.
    line : int or None
        1-based line number, or None when the problem concerns the whole file.
    field : str
        Name of the offending field ("" when the line as a whole is bad).
    message : str
        What is wrong, in words a user can act on.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        what = f" field '{self.field}':" if self.field else ""
        return f"{where}:{what} {self.message}"


class InputError(Exception):
    """Bad user input (suite or config); carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, line: int | None, field: str, message: str) -> InputError:
        return cls([Problem(str(file), line, field, message)])

"""Prompt suites: load and validate JSONL files of tiered prompts.

A suite is a ``.jsonl`` file with one prompt (a JSON object) per line; the
suite name is the file stem. Every problem of every line is collected before
anything is raised, so a user fixes a file in one pass. The format is
documented in ``docs/prompt-suites.md``.

:mod:`.spec` holds what a valid suite is, :mod:`.files` reads files and
directories, :mod:`.lines` validates one line (its scorer through
:func:`blindside.scorers.validate_scorer`), :mod:`.shared` reads a suite's
settings file (a long context shared by every prompt).
"""

from __future__ import annotations

from blindside.suites.files import load_suite_dir, load_suite_file, parse_suite_text
from blindside.suites.shared import SHARED_AS, SharedContext
from blindside.suites.spec import PROMPT_FIELDS, ROLES, TIERS, PromptSpec, SuiteSpec

__all__ = [
    "PROMPT_FIELDS",
    "ROLES",
    "SHARED_AS",
    "TIERS",
    "PromptSpec",
    "SharedContext",
    "SuiteSpec",
    "load_suite_dir",
    "load_suite_file",
    "parse_suite_text",
]

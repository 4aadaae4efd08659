"""``import prompts``, ``import responses`` and ``import votes``: bring other tools' data in.

Each subcommand checks the whole file first; a bad record is one ``file:line:
field`` message and exit code 2, with nothing written (:mod:`blindside.imports`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blindside.cli.common import EXIT_OK, settings_from
from blindside.errors import InputError, Problem

if TYPE_CHECKING:
    from blindside.imports.votes import VoteRow


def _scorer(value: str | None) -> dict[str, Any] | None:
    """``--scorer``: a scorer type (``numeric``) or a JSON object (``{"type": "regex", ...}``)."""
    if value is None:
        return None
    text = value.strip()
    if not text.startswith("{"):
        return {"type": text}
    try:
        scorer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single("--scorer", None, "", f"not valid JSON: {exc.msg}") from None
    if not isinstance(scorer, dict):
        raise InputError.single("--scorer", None, "", "must be a scorer type or a JSON object")
    return scorer


def cmd_import_prompts(args: argparse.Namespace) -> int:
    from blindside.db import open_database
    from blindside.imports.prompts import import_prompts, read_prompts

    # Check the file before the database is opened (or created): a bad file touches nothing.
    read_prompts(args.file, fmt=args.format)
    engine = open_database(settings_from(args).database_url)
    done = import_prompts(engine, args.file, suite=args.suite, fmt=args.format)
    report = done.report
    print(
        f"suite {done.suite}: {done.prompts} prompts ({report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged)"
    )
    return EXIT_OK


def cmd_import_responses(args: argparse.Namespace) -> int:
    from blindside.db import open_database
    from blindside.imports.answers import AnswerDefaults
    from blindside.imports.responses import response_import

    defaults = AnswerDefaults(
        model=args.model, tier=args.tier, category=args.category, scorer=_scorer(args.scorer)
    )
    plan = response_import(args.file, args.format, defaults, suite=args.suite)
    plan.check_file()  # a bad file touches no database
    engine = open_database(settings_from(args).database_url)
    done = plan.run(engine)
    models = f"; new models: {', '.join(done.models_created)}" if done.models_created else ""
    print(
        f"suite {done.suite}: {done.answers_created} answers imported, "
        f"{done.answers_unchanged} already there; {done.prompts_created} new prompts, "
        f"{done.pairs_created} new pairs (run {done.run_id}){models}"
    )
    return EXIT_OK


def cmd_import_votes(args: argparse.Namespace) -> int:
    from blindside.db import open_database
    from blindside.imports.records import MAX_PROBLEMS, file_format
    from blindside.imports.vote_store import import_votes
    from blindside.imports.votes import VoteDefaults, vote_records

    defaults = VoteDefaults(suite=args.suite, tier=args.tier, category=args.category)
    kind = file_format(args.file, args.format)

    def rows() -> Iterator[VoteRow | Problem]:  # a fresh reader per pass
        return vote_records(args.file, defaults, fmt=kind)

    problems = [row for row in rows() if isinstance(row, Problem)]
    if problems:  # a bad file touches no database
        raise InputError(problems[:MAX_PROBLEMS])
    engine = open_database(settings_from(args).database_url)
    done = import_votes(engine, rows, file=str(args.file), source=f"{kind}:{args.file.name}")
    print(
        f"{done.votes_created} votes imported, {done.votes_unchanged} already there; "
        f"{done.answers_created} new answers, {done.pairs_created} new pairs"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``import`` and its subcommands."""
    p = sub.add_parser("import", help="import prompts, answers or votes made elsewhere")
    what = p.add_subparsers(dest="what", required=True, metavar="{prompts,responses,votes}")

    q = what.add_parser(
        "prompts", parents=[common], help="a JSONL or CSV file of prompts into a suite"
    )
    q.add_argument("file", type=Path, help="JSON lines (suite lines) or CSV with a header row")
    q.add_argument("--suite", help="the suite the prompts join (default: the file's stem)")
    q.add_argument("--format", choices=["jsonl", "csv"], help="default: from the extension")
    q.set_defaults(func=cmd_import_prompts)

    r = what.add_parser(
        "responses", parents=[common], help="answers made by any pipeline, or lm-eval samples"
    )
    r.add_argument("file", type=Path)
    r.add_argument(
        "--format",
        choices=["jsonl", "csv", "lm-eval"],
        help="jsonl or csv answers, or an lm-eval --log_samples file (default: by extension)",
    )
    r.add_argument("--model", help="the model of records that do not name one (lm-eval: all)")
    r.add_argument(
        "--suite",
        help="the suite the prompts join (default: 'imported'; lm-eval: the task's name)",
    )
    r.add_argument(
        "--tier", type=int, choices=[1, 2, 3], default=2, help="tier of new prompts (default 2)"
    )
    r.add_argument("--category", help="category of new prompts (default: lm-eval's task)")
    r.add_argument(
        "--scorer",
        help="scorer of new prompts against their reference (lm-eval: the target), "
        'a type such as numeric or a JSON object like {"type": "regex", ...}',
    )
    r.set_defaults(func=cmd_import_responses)

    v = what.add_parser(
        "votes", parents=[common], help="arena battles or blindside's export, as imported votes"
    )
    v.add_argument("file", type=Path, help="JSON lines or CSV: arena battles or an export")
    v.add_argument("--format", choices=["jsonl", "csv"], help="default: from the extension")
    v.add_argument(
        "--suite", help="the suite the prompts join (default: arena; an export's own suite)"
    )
    v.add_argument(
        "--tier", type=int, choices=[1, 2, 3], default=2, help="tier of arena prompts (default 2)"
    )
    v.add_argument("--category", default="arena", help="category of arena prompts")
    v.set_defaults(func=cmd_import_votes)

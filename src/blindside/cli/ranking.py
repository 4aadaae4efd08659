"""``scores``, ``rank`` and ``export``: read the database (or a votes file) and report.

What these commands print is built in :mod:`blindside.cli.reports`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blindside.cli.common import EXIT_FAILED, EXIT_OK, add_choice, settings_from
from blindside.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from blindside.cuts import Cut


def _monthly_volume(args: argparse.Namespace) -> int | None:
    """Tasks per month to cost at: ``--volume``, else ``[volume]`` of models.toml for the tier.

    Without a tier (and no ``--volume``) nothing is costed: the tiers' volumes differ.
    A missing models.toml costs nothing; an invalid one is reported like everywhere else.
    """
    from blindside.config import load_models_toml

    if args.volume is not None:
        if args.volume < 1:
            raise InputError.single("--volume", None, "", "needs at least 1 task a month")
        return int(args.volume)
    path = settings_from(args).models_path
    if args.tier is None or not Path(path).is_file():
        return None
    return load_models_toml(path).monthly_volume.get(args.tier)


def cmd_scores(args: argparse.Namespace) -> int:
    from blindside.cli.reports import print_scores
    from blindside.cuts import Cut
    from blindside.db import open_database
    from blindside.leaderboard.stats import measured_models

    volume = _monthly_volume(args)
    engine = open_database(settings_from(args).database_url)
    cut = Cut(tier=args.tier, suite=args.suite, category=args.category, run_id=args.run)
    models = [replace(m, monthly_volume=volume) for m in measured_models(engine, cut)]
    described = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("tier", args.tier),
            ("suite", args.suite),
            ("category", args.category),
            ("run", args.run),
        )
        if value is not None
    )
    described = described or "all answers"
    if not models:
        print(
            f"no answers in this selection ({described}): run `blindside generate`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print_scores(models, described, args.format)
    return EXIT_OK


def _vote_cut(args: argparse.Namespace) -> Cut:
    """The :class:`~blindside.cuts.Cut` that ``rank`` and ``export`` options describe."""
    from blindside.cuts import Cut, parse_time_bound

    try:
        since = parse_time_bound(args.since) if args.since else None
        until = parse_time_bound(args.until, end=True) if args.until else None
    except ValueError as exc:
        raise InputError.single("--since/--until", None, "", str(exc)) from None
    return Cut(
        tier=args.tier,
        suite=args.suite,
        category=args.category,
        run_id=args.run,
        raters=tuple(args.rater or ()),
        since=since,
        until=until,
        exclude_flagged=args.exclude_flagged,
        exclude_gold=args.exclude_gold,
        # Unset (None) means no; ``rank`` on a database applies the identity policy instead.
        exclude_identity_leaks=bool(args.exclude_identity_leaks),
        exclude_fallbacks=args.exclude_fallbacks,
    )


def _export_path(out: str) -> Path:
    """``export --out``, checked before any work: a file in a directory that exists."""
    path = Path(out)
    if path.is_dir():
        raise InputError.single(out, None, "", "is a directory: give the path of a file")
    if not path.parent.is_dir():
        raise InputError.single(out, None, "", f"no such directory: {path.parent}")
    return path


def cmd_export(args: argparse.Namespace) -> int:
    from blindside.db import open_database

    cut = _vote_cut(args)
    table = args.table
    fmt = args.format or ("jsonl" if table == "votes" else "json")
    if table == "votes" and fmt == "json":
        raise InputError.single("--format", None, "", "votes are exported as jsonl, not json")
    if table != "votes" and fmt not in ("csv", "json"):
        raise InputError.single("--format", None, "", f"a {table} is exported as csv or json")
    if fmt == "parquet" and not args.out:
        raise InputError.single("--format", None, "", "parquet is binary: give --out FILE")
    if args.keep_ties and fmt != "preference":
        raise InputError.single("--keep-ties", None, "", "applies to --format preference only")
    out = _export_path(args.out) if args.out else sys.stdout
    engine = open_database(settings_from(args).database_url)
    try:
        if table == "votes":
            from blindside.export.run import export_votes

            count = export_votes(engine, cut, fmt, out, keep_ties=args.keep_ties)
            what = "preference pairs" if fmt == "preference" else "labelled pairs"
            if fmt == "arena":
                what = "battles"
        else:
            count = _export_table(engine, args, cut, fmt, out)
            what = "models"
    except OSError as exc:  # the disk is full, the directory went away...
        raise InputError.single(args.out, None, "", f"cannot write: {exc.strerror}") from None
    where = f" to {args.out}" if args.out else ""
    print(f"exported {count} {what} ({cut.describe()}){where}", file=sys.stderr)
    return EXIT_OK


def _export_table(engine: Engine, args: argparse.Namespace, cut: Cut, fmt: str, out: Any) -> int:
    """``export --table leaderboard|scores``: the document, written as ``rank`` would fit it."""
    from blindside.export.boards import table_document, write_table
    from blindside.export.writers import replaced_atomically

    if args.table == "leaderboard" and args.exclude_identity_leaks is None:
        from blindside.policy import identity_policy

        cut = replace(cut, exclude_identity_leaks=identity_policy(engine).excludes_leaky_votes)
    document = table_document(engine, args.table, cut)
    if isinstance(out, Path):
        with replaced_atomically(out) as stream:
            return write_table(document, fmt, stream)
    return write_table(document, fmt, out)


def cmd_rank(args: argparse.Namespace) -> int:
    from blindside.cli.reports import print_rank
    from blindside.cuts import Cut
    from blindside.leaderboard.board import (
        RankOptions,
        build_leaderboard,
        leaderboard_from_arena,
    )

    if args.bootstrap is not None and args.bootstrap < 1:
        raise InputError.single("--bootstrap", None, "", "needs at least 1 round")
    options = RankOptions(
        # --bootstrap N asks for bootstrap intervals with N rounds.
        intervals="bootstrap" if args.bootstrap else args.intervals,
        n_bootstrap=args.bootstrap or 1000,
        tie_model=args.ties,
        style=args.style,
    )
    cut = _vote_cut(args)
    if args.votes:
        from blindside.arena import read_arena_battles

        if cut != Cut():
            raise InputError.single(
                "--votes", None, "", "cut options apply to the database, not to a votes file"
            )
        if args.style:
            raise InputError.single(
                "--votes", None, "", "--style needs the answer texts, which a votes file lacks"
            )
        if args.judge:
            raise InputError.single(
                "--votes", None, "", "--judge reads the judge's verdicts from the database"
            )
        battles = read_arena_battles(args.votes)
        if battles.total == 0:
            raise InputError.single(args.votes, None, "", "no votes in this file: nothing to rank")
        board = leaderboard_from_arena(battles, options)
        source = str(args.votes)
    else:
        from blindside.db import open_database
        from blindside.policy import identity_policy

        engine = open_database(settings_from(args).database_url)
        if args.exclude_identity_leaks is None:
            # Under show-and-exclude, votes on identity-leaking answers count only on request.
            cut = replace(cut, exclude_identity_leaks=identity_policy(engine).excludes_leaky_votes)
        board = build_leaderboard(engine, cut, options)
        source = "database"
        if args.judge:
            from blindside.cli.judge import print_judge_rank

            print_judge_rank(engine, board.rows, args.judge, cut, args.format)
            return EXIT_OK
    if board.total_votes == 0:
        print(
            f"no votes yet in this selection ({cut.describe()}): rate some pairs on the Vote "
            "page, "
            "or widen the cut",
            file=sys.stderr,
        )
        return EXIT_FAILED
    board = board.at_volume(_monthly_volume(args))
    print_rank(board, source, cut.describe(), args.format)
    for warning in board.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return EXIT_OK


def _add_answer_cut_arguments(group: argparse._ActionsContainer) -> None:
    """The options that pick prompts and answers, shared by ``scores``, ``rank`` and ``export``."""
    group.add_argument("--tier", type=int, choices=[1, 2, 3])
    group.add_argument("--suite", help="only prompts of this suite")
    group.add_argument("--category", help="only prompts of this category")
    group.add_argument("--run", type=int, metavar="RUN_ID", help="only answers of this run")


def _add_volume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--volume",
        type=int,
        metavar="TASKS",
        help="tasks per month for the monthly cost (default: [volume] of models.toml for --tier)",
    )


def _add_vote_cut_arguments(group: argparse._ArgumentGroup) -> None:
    """The options of a :class:`~blindside.cuts.Cut`, shared by ``rank`` and ``export``."""
    _add_answer_cut_arguments(group)
    group.add_argument(
        "--rater", action="append", metavar="NAME", help="only this rater's votes (repeatable)"
    )
    group.add_argument("--since", help="votes at or after (ISO date/time, UTC)")
    group.add_argument("--until", help="votes before this time; a bare date includes that day")
    group.add_argument("--exclude-flagged", action="store_true", help="drop flagged votes")
    group.add_argument(
        "--exclude-gold",
        action="store_true",
        help="drop gold (rater QA) items: marked pairs and gold prompts",
    )
    group.add_argument(
        "--exclude-identity-leaks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="drop (or keep) votes on answers that reveal which model wrote them (rank "
        "default: drop under BLINDSIDE_IDENTITY_POLICY=show-and-exclude, else keep; export "
        "default: keep)",
    )
    group.add_argument(
        "--exclude-fallbacks",
        action="store_true",
        help="ignore votes on answers that a fallback model served",
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``scores``, ``rank`` and ``export`` to the command's subparsers."""
    p = sub.add_parser(
        "scores", parents=[common], help="print automated scores per model (no votes needed)"
    )
    add_choice(p, "--format", ("table", "json", "csv"))
    _add_answer_cut_arguments(p)
    _add_volume_argument(p)
    p.set_defaults(func=cmd_scores)

    p = sub.add_parser("rank", parents=[common], help="print the Bradley-Terry leaderboard")
    p.add_argument(
        "--votes",
        metavar="FILE",
        help="rank an arena-format file (JSON lines or array: model_a, model_b, winner) "
        "instead of the database",
    )
    add_choice(p, "--format", ("table", "json", "csv"))
    p.add_argument(
        "--judge",
        metavar="MODEL",
        help="print this LLM judge's ranking beside the raters', with its position bias and "
        "agreement (see `blindside judge`)",
    )
    fit = p.add_argument_group("fit")
    add_choice(
        fit, "--intervals", ("sandwich", "bootstrap"), "95%% interval method (default: sandwich)"
    )
    fit.add_argument(
        "--bootstrap",
        type=int,
        metavar="N",
        help="bootstrap intervals with N rounds (implies --intervals bootstrap)",
    )
    add_choice(
        fit, "--ties", ("half", "davidson"), "a tie as half a win each way, or Davidson's tie model"
    )
    fit.add_argument(
        "--style", action="store_true", help="style control: length and markdown covariates"
    )
    _add_vote_cut_arguments(p.add_argument_group("cut (database only)"))
    _add_volume_argument(p)
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write votes (labelled pairs, arena battles, preference pairs), or the "
        "leaderboard or scores of a cut",
    )
    add_choice(p, "--table", ("votes", "leaderboard", "scores"), "what to export (default: votes)")
    p.add_argument(
        "--format",
        choices=["jsonl", "csv", "parquet", "arena", "preference", "json"],
        help="votes: jsonl (default), csv, parquet, arena or preference; leaderboard and "
        "scores: json (default) or csv",
    )
    p.add_argument(
        "--keep-ties",
        action="store_true",
        help="--format preference: keep ties and both-bad votes (outcome says which)",
    )
    p.add_argument(
        "--out", metavar="FILE", help="write here (replaced atomically) instead of stdout"
    )
    _add_vote_cut_arguments(p.add_argument_group("cut"))
    p.set_defaults(func=cmd_export)

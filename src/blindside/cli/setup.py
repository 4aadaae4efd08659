"""``init`` and ``validate``: load suites and models.toml, and set up the database."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from blindside.cli.common import EXIT_OK, settings_from
from blindside.cli.output import ProgressBar

if TYPE_CHECKING:
    from blindside.engine.run import Progress


def cmd_init(args: argparse.Namespace) -> int:
    from blindside.project import demo_votes_and_verdicts, generate_demo_answers, init_project

    settings = settings_from(args)
    engine, report = init_project(settings)
    print(
        f"database ready: {engine.url.render_as_string(hide_password=True)}\n"
        f"suites: {len(report.suites)} ({sum(len(s.prompts) for s in report.suites)} prompts; "
        f"{report.prompts.created} new, {report.prompts.updated} updated)\n"
        f"models: {len(report.config.models)} "
        f"({report.models.created} new, {report.models.updated} updated)"
    )
    leaks = report.leaks
    if leaks.answers_changed or leaks.votes_changed:
        print(
            f"identity leaks: {leaks.flagged} answers flagged; re-checked with the current "
            f"rules, {leaks.answers_changed} answers and {leaks.votes_changed} votes updated"
        )
    if args.demo:
        bars: dict[str, ProgressBar] = {}

        def on_progress(suite: str, progress: Progress) -> None:
            bars.setdefault(suite, ProgressBar(f"demo answers {suite}")).update(progress)

        results = generate_demo_answers(engine, report.config, settings, on_progress=on_progress)
        for bar in bars.values():
            bar.close()
        for result in results:
            print(
                f"run {result.run_id}: {result.succeeded} answers, {result.failed} failed, "
                f"{result.pairs_created} pairs, {result.wall_s:.1f}s"
            )
        if not results:
            print("demo answers: already generated")
        judging = demo_votes_and_verdicts(engine, report.config, settings)
        if judging.votes.already:
            print("demo votes: already cast by the simulated raters")
        else:
            print(f"demo votes: {judging.votes.votes} by {judging.votes.raters} simulated raters")
        verdicts = sum(r.verdicts + r.parse_failures for r in judging.results)
        if judging.judge is not None:
            print(
                f"demo judge {judging.judge}: {verdicts} verdicts on "
                f"{sum(r.pairs for r in judging.results)} pairs "
                f"({sum(r.requested for r in judging.results)} new)"
            )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from blindside.project import load_inputs

    suites, config = load_inputs(settings_from(args))
    print(
        f"ok: {len(suites)} suites, {sum(len(s.prompts) for s in suites)} prompts, "
        f"{len(config.models)} models"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``init`` and ``validate`` to the command's subparsers."""
    p = sub.add_parser(
        "init", parents=[common], help="create/migrate the database, load suites and models"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="also generate the demo models' answers, simulated raters' votes and a simulated "
        "judge's verdicts, once",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "validate", parents=[common], help="check suites and models.toml, write nothing"
    )
    p.set_defaults(func=cmd_validate)

"""``judge``: a configured model judges a suite's pairs in both orders (resumable)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from blindside.cli.common import EXIT_FAILED, EXIT_OK, settings_from
from blindside.cli.output import progress_bar

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from blindside.cuts import Cut


def print_judge_summary(engine: Engine, judge_model_id: int, cut: Cut) -> None:
    """The judge's verdicts, position bias and agreement with the raters, in words."""
    from blindside.judge.report import (
        describe_agreement,
        describe_bias,
        describe_verdicts,
        judge_report,
    )

    report = judge_report(engine, judge_model_id, cut)
    for line in (describe_verdicts(report), describe_bias(report), describe_agreement(report)):
        print(line.replace("**", ""))


def cmd_judge(args: argparse.Namespace) -> int:
    from blindside.cuts import Cut
    from blindside.judge.run import judge_suite
    from blindside.project import init_project

    settings = settings_from(args)
    engine, report = init_project(settings)
    with progress_bar(f"judge {args.suite}") as on_progress:
        result = judge_suite(
            engine,
            report.config,
            settings,
            suite_name=args.suite,
            judge_name=args.judge,
            max_pairs=args.pairs,
            max_cost_usd=args.max_cost,
            concurrency=args.concurrency,
            on_progress=on_progress,
        )
    print(
        f"judge run {result.judge_run_id}: {result.pairs} pairs, requested {result.requested} "
        f"verdicts: {result.verdicts} parsed, {result.parse_failures} parse failures, "
        f"{result.failed} failed; already done {result.already_done}; "
        f"cost ${result.cost_usd:.4f}, {result.wall_s:.1f}s"
    )
    if result.stop_reason:
        print(f"stopped early: {result.stop_reason}")
    print_judge_summary(engine, result.judge_model_id, Cut(suite=args.suite))
    return EXIT_OK if result.failed == 0 else EXIT_FAILED


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``judge`` to the command's subparsers."""
    p = sub.add_parser(
        "judge",
        parents=[common],
        help="an LLM judges a suite's pairs in both orders (resumable), apart from votes",
    )
    p.add_argument("--suite", required=True, help="suite whose pairs are judged")
    p.add_argument("--judge", required=True, help="the judging model (name or model id)")
    p.add_argument("--pairs", type=int, metavar="N", help="judge at most N pairs (2 verdicts each)")
    p.add_argument(
        "--max-cost", type=float, metavar="USD", help="stop cleanly before the spend passes this"
    )
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight at most")
    p.set_defaults(func=cmd_judge)


def _judge_id(engine: Engine, name: str) -> int:
    """The id of the judging model called ``name`` (name or model id), which has verdicts."""
    from sqlmodel import col, or_, select

    from blindside.errors import InputError
    from blindside.judge.report import judge_models
    from blindside.tables import Model

    with engine.connect() as conn:
        found = conn.execute(
            select(Model.id).where(or_(col(Model.name) == name, col(Model.model_id) == name))
        ).first()
    judges = judge_models(engine)
    if found is None or found[0] not in {mid for mid, _ in judges}:
        known = ", ".join(label for _, label in judges) or "none yet: run `blindside judge`"
        raise InputError.single("--judge", None, "", f"no verdicts by {name!r} (judges: {known})")
    return int(found[0])


def print_judge_rank(engine: Engine, rows: list, judge: str, cut: Cut, fmt: str) -> None:  # type: ignore[type-arg]
    """``rank --judge``: the judge's ranking beside the raters', with bias and agreement.

    Parameters
    ----------
    engine : Engine
    rows : list of LeaderboardRow
        The human leaderboard of the same cut.
    judge : str
        The judging model's name or model id.
    cut : Cut
    fmt : {"table", "json", "csv"}
    """
    import json
    from dataclasses import asdict

    from blindside.cli.output import print_csv, rounded
    from blindside.judge.report import (
        compare_rankings,
        describe_agreement,
        describe_bias,
        describe_verdicts,
        judge_report,
    )

    report = judge_report(engine, _judge_id(engine, judge), cut)
    comparison = compare_rankings(report, rows)
    records = [
        {
            "model": m.name,
            "human_rating": rounded(m.human, 1),
            "human_low": rounded(m.human_low, 1),
            "human_high": rounded(m.human_high, 1),
            "judge_rating": rounded(m.judge, 1),
            "judge_low": rounded(m.judge_low, 1),
            "judge_high": rounded(m.judge_high, 1),
        }
        for m in comparison.models
    ]
    if fmt == "csv":
        if records:
            print_csv(records)
        return
    if fmt == "json":
        document = {
            "judge": report.judge,
            "cut": cut.describe(),
            "verdicts": report.verdicts,
            "parse_failures": report.parse_failures,
            "failed": report.failed,
            "cost_usd": round(report.cost_usd, 6),
            "spearman_rho": rounded(comparison.rho, 3),
            "position_advantage_elo": rounded(report.position_advantage_elo, 1),
            "position_bias": asdict(report.bias),
            "agreement": asdict(report.agreement),
            "models": records,
        }
        print(json.dumps(document, indent=2))
        return

    def cell(value: float | None, low: float | None, high: float | None) -> str:
        if value is None:
            return "–"
        interval = f" ({low:.0f}–{high:.0f})" if low is not None and high is not None else ""
        return f"{value:.0f}{interval}"

    print(f"Judge {report.judge} beside the raters ({cut.describe()})")
    print(f"{'model':<32} {'raters (95% CI)':>20} {'judge (95% CI)':>20}")
    for m in comparison.models:
        print(
            f"{m.name:<32} {cell(m.human, m.human_low, m.human_high):>20} "
            f"{cell(m.judge, m.judge_low, m.judge_high):>20}"
        )
    if comparison.rho is not None:
        print(
            f"Spearman's rho between the two rankings: {comparison.rho:+.2f} over "
            f"{comparison.rho_models} models"
        )
    for line in (describe_verdicts(report), describe_bias(report), describe_agreement(report)):
        print(line.replace("**", ""))

"""``generate``: run a suite through models, resumably, with a progress bar."""

from __future__ import annotations

import argparse

from blindside.cli.common import EXIT_FAILED, EXIT_OK, name_list, settings_from
from blindside.cli.output import progress_bar


def cmd_generate(args: argparse.Namespace) -> int:
    from blindside.engine.run import generate
    from blindside.project import init_project
    from blindside.runs import format_run_summary, run_model_summaries

    settings = settings_from(args)
    engine, report = init_project(settings)
    with progress_bar(f"generate {args.suite}") as on_progress:
        result = generate(
            engine,
            report.config,
            settings,
            suite_name=args.suite,
            model_names=name_list(args.models),
            samples=args.samples,
            concurrency=args.concurrency,
            new_run=args.new_run,
            max_cost_usd=args.max_cost,
            on_progress=on_progress,
        )
    if result.recovered:
        print(f"recovered {result.recovered} answers journaled before an interruption")
    print(
        f"run {result.run_id}: requested {result.requested}, succeeded {result.succeeded}, "
        f"failed {result.failed}, already done {result.skipped}, retries {result.retries}, "
        f"served by fallbacks {result.fallbacks}, cost ${result.cost_usd:.4f}, "
        f"{result.pairs_created} new pairs, {result.wall_s:.1f}s"
    )
    if result.stop_reason:
        print(f"stopped early: {result.stop_reason}")
    print(format_run_summary(run_model_summaries(engine, run_id=result.run_id)))
    return EXIT_OK if result.failed == 0 else EXIT_FAILED


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``generate`` to the command's subparsers."""
    p = sub.add_parser("generate", parents=[common], help="run a suite through models (resumable)")
    p.add_argument("--suite", required=True, help="suite name (file stem in the suites directory)")
    p.add_argument("--models", help="comma-separated model names or ids (default: all active)")
    p.add_argument("--samples", type=int, default=1, help="answers per prompt and model")
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight at most")
    p.add_argument("--new-run", action="store_true", help="start a new run instead of resuming")
    p.add_argument(
        "--max-cost", type=float, metavar="USD", help="stop cleanly before the spend passes this"
    )
    p.set_defaults(func=cmd_generate)

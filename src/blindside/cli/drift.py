"""``rebench``: run a suite again, compare with each model's baseline, alert on drift."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blindside.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, name_list, settings_from
from blindside.cli.output import progress_bar


def report_paths(path: str) -> tuple[Path, Path]:
    """Where the markdown and the JSON go: ``PATH`` and its sibling with the other suffix."""
    given = Path(path)
    if given.suffix == ".json":
        return given.with_suffix(".md"), given
    if given.suffix == ".md":
        return given, given.with_suffix(".json")
    return given.with_name(given.name + ".md"), given.with_name(given.name + ".json")


def cmd_rebench(args: argparse.Namespace) -> int:
    from blindside.drift.rebench import RebenchError, rebench
    from blindside.drift.report import alert_lines, slack_payload, to_markdown
    from blindside.drift.webhook import WebhookError, host_of, post_json, resolve_url
    from blindside.project import init_project

    settings = settings_from(args)
    try:
        url = resolve_url(args.webhook) if args.webhook else None
    except WebhookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    engine, project = init_project(settings)
    with progress_bar(f"rebench {args.suite}") as on_progress:
        try:
            result = rebench(
                engine,
                project.config,
                settings,
                suite_name=args.suite,
                model_names=name_list(args.models),
                samples=args.samples,
                baseline_run_id=args.baseline,
                concurrency=args.concurrency,
                max_cost_usd=args.max_cost,
                judge_name=args.judge,
                on_progress=on_progress,
            )
        except RebenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    markdown = to_markdown(result.report)
    if args.report:
        md_path, json_path = report_paths(args.report)
        md_path.write_text(markdown + "\n", encoding="utf-8")
        json_path.write_text(json.dumps(result.report, indent=2) + "\n", encoding="utf-8")
        print(f"report: {md_path} and {json_path}")
    print(
        f"rebench {result.rebench_id}: run {result.run_id}, "
        f"{len(result.findings)} comparisons, {len(result.alerts)} alert(s)"
    )
    judging = result.report.get("judging") or {}
    if "requested" in judging:
        print(
            f"judge {judging['judge']}: {judging['requested']} verdicts asked, "
            f"{judging['already_done']} already stored, {judging['failed']} failed, "
            f"${judging['cost_usd']:.4f}"
        )
    elif judging:
        print(f"judge {judging['judge']}: {judging.get('stop_reason')}")
    for line in alert_lines(result.report):
        print(f"DRIFT {line}")
    for model, base in result.baselines.items():
        if base is None:
            print(f"{model}: no earlier comparable run; this run is its baseline")
    code = EXIT_FAILED if result.drifted else EXIT_OK
    if url is not None:
        try:
            status = post_json(url, slack_payload(result.report), token_env=args.webhook_token_env)
        except WebhookError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"webhook {host_of(url)}: HTTP {status}")
    return code


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``rebench`` to the command's subparsers."""
    p = sub.add_parser(
        "rebench",
        parents=[common],
        help="rerun a suite and alert on drift from the baseline (exit 1 on drift)",
        description="Rerun a suite as a new run and compare each model and tier with its "
        "baseline run. Exit codes: 0 no drift, 1 drift, 2 an error.",
    )
    p.add_argument("--suite", required=True, help="suite name")
    p.add_argument("--models", help="comma-separated model names (default: all active)")
    p.add_argument("--samples", type=int, default=1, help="answers per prompt and model")
    p.add_argument(
        "--baseline",
        type=int,
        metavar="RUN",
        help="compare with this run (default: each model's previous comparable run)",
    )
    p.add_argument(
        "--judge",
        metavar="MODEL",
        help="compare this judge's preference too (default: [drift] judge in models.toml)",
    )
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight at most")
    p.add_argument("--max-cost", type=float, metavar="USD", help="stop before the spend passes")
    p.add_argument(
        "--report", metavar="PATH", help="write the report as markdown and JSON (PATH.md, .json)"
    )
    p.add_argument(
        "--webhook",
        metavar="URL",
        help="POST a Slack-compatible summary here; env:NAME reads the address from $NAME",
    )
    p.add_argument(
        "--webhook-token-env",
        metavar="NAME",
        help="send 'Authorization: Bearer $NAME' with the webhook (read from the environment)",
    )
    p.set_defaults(func=cmd_rebench)

"""The ``blindside`` command: a thin layer over the library.

Exit codes: 0 success, 1 a run finished with failed answers or another
runtime failure, 2 bad input (suite, models.toml, arguments), with one
message naming file, line and field.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from blindside.config import Settings, load_settings
from blindside.errors import InputError
from blindside.generate import GenerationError, Progress

if TYPE_CHECKING:
    from blindside.config import ModelConfig
    from blindside.leaderboard import ModelStats
    from blindside.votes import Cut

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class ProgressBar:
    """A one-line progress bar on stderr: done/total, errors, spend, ETA."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self._last = ""
        self._drawn_at = 0.0

    def update(self, progress: Progress) -> None:
        now = time.monotonic()
        # Redraw at most ten times a second: a fast run must not flood the terminal.
        if now - self._drawn_at < 0.1 and progress.done < progress.total:
            return
        self._drawn_at = now
        done, total = progress.done, progress.total
        filled = int(self.width * done / total) if total else self.width
        eta = f"  ETA {progress.eta_s:.0f}s" if progress.eta_s is not None else ""
        line = (
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
            f"  errors {progress.errors}  retries {progress.retries}"
            f"  ${progress.cost_usd:.4f}{eta}"
        )
        if line != self._last:
            self.stream.write(line)
            self.stream.flush()
            self._last = line

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(database_url=args.db, models_path=args.config, suites_dir=args.suites)


def cmd_init(args: argparse.Namespace) -> int:
    from blindside.project import generate_demo_answers, init_project

    settings = _settings(args)
    engine, report = init_project(settings)
    print(
        f"database ready: {engine.url.render_as_string(hide_password=True)}\n"
        f"suites: {len(report.suites)} ({sum(len(s.prompts) for s in report.suites)} prompts; "
        f"{report.prompts.created} new, {report.prompts.updated} updated)\n"
        f"models: {len(report.config.models)} "
        f"({report.models.created} new, {report.models.updated} updated)"
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
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from blindside.project import load_inputs

    suites, config = load_inputs(_settings(args))
    print(
        f"ok: {len(suites)} suites, {sum(len(s.prompts) for s in suites)} prompts, "
        f"{len(config.models)} models"
    )
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from blindside.db import create_db_engine
    from blindside.generate import generate
    from blindside.project import init_project
    from blindside.runs import format_run_summary, run_model_summaries

    settings = _settings(args)
    engine = create_db_engine(settings.database_url)
    _, report = init_project(settings, engine)
    bar = ProgressBar(f"generate {args.suite}")
    try:
        result = generate(
            engine,
            report.config,
            settings,
            suite_name=args.suite,
            model_names=[m.strip() for m in args.models.split(",")] if args.models else None,
            samples=args.samples,
            concurrency=args.concurrency,
            new_run=args.new_run,
            max_cost_usd=args.max_cost,
            on_progress=bar.update,
        )
    finally:
        bar.close()
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


def cmd_serve_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from blindside.config import FAULT_KINDS, load_models_toml
    from blindside.providers.demo import FaultConfig, parse_fault_kinds, serve_demo
    from blindside.providers.endpoints import demo_model_faults

    settings = _settings(args)
    faults = None
    if args.fault_rate or args.latency_ms is not None or args.capacity is not None:
        try:
            kinds = parse_fault_kinds(args.faults) if args.faults else FAULT_KINDS
        except ValueError as exc:
            raise InputError.single("--faults", None, "faults", str(exc)) from None
        if not 0 <= args.fault_rate <= 1:
            raise InputError.single("--fault-rate", None, "fault_rate", "must be in [0, 1]")
        if args.capacity is not None and args.capacity < 1:
            raise InputError.single("--capacity", None, "capacity", "must be at least 1")
        faults = FaultConfig(
            rate=args.fault_rate, kinds=kinds, latency_ms=args.latency_ms, capacity=args.capacity
        )
    # Per-model faults from models.toml, when there is one to read.
    model_faults = {}
    if Path(settings.models_path).exists():
        model_faults = demo_model_faults(load_models_toml(settings.models_path).models)
    print(f"demo provider (simulated models) on http://{args.host}:{args.port}/v1", flush=True)
    serve_demo(
        args.host,
        args.port,
        seed=args.seed if args.seed is not None else settings.demo_seed,
        latency_scale=args.latency_scale
        if args.latency_scale is not None
        else settings.demo_latency_scale,
        knowledge_paths=sorted(Path(settings.suites_dir).glob("*.jsonl")),
        faults=faults,
        model_faults=model_faults,
        access_log=not args.no_access_log,
    )
    return EXIT_OK


def _configured_model(settings: Settings, name: str) -> ModelConfig:
    """A model of models.toml by name, or by model id when no name matches."""
    from blindside.config import load_models_toml

    config = load_models_toml(settings.models_path)
    by_id = {m.model_id: m for m in config.models}
    if name in by_id and name not in {m.name for m in config.models}:
        return by_id[name]
    try:
        return config.model(name)
    except KeyError as exc:
        raise GenerationError(str(exc.args[0])) from None


def cmd_probe(args: argparse.Namespace) -> int:
    from blindside.probe import format_probe_table, probe_model

    settings = _settings(args)
    model = _configured_model(settings, args.model)
    results = probe_model(model, settings, max_context=args.max_context or None)
    print(
        format_probe_table(model, results, base_url=settings.demo_url if model.simulated else None)
    )
    return EXIT_OK if all(r.status != "fails" for r in results) else EXIT_FAILED


def cmd_stress(args: argparse.Namespace) -> int:
    from blindside.config import display_name
    from blindside.limits import estimate_tokens
    from blindside.pricing import cost_usd
    from blindside.stress import (
        find_knee,
        format_stress_table,
        requests_at,
        stress_messages,
        stress_model,
    )

    try:
        levels = sorted({int(x) for x in args.levels.split(",") if x.strip()})
    except ValueError:
        levels = []
    if not levels or levels[0] < 1:
        raise InputError.single(
            "--levels",
            None,
            "levels",
            f"must be whole numbers >= 1 like 1,4,16, got {args.levels!r}",
        )
    for option, value in (("--requests", args.requests), ("--max-tokens", args.max_tokens)):
        if value is not None and value < 1:
            raise InputError.single(option, None, option[2:], "must be at least 1")
    settings = _settings(args)
    model = _configured_model(settings, args.model)
    total = sum(requests_at(level, args.requests) for level in levels)
    worst = total * cost_usd(
        model.pricing,
        prompt_tokens=estimate_tokens(stress_messages(args.prompt), 0),
        cached_tokens=0,
        completion_tokens=args.max_tokens,
    )
    if not model.simulated and not args.yes:
        raise InputError.single(
            "--yes",
            None,
            "yes",
            f"stress sends {total} requests to {model.name} (up to ${worst:.4f} at its prices, "
            f"{levels[-1]} at once, no rate limiter); add --yes to go ahead",
        )
    name = display_name(model.name, simulated=model.simulated)
    print(f"stress {name}: {total} requests at concurrency {levels}", file=sys.stderr, flush=True)
    results = stress_model(
        model,
        settings,
        levels=levels,
        requests_per_level=args.requests,
        prompt=args.prompt,
        max_tokens=args.max_tokens,
    )
    knee = find_knee(results)
    if args.format == "json":
        report = {
            "model": name,
            "levels": [
                {
                    "concurrency": r.concurrency,
                    "requests": r.requests,
                    "succeeded": r.succeeded,
                    "errors_by_class": dict(r.errors_by_class),
                    "wall_s": round(r.wall_s, 4),
                    "throughput_rps": round(r.throughput_rps, 3),
                    "tokens_per_s": round(r.tokens_per_s, 1),
                    "latency_p50_ms": _round(r.latency_p50_ms, 1),
                    "latency_p95_ms": _round(r.latency_p95_ms, 1),
                    "ttft_p50_ms": _round(r.ttft_p50_ms, 1),
                    "ttft_p95_ms": _round(r.ttft_p95_ms, 1),
                }
                for r in results
            ],
            "knee": None
            if knee is None
            else {"best": knee.best, "first_bad": knee.first_bad, "reason": knee.reason},
        }
        print(json.dumps(report, indent=2))
    else:
        print(format_stress_table(results))
        if knee is None:
            print(f"scaled at every level up to {levels[-1]}: no knee reached")
        else:
            print(f"knee: best at concurrency {knee.best}; {knee.reason}")
    return EXIT_OK


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _score_record(stats: ModelStats) -> dict[str, Any]:
    """The automated-score fields of one model, for ``rank`` and ``scores`` output."""
    interval = stats.accuracy_interval
    return {
        "accuracy": _round(stats.accuracy, 4),
        "accuracy_low": None if interval is None else round(interval[0], 4),
        "accuracy_high": None if interval is None else round(interval[1], 4),
        "scored": stats.scored,
        "consistency": _round(stats.consistency, 4),
        "consistency_prompts": stats.consistency_prompts,
    }


def _print_csv(records: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}"


def cmd_scores(args: argparse.Namespace) -> int:
    from sqlmodel import Session, col, select

    from blindside.config import display_name
    from blindside.db import create_db_engine, upgrade_schema
    from blindside.leaderboard import model_stats
    from blindside.tables import Model
    from blindside.votes import Cut

    settings = _settings(args)
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    cut = Cut(tier=args.tier, suite=args.suite, category=args.category, run_id=args.run)
    stats = model_stats(engine, cut)
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
    if not stats:
        print(
            f"no answers in this selection ({described}): run `blindside generate`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    with Session(engine) as session:
        models = {
            m.id: m for m in session.exec(select(Model).where(col(Model.id).in_(list(stats))))
        }
    records = sorted(
        (
            {
                "model": display_name(models[model_id].name, simulated=models[model_id].simulated),
                **_score_record(s),
                "answers": s.answers,
                "error_rate": _round(s.error_rate, 4),
                "mean_latency_ms": _round(s.mean_latency_ms, 1),
                "mean_ttft_ms": _round(s.mean_ttft_ms, 1),
                "cost_per_task_usd": s.cost_per_task_usd,
            }
            for model_id, s in stats.items()
        ),
        key=lambda r: (-(r["accuracy"] if r["accuracy"] is not None else -1), r["model"]),
    )
    if args.format == "json":
        print(json.dumps({"selection": described, "models": records}, indent=2))
    elif args.format == "csv":
        _print_csv(records)
    else:
        print(
            f"{'model':<32} {'acc%':>5} {'95% CI':>9} {'scored':>7} {'consist%':>9} "
            f"{'answers':>8} {'err%':>5} {'latency ms':>11} {'$/task':>10}"
        )
        for rec in records:
            ci = (
                f"{_percent(rec['accuracy_low'])}-{_percent(rec['accuracy_high'])}"
                if rec["accuracy_low"] is not None
                else "-"
            )
            latency = f"{rec['mean_latency_ms']:.0f}" if rec["mean_latency_ms"] is not None else "-"
            cost = (
                f"{rec['cost_per_task_usd']:.6f}" if rec["cost_per_task_usd"] is not None else "-"
            )
            print(
                f"{rec['model']:<32} {_percent(rec['accuracy']):>5} {ci:>9} {rec['scored']:>7} "
                f"{_percent(rec['consistency']):>9} {rec['answers']:>8} "
                f"{_percent(rec['error_rate']):>5} {latency:>11} {cost:>10}"
            )
        print(
            f"{described}; accuracy: answers passing their prompt's scorer (95% Wilson "
            "interval); consistency: mean share of a prompt's samples giving its most common "
            "answer (needs --samples 2+)"
        )
    return EXIT_OK


def _vote_cut(args: argparse.Namespace) -> Cut:
    """The :class:`~blindside.votes.Cut` that ``rank`` and ``export`` options describe."""
    from blindside.votes import Cut, parse_time_bound

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
        exclude_identity_leaks=args.exclude_identity_leaks,
        exclude_fallbacks=args.exclude_fallbacks,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from blindside.db import create_db_engine, upgrade_schema
    from blindside.export import labelled_pairs, write_export

    cut = _vote_cut(args)
    settings = _settings(args)
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    out = Path(args.out) if args.out else sys.stdout
    count = write_export(labelled_pairs(engine, cut), args.format, out)
    where = f" to {args.out}" if args.out else ""
    print(f"exported {count} labelled pairs ({cut.describe()}){where}", file=sys.stderr)
    return EXIT_OK


def cmd_rank(args: argparse.Namespace) -> int:
    from blindside.leaderboard import RankOptions, build_leaderboard, leaderboard_from_arena

    if args.bootstrap is not None and args.bootstrap < 1:
        raise InputError.single("--bootstrap", None, "", "needs at least 1 round")
    options = RankOptions(
        # --bootstrap N asks for bootstrap intervals with N rounds.
        intervals="bootstrap" if args.bootstrap else args.intervals,
        n_bootstrap=args.bootstrap or 1000,
        tie_model=args.ties,
        style=args.style,
    )
    from blindside.votes import Cut

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
        battles = read_arena_battles(args.votes)
        if battles.total == 0:
            print(f"no votes in {args.votes}: nothing to rank", file=sys.stderr)
            return EXIT_FAILED
        board = leaderboard_from_arena(battles.names, battles.counts, options)
        source = str(args.votes)
    else:
        from blindside.db import create_db_engine, upgrade_schema

        settings = _settings(args)
        engine = create_db_engine(settings.database_url)
        upgrade_schema(engine)
        board = build_leaderboard(engine, cut, options)
        source = "database"
    if board.total_votes == 0:
        print(
            f"no votes yet in this selection ({cut.describe()}): rate some pairs on the Vote "
            "page, "
            "or widen the cut",
            file=sys.stderr,
        )
        return EXIT_FAILED
    records = [
        {
            "rank": r.rank,
            "rank_best": r.rank_best,
            "rank_worst": r.rank_worst,
            "model": r.display_name,
            "rating": _round(r.rating, 1),
            "ci_low": _round(r.rating_low, 1),
            "ci_high": _round(r.rating_high, 1),
            "votes": r.votes,
            "few_votes": r.few_votes,
            "win_rate": _round(r.win_rate, 3),
            **_score_record(r.stats),
            "mean_latency_ms": r.stats.mean_latency_ms,
            "mean_ttft_ms": r.stats.mean_ttft_ms,
            "cost_per_task_usd": r.stats.cost_per_task_usd,
            "error_rate": r.stats.error_rate,
        }
        for r in board.rows
    ]
    if args.format == "json":
        style = None
        if board.style_coef is not None:
            style = {
                name: {
                    "coef": float(board.style_coef[i]),
                    "low": None if board.style_low is None else float(board.style_low[i]),
                    "high": None if board.style_high is None else float(board.style_high[i]),
                }
                for i, name in enumerate(board.style_names)
            }
        summary = {
            "source": source,
            "tier": board.tier,
            "cut": cut.describe(),
            "votes": board.total_votes,
            "intervals": board.interval_method,
            "tie_model": board.tie_model,
            "tie_param": board.tie_param,
            "left_advantage_elo": {
                "estimate": _round(board.left_advantage_elo, 1),
                "low": _round(board.left_advantage_low, 1),
                "high": _round(board.left_advantage_high, 1),
            },
            "style": style,
            "rating_accuracy_spearman": {
                "rho": _round(board.rating_accuracy_rho, 3),
                "models": board.rating_accuracy_models,
            },
            "models": records,
            "warnings": board.warnings,
        }
        print(json.dumps(summary, indent=2))
    elif args.format == "csv":
        _print_csv(records)
    else:
        print(
            f"{'rank':>4} {'range':>7}  {'model':<32} {'rating':>7} {'95% CI':>15} "
            f"{'votes':>6} {'win%':>6} {'acc%':>5}"
        )
        for rec in records:
            ci = f"{rec['ci_low']:.0f}..{rec['ci_high']:.0f}" if rec["ci_low"] is not None else "-"
            rating = f"{rec['rating']:.0f}" if rec["rating"] is not None else "-"
            span = f"{rec['rank_best']}-{rec['rank_worst']}" if rec["rank_best"] else "-"
            print(
                f"{rec['rank'] or '-':>4} {span:>7}  {rec['model']:<32} {rating:>7} {ci:>15} "
                f"{rec['votes']:>6} {_percent(rec['win_rate']):>6} {_percent(rec['accuracy']):>5}"
            )
        print(f"{board.total_votes} votes ({cut.describe()}); intervals: {board.interval_method}")
        if board.left_advantage_elo is not None:
            low, high = board.left_advantage_low, board.left_advantage_high
            ci = (
                f" (95% CI {low:+.0f} to {high:+.0f})"
                if low is not None and high is not None
                else ""
            )
            print(f"left-side advantage: {board.left_advantage_elo:+.0f} Elo{ci}")
        if board.rating_accuracy_rho is not None:
            print(
                f"rating vs accuracy: Spearman's rho {board.rating_accuracy_rho:+.2f} over "
                f"{board.rating_accuracy_models} models"
            )
    for warning in board.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="database URL or SQLite file (default: $BLINDSIDE_DATABASE_URL or ./blindside.db)",
    )
    common.add_argument(
        "--config", help="models.toml path (default: $BLINDSIDE_MODELS or ./models.toml)"
    )
    common.add_argument("--suites", help="directory of prompt suites (default: ./seed_prompts)")

    parser = argparse.ArgumentParser(
        prog="blindside", description="Blind side-by-side evaluation of LLMs on your own prompts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "init", parents=[common], help="create/migrate the database, load suites and models"
    )
    p.add_argument(
        "--demo", action="store_true", help="also generate the demo models' answers once"
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "validate", parents=[common], help="check suites and models.toml, write nothing"
    )
    p.set_defaults(func=cmd_validate)

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

    p = sub.add_parser("serve-demo", parents=[common], help="serve the simulated demo provider")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8800)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--latency-scale", type=float, default=None)
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail")
    p.add_argument(
        "--faults", default="", help="comma list of 429,500,503,timeout,malformed,truncate"
    )
    p.add_argument("--latency-ms", type=float, default=None, help="fixed latency per request")
    p.add_argument(
        "--capacity",
        type=int,
        metavar="N",
        help="requests each model serves at once; more queue (simulates a saturated provider)",
    )
    p.add_argument(
        "--no-access-log", action="store_true", help="no log line per request (load tests)"
    )
    p.set_defaults(func=cmd_serve_demo)

    p = sub.add_parser("probe", parents=[common], help="check what an endpoint supports")
    p.add_argument("model", help="model name (or id) from models.toml")
    p.add_argument(
        "--max-context",
        action="store_true",
        help="also probe the context window (sends large prompts: costs money on real providers)",
    )
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser(
        "stress", parents=[common], help="sweep one model's endpoint through concurrency levels"
    )
    p.add_argument("model", help="model name (or id) from models.toml")
    p.add_argument("--levels", default="1,4,16,64", help="concurrency levels (default 1,4,16,64)")
    p.add_argument(
        "--requests", type=int, metavar="N", help="requests per level (default max(4 x level, 16))"
    )
    p.add_argument("--max-tokens", type=int, default=64, help="output cap per request")
    p.add_argument(
        "--prompt",
        default="In two sentences, explain why the sky is blue.",
        help="the prompt every request sends",
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument(
        "--yes", action="store_true", help="confirm the load (and its cost) on a real provider"
    )
    p.set_defaults(func=cmd_stress)

    p = sub.add_parser(
        "scores", parents=[common], help="print automated scores per model (no votes needed)"
    )
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--tier", type=int, choices=[1, 2, 3])
    p.add_argument("--suite", help="only prompts of this suite")
    p.add_argument("--category", help="only prompts of this category")
    p.add_argument("--run", type=int, metavar="RUN_ID", help="only answers of this run")
    p.set_defaults(func=cmd_scores)

    p = sub.add_parser("rank", parents=[common], help="print the Bradley-Terry leaderboard")
    p.add_argument(
        "--votes",
        metavar="FILE",
        help="rank an arena-format file (JSON lines or array: model_a, model_b, winner) "
        "instead of the database",
    )
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    fit = p.add_argument_group("fit")
    fit.add_argument(
        "--intervals",
        choices=["sandwich", "bootstrap"],
        default="sandwich",
        help="95%% interval method (default: sandwich)",
    )
    fit.add_argument(
        "--bootstrap",
        type=int,
        metavar="N",
        help="bootstrap intervals with N rounds (implies --intervals bootstrap)",
    )
    fit.add_argument(
        "--ties",
        choices=["half", "davidson"],
        default="half",
        help="a tie as half a win each way, or Davidson's tie model",
    )
    fit.add_argument(
        "--style", action="store_true", help="style control: length and markdown covariates"
    )
    _add_vote_cut_arguments(p.add_argument_group("cut (database only)"))
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write votes as labelled pairs (both answers, their models, the verdict)",
    )
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument(
        "--out", metavar="FILE", help="write here (replaced atomically) instead of stdout"
    )
    _add_vote_cut_arguments(p.add_argument_group("cut"))
    p.set_defaults(func=cmd_export)
    return parser


def _add_vote_cut_arguments(group: argparse._ArgumentGroup) -> None:
    """The options of a :class:`~blindside.votes.Cut`, shared by ``rank`` and ``export``."""
    group.add_argument("--tier", type=int, choices=[1, 2, 3])
    group.add_argument("--suite", help="only prompts of this suite")
    group.add_argument("--category", help="only prompts of this category")
    group.add_argument("--run", type=int, metavar="RUN_ID", help="only answers of this run")
    group.add_argument(
        "--rater", action="append", metavar="NAME", help="only this rater's votes (repeatable)"
    )
    group.add_argument("--since", help="votes at or after (ISO date/time, UTC)")
    group.add_argument("--until", help="votes before this time; a bare date includes that day")
    group.add_argument("--exclude-flagged", action="store_true", help="drop flagged votes")
    group.add_argument("--exclude-gold", action="store_true", help="drop gold (rater QA) prompts")
    group.add_argument(
        "--exclude-identity-leaks",
        action="store_true",
        help="drop votes on answers that reveal which model wrote them",
    )
    group.add_argument(
        "--exclude-fallbacks",
        action="store_true",
        help="ignore votes on answers that a fallback model served",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (InputError, GenerationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

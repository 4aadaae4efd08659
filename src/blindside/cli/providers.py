"""``serve-demo``, ``probe`` and ``stress``: serve the simulated provider, check an endpoint.

Each command imports the provider code (openai, starlette, uvicorn) when it runs, never
when the command line is parsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from blindside.cli.common import EXIT_FAILED, EXIT_OK, add_choice, settings_from
from blindside.errors import InputError

if TYPE_CHECKING:
    from blindside.config import ModelConfig, Settings
    from blindside.stress.results import StepResult
    from blindside.stress.store import SweepPlan


def cmd_serve_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from blindside.client.endpoints import demo_model_faults, demo_model_overrides
    from blindside.config import FAULT_KINDS, FaultConfig, load_models_toml, parse_fault_kinds
    from blindside.demo.server import serve_demo

    settings = settings_from(args)
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
    # Per-model faults and profile changes from models.toml, when there is one to read.
    model_faults, model_overrides = {}, {}
    if Path(settings.models_path).exists():
        configured = load_models_toml(settings.models_path).models
        model_faults = demo_model_faults(configured)
        model_overrides = demo_model_overrides(configured)
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
        model_overrides=model_overrides,
        access_log=not args.no_access_log,
    )
    return EXIT_OK


def _configured_model(settings: Settings, name: str) -> ModelConfig:
    """A model of models.toml by name, or by model id when no name matches."""
    from blindside.config import load_models_toml
    from blindside.engine.run import GenerationError

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

    settings = settings_from(args)
    model = _configured_model(settings, args.model)
    results = probe_model(model, settings, max_context=args.max_context or None)
    print(
        format_probe_table(model, results, base_url=settings.demo_url if model.simulated else None)
    )
    return EXIT_OK if all(r.status != "fails" for r in results) else EXIT_FAILED


def _numbers(option: str, text: str, kind: type) -> list[float]:
    """A comma list of loads, sorted and distinct, each > 0; else an :class:`InputError`."""
    try:
        values = sorted({kind(x) for x in text.split(",") if x.strip()})
    except ValueError:
        values = []
    if not values or values[0] <= 0:
        example = "1,4,16" if kind is int else "2,5,10"
        raise InputError.single(
            option, None, option[2:], f"must be numbers > 0 like {example}, got {text!r}"
        )
    return [float(v) for v in values]


def _stress_plan(args: argparse.Namespace) -> SweepPlan:
    """The sweep the options ask for, after checking every numeric option."""
    from blindside.stress.store import SweepPlan

    if args.rate is not None and args.concurrency is not None:
        raise InputError.single("--rate", None, "rate", "give --concurrency or --rate, not both")
    if args.poisson and args.rate is None:
        raise InputError.single("--poisson", None, "poisson", "applies to --rate only")
    for option, value in (("--requests", args.requests), ("--max-tokens", args.max_tokens)):
        if value is not None and value < 1:
            raise InputError.single(option, None, option[2:], "must be at least 1")
    if not args.max_seconds > 0:
        raise InputError.single("--max-seconds", None, "max_seconds", "must be more than 0")
    if not 0 <= args.max_error_rate <= 1:
        raise InputError.single("--max-error-rate", None, "max_error_rate", "must be in [0, 1]")
    if args.rate is not None:
        mode, loads = "rate", _numbers("--rate", args.rate, float)
    else:
        mode, loads = "concurrency", _numbers("--concurrency", args.concurrency or "1,4,16,64", int)
    return SweepPlan(
        mode=mode,
        loads=tuple(loads),
        requests_per_step=args.requests,
        poisson=args.poisson,
        max_seconds=args.max_seconds,
        max_error_rate=args.max_error_rate,
        max_tokens=args.max_tokens,
        seed=args.seed,
        suite_name=args.suite,
    )


def _stress_models(args: argparse.Namespace, settings: Settings) -> list[ModelConfig]:
    names = [n.strip() for n in (args.models or "").split(",") if n.strip()]
    if args.model:
        names.insert(0, args.model)
    if not names:
        raise InputError.single("model", None, "model", "name a model, or several with --models")
    return [_configured_model(settings, name) for name in dict.fromkeys(names)]


def cmd_stress(args: argparse.Namespace) -> int:
    from blindside.client.tokens import estimate_tokens
    from blindside.client.usage import cost_usd
    from blindside.config import display_name
    from blindside.db import open_database
    from blindside.stress.report import STEP_HEADER, format_step, knee_line, sweep_report
    from blindside.stress.store import suite_messages
    from blindside.stress.sweep import planned_requests, stress_messages, stress_models

    plan = _stress_plan(args)
    settings = settings_from(args)
    models = _stress_models(args, settings)
    engine = open_database(settings.database_url)
    messages = None
    if args.suite:
        messages = suite_messages(engine, args.suite)
        if not messages:
            raise InputError.single(
                "--suite", None, "suite", f"no stored suite {args.suite!r} with prompts: run init"
            )
    per_model = planned_requests(plan)
    prompt_tokens = max(estimate_tokens(m, 0) for m in messages or [stress_messages(args.prompt)])
    real = [m for m in models if not m.simulated]
    if real and not args.yes:
        worst = sum(
            per_model
            * cost_usd(
                m.pricing,
                prompt_tokens=prompt_tokens,
                cached_tokens=0,
                completion_tokens=args.max_tokens,
            )
            for m in real
        )
        names = ", ".join(m.name for m in real)
        raise InputError.single(
            "--yes",
            None,
            "yes",
            f"stress sends {per_model * len(real)} requests to {names} (up to ${worst:.4f} at "
            f"their prices, no rate limiter); add --yes to go ahead",
        )
    shown = {m.name: display_name(m.name, simulated=m.simulated) for m in models}
    loads = ",".join(f"{load:g}" for load in plan.loads)
    print(
        f"stress: at most {per_model} requests and {plan.max_seconds:g} s per model, "
        f"{plan.mode} {loads}{' (Poisson)' if plan.poisson else ''}",
        file=sys.stderr,
        flush=True,
    )

    def progress(name: str, position: int, step: StepResult) -> None:
        if position == 0:
            print(f"{shown[name]}\n{STEP_HEADER}", file=sys.stderr, flush=True)
        print(format_step(step), file=sys.stderr, flush=True)

    outcomes = stress_models(
        engine,
        models,
        settings,
        plan,
        messages=messages or [stress_messages(args.prompt)],
        on_step=progress,
    )
    if args.format == "json":
        reports = [
            sweep_report(shown[o.model_name], o.sweep_id, plan.mode, o.steps, o.stop_reason, o.knee)
            for o in outcomes
        ]
        print(json.dumps({"sweeps": reports}, indent=2))
        return EXIT_OK
    for outcome in outcomes:
        print(f"{shown[outcome.model_name]} (sweep #{outcome.sweep_id})")
        print(STEP_HEADER)
        print("\n".join(format_step(step) for step in outcome.steps))
        if outcome.stop_reason:
            print(f"stopped early: {outcome.stop_reason}")
        if outcome.steps:
            print(knee_line(plan.mode, outcome.knee, plan.loads))
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``serve-demo``, ``probe`` and ``stress`` to the command's subparsers."""
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
        "stress",
        parents=[common],
        help="sweep models' endpoints through load steps; every step is stored",
    )
    p.add_argument("model", nargs="?", help="model name (or id) from models.toml")
    p.add_argument("--models", metavar="A,B", help="more models, each swept in turn")
    load = p.add_mutually_exclusive_group()
    load.add_argument(
        "--concurrency",
        "--levels",
        dest="concurrency",
        metavar="1,4,16",
        help="closed loop: requests in flight at each step (default 1,4,16,64)",
    )
    load.add_argument(
        "--rate", metavar="2,5,10", help="open loop: requests sent per second at each step"
    )
    p.add_argument(
        "--poisson", action="store_true", help="with --rate: Poisson arrivals, not evenly spaced"
    )
    p.add_argument(
        "--requests",
        type=int,
        metavar="N",
        help="requests per step (default max(4 x concurrency, 16) or max(5 x rate, 16))",
    )
    p.add_argument("--suite", help="send this stored suite's prompts in turn (default: --prompt)")
    p.add_argument(
        "--max-seconds", type=float, default=300.0, help="time bound of each sweep (default 300)"
    )
    p.add_argument(
        "--max-error-rate",
        type=float,
        default=0.25,
        help="stop a sweep after a step failing more than this share (default 0.25)",
    )
    p.add_argument("--max-tokens", type=int, default=64, help="output cap per request")
    p.add_argument(
        "--prompt",
        default="In two sentences, explain why the sky is blue.",
        help="the prompt every request sends",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the Poisson arrivals")
    add_choice(p, "--format", ("table", "json"))
    p.add_argument(
        "--yes", action="store_true", help="confirm the load (and its cost) on a real provider"
    )
    p.set_defaults(func=cmd_stress)

"""``serve-demo``, ``probe`` and ``stress``: serve the simulated provider, check an endpoint.

Each command imports the provider code (openai, starlette, uvicorn) when it runs, never
when the command line is parsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from blindside.cli.common import EXIT_FAILED, EXIT_OK, add_choice, settings_from
from blindside.cli.output import rounded
from blindside.errors import InputError

if TYPE_CHECKING:
    from blindside.config import ModelConfig, Settings
    from blindside.stress import Knee, StressLevel


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


def _stress_levels(args: argparse.Namespace) -> list[int]:
    """The ``--levels`` of ``stress``, sorted, after checking the numeric options."""
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
    return levels


def _stress_report(name: str, results: list[StressLevel], knee: Knee | None) -> dict[str, Any]:
    """The ``stress --format json`` document."""
    return {
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
                "latency_p50_ms": rounded(r.latency_p50_ms, 1),
                "latency_p95_ms": rounded(r.latency_p95_ms, 1),
                "ttft_p50_ms": rounded(r.ttft_p50_ms, 1),
                "ttft_p95_ms": rounded(r.ttft_p95_ms, 1),
            }
            for r in results
        ],
        "knee": None
        if knee is None
        else {"best": knee.best, "first_bad": knee.first_bad, "reason": knee.reason},
    }


def cmd_stress(args: argparse.Namespace) -> int:
    from blindside.client.tokens import estimate_tokens
    from blindside.client.usage import cost_usd
    from blindside.config import display_name
    from blindside.stress import (
        find_knee,
        format_stress_table,
        requests_at,
        stress_messages,
        stress_model,
    )

    levels = _stress_levels(args)
    settings = settings_from(args)
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
        print(json.dumps(_stress_report(name, results, knee), indent=2))
    else:
        print(format_stress_table(results))
        if knee is None:
            print(f"scaled at every level up to {levels[-1]}: no knee reached")
        else:
            print(f"knee: best at concurrency {knee.best}; {knee.reason}")
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
    add_choice(p, "--format", ("table", "json"))
    p.add_argument(
        "--yes", action="store_true", help="confirm the load (and its cost) on a real provider"
    )
    p.set_defaults(func=cmd_stress)

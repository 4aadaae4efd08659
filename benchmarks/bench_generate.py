"""Generation throughput against the demo provider on a loopback port.

Serves ``blindside serve-demo --latency-ms 100 --no-access-log`` in its own
process, then in this process, one after the other in each round:

1. bare AsyncOpenAI: ``AsyncOpenAI`` + ``asyncio.gather`` + semaphore, streaming
   every request with the SDK's defaults (httpx transport, typed chunks) and
   reading it to the end, storing nothing;
2. bare, blindside's HTTP path: the same, but over the SDK's aiohttp transport
   and its raw ``client.post``, through ``blindside.client.request.chat_completion``,
   as the engine does: the engine's own overhead is the distance to this one;
3. blindside: ``generate`` on a fresh SQLite file, storing every answer
   (with limits, retries, journal, batched writes, leak checks, pairs).

Each contender is timed from the creation of its client, blindside from the
call of ``generate``. Where the machine has two cores or more, serve-demo is
pinned to one core and this process to another, as a real provider runs on
other machines (``--no-pin`` shares them). Prints the wall times, the ideal
(requests x latency / concurrency) and the ratios, best of each, median and
paired per round. Usage::

    .venv/bin/python benchmarks/bench_generate.py [--requests 2000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from sqlmodel import Session, func, select

from blindside.client.endpoints import verifying_tls_context
from blindside.client.request import chat_completion
from blindside.config import load_settings
from blindside.engine.run import generate
from blindside.project import init_project
from blindside.tables import Response

MODELS = ("careful", "fast-cheap", "verbose", "erratic")
LABELS = ("positive", "negative", "neutral")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_workspace(root: Path, n_prompts: int, concurrency: int) -> None:
    """A suite of short classification prompts and four demo models."""
    suites = root / "suites"
    suites.mkdir()
    with (suites / "bench.jsonl").open("w") as f:
        for i in range(n_prompts):
            label = LABELS[i % 3]
            f.write(
                json.dumps(
                    {
                        "id": f"b{i}",
                        "tier": 3,
                        "category": "sentiment",
                        "text": f"Classify the sentiment of review #{i}: a {label} experience.",
                        "reference": label,
                        "scorer": {"type": "label", "labels": list(LABELS)},
                    }
                )
                + "\n"
            )
    lines = [
        "[[endpoints]]",
        'name = "demo"',
        'kind = "demo"',
        f"max_concurrency = {concurrency}",
        "max_attempts = 1",
        "",
    ]
    for model_id in MODELS:
        lines += [
            "[[models]]",
            f'name = "Bench {model_id}"',
            'endpoint = "demo"',
            f'model_id = "{model_id}"',
            "pricing = { input = 1.0, output = 2.0 }",
            "",
        ]
    (root / "models.toml").write_text("\n".join(lines))


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("serve-demo exited") from None
            time.sleep(0.1)
    raise RuntimeError("serve-demo did not start")


async def bare_baseline(base_url: str, prompts: list[str], concurrency: int) -> float:
    """The least a client can do: same requests, same concurrency, nothing stored."""
    # Timed from before the client is made, as blindside's run makes its own.
    start = time.perf_counter()
    client = AsyncOpenAI(base_url=base_url, api_key="demo", max_retries=0)
    slots = asyncio.Semaphore(concurrency)

    async def one(model: str, text: str) -> None:
        async with slots:
            # The erratic profile fails ~3% of requests with a 503, for every contender.
            with contextlib.suppress(openai.APIError):
                stream = await client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": text}],
                    stream=True,
                    stream_options={"include_usage": True},
                )
                async for _ in stream:
                    pass

    await asyncio.gather(*(one(m, p) for p in prompts for m in MODELS))
    wall = time.perf_counter() - start
    await client.close()
    return wall


async def bare_same_path(base_url: str, prompts: list[str], concurrency: int) -> float:
    """The least a client on blindside's HTTP path can do (aiohttp, raw events), nothing stored."""
    start = time.perf_counter()
    # The engine's shared TLS context too, so client creation costs both the same.
    http_client = DefaultAioHttpClient(verify=verifying_tls_context())
    client = AsyncOpenAI(base_url=base_url, api_key="demo", max_retries=0, http_client=http_client)
    slots = asyncio.Semaphore(concurrency)

    async def one(model: str, text: str) -> None:
        async with slots:
            with contextlib.suppress(openai.APIError):
                body = {
                    "model": model,
                    "messages": [{"role": "user", "content": text}],
                    "stream": True,
                    "stream_options": {"include_usage": True},
                }
                await chat_completion(client, body)

    await asyncio.gather(*(one(m, p) for p in prompts for m in MODELS))
    wall = time.perf_counter() - start
    await client.close()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--no-pin", action="store_true", help="let serve-demo and the clients share every core"
    )
    args = parser.parse_args()
    n_prompts = args.requests // len(MODELS)
    requests = n_prompts * len(MODELS)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_workspace(root, n_prompts, args.concurrency)
        port = _free_port()
        url = f"http://127.0.0.1:{port}/v1"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "blindside.cli",
                "serve-demo",
                "--port",
                str(port),
                "--latency-ms",
                str(args.latency_ms),
                "--suites",
                str(root / "suites"),
                "--config",
                str(root / "models.toml"),
                "--no-access-log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, server)
            cores = sorted(os.sched_getaffinity(0))
            pinned = not args.no_pin and len(cores) >= 2
            if pinned:
                os.sched_setaffinity(server.pid, {cores[-1]})
                os.sched_setaffinity(0, {cores[0]})
            prompts = [
                json.loads(line)["text"]
                for line in (root / "suites" / "bench.jsonl").read_text().splitlines()
            ]
            asyncio.run(bare_baseline(url, prompts[:8], args.concurrency))  # warm-ups
            asyncio.run(bare_same_path(url, prompts[:8], args.concurrency))
            settings = load_settings(
                database_url=f"sqlite:///{root / 'bench.db'}",
                models_path=root / "models.toml",
                suites_dir=root / "suites",
                environ={**os.environ, "BLINDSIDE_DEMO_URL": url},
            )
            engine, report = init_project(settings)
            # Interleaved rounds, best of each: the machine's other load hits both alike.
            baseline_times, same_path_times, engine_times = [], [], []
            for _ in range(args.rounds):
                baseline_times.append(asyncio.run(bare_baseline(url, prompts, args.concurrency)))
                same_path_times.append(asyncio.run(bare_same_path(url, prompts, args.concurrency)))
                start = time.perf_counter()
                result = generate(
                    engine,
                    report.config,
                    settings,
                    suite_name="bench",
                    concurrency=args.concurrency,
                    new_run=True,
                )
                engine_times.append(time.perf_counter() - start)
                with Session(engine) as session:
                    stored = session.exec(
                        select(func.count())
                        .select_from(Response)
                        .where(Response.run_id == result.run_id)
                    ).one()
                assert stored == requests, f"stored {stored} of {requests} answers"
        finally:
            server.terminate()
            server.wait(timeout=10)

    ideal_s = requests * args.latency_ms / 1000 / args.concurrency
    baseline_s, same_path_s, engine_s = min(baseline_times), min(same_path_times), min(engine_times)

    def paired(reference: list[float]) -> str:
        ratios = sorted(e / b for b, e in zip(reference, engine_times, strict=True))
        listed = ", ".join(f"{r:.3f}" for r in ratios)
        return f"{listed}; median {statistics.median(ratios):.3f}"

    def times(values: list[float]) -> str:
        return ", ".join(f"{t:.3f}" for t in values)

    print(
        f"requests              {requests} at concurrency {args.concurrency}, "
        f"{args.latency_ms:.0f} ms simulated latency"
    )
    print(f"ideal                 {ideal_s:7.3f} s  (requests x latency / concurrency)")
    print(
        "cores                 "
        + ("serve-demo on one, clients on another" if pinned else "shared by all")
    )

    def line(label: str, values: list[float]) -> str:
        best, median = min(values), statistics.median(values)
        return (
            f"{label:<22}{best:7.3f} s  {best / ideal_s:5.3f}x ideal  "
            f"(median {median:.3f} s, {median / ideal_s:5.3f}x)"
        )

    print(line("bare AsyncOpenAI", baseline_times))
    print(line("bare, blindside path", same_path_times))
    print(line("blindside generate", engine_times))
    print(
        f"blindside, best/best  {engine_s / baseline_s:5.3f}x bare  "
        f"{engine_s / same_path_s:5.3f}x bare path"
    )
    print(f"paired vs bare        {paired(baseline_times)} (per round: blindside / bare)")
    print(f"paired vs bare path   {paired(same_path_times)}")
    print(f"answers stored        {stored} per run ({result.succeeded} ok, {result.failed} failed)")
    print(
        f"rounds                {args.rounds}, best of each; bare {times(baseline_times)}; "
        f"bare path {times(same_path_times)}; blindside {times(engine_times)}"
    )


if __name__ == "__main__":
    main()

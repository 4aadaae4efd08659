"""The engine against a faulty provider: retries, Retry-After, fallbacks, error classes.

Every test runs the real engine over real HTTP against the demo provider on a
loopback port, with faults injected by the provider itself.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from blindside.client.breaker import reset_breakers
from blindside.client.limits import reset_limiters
from blindside.client.retry import ERROR_CLASSES
from blindside.config import FaultConfig, load_settings
from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import load_demo_knowledge
from blindside.demo.server import LoopbackServer
from blindside.engine.run import generate
from blindside.project import init_project
from blindside.tables import Response
from tests.conftest import SEED_PROMPTS

ENDPOINT = """\
[[endpoints]]
name = "demo"
kind = "demo"
max_concurrency = 16
timeout_s = {timeout}
max_attempts = {attempts}
backoff_base_s = 0.01
backoff_max_s = 0.05
circuit_failures = 3
circuit_cooldown_s = 60
{extra}
"""
MODEL = """
[[models]]
name = "{name}"
endpoint = "demo"
model_id = "{model_id}"
pricing = {{ input = 1.0, output = 2.0 }}
fallbacks = {fallbacks}
"""


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    # Breakers and limiters are process-wide by design; each test starts clean.
    reset_breakers()
    reset_limiters()
    yield
    reset_breakers()
    reset_limiters()


def workspace(
    tmp_path: Path,
    *,
    timeout: float = 5.0,
    attempts: int = 4,
    extra: str = "",
    models: list[tuple[str, str, list[str]]] | None = None,
    prompts: int | None = None,
):
    models = models or [("Primary", "careful", []), ("Other", "fast-cheap", [])]
    text = ENDPOINT.format(timeout=timeout, attempts=attempts, extra=extra) + "".join(
        MODEL.format(name=n, model_id=i, fallbacks=json.dumps(f)) for n, i, f in models
    )
    (tmp_path / "models.toml").write_text(text)
    suites = tmp_path / "suites"
    suites.mkdir()
    lines = (SEED_PROMPTS / "high_volume.jsonl").read_text().splitlines()
    (suites / "hv.jsonl").write_text("\n".join(lines[:prompts] if prompts else lines) + "\n")
    return suites


def run(tmp_path: Path, base_url: str, suites: Path, **options: object):
    """Generate the suite against the demo endpoint at ``base_url``; result, rows, wall time."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        models_path=tmp_path / "models.toml",
        suites_dir=suites,
        environ={"BLINDSIDE_DEMO_URL": base_url},
    )
    engine, report = init_project(settings)
    start = time.perf_counter()
    result = generate(
        engine, report.config, settings, suite_name="hv", **{"concurrency": 16, **options}
    )
    wall = time.perf_counter() - start
    with Session(engine) as s:
        rows = s.exec(select(Response)).all()
    return result, rows, wall


def demo(suites: Path, **kwargs) -> LoopbackServer:
    knowledge = load_demo_knowledge(sorted(suites.glob("*.jsonl")))
    return LoopbackServer(create_demo_app(latency_scale=0.01, knowledge=knowledge, **kwargs))


@pytest.mark.parametrize("kind", ["429", "500", "503", "timeout", "malformed", "truncate"])
def test_each_fault_class_at_20_percent(tmp_path: Path, kind: str) -> None:
    suites = workspace(tmp_path, timeout=1.0)
    faults = FaultConfig(rate=0.2, kinds=(kind,), retry_after_s=0.05)
    with demo(suites, faults=faults) as server:
        result, rows, _ = run(tmp_path, server.base_url, suites)
    n_prompts = len((suites / "hv.jsonl").read_text().splitlines())
    # The run completes, and every (prompt, model) has an answer or a classified error.
    assert len(rows) == 2 * n_prompts == result.succeeded + result.failed
    assert len({(r.prompt_id, r.model_id) for r in rows}) == len(rows)
    for row in rows:
        if row.error is None:
            assert row.text and row.served_by
        else:
            assert row.error_class in ERROR_CLASSES
            assert row.error.startswith(row.error_class)
    # Faults happened and were retried: some answers needed more than one attempt.
    assert result.retries > 0
    assert sum(r.attempts > 1 for r in rows) > 0.05 * len(rows)
    # With 4 attempts at a 20% fault rate nearly everything ends up answered.
    assert result.succeeded >= 0.95 * len(rows)


# What each fault looks like to the client, through the real SDK and transport.
FAULT_CLASSES = {
    "429": "rate_limit",
    "500": "server_error",
    "503": "server_error",
    "timeout": "timeout",
    "malformed": "bad_response",
    "truncate": "server_error",  # the connection drops mid-stream
}


@pytest.mark.parametrize(("kind", "error_class"), FAULT_CLASSES.items())
def test_each_fault_kind_gets_its_error_class(tmp_path: Path, kind: str, error_class: str) -> None:
    suites = workspace(tmp_path, timeout=0.5, attempts=1, prompts=2)
    faults = FaultConfig(rate=1.0, kinds=(kind,), retry_after_s=0.05)
    with demo(suites, faults=faults) as server:
        result, rows, _ = run(tmp_path, server.base_url, suites)
    assert result.succeeded == 0 and len(rows) == 4
    assert {r.error_class for r in rows} == {error_class}


def test_a_refused_connection_is_a_retried_server_error(tmp_path: Path) -> None:
    suites = workspace(tmp_path, attempts=2, prompts=2)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{unused.getsockname()[1]}/v1"  # bound, never listening
        result, rows, _ = run(tmp_path, nobody, suites)
    assert result.succeeded == 0 and len(rows) == 4
    assert {r.error_class for r in rows} == {"server_error"}
    assert all(r.attempts == 2 for r in rows)


def test_exhausted_retries_are_classified(tmp_path: Path) -> None:
    suites = workspace(tmp_path, attempts=2, prompts=4)
    faults = FaultConfig(rate=1.0, kinds=("500",))
    with demo(suites, faults=faults) as server:
        result, rows, _ = run(tmp_path, server.base_url, suites)
    assert result.succeeded == 0
    assert {r.error_class for r in rows} == {"server_error"}
    assert all(r.attempts == 2 for r in rows)


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    suites = workspace(tmp_path, attempts=2, prompts=1)
    faults = FaultConfig(rate=1.0, kinds=("429",), retry_after_s=0.6)
    with demo(suites, faults=faults) as server:
        _, rows, wall = run(tmp_path, server.base_url, suites)
    assert {r.error_class for r in rows} == {"rate_limit"}
    for row in rows:
        assert row.attempts == 2
        assert row.retry_wait_ms >= 600  # the recorded wait honours the header...
    assert wall >= 0.6  # ...and so does the measured one


def test_fallback_serves_while_the_primary_is_down(tmp_path: Path) -> None:
    suites = workspace(
        tmp_path,
        attempts=2,
        models=[
            ("Primary", "careful", ["Backup"]),
            ("Other", "fast-cheap", []),
            ("Backup", "verbose", []),
        ],
    )
    # Only the primary's model id fails; the fallback is healthy.
    with demo(suites, model_faults={"careful": FaultConfig(rate=1.0, kinds=("503",))}) as server:
        result, rows, _ = run(
            tmp_path, server.base_url, suites, model_names=["Primary", "Other"], concurrency=4
        )
        with urllib.request.urlopen(f"{server.base_url}/_demo/stats") as reply:
            stats = json.loads(reply.read())
    primary = [r for r in rows if r.served_by == "Backup"]
    n_prompts = len((suites / "hv.jsonl").read_text().splitlines())
    assert result.failed == 0
    assert len(primary) == n_prompts and all(r.is_fallback for r in primary)
    assert result.fallbacks == n_prompts
    # Once the circuit opened (3 failures), the primary was no longer asked: far
    # fewer than 2 attempts per prompt reached it.
    assert stats["faults"]["503"] < n_prompts


def test_streaming_metrics_and_estimated_usage(tmp_path: Path) -> None:
    # fast-cheap sends no usage chunk in streams (like some real providers).
    suites = workspace(tmp_path, prompts=6)
    with demo(suites) as server:
        _, rows, _ = run(tmp_path, server.base_url, suites)
    by_model = {r.served_by: [] for r in rows}
    for r in rows:
        by_model[r.served_by].append(r)
    for r in by_model["Primary"]:  # careful: usage in stream
        assert not r.tokens_estimated and r.input_tokens > 0 and r.reasoning_tokens == 0
        assert 0 < r.ttft_ms < r.latency_ms
        assert r.itl_mean_ms > 0 and r.itl_p95_ms >= r.itl_mean_ms * 0.5
        assert r.output_tokens_per_s > 0
    for r in by_model["Other"]:  # fast-cheap: estimated from the text
        assert r.tokens_estimated
        assert r.output_tokens == max(1, -(-len(r.text) // 4))
        assert r.cost_usd > 0


def test_non_streaming_endpoint_and_cached_tokens_beside_prompt(tmp_path: Path) -> None:
    suites = workspace(tmp_path, prompts=6, extra="stream = false\ncached_tokens_in_prompt = false")
    with demo(suites) as server:
        _, rows, _ = run(tmp_path, server.base_url, suites)
    assert rows and all(r.error is None for r in rows)
    for r in rows:
        assert r.ttft_ms is None and r.itl_mean_ms is None and r.latency_ms > 0
        assert not r.tokens_estimated  # non-streamed answers always carry usage
        assert r.input_tokens >= r.cached_tokens

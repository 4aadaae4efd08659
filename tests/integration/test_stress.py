"""Stored load sweeps over real HTTP against the demo provider, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from blindside.client.percentile import percentile
from blindside.config import FaultConfig, Settings, load_models_toml, load_settings
from blindside.db import create_db_engine
from blindside.demo.app import create_demo_app
from blindside.demo.server import LoopbackServer
from blindside.demo.state import DemoStats
from blindside.stress.results import StepResult
from blindside.stress.store import SweepPlan, read_steps, read_sweeps
from blindside.stress.sweep import stress_models
from blindside.tables import StressRequest, StressStep
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)


@contextmanager
def demo(faults: dict[str, FaultConfig]) -> Iterator[tuple[DemoStats, Settings]]:
    """A demo provider with these per-model faults: its request log, and settings for it."""
    app = create_demo_app(latency_scale=0.0, model_faults=faults)
    with LoopbackServer(app) as server:
        yield (
            app.state.demo.stats,
            load_settings(models_path=MODELS_TOML, environ={"BLINDSIDE_DEMO_URL": server.base_url}),
        )


def model(name: str):  # type: ignore[no-untyped-def]
    return load_models_toml(MODELS_TOML).model(name)


def stored_requests(engine: Engine, sweep_id: int) -> dict[int, list[StressRequest]]:
    """The stored request rows of a sweep, by step position."""
    with Session(engine) as session:
        rows = session.exec(
            select(StressStep.position, StressRequest)
            .join(StressStep, col(StressStep.id) == StressRequest.step_id)
            .where(StressStep.sweep_id == sweep_id)
        ).all()
    found: dict[int, list[StressRequest]] = {}
    for position, row in rows:
        found.setdefault(position, []).append(row)
    return found


def test_a_sweep_is_stored_step_by_step_as_it_runs(engine: Engine) -> None:
    progress: list[tuple[str, int, int]] = []

    def on_step(name: str, position: int, step: StepResult) -> None:
        # Reported as each step ends, after it is stored: the later steps are not yet.
        progress.append((name, position, len(read_steps(engine, [sweep_id()])[sweep_id()])))

    def sweep_id() -> int:
        return read_sweeps(engine)[0].id

    plan = SweepPlan("concurrency", (1.0, 2.0, 4.0), requests_per_step=8, max_tokens=8)
    with demo({"careful": FaultConfig(latency_ms=20)}) as (stats, settings):
        models = [model("Demo careful"), model("Demo fast-cheap")]
        outcomes = stress_models(engine, models, settings, plan, on_step=on_step)
        assert stats.snapshot()["requests"] == 2 * (1 + 3 * 8)  # a warm-up, then the steps
    assert progress == [
        ("Demo careful", 0, 1),
        ("Demo careful", 1, 2),
        ("Demo careful", 2, 3),
        ("Demo fast-cheap", 0, 1),
        ("Demo fast-cheap", 1, 2),
        ("Demo fast-cheap", 2, 3),
    ]
    sweeps = read_sweeps(engine)
    assert [s.model_name for s in sweeps] == ["Demo fast-cheap", "Demo careful"]
    assert len({s.batch for s in sweeps}) == 1  # one command, one batch
    assert all(s.status == "finished" and s.stop_reason is None for s in sweeps)
    steps = read_steps(engine, [s.id for s in sweeps])
    for outcome in outcomes:
        stored = steps[outcome.sweep_id]
        assert [s.load for s in stored] == [1.0, 2.0, 4.0]
        assert all(s.requests == s.succeeded == 8 and s.output_tokens > 0 for s in stored)
        requests = stored_requests(engine, outcome.sweep_id)
        for position, step in enumerate(stored):
            rows = requests[position]
            # The stored percentiles are those of the stored requests, recomputed.
            latencies = [r.latency_ms for r in rows]
            assert len(rows) == 8 and all(r.error_class is None for r in rows)
            assert step.latency.p95 == pytest.approx(percentile(latencies, 95))
            assert step.latency.p99 == pytest.approx(percentile(latencies, 99))
            assert step.ttft.p50 == pytest.approx(percentile([r.ttft_ms for r in rows], 50))
            assert step.itl.p95 is not None and step.throughput_rps > 0
            ran = outcome.steps[position]
            assert (step.latency, step.ttft, step.itl) == (ran.latency, ran.ttft, ran.itl)
            assert step.wall_s == ran.wall_s


def test_a_sweep_stops_past_the_error_ceiling(engine: Engine) -> None:
    # Every request of the model is refused with a 429 (the demo's fault injection).
    plan = SweepPlan(
        "concurrency", (1.0, 2.0, 4.0), requests_per_step=6, max_error_rate=0.5, max_tokens=8
    )
    with demo({"careful": FaultConfig(rate=1.0, kinds=("429",))}) as (stats, settings):
        [outcome] = stress_models(engine, [model("Demo careful")], settings, plan)
        served = stats.snapshot()["requests"]
    assert served == 1 + 6  # the warm-up and the first step: nothing past the ceiling
    [sweep] = read_sweeps(engine)
    assert sweep.status == "stopped" and sweep.stop_reason is not None
    assert sweep.stop_reason.startswith("error ceiling: 100% of requests failed at concurrency 1")
    assert sweep.knee_load == 0
    [step] = read_steps(engine, [sweep.id])[sweep.id]
    assert step.errors_by_class == {"rate_limit": 6} and step.latency.p95 is None
    assert outcome.stop_reason == sweep.stop_reason


def test_a_sweep_is_bounded_in_requests_and_seconds(engine: Engine) -> None:
    with demo({"careful": FaultConfig(latency_ms=200)}) as (stats, settings):
        counted = SweepPlan("concurrency", (1.0, 3.0), requests_per_step=5, max_tokens=8)
        stress_models(engine, [model("Demo careful")], settings, counted)
        assert stats.snapshot()["requests"] == 1 + 10  # a warm-up, 5 per step, not one more
    # 2 x 100 requests of 1 s at concurrency 2 would take 100 s: the bound cuts it. Requests
    # as long as the bound keep two in flight when it passes, however late a loaded machine's
    # event loop wakes (at 200 ms, a load of 10 once let both end first: nothing to cancel).
    with demo({"careful": FaultConfig(latency_ms=1000)}) as (stats, settings):
        timed = SweepPlan(
            "concurrency", (2.0, 4.0), requests_per_step=100, max_seconds=3.0, max_tokens=8
        )
        [outcome] = stress_models(engine, [model("Demo careful")], settings, timed)
        sent = stats.snapshot()["requests"] - 1  # after the warm-up
    assert outcome.stop_reason == "time bound: --max-seconds 3 passed"
    [step] = outcome.steps  # the second load never started
    # A request a worker starts just before the bound may be cancelled before it reaches the
    # server: counted as cancelled, never served. Every served one is measured or cancelled.
    assert step.requests <= sent <= step.requests + step.cancelled < 100
    assert step.cancelled >= 1 and step.requests == step.succeeded
    sweep = read_sweeps(engine)[0]
    assert sweep.status == "stopped" and sweep.stop_reason == outcome.stop_reason
    rows = stored_requests(engine, sweep.id)
    assert len(rows[0]) == step.requests  # cancelled requests are counted, not measured


def test_an_open_loop_rate_sweep_with_poisson_arrivals(engine: Engine) -> None:
    plan = SweepPlan("rate", (5.0, 20.0), requests_per_step=10, poisson=True, max_tokens=8)
    with demo({"careful": FaultConfig(latency_ms=50)}) as (stats, settings):
        [outcome] = stress_models(engine, [model("Demo careful")], settings, plan)
        assert stats.snapshot()["requests"] == 1 + 20
    [sweep] = read_sweeps(engine)
    assert (sweep.mode, sweep.poisson, sweep.loads) == ("rate", True, (5.0, 20.0))
    steps = read_steps(engine, [sweep.id])[sweep.id]
    assert [(s.load, s.succeeded) for s in steps] == [(5.0, 10), (20.0, 10)]
    # Open loop: the sends follow the schedule, so a higher rate spends less time sending.
    assert steps[1].wall_s < steps[0].wall_s
    sent = sorted(r.sent_at for r in stored_requests(engine, sweep.id)[0])
    assert sent[0] <= sent[-1] and outcome.steps[0].requests == 10


def test_stress_command_stores_sweeps_prints_progress_and_refuses_bad_input(
    db_url: str, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo({}) as (_, settings):
        monkeypatch.setenv("BLINDSIDE_DEMO_URL", settings.demo_url or "")
        done = cli(
            "stress",
            "Demo fast-cheap",
            "--models",
            "Demo careful",
            "--db",
            db_url,
            "--config",
            str(MODELS_TOML),
            "--levels",
            "2,1",
            "--requests",
            "4",
            "--max-tokens",
            "8",
            "--format",
            "json",
        )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [s["model"] for s in report["sweeps"]] == [
        "Demo fast-cheap (simulated)",
        "Demo careful (simulated)",
    ]
    for sweep in report["sweeps"]:
        assert [s["load"] for s in sweep["steps"]] == [1, 2]
        assert all(s["succeeded"] == 4 and s["ttft_ms"]["p50"] > 0 for s in sweep["steps"])
    # Progress: one line per step, under each model's name.
    lines = done.stderr.splitlines()
    assert lines[1] == "Demo fast-cheap (simulated)" and lines[5] == "Demo careful (simulated)"
    assert sum(line.split()[:2] in (["1", "4"], ["2", "4"]) for line in lines) == 4

    # A stored suite's prompts, sent in turn: each prompt once for as many requests.
    assert (
        cli(
            "init", "--db", db_url, "--config", str(MODELS_TOML), "--suites", str(SEED_PROMPTS)
        ).returncode
        == 0
    )
    with demo({}) as (stats, settings):
        monkeypatch.setenv("BLINDSIDE_DEMO_URL", settings.demo_url or "")
        suite = cli(
            "stress",
            "Demo careful",
            "--suite",
            "high_volume",
            "--levels",
            "4",
            "--requests",
            "28",
            "--max-tokens",
            "8",
            "--db",
            db_url,
            "--config",
            str(MODELS_TOML),
        )
        assert suite.returncode == 0, suite.stderr
        # 28 prompts, 28 requests: each prompt once (the warm-up repeats the first).
        attempts = sorted(stats.snapshot()["attempts_by_digest"].values())
        assert attempts == [1] * 27 + [2]
    assert read_sweeps(create_db_engine(db_url))[0].suite_name == "high_volume"

    def refused(*args: str) -> str:
        bad = cli("stress", *args, "--db", db_url, "--config", str(MODELS_TOML))
        assert bad.returncode == 2, bad
        return bad.stderr

    assert "--poisson" in refused("Demo careful", "--poisson")
    assert "--max-error-rate" in refused("Demo careful", "--max-error-rate", "2")
    assert "--rate" in refused("Demo careful", "--rate", "0,x")
    assert "--max-seconds" in refused("Demo careful", "--max-seconds", "0")
    assert "no stored suite 'nope'" in refused("Demo careful", "--suite", "nope")
    assert "name a model" in refused()

    # A real provider: nothing is sent without --yes (the address would refuse anyway).
    models = tmp_path / "models.toml"
    models.write_text(
        '[[endpoints]]\nname = "p"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "K"\n\n'
        '[[models]]\nname = "Real"\nendpoint = "p"\nmodel_id = "r"\n'
        "pricing = { input = 2.5, output = 10 }\n"
    )
    monkeypatch.setenv("K", "secret")
    real = cli("stress", "Real", "--config", str(models), "--db", db_url)
    assert real.returncode == 2
    # A warm-up and 16 + 16 + 64 + 256 requests at the default levels, at the model's prices.
    assert "stress sends 353 requests to Real (up to $0.2400" in real.stderr

"""Load sweeps over real HTTP against the demo provider, through the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blindside.config import FaultConfig, load_models_toml, load_settings
from blindside.demo.app import create_demo_app
from blindside.demo.server import LoopbackServer
from blindside.stress import find_knee, stress_model
from tests.conftest import MODELS_TOML, Cli


def sweep(app_faults: dict[str, FaultConfig], **options):
    app = create_demo_app(latency_scale=0.0, model_faults=app_faults)
    model = load_models_toml(MODELS_TOML).model("Demo careful")
    with LoopbackServer(app) as server:
        settings = load_settings(
            models_path=MODELS_TOML, environ={"BLINDSIDE_DEMO_URL": server.base_url}
        )
        return stress_model(model, settings, **options)


def test_a_saturated_endpoint_shows_its_knee_at_its_capacity() -> None:
    levels = sweep(
        {"careful": FaultConfig(latency_ms=100, capacity=4)},
        levels=(1, 4, 16),
        requests_per_level=32,
        max_tokens=16,
    )
    assert [lv.concurrency for lv in levels] == [1, 4, 16]
    assert all(lv.succeeded == 32 and lv.output_tokens > 0 for lv in levels)
    one, four, sixteen = levels
    # 100 ms per request: about 10/s alone, 40/s with four slots, and no more past them.
    assert 5 < one.throughput_rps < 11
    assert four.throughput_rps > 3 * one.throughput_rps
    assert sixteen.throughput_rps < 1.3 * four.throughput_rps
    # Past capacity, requests wait before their first token.
    assert sixteen.ttft_p95_ms > 2 * four.ttft_p95_ms
    knee = find_knee(levels)
    assert knee is not None and (knee.best, knee.first_bad) == (4, 16), knee


def test_an_endpoint_with_room_scales_and_errors_are_classified() -> None:
    # 200 ms and four rounds per level (the default count): the client's own CPU per request
    # stays small beside the wait even on a slow, busy machine.
    roomy = sweep({"careful": FaultConfig(latency_ms=200)}, levels=(1, 4, 16), max_tokens=16)
    assert [lv.requests for lv in roomy] == [16, 16, 64]
    assert find_knee(roomy) is None, [lv.throughput_rps for lv in roomy]

    limited = sweep(
        {"careful": FaultConfig(rate=1.0, kinds=("429",), latency_ms=100)},
        levels=(1, 2),
        requests_per_level=6,
    )
    assert all(lv.succeeded == 0 and lv.errors_by_class == {"rate_limit": 6} for lv in limited)
    knee = find_knee(limited)
    assert knee is not None and knee.best == 0


def test_stress_command_prints_levels_and_asks_before_loading_a_real_provider(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLINDSIDE_DEMO_LATENCY_SCALE", "0.02")
    monkeypatch.delenv("BLINDSIDE_DEMO_URL", raising=False)
    done = cli(
        "stress",
        "Demo fast-cheap",
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
    assert report["model"] == "Demo fast-cheap (simulated)"
    assert [lv["concurrency"] for lv in report["levels"]] == [1, 2]
    assert all(lv["succeeded"] == 4 and lv["ttft_p50_ms"] > 0 for lv in report["levels"])

    # A real provider: nothing is sent without --yes (the address would refuse anyway).
    models = tmp_path / "models.toml"
    models.write_text(
        '[[endpoints]]\nname = "p"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "K"\n\n'
        '[[models]]\nname = "Real"\nendpoint = "p"\nmodel_id = "r"\n'
        "pricing = { input = 2.5, output = 10 }\n"
    )
    monkeypatch.setenv("K", "secret")
    refused = cli("stress", "Real", "--config", str(models))
    assert refused.returncode == 2
    # 16 + 16 + 64 + 256 requests at the default levels, priced at the model's rates.
    assert "stress sends 352 requests to Real (up to $0.2394" in refused.stderr

    bad = cli("stress", "Demo careful", "--config", str(MODELS_TOML), "--levels", "0,x")
    assert bad.returncode == 2 and "--levels" in bad.stderr

"""Latency samples over time from generation answers and stress requests, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from blindside.config import FaultConfig, Settings, load_models_toml, load_settings
from blindside.demo.app import create_demo_app
from blindside.demo.server import LoopbackServer
from blindside.engine.run import generate
from blindside.latency_history import by_hour_of_week, by_model, hour_of_week, latency_samples
from blindside.project import init_project
from blindside.stress.store import SweepPlan
from blindside.stress.sweep import stress_models
from blindside.tables import Response
from tests.conftest import MODELS_TOML

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)


def test_samples_pool_generation_and_stress_by_model_source_and_window(
    settings: Settings, engine: Engine
) -> None:
    before = datetime.now(UTC)
    _, report = init_project(settings, engine)
    generate(engine, report.config, settings, suite_name="high_volume", concurrency=16)
    # A stress sweep of one model whose every request fails with a 500.
    app = create_demo_app(
        latency_scale=0.0, model_faults={"careful": FaultConfig(rate=1.0, kinds=("500",))}
    )
    with LoopbackServer(app) as server:
        stress_settings = load_settings(
            models_path=MODELS_TOML, environ={"BLINDSIDE_DEMO_URL": server.base_url}
        )
        plan = SweepPlan("concurrency", (2.0,), requests_per_step=6, max_tokens=8)
        model = load_models_toml(MODELS_TOML).model("Demo careful")
        stress_models(engine, [model], stress_settings, plan)
    after = datetime.now(UTC)

    with Session(engine) as session:
        answers = session.exec(select(func.count()).select_from(Response)).one()
    samples = latency_samples(engine)
    assert [s.source for s in samples].count("generation") == answers > 0
    assert [s.source for s in samples].count("stress") == 6
    assert all(before - timedelta(seconds=1) <= s.at <= after for s in samples)
    assert [s.at for s in samples] == sorted(s.at for s in samples)

    stress = latency_samples(engine, sources=["stress"])
    assert len(stress) == 6 and all(s.failed and s.model == "Demo careful" for s in stress)
    careful = by_model(latency_samples(engine, models=["Demo careful"]))
    assert list(careful) == ["Demo careful"]
    assert careful["Demo careful"].errors >= 6  # the stress requests, at least
    assert latency_samples(engine, until=before - timedelta(seconds=1)) == []
    assert len(latency_samples(engine, since=after + timedelta(seconds=1))) == 0

    rows = by_hour_of_week(samples)
    assert {r.hour for r in rows} <= {hour_of_week(before), hour_of_week(after)}
    assert sum(r.summary.requests for r in rows) == len(samples)
    assert {r.model for r in rows} == {s.model for s in samples}
    with pytest.raises(ValueError, match="unknown sources"):
        latency_samples(engine, sources=["gen"])

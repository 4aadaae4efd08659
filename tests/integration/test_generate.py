"""Generation over real HTTP (openai SDK -> loopback socket -> demo provider) into a real DB."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from blindside.config import Settings
from blindside.db import create_db_engine
from blindside.generate import GenerationError, generate
from blindside.pricing import cost_usd
from blindside.project import generate_demo_answers, init_project, suites_missing_demo_answers
from blindside.tables import Model, Pair, Prompt, Response, Suite

TWO_MODELS = ["Demo careful", "Demo fast-cheap"]


@pytest.fixture
def project(settings: Settings) -> tuple[Engine, object]:
    engine, report = init_project(settings, create_db_engine(settings.database_url))
    return engine, report.config


def test_generate_stores_every_answer_with_metrics(settings: Settings, project) -> None:
    engine, config = project
    result = generate(
        engine, config, settings, suite_name="high_volume", model_names=TWO_MODELS, concurrency=8
    )
    with Session(engine) as s:
        suite = s.exec(select(Suite).where(Suite.name == "high_volume")).one()
        n_prompts = s.exec(select(func.count()).where(Prompt.suite_id == suite.id)).one()
        rows = s.exec(select(Response).where(Response.run_id == result.run_id)).all()
        models = {m.id: m for m in s.exec(select(Model))}
    assert result.requested == 2 * n_prompts
    assert len(rows) == 2 * n_prompts
    assert result.succeeded + result.failed == len(rows)
    ok = [r for r in rows if r.error is None]
    assert len(ok) >= 0.9 * len(rows)
    for row in ok:
        assert row.text
        assert row.finish_reason in ("stop", "length", "tool_calls")
        # Streaming: the first token arrives before the last one.
        assert 0 < row.ttft_ms < row.latency_ms
        assert row.input_tokens > 0 and row.output_tokens > 0
        pricing = config.model(models[row.model_id].name).pricing
        assert row.cost_usd == pytest.approx(
            cost_usd(
                pricing,
                prompt_tokens=row.input_tokens,
                cached_tokens=row.cached_tokens,
                completion_tokens=row.output_tokens,
            )
        )
        assert row.served_by == models[row.model_id].name
    assert result.pairs_created == len(
        {r.prompt_id for r in ok if sum(o.prompt_id == r.prompt_id for o in ok) == 2}
    )


def test_rerun_is_idempotent(settings: Settings, project) -> None:
    engine, config = project
    first = generate(engine, config, settings, suite_name="creative", model_names=TWO_MODELS)
    second = generate(engine, config, settings, suite_name="creative", model_names=TWO_MODELS)
    assert second.run_id == first.run_id
    assert second.requested == first.failed  # only what failed is asked again
    assert second.skipped == first.succeeded
    with Session(engine) as s:
        keys = s.exec(select(Response.prompt_id, Response.model_id, Response.sample)).all()
        pairs = s.exec(select(func.count()).select_from(Pair)).one()
    assert len(keys) == len(set(keys))
    assert pairs == first.pairs_created + second.pairs_created


def test_demo_answers_generated_once(settings: Settings, project) -> None:
    engine, config = project
    assert suites_missing_demo_answers(engine, config) == ["creative", "high_stakes", "high_volume"]
    results = generate_demo_answers(engine, config, settings)
    assert len(results) == 3
    assert suites_missing_demo_answers(engine, config) == []
    assert generate_demo_answers(engine, config, settings) == []


def test_unknown_suite_and_model_are_clear_errors(settings: Settings, project) -> None:
    engine, config = project
    with pytest.raises(GenerationError, match="unknown suite 'nope'"):
        generate(engine, config, settings, suite_name="nope", model_names=TWO_MODELS)
    with pytest.raises(GenerationError, match="unknown model"):
        generate(engine, config, settings, suite_name="creative", model_names=["Demo careful", "x"])

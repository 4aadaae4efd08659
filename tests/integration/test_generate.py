"""Generation over real HTTP (openai SDK -> loopback socket -> demo provider) into a real DB."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from blindside.client.usage import cost_usd
from blindside.config import Settings
from blindside.db import create_db_engine
from blindside.engine.run import GenerationError, generate
from blindside.identity import leaks_identity, model_names
from blindside.project import generate_demo_answers, init_project, suites_missing_demo_answers
from blindside.tables import Model, Pair, Prompt, Response, Run, Suite

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
        # Checked as it was stored: style counts and the identity flag.
        assert row.text_chars == len(row.text)
        assert row.identity_leak is leaks_identity(row.text, model_names(engine))
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


def test_max_cost_stops_the_run_cleanly(settings: Settings, project) -> None:
    engine, config = project
    result = generate(
        engine,
        config,
        settings,
        suite_name="high_stakes",
        model_names=TWO_MODELS,
        concurrency=4,
        max_cost_usd=0.02,
    )
    assert result.stop_reason is not None and result.stop_reason.startswith("budget")
    assert result.not_requested > 0
    assert 0 < result.cost_usd <= 0.02
    with Session(engine) as s:
        run = s.get(Run, result.run_id)
        spent = s.exec(select(func.sum(Response.cost_usd))).one()
        stored = s.exec(select(func.count()).select_from(Response)).one()
    assert run.status == "stopped" and run.stop_reason == result.stop_reason
    assert spent == pytest.approx(result.cost_usd)
    assert stored == result.requested  # nothing beyond the budget was asked for
    # Raising the budget resumes the same run and asks only for the rest.
    rest = generate(engine, config, settings, suite_name="high_stakes", model_names=TWO_MODELS)
    assert rest.run_id == result.run_id and rest.stop_reason is None
    assert rest.skipped == result.succeeded


def test_answers_naming_a_configured_model_are_flagged_as_stored(
    settings: Settings, project
) -> None:
    engine, config = project
    with Session(engine) as s:
        # A model whose id is a word every answer uses: each answer now "names" it.
        s.add(Model(name="Article model", endpoint="demo", model_id="the", active=False))
        s.commit()
    result = generate(engine, config, settings, suite_name="high_volume", model_names=TWO_MODELS)
    with Session(engine) as s:
        rows = s.exec(select(Response).where(Response.run_id == result.run_id)).all()
    with_the = [r for r in rows if r.text and " the " in f" {r.text.lower()} "]
    assert with_the and all(r.identity_leak for r in with_the)
    assert all("the" in (r.text or "").lower() for r in rows if r.identity_leak)

"""An LLM judge over real HTTP (openai SDK -> loopback -> demo provider) into SQLite and PostgreSQL.

The demo's simulated models answer judge prompts with a verdict line; these tests run the
judge on a suite's pairs in both orders, interrupt it, resume it, stop it on a budget, and
read its ranking, position bias and agreement with (simulated) raters.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from blindside.config import Settings
from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.demo_votes import simulate_demo_votes
from blindside.engine.run import GenerationError, generate
from blindside.judge.report import compare_rankings, judge_report
from blindside.judge.run import judge_suite
from blindside.leaderboard.board import build_leaderboard
from blindside.project import init_project
from blindside.tables import JudgeRun, JudgeVerdict, Pair

MODELS = ["Demo careful", "Demo fast-cheap", "Demo verbose", "Demo erratic"]
JUDGE = "Demo careful"


def _requests(server: LoopbackServer) -> int:
    with urllib.request.urlopen(f"{server.base_url}/_demo/stats") as reply:
        return int(json.load(reply)["requests"])


@pytest.fixture
def world(settings: Settings) -> tuple[Engine, object]:
    """The high-volume suite answered by the four demo models, with simulated votes."""
    engine, report = init_project(settings, create_db_engine(settings.database_url))
    generate(
        engine,
        report.config,
        settings,
        suite_name="high_volume",
        model_names=MODELS,
        concurrency=16,
    )
    simulate_demo_votes(engine, share=0.6)
    return engine, report.config


def _verdicts(engine: Engine) -> list[JudgeVerdict]:
    with Session(engine) as session:
        return list(session.exec(select(JudgeVerdict)).all())


def test_a_judge_run_stores_both_orders_and_a_rerun_asks_for_nothing(
    settings: Settings, world, demo_server: LoopbackServer
) -> None:
    engine, config = world
    before = _requests(demo_server)
    result = judge_suite(
        engine, config, settings, suite_name="high_volume", judge_name=JUDGE, max_pairs=12
    )
    rows = _verdicts(engine)
    assert result.pairs == 12 and result.requested == 24 and len(rows) == 24
    assert result.verdicts + result.parse_failures + result.failed == 24
    assert result.failed == 0 and result.verdicts > 0
    # Each pair twice, once in each order, the answers swapped.
    by_pair: dict[int, list[JudgeVerdict]] = {}
    for row in rows:
        by_pair.setdefault(row.pair_id, []).append(row)
    assert len(by_pair) == 12
    for pair_rows in by_pair.values():
        first, second = sorted(pair_rows, key=lambda r: r.position)
        assert (first.position, second.position) == (0, 1)
        assert (first.left_response_id, first.right_response_id) == (
            second.right_response_id,
            second.left_response_id,
        )
    for row in rows:
        assert row.raw_reply and "simulated" in row.raw_reply.lower()
        assert row.cost_usd and row.cost_usd > 0 and row.input_tokens and row.latency_ms
        assert (row.choice is None) == (row.parse_error is not None)
    # One request per verdict: nothing was asked twice.
    assert _requests(demo_server) - before == 24
    again = judge_suite(
        engine, config, settings, suite_name="high_volume", judge_name=JUDGE, max_pairs=12
    )
    assert (again.requested, again.already_done, again.judge_run_id) == (0, 24, result.judge_run_id)
    assert _requests(demo_server) - before == 24
    assert len(_verdicts(engine)) == 24


def test_resume_after_an_interruption_stores_nothing_twice(
    settings: Settings, world, demo_server: LoopbackServer
) -> None:
    engine, config = world

    def interrupt(progress) -> None:  # type: ignore[no-untyped-def]
        if progress.done >= 7:
            raise KeyboardInterrupt

    before = _requests(demo_server)
    with pytest.raises(KeyboardInterrupt):
        judge_suite(
            engine,
            config,
            settings,
            suite_name="high_volume",
            judge_name=JUDGE,
            max_pairs=10,
            concurrency=1,
            on_progress=interrupt,
        )
    stored = len(_verdicts(engine))
    assert 7 <= stored < 20
    resumed = judge_suite(
        engine, config, settings, suite_name="high_volume", judge_name=JUDGE, max_pairs=10
    )
    assert resumed.already_done == stored
    assert resumed.requested == 20 - stored
    rows = _verdicts(engine)
    assert len(rows) == 20
    assert len({(r.pair_id, r.position) for r in rows}) == 20
    # Only what was missing was asked for after the interruption.
    assert _requests(demo_server) - before == stored + resumed.requested


def test_max_cost_stops_before_the_budget_is_passed(settings: Settings, world) -> None:
    engine, config = world
    full = judge_suite(
        engine,
        config,
        settings,
        suite_name="high_volume",
        judge_name="Demo verbose",
        max_pairs=3,
    )
    per_verdict = full.cost_usd / full.requested
    budget = per_verdict * 10
    result = judge_suite(
        engine,
        config,
        settings,
        suite_name="high_volume",
        judge_name=JUDGE,
        max_pairs=30,
        max_cost_usd=budget,
    )
    assert result.stop_reason is not None and "budget" in result.stop_reason
    assert result.not_requested > 0
    assert result.requested + result.not_requested == 60
    assert result.cost_usd <= budget
    with Session(engine) as session:
        run = session.get(JudgeRun, result.judge_run_id)
        assert run is not None and run.status == "stopped"
        stored = session.exec(
            select(func.count()).where(JudgeVerdict.judge_run_id == result.judge_run_id)
        ).one()
    assert stored == result.requested


def test_the_judge_gets_a_ranking_a_position_bias_and_agreement_with_raters(
    settings: Settings, world
) -> None:
    engine, config = world
    with Session(engine) as session:
        n_pairs = session.exec(select(func.count()).select_from(Pair)).one()
    judge_suite(
        engine,
        config,
        settings,
        suite_name="high_volume",
        judge_name=JUDGE,
        max_pairs=min(80, n_pairs),
        concurrency=16,
    )
    report = judge_report(engine, _judge_id(engine), Cut(), n_bootstrap=200)
    assert report.verdicts > 100
    assert {r.name for r in report.ratings} == {f"{m} (simulated)" for m in MODELS}
    # The demo judge prefers right answers: the careful model beats the erratic one.
    ratings = {r.name: r.rating for r in report.ratings}
    assert ratings["Demo careful (simulated)"] > ratings["Demo erratic (simulated)"]
    bias = report.bias
    assert bias.flips.n > 50 and bias.flips.low is not None
    assert bias.first_wins.n > 50 and bias.first_wins.low < bias.first_wins.value
    agreement = report.agreement
    assert agreement.pairs > 20 and agreement.votes >= agreement.pairs
    assert agreement.share_low < agreement.share < agreement.share_high
    assert agreement.kappa is not None and agreement.kappa > 0
    board = build_leaderboard(engine, Cut())
    comparison = compare_rankings(report, board.rows)
    assert len(comparison.models) == 4
    assert all(m.human is not None and m.judge is not None for m in comparison.models)


def _judge_id(engine: Engine) -> int:
    with Session(engine) as session:
        run = session.exec(select(JudgeRun)).first()
        assert run is not None
        return run.judge_model_id


def test_unknown_suite_or_judge_is_refused(settings: Settings, world) -> None:
    engine, config = world
    with pytest.raises(GenerationError, match="unknown suite"):
        judge_suite(engine, config, settings, suite_name="nope", judge_name=JUDGE)
    with pytest.raises(GenerationError, match="unknown judge"):
        judge_suite(engine, config, settings, suite_name="high_volume", judge_name="nobody")
    assert _verdicts(engine) == []


def test_the_judge_and_rank_commands(
    settings: Settings,
    world,
    tmp_path,
    cli,
    monkeypatch: pytest.MonkeyPatch,
    demo_server: LoopbackServer,
) -> None:
    import shutil

    from tests.conftest import MODELS_TOML, SEED_PROMPTS

    engine, _ = world
    shutil.copy(MODELS_TOML, tmp_path / "models.toml")
    shutil.copytree(SEED_PROMPTS, tmp_path / "seed_prompts")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BLINDSIDE_DEMO_URL", demo_server.base_url)
    db = settings.database_url
    done = cli("judge", "--db", db, "--suite", "high_volume", "--judge", "careful", "--pairs", "6")
    assert done.returncode == 0, done.stderr
    assert "judge run 1: 6 pairs, requested 12 verdicts" in done.stdout
    assert "Position bias of the judge:" in done.stdout
    assert "Agreement with raters:" in done.stdout
    again = cli("judge", "--db", db, "--suite", "high_volume", "--judge", "careful", "--pairs", "6")
    assert "requested 0 verdicts" in again.stdout and "already done 12" in again.stdout
    ranked = cli("rank", "--db", db, "--judge", "Demo careful", "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    document = json.loads(ranked.stdout)
    assert document["judge"] == "Demo careful (simulated)"
    assert document["verdicts"] + document["parse_failures"] == 12
    assert {"flips", "first_wins"} <= set(document["position_bias"])
    assert len(document["models"]) == 4
    table = cli("rank", "--db", db, "--judge", "Demo careful")
    assert "raters (95% CI)" in table.stdout and "judge (95% CI)" in table.stdout
    unknown = cli("rank", "--db", db, "--judge", "Demo verbose")
    assert unknown.returncode == 2 and "no verdicts by 'Demo verbose'" in unknown.stderr
    # A rubric for a suite that is not loaded: file, line, field; exit 2; nothing stored.
    text = (tmp_path / "models.toml").read_text()
    (tmp_path / "models.toml").write_text(
        text + '\n[[judge_rubrics]]\ntier = 3\nsuite = "no_such_suite"\ntext = "x"\n'
    )
    line = len(text.splitlines()) + 4
    bad = cli("judge", "--db", db, "--suite", "high_volume", "--judge", "careful")
    assert bad.returncode == 2
    assert f"models.toml:{line}" in bad.stderr and "suite" in bad.stderr
    assert len(_verdicts(engine)) == 12


def test_migration_0012_goes_down_and_up(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from blindside.db import alembic_config, schema_drift, upgrade_schema

    upgrade_schema(engine)
    config = alembic_config(engine)
    command.downgrade(config, "0011")  # the revision before 0012
    assert not {"judge_run", "judge_verdict"} & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert {"judge_run", "judge_verdict"} <= set(inspect(engine).get_table_names())
    assert schema_drift(engine) == []

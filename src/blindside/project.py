"""Set a project up: validate inputs, migrate the database, register suites and models.

Everything is validated before the first write, so a bad suite or a bad
models.toml leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.catalog import SyncReport, sync_models, sync_suites
from blindside.config import ProjectConfig, Settings, load_models_toml
from blindside.config.settings import DEFAULT_OIDC_ROLES_PATH
from blindside.db import open_database, session_scope, upgrade_schema
from blindside.engine.run import Progress, RunResult, generate
from blindside.errors import InputError, Problem
from blindside.identity import LeakRefresh, flag_identity_leaks
from blindside.oidc_roles import read_oidc_roles
from blindside.scorecard import rescore_answers
from blindside.suites import SuiteSpec, load_suite_dir
from blindside.tables import Model, Prompt, Response, Run, Suite

if TYPE_CHECKING:
    from blindside.demo_votes import DemoVotes
    from blindside.judge.run import JudgeResult


@dataclass(frozen=True)
class InitReport:
    suites: list[SuiteSpec]
    config: ProjectConfig
    prompts: SyncReport
    models: SyncReport
    leaks: LeakRefresh


def load_inputs(settings: Settings) -> tuple[list[SuiteSpec], ProjectConfig]:
    """Parse and validate the suites, models.toml and the OIDC role table (when there is
    one); raises InputError, writes nothing."""
    problems: list[Problem] = []
    suites: list[SuiteSpec] = []
    config: ProjectConfig | None = None
    try:
        suites = load_suite_dir(settings.suites_dir)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        config = load_models_toml(settings.models_path)
    except InputError as exc:
        problems.extend(exc.problems)
    try:  # read by the app at sign-in; a bad table stops `make run` here, not a rater later
        read_oidc_roles(
            settings.oidc_roles_path,
            required=settings.oidc_roles_path != DEFAULT_OIDC_ROLES_PATH,
        )
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    assert config is not None
    return suites, config


def init_project(settings: Settings, engine: Engine | None = None) -> tuple[Engine, InitReport]:
    """Validate inputs, migrate, register suites and models, re-check leaks (idempotent)."""
    suites, config = load_inputs(settings)
    if engine is None:
        engine = open_database(settings.database_url)
    else:
        upgrade_schema(engine)
    prompts = sync_suites(engine, suites)
    models = sync_models(engine, config.models)
    with session_scope(engine) as session:
        rescore_answers(session, unscored_only=True)  # answers stored before migration 0005
    # The leak rules and the model names may have changed since the answers were stored.
    leaks = flag_identity_leaks(engine)
    return engine, InitReport(
        suites=suites, config=config, prompts=prompts, models=models, leaks=leaks
    )


def suites_missing_demo_answers(engine: Engine, config: ProjectConfig) -> list[str]:
    """Names of suites with no successful answer from any active simulated model."""
    demo_names = [m.name for m in config.active_models() if m.simulated]
    if len(demo_names) < 2:
        return []
    with Session(engine) as session:
        answered = set(
            session.exec(
                select(Suite.name)
                .join(Run, col(Run.suite_id) == col(Suite.id))
                .join(Response, col(Response.run_id) == col(Run.id))
                .join(Model, col(Model.id) == col(Response.model_id))
                .where(col(Model.name).in_(demo_names), col(Response.error).is_(None))
                .group_by(Suite.name)
                .having(func.count(col(Response.id)) > 0)
            ).all()
        )
        names = session.exec(select(Suite.name).order_by(Suite.name)).all()
    return [name for name in names if name not in answered]


#: Samples per prompt in the demo's answers to suites with tier 1 prompts.
DEMO_TIER_ONE_SAMPLES = 3


def generate_demo_answers(
    engine: Engine,
    config: ProjectConfig,
    settings: Settings,
    *,
    on_progress: Callable[[str, Progress], None] | None = None,
    concurrency: int = 32,
) -> list[RunResult]:
    """Generate the demo models' answers once, for every suite that has none."""
    demo_names = [m.name for m in config.active_models() if m.simulated]
    with Session(engine) as session:
        tier_one_suites = set(
            session.exec(
                select(Suite.name)
                .join(Prompt, col(Prompt.suite_id) == col(Suite.id))
                .where(Prompt.tier == 1)
            )
        )
    results = []
    for suite_name in suites_missing_demo_answers(engine, config):
        callback = None
        if on_progress is not None:
            callback = lambda progress, name=suite_name: on_progress(name, progress)  # noqa: E731
        results.append(
            generate(
                engine,
                config,
                settings,
                suite_name=suite_name,
                model_names=demo_names,
                # Tier 1 is where consistency across samples matters most: the demo shows it.
                samples=DEMO_TIER_ONE_SAMPLES if suite_name in tier_one_suites else 1,
                concurrency=concurrency,
                on_progress=callback,
            )
        )
    return results


#: Pairs per suite that the demo's judge judges at ``blindside init --demo`` (two verdicts each).
DEMO_JUDGE_PAIRS = 40


@dataclass(frozen=True)
class DemoJudging:
    """What :func:`demo_votes_and_verdicts` did: simulated votes, then a judge per suite."""

    votes: DemoVotes
    judge: str | None
    results: list[JudgeResult]


def demo_votes_and_verdicts(
    engine: Engine, config: ProjectConfig, settings: Settings, *, concurrency: int = 16
) -> DemoJudging:
    """Simulated raters' votes and a simulated judge's verdicts on the demo's pairs (once).

    The first active simulated model judges up to :data:`DEMO_JUDGE_PAIRS` pairs of each
    suite, the voted ones first, so the Leaderboard shows the judge beside the raters.
    Both are resumable: a second call stores nothing new.
    """
    from blindside.demo_votes import simulate_demo_votes
    from blindside.judge.run import judge_suite

    votes = simulate_demo_votes(engine)
    judges = [m for m in config.active_models() if m.simulated]
    if not judges:
        return DemoJudging(votes, None, [])
    with Session(engine) as session:
        suites = session.exec(select(Suite.name).order_by(Suite.name)).all()
    results = [
        judge_suite(
            engine,
            config,
            settings,
            suite_name=name,
            judge_name=judges[0].name,
            max_pairs=DEMO_JUDGE_PAIRS,
            concurrency=concurrency,
        )
        for name in suites
    ]
    return DemoJudging(votes, judges[0].display_name, results)

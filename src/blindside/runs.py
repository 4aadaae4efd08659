"""What the Runs page and the CLI report about generation runs.

The figures per (run, model) are :func:`blindside.leaderboard.stats.run_model_stats`:
the same aggregates the leaderboard groups by model. This module adds what a run
is (suite, status, when) and names the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import display_name
from blindside.leaderboard import views
from blindside.leaderboard.stats import ModelStats, run_model_stats
from blindside.tables import Model, Run, Suite


@dataclass(frozen=True)
class RunModelSummary:
    """One model in one run: the run, its suite's name, the model, what generation measured."""

    run: Run
    suite: str
    model: Model
    stats: ModelStats

    @property
    def display_name(self) -> str:
        return display_name(self.model.name, simulated=self.model.simulated)


def run_model_summaries(
    engine: Engine, *, run_id: int | None = None, limit_runs: int = 50
) -> list[RunModelSummary]:
    """Newest runs first, one row per (run, model) that has answers, models by name.

    Parameters
    ----------
    engine : Engine
    run_id : int, optional
        Only this run.
    limit_runs : int
        How many of the newest runs otherwise.
    """
    with Session(engine) as session:
        if run_id is not None:
            run_ids = [run_id]
        else:
            run_ids = list(
                session.exec(select(Run.id).order_by(col(Run.id).desc()).limit(limit_runs))
            )
        runs = {
            run.id: (run, suite)
            for run, suite in session.exec(
                select(Run, Suite.name)
                .join(Suite, col(Suite.id) == col(Run.suite_id))
                .where(col(Run.id).in_(run_ids))
            )
        }
        models = {m.id: m for m in session.exec(select(Model))}
    summaries = [
        RunModelSummary(*runs[r_id], models[m_id], stats)
        for (r_id, m_id), stats in run_model_stats(engine, list(runs)).items()
    ]
    return sorted(summaries, key=lambda s: (-s.run.id, s.model.name))  # type: ignore[operator]


def format_run_summary(summaries: list[RunModelSummary]) -> str:
    """A plain-text table of one run's per-model summary, for the CLI."""
    header, *lines = views.text_table(views.RUN_SUMMARY_TABLE, summaries)
    return "\n".join([header, "-" * len(header), *lines])

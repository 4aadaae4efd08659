"""What a run asks for: tasks, their answers, the plan of a run and fallback chains.

A run is keyed on its configuration (suite content, models, samples): running
the same command again finds that run, and :func:`plan_tasks` lists only the
(prompt, model, sample) triples with no successful answer yet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from blindside.config import ModelConfig, ProjectConfig
from blindside.db import session_scope
from blindside.tables import AnswerColumns, Model, Prompt, Response, Run, Suite

__all__ = [
    "Answer",
    "Task",
    "fallback_chain",
    "find_or_create_run",
    "plan_tasks",
    "run_config_hash",
]


@dataclass(frozen=True)
class Task:
    """One answer to produce: a prompt, a model (with its fallback chain) and a sample."""

    prompt_id: int
    model_row_id: int
    sample: int
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    chain: tuple[ModelConfig, ...]

    @property
    def model(self) -> ModelConfig:
        return self.chain[0]


def _answer_is_ok(answer: Any) -> bool:
    """True when the answer succeeded (it has no error)."""
    return answer.error is None


# The task's key, then every column of AnswerColumns with the table's types and defaults:
# the answer's fields are listed once, in blindside.tables.
Answer = make_dataclass(
    "Answer",
    [
        ("prompt_id", int),
        ("model_row_id", int),
        ("sample", int),
        *(
            (name, info.annotation, field(default=info.default))
            for name, info in AnswerColumns.model_fields.items()
        ),
    ],
    namespace={
        "__doc__": "What one task produced; becomes (or replaces) a Response row.",
        "__module__": __name__,
        "ok": property(_answer_is_ok),
    },
)


def run_config_hash(suite_hash: str, model_names: Sequence[str], samples: int) -> str:
    """Identity of a run's configuration: same suite content, models and samples."""
    payload = json.dumps({"suite": suite_hash, "models": sorted(model_names), "samples": samples})
    return hashlib.sha256(payload.encode()).hexdigest()


def find_or_create_run(
    engine: Engine,
    suite: Suite,
    models: Sequence[ModelConfig],
    samples: int,
    new_run: bool,
    max_cost_usd: float | None,
) -> int:
    """The id of the run with this configuration, reopened; a new run if none or ``new_run``."""
    config_hash = run_config_hash(suite.content_hash, [m.name for m in models], samples)
    with session_scope(engine) as session:
        if not new_run:
            run = session.exec(
                select(Run).where(Run.config_hash == config_hash).order_by(col(Run.id).desc())
            ).first()
            if run is not None:
                run.status = "running"
                run.finished_at = None
                run.stop_reason = None
                run.max_cost_usd = max_cost_usd
                session.add(run)
                return run.id  # type: ignore[return-value]
        run = Run(
            suite_id=suite.id,  # type: ignore[arg-type]
            samples_per_prompt=samples,
            config_hash=config_hash,
            model_names=[m.name for m in models],
            max_cost_usd=max_cost_usd,
        )
        session.add(run)
        session.flush()
        return run.id  # type: ignore[return-value]


def fallback_chain(config: ProjectConfig, model: ModelConfig) -> tuple[ModelConfig, ...]:
    """The model followed by its fallbacks, in order, each at most once."""
    chain = [model]
    for name in model.fallbacks:
        candidate = config.model(name)
        if all(candidate.name != m.name for m in chain):
            chain.append(candidate)
    return tuple(chain)


def plan_tasks(
    engine: Engine, run_id: int, chains: Sequence[tuple[ModelConfig, ...]], samples: int
) -> tuple[list[Task], int]:
    """Tasks still missing a successful answer in this run, and how many are done."""
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        prompts = session.exec(
            select(Prompt).where(Prompt.suite_id == run.suite_id).order_by(col(Prompt.id))
        ).all()
        names = [chain[0].name for chain in chains]
        model_rows = {
            m.name: m for m in session.exec(select(Model).where(col(Model.name).in_(names)))
        }
        done = set(
            session.exec(
                select(Response.prompt_id, Response.model_id, Response.sample).where(
                    Response.run_id == run_id, col(Response.error).is_(None)
                )
            ).all()
        )
    tasks: list[Task] = []
    for sample in range(samples):
        for prompt in prompts:
            for chain in chains:
                row = model_rows[chain[0].name]
                if (prompt.id, row.id, sample) in done:
                    continue
                tasks.append(
                    Task(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        model_row_id=row.id,  # type: ignore[arg-type]
                        sample=sample,
                        messages=prompt.messages,
                        tools=prompt.tools,
                        chain=chain,
                    )
                )
    return tasks, len(done)

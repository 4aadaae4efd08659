"""A database to rate: prompts on tiers, answers by several models, their pairs, raters."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from blindside.pairing import build_pairs
from blindside.tables import Model, Prompt, Rater, Response, Run, Suite


def rating_world(
    engine: Engine,
    *,
    models: int = 4,
    prompts_per_tier: int = 5,
    tiers: tuple[int, ...] = (1,),
    raters: int = 2,
    suite: str = "s",
) -> list[int]:
    """Store the world and build its pairs; the raters' ids.

    Every prompt has one answer by each model, so ``models * (models - 1) / 2`` pairs.
    """
    with Session(engine, expire_on_commit=False) as s:
        suite_row = Suite(name=suite)
        s.add(suite_row)
        s.flush()
        prompt_rows = [
            Prompt(
                suite_id=suite_row.id,
                external_id=f"{suite}-t{tier}-p{k}",
                tier=tier,
                category="c",
                text=f"question {k} on tier {tier}",
                messages=[{"role": "user", "content": f"question {k} on tier {tier}"}],
            )
            for tier in tiers
            for k in range(prompts_per_tier)
        ]
        model_rows = [
            Model(name=f"{suite}-m{i}", endpoint="e", model_id=f"id{i}") for i in range(models)
        ]
        run = Run(suite_id=suite_row.id, config_hash="h")
        rater_rows = [Rater(name=f"{suite}-r{i}", name_key=f"{suite}-r{i}") for i in range(raters)]
        s.add_all([*prompt_rows, *model_rows, run, *rater_rows])
        s.flush()
        s.execute(
            insert(Response.__table__),  # type: ignore[attr-defined]
            [
                {
                    "run_id": run.id,
                    "prompt_id": p.id,
                    "model_id": m.id,
                    "sample": 0,
                    "text": f"answer of {m.name} to {p.external_id}",
                    "identity_leak": False,
                }
                for p in prompt_rows
                for m in model_rows
            ],
        )
        s.commit()
        run_id, rater_ids = run.id, [r.id for r in rater_rows]
    build_pairs(engine, run_id)  # type: ignore[arg-type]
    return rater_ids  # type: ignore[return-value]

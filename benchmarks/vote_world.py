"""The world ``bench_votes.py`` votes in: 10 models, their pairs and the votes already stored,
on a fresh SQLite file or a fresh PostgreSQL database dropped afterwards."""

from __future__ import annotations

import random
import uuid

from scratch_db import scratch_database
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.pairing import build_pairs
from blindside.tables import Model, Prompt, Rater, Response, Run, Suite, Vote, utc_now

MODELS = 10
CHOICES = ("left", "right", "tie", "both_bad")


def build_world(engine: Engine, stored: int, seed: int = 0) -> None:
    """10 models, enough prompts for ``stored`` votes by 400 past raters, the votes stored."""
    rng = random.Random(seed)
    past_raters = 400
    pairs_per_prompt = MODELS * (MODELS - 1) // 2
    prompts = max(20, stored // past_raters * 4 // pairs_per_prompt + 1) * 10
    with Session(engine, expire_on_commit=False) as s:
        suite = Suite(name="bench")
        s.add(suite)
        s.flush()
        prompt_rows = [
            {
                "suite_id": suite.id,
                "external_id": f"p{k}",
                "tier": 1 + k % 2,
                "category": "c",
                "text": f"question {k}",
                "messages": [{"role": "user", "content": f"question {k}"}],
                "meta": {},
            }
            for k in range(prompts)
        ]
        s.execute(insert(Prompt.__table__), prompt_rows)  # type: ignore[attr-defined]
        models = [Model(name=f"m{i}", endpoint="e", model_id=f"id{i}") for i in range(MODELS)]
        run = Run(suite_id=suite.id, config_hash="h")
        s.add_all([*models, run])
        s.flush()
        prompt_ids = [
            (pid, tier) for pid, tier in s.execute(text("SELECT id, tier FROM prompt")).all()
        ]
        s.execute(
            insert(Response.__table__),  # type: ignore[attr-defined]
            [
                {
                    "run_id": run.id,
                    "prompt_id": pid,
                    "model_id": m.id,
                    "sample": 0,
                    "text": f"answer of model {m.id} to prompt {pid}. " * 20,
                    "identity_leak": False,
                    "created_at": utc_now(),
                }
                for pid, _ in prompt_ids
                for m in models
            ],
        )
        s.execute(
            insert(Rater.__table__),  # type: ignore[attr-defined]
            [
                {"name": f"past{i}", "name_key": f"past{i}", "created_at": utc_now()}
                for i in range(past_raters)
            ],
        )
        s.commit()
        run_id = run.id
    build_pairs(engine, run_id)  # type: ignore[arg-type]
    with Session(engine) as s:
        pairs = s.exec(
            text(
                "SELECT pair.id, pair.prompt_id, prompt.tier, pair.response_a_id, "
                "pair.response_b_id, a.model_id, b.model_id FROM pair "
                "JOIN prompt ON prompt.id = pair.prompt_id "
                "JOIN response a ON a.id = pair.response_a_id "
                "JOIN response b ON b.id = pair.response_b_id"
            )  # type: ignore[call-overload]
        ).all()
        rater_ids = list(s.exec(select(Rater.id)).all())
    now = utc_now()
    rows = []
    per_rater = stored // len(rater_ids) + 1
    for rater in rater_ids:
        for pair in rng.sample(pairs, per_rater):
            if len(rows) == stored:
                break
            pid, prompt_id, tier, ra, rb, ma, mb = pair
            flip = rng.random() < 0.5
            rows.append(
                {
                    "pair_id": pid,
                    "rater_id": rater,
                    "left_response_id": rb if flip else ra,
                    "right_response_id": ra if flip else rb,
                    "left_model_id": mb if flip else ma,
                    "right_model_id": ma if flip else mb,
                    "choice": rng.choice(CHOICES),
                    "prompt_id": prompt_id,
                    "tier": tier,
                    "run_id": run_id,
                    "flagged": False,
                    "fallback": False,
                    "identity_leak": False,
                    "created_at": now,
                }
            )
    with Session(engine) as s:
        for start in range(0, len(rows), 10_000):
            s.execute(insert(Vote.__table__), rows[start : start + 10_000])  # type: ignore[attr-defined]
        s.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def new_raters(engine: Engine, n: int) -> list[int]:
    tag = uuid.uuid4().hex[:8]
    with Session(engine, expire_on_commit=False) as s:
        rows = [Rater(name=f"{tag}-{i}", name_key=f"{tag}-{i}") for i in range(n)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]  # type: ignore[misc]


def database(backend: str, pg_url: str, folder: str):  # type: ignore[no-untyped-def]
    """A scratch database for the vote benchmarks (``bench_votes_<random>``)."""
    return scratch_database(backend, pg_url, folder, "bench_votes")

"""What one run measured of each (model, tier), as raw samples a drift test can use.

A leaderboard needs aggregates; a significance test needs the samples behind
them: every latency, every cost, each answer right or wrong. One query per run
reads them (a suite has thousands of answers, not millions).

An answer a fallback model served says nothing about the model itself: it counts
as a failure of the model in the error rate and nowhere else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.tables import Prompt, Response


@dataclass
class TierSample:
    """The samples of one model on one tier in one run.

    Attributes
    ----------
    tasks : int
        Answers asked for (every sample of every prompt).
    failed : int
        Answers that failed, or that a fallback served.
    scored, correct : int
        Answers checked against a reference, and how many were right.
    latencies_ms, ttfts_ms : list of float
        Of the model's own successful answers.
    costs_usd : list of float
        Cost of each successful answer with a known cost (the leaderboard's cost
        per task is their mean).
    consistency : list of float
        Per prompt with two or more samples, the share giving the modal answer.
    """

    tasks: int = 0
    failed: int = 0
    scored: int = 0
    correct: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    ttfts_ms: list[float] = field(default_factory=list)
    costs_usd: list[float] = field(default_factory=list)
    consistency: list[float] = field(default_factory=list)


def run_samples(engine: Engine, run_id: int) -> dict[tuple[int, int], TierSample]:
    """Every (model id, tier) of ``run_id`` with its samples."""
    samples: dict[tuple[int, int], TierSample] = defaultdict(TierSample)
    keys: dict[tuple[int, int, int], Counter[str]] = defaultdict(Counter)
    query = (
        select(
            Response.model_id,
            Prompt.tier,
            Response.prompt_id,
            Response.error_class,
            Response.is_fallback,
            Response.correct,
            Response.latency_ms,
            Response.ttft_ms,
            Response.cost_usd,
            Response.answer_key,
        )
        .join(Prompt, col(Prompt.id) == col(Response.prompt_id))
        .where(Response.run_id == run_id)
    )
    with Session(engine) as session:
        rows = session.exec(query).all()
    for model_id, tier, prompt_id, error, fallback, correct, latency, ttft, cost, key in rows:
        sample = samples[(model_id, tier)]
        sample.tasks += 1
        if error is not None or fallback:
            sample.failed += 1
            continue
        if cost is not None:
            sample.costs_usd.append(float(cost))
        if correct is not None:
            sample.scored += 1
            sample.correct += int(correct)
        if latency is not None:
            sample.latencies_ms.append(float(latency))
        if ttft is not None:
            sample.ttfts_ms.append(float(ttft))
        if key is not None:
            keys[(model_id, tier, prompt_id)][key] += 1
    for (model_id, tier, _), counts in keys.items():
        total = sum(counts.values())
        if total >= 2:
            samples[(model_id, tier)].consistency.append(max(counts.values()) / total)
    return dict(samples)

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

from blindside.tables import JudgeRun, JudgeVerdict, Pair, Prompt, Response


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
    judge_preference : list of float
        Per judged pair the model was in, its score from the judge: 1 a win, 0.5 a tie
        or both bad, 0 a loss, averaged over the two orders (:func:`judge_samples`).
    """

    tasks: int = 0
    failed: int = 0
    scored: int = 0
    correct: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    ttfts_ms: list[float] = field(default_factory=list)
    costs_usd: list[float] = field(default_factory=list)
    consistency: list[float] = field(default_factory=list)
    judge_preference: list[float] = field(default_factory=list)


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


#: What a verdict gives the answer shown on each side: (left, right).
_VERDICT_SCORES = {
    "left": (1.0, 0.0),
    "right": (0.0, 1.0),
    "tie": (0.5, 0.5),
    "both_bad": (0.5, 0.5),
}


def judge_samples(
    engine: Engine, run_id: int, judge_model_id: int
) -> dict[tuple[int, int], list[float]]:
    """Each (model id, tier) of ``run_id``'s judged pairs with the model's score per pair.

    A pair is judged in both orders; the model's score on it is the mean over the parsed
    verdicts, so a judge's position bias cancels and a pair counts once (the test of
    :mod:`blindside.drift.significance` wants independent samples). When the judge judged
    a pair under several rubrics, the newest verdict of each order counts.
    """
    left_answer = Response.__table__.alias("left_answer")  # type: ignore[attr-defined]
    right_answer = Response.__table__.alias("right_answer")  # type: ignore[attr-defined]
    first = Response.__table__.alias("first_answer")  # type: ignore[attr-defined]
    query = (
        select(
            JudgeVerdict.pair_id,
            JudgeVerdict.position,
            JudgeVerdict.choice,
            Prompt.tier,
            left_answer.c.model_id,
            right_answer.c.model_id,
        )
        .join(JudgeRun, col(JudgeRun.id) == col(JudgeVerdict.judge_run_id))
        .join(Pair, col(Pair.id) == col(JudgeVerdict.pair_id))
        .join(first, first.c.id == col(Pair.response_a_id))
        .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
        .join(left_answer, left_answer.c.id == col(JudgeVerdict.left_response_id))
        .join(right_answer, right_answer.c.id == col(JudgeVerdict.right_response_id))
        .where(first.c.run_id == run_id)
        .where(col(JudgeRun.judge_model_id) == judge_model_id)
        .where(col(JudgeVerdict.choice).is_not(None))
        .order_by(col(JudgeVerdict.id))
    )
    with Session(engine) as session:
        rows = session.exec(query).all()
    newest: dict[tuple[int, int], tuple[str, int, int, int]] = {}
    for pair_id, position, choice, tier, left_model, right_model in rows:
        newest[(pair_id, position)] = (choice, tier, left_model, right_model)
    per_pair: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for (pair_id, _), (choice, tier, left_model, right_model) in newest.items():
        left_score, right_score = _VERDICT_SCORES[choice]
        per_pair[(left_model, tier, pair_id)].append(left_score)
        per_pair[(right_model, tier, pair_id)].append(right_score)
    scores: dict[tuple[int, int], list[float]] = defaultdict(list)
    for (model_id, tier, _), values in sorted(per_pair.items()):
        scores[(model_id, tier)].append(sum(values) / len(values))
    return dict(scores)

"""What the live scheduler reads from the store: the open pairs and the counted votes.

A snapshot is taken outside :class:`blindside.live_scheduler.LiveScheduler`'s lock with one
aggregated query over the votes, then turned into one :class:`SchedulerState` per tier.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from blindside.cuts import excluded_rater_ids
from blindside.policy import (
    IdentityPolicy,
    RatingPolicy,
    gold_answers,
    identity_policy,
    open_pair_conditions,
    rating_policy,
)
from blindside.scheduler import Item, Policy, SchedulerState
from blindside.scheduler.counts import CHOICE_COLUMN
from blindside.tables import Pair, Prompt, Response, Vote


@dataclass(frozen=True)
class PairFacts:
    """What the scheduler needs of a stored pair: its tier and its two answers' models."""

    pair_id: int
    tier: int
    response_a_id: int
    response_b_id: int
    model_a_id: int
    model_b_id: int


@dataclass
class TierState:
    """The scheduler state of one tier, and how its model ids map to indices."""

    state: SchedulerState
    model_index: dict[int, int]
    votes_since_fit: int = 0


@dataclass(frozen=True)
class Rules:
    """What an admin decides about rating: a change rebuilds the counts."""

    rating: RatingPolicy
    identity: IdentityPolicy
    gold: frozenset[int]  # pairs marked gold

    @classmethod
    def read(cls, engine: Engine) -> Rules:
        """The rules in force (two one-row reads and the gold marks)."""
        return cls(rating_policy(engine), identity_policy(engine), frozenset(gold_answers(engine)))


@dataclass
class Snapshot:
    """Everything a rebuild reads, taken outside the lock."""

    pairs: list[PairFacts]
    # (pair id, left model id, right model id, choice) -> votes, for ids up to ``watermark``.
    tallies: list[tuple[int, int, int, str, int]]
    watermark: int
    max_pair_id: int
    excluded: frozenset[int]
    rules: Rules
    taken_at: float = field(default_factory=time.monotonic)


def open_pairs(session: Session, rules: Rules) -> list[PairFacts]:
    """Every stored pair a rater may be offered, with its tier and models.

    Only pairs on prompts of the active suites and tiers, and under the ``hide`` identity
    policy none with an answer flagged as an identity leak
    (:func:`blindside.policy.open_pair_conditions`).
    """
    left, right = aliased(Response), aliased(Response)
    query = (
        select(
            Pair.id,
            Prompt.tier,
            Pair.response_a_id,
            Pair.response_b_id,
            left.model_id,
            right.model_id,
        )
        .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
        .join(left, col(left.id) == col(Pair.response_a_id))
        .join(right, col(right.id) == col(Pair.response_b_id))
        .where(*open_pair_conditions(rules.rating, rules.identity))
    )
    return [PairFacts(*row) for row in session.exec(query).all()]


def take_snapshot(engine: Engine) -> Snapshot:
    """Read the pairs open for rating and the counted votes, aggregated (one GROUP BY)."""
    rules = Rules.read(engine)
    with Session(engine) as session:
        watermark = session.exec(select(func.coalesce(func.max(Vote.id), 0))).one()
        max_pair_id = session.exec(select(func.coalesce(func.max(Pair.id), 0))).one()
        excluded = frozenset(excluded_rater_ids(session))
        pairs = open_pairs(session, rules)
        query = (
            select(Vote.pair_id, Vote.left_model_id, Vote.right_model_id, Vote.choice, func.count())
            .where(col(Vote.id) <= watermark)
            .group_by(
                col(Vote.pair_id), col(Vote.left_model_id), col(Vote.right_model_id), Vote.choice
            )
        )
        if excluded:
            query = query.where(col(Vote.rater_id).not_in(excluded))
        tallies = [tuple(row) for row in session.exec(query).all()]
    return Snapshot(pairs, tallies, int(watermark), int(max_pair_id), excluded, rules)  # type: ignore[arg-type]


def fit_theta(state: SchedulerState) -> np.ndarray:
    """Bradley-Terry log-strengths from the state's own counts (ties as halves)."""
    from blindside.ranking import fit_bradley_terry  # scipy: only once votes arrive

    left_wins, right_wins, ties = state.counts.outcomes
    wins = left_wins + right_wins.T + 0.5 * (ties + ties.T)
    return fit_bradley_terry(wins, prior=state.policy.prior)


def tier_states(snapshot: Snapshot, policy: Policy) -> dict[int, TierState]:
    """One scheduler state per tier from a snapshot: items, then the aggregated votes."""
    by_tier: dict[int, list[PairFacts]] = {}
    for facts in snapshot.pairs:
        by_tier.setdefault(facts.tier, []).append(facts)
    states: dict[int, TierState] = {}
    for tier, pairs in by_tier.items():
        model_ids = sorted({m for p in pairs for m in (p.model_a_id, p.model_b_id)})
        if len(model_ids) < 2:
            continue
        index = {model_id: i for i, model_id in enumerate(model_ids)}
        items = [
            Item(
                p.pair_id,
                index[p.model_a_id],
                index[p.model_b_id],
                gold=p.pair_id in snapshot.rules.gold,
            )
            for p in pairs
        ]
        states[tier] = TierState(SchedulerState(len(model_ids), items, policy), index)
    pairs_by_id = {p.pair_id: p for p in snapshot.pairs}
    for pair_id, left_model, right_model, choice, votes in snapshot.tallies:
        facts = pairs_by_id.get(pair_id)
        if facts is None or facts.tier not in states or choice not in CHOICE_COLUMN:
            continue
        tier_state = states[facts.tier]
        index = tier_state.model_index
        tier_state.state.counts.record_many(
            pair_id, index[left_model], index[right_model], choice, votes
        )
    for tier_state in states.values():
        tier_state.state.set_fit(None)
    return states

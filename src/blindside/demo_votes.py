"""Simulated raters for the demo: votes on the demo's pairs, so ``make run`` shows rankings.

Four raters named "Simulated rater N" vote on a share of the demo models' pairs. Like a
person, a simulated rater judges the two answers it is shown, with its own signal: an
answer the scorer marks correct beats a wrong one, raters lean a little towards the longer
answer and the left side, and on open prompts each simulated model has an appeal taken
from its profile. Votes are drawn from a seeded generator, so the same demo database gets
the same votes. They are real votes in the store (the leaderboard ranks them); the raters'
names say they are simulated. Nothing here runs outside ``blindside init --demo``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from blindside.db import session_scope
from blindside.demo.profiles import DEMO_PROFILES
from blindside.raters import add_rater
from blindside.tables import Model, Pair, Rater, Response, Vote
from blindside.votes import insert_vote

__all__ = ["SIMULATED_RATERS", "DemoVotes", "simulate_demo_votes"]

#: The simulated raters' names.
SIMULATED_RATERS = tuple(f"Simulated rater {i}" for i in range(1, 5))
_LEFT_LEAN = 0.15
_TIE_RATE = 0.12
_LENGTH_TASTE = 0.25  # log-odds per doubling of length


@dataclass(frozen=True)
class DemoVotes:
    """What :func:`simulate_demo_votes` did."""

    votes: int
    raters: int
    already: bool


def _quality(correct: bool | None, appeal: float, chars: int) -> float:
    base = (2.0 if correct else 0.0) if correct is not None else 2.0 * appeal
    return base + _LENGTH_TASTE * math.log2(max(chars, 1))


def simulate_demo_votes(engine: Engine, *, share: float = 0.3, seed: int = 20261201) -> DemoVotes:
    """Votes by four simulated raters on ``share`` of the simulated models' pairs (once).

    Parameters
    ----------
    engine : Engine
    share : float
        Share of the pairs each simulated rater votes on.
    seed : int
        Seed of the draws.

    Returns
    -------
    DemoVotes
        How many votes were stored; ``already`` when the simulated raters had voted before.
    """
    with session_scope(engine) as session:
        existing = session.exec(select(Rater.id).where(col(Rater.name).in_(SIMULATED_RATERS))).all()
        if (
            existing
            and session.exec(
                select(Vote.id).where(col(Vote.rater_id).in_(existing)).limit(1)
            ).first()
        ):
            return DemoVotes(0, len(existing), already=True)
    for name in SIMULATED_RATERS:
        with session_scope(engine) as session:
            known = session.exec(select(Rater.id).where(Rater.name == name)).first()
        if known is None:
            add_rater(engine, name)
    a, b = aliased(Response, name="a"), aliased(Response, name="b")
    ma, mb = aliased(Model, name="ma"), aliased(Model, name="mb")
    with session_scope(engine) as session:
        raters = session.exec(
            select(Rater.id).where(col(Rater.name).in_(SIMULATED_RATERS)).order_by(Rater.id)
        ).all()
        pairs = session.exec(
            select(
                Pair.id,
                a.id,
                b.id,
                a.correct,
                b.correct,
                a.text_chars,
                b.text_chars,
                ma.model_id,
                mb.model_id,
            )
            .join(a, col(a.id) == col(Pair.response_a_id))
            .join(b, col(b.id) == col(Pair.response_b_id))
            .join(ma, col(ma.id) == col(a.model_id))
            .join(mb, col(mb.id) == col(b.model_id))
            .where(col(ma.simulated).is_(True), col(mb.simulated).is_(True))
            .order_by(Pair.id)
        ).all()
        rng = random.Random(seed)
        stored = 0
        for rater_id in raters:
            for row in rng.sample(pairs, int(len(pairs) * share)):
                pair_id, id_a, id_b, ok_a, ok_b, chars_a, chars_b, model_a, model_b = row
                appeal_a = DEMO_PROFILES[model_a].accuracy if model_a in DEMO_PROFILES else 0.5
                appeal_b = DEMO_PROFILES[model_b].accuracy if model_b in DEMO_PROFILES else 0.5
                q_a = _quality(ok_a, appeal_a, chars_a or 0)
                q_b = _quality(ok_b, appeal_b, chars_b or 0)
                a_left = rng.random() < 0.5
                lead = (q_a - q_b if a_left else q_b - q_a) + _LEFT_LEAN
                draw = rng.random()
                if ok_a is False and ok_b is False and draw < 0.4:
                    choice = "both_bad"
                elif draw < _TIE_RATE:
                    choice = "tie"
                else:
                    choice = "left" if rng.random() < 1 / (1 + math.exp(-lead)) else "right"
                # In this session's transaction: all the simulated votes, or none.
                insert_vote(
                    session.connection(), rater_id, pair_id, id_a if a_left else id_b, choice
                )
                stored += 1
    return DemoVotes(stored, len(raters), already=False)

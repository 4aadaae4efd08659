"""Which pair a rater sees next, and the pairs a run makes possible.

A pair is two successful answers to the same prompt (same sample index) by
different models. A rater is shown each pair at most once (a pair they voted on or
were shown before is never drawn again); among the pairs left, the least-voted come
first so votes spread evenly, ties broken at random (votes of excluded raters count
for no pair, as for every ranking). Sides are drawn per draw so position carries no
information. Only pairs open under the admin's rating policy (:mod:`blindside.policy`)
are offered: on prompts of the active suites and tiers, and under the ``hide`` identity
policy never a pair with an answer flagged as an identity leak. :mod:`blindside.rating`
stores each draw as an impression; this module only chooses.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import and_, func, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from blindside.cuts import excluded_rater_ids
from blindside.db import session_scope
from blindside.policy import IdentityPolicy, identity_policy, open_pair_conditions, rating_policy
from blindside.tables import Impression, Pair, Prompt, Response, Vote, utc_now


@dataclass(frozen=True)
class DrawnPair:
    """A pair drawn for a rater, with its sides: the texts to show and the ids behind them.

    Only the prompt (``system`` and ``turns``, or ``prompt_text`` when there are
    no turns) and ``left_text`` and ``right_text`` are ever rendered; the ids stay
    on the server (:mod:`blindside.rating` keeps them in the impression row).
    """

    pair_id: int
    prompt_text: str
    system: str | None
    left_response_id: int
    right_response_id: int
    left_text: str
    right_text: str
    # The conversation as (role, content), system messages left out: they are in ``system``.
    turns: tuple[tuple[str, str], ...] = ()


def conversation(
    messages: Sequence[dict[str, Any]], system: str | None
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """Split a prompt's chat messages into its system instructions and its turns.

    Parameters
    ----------
    messages : sequence of dict
        ``Prompt.messages``: what is sent to the model, ``{"role", "content"}`` each.
    system : str or None
        ``Prompt.system``, used when ``messages`` holds no system message.

    Returns
    -------
    tuple
        The system instructions (every system message, in order, joined by a blank
        line; None when there are none) and the other messages as (role, content).
    """
    systems = [str(m["content"]) for m in messages if m.get("role") == "system"]
    turns = tuple(
        (str(m.get("role", "user")), str(m.get("content") or ""))
        for m in messages
        if m.get("role") != "system"
    )
    return ("\n\n".join(systems) if systems else system), turns


def build_pairs(engine: Engine, run_id: int) -> int:
    """Create the pairs of a run's successful answers (idempotent).

    Returns
    -------
    int
        Number of pairs created.
    """
    with session_scope(engine) as session:
        rows = session.exec(
            select(Response.id, Response.prompt_id, Response.model_id, Response.sample).where(
                Response.run_id == run_id, col(Response.error).is_(None)
            )
        ).all()
        groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for response_id, prompt_id, model_id, sample in rows:
            groups[(prompt_id, sample)].append((response_id, model_id))
        existing = set(
            session.exec(
                select(Pair.response_a_id, Pair.response_b_id).where(
                    col(Pair.prompt_id).in_({p for p, _ in groups})
                )
            ).all()
        )
        new_pairs = [
            {"prompt_id": prompt_id, "response_a_id": id_1, "response_b_id": id_2}
            for (prompt_id, _sample), answers in groups.items()
            for (id_1, model_1), (id_2, model_2) in combinations(sorted(answers), 2)
            if model_1 != model_2 and (id_1, id_2) not in existing
        ]
        if new_pairs:
            # One Core executemany, no ORM object or bulk path per pair: runs make thousands.
            now = utc_now()
            session.execute(
                insert(Pair.__table__),  # type: ignore[attr-defined]
                [{**p, "created_at": now} for p in new_pairs],
            )
    return len(new_pairs)


def next_impression(
    engine: Engine,
    rater_id: int,
    *,
    exclude_pair_ids: Collection[int] = (),
    tiers: Collection[int] | None = None,
    rng: random.Random | None = None,
    policy: IdentityPolicy | None = None,
) -> DrawnPair | None:
    """The next pair for a rater, or None when they have seen every pair.

    Parameters
    ----------
    engine : Engine
    rater_id : int
    exclude_pair_ids : collection of int
        Pairs not to offer now, on top of those the rater voted on or was shown.
    tiers : collection of int, optional
        Only pairs on prompts of these tiers; None for every tier.
    rng : random.Random, optional
        Source of the side draw (tests pass a seeded one).
    policy : IdentityPolicy, optional
        The identity-leak policy; None reads the one in force
        (:func:`blindside.policy.identity_policy`). The suites and tiers open for
        rating are always the stored rating policy's.
    """
    rng = rng or random.Random()
    rating = rating_policy(engine)
    policy = policy or identity_policy(engine)
    with session_scope(engine) as session:
        voted_by_rater = select(Vote.pair_id).where(Vote.rater_id == rater_id)
        shown_to_rater = select(Impression.pair_id).where(Impression.rater_id == rater_id)
        votes_per_pair = func.count(col(Vote.id))
        counted = col(Vote.pair_id) == col(Pair.id)
        if excluded := excluded_rater_ids(session):
            # An excluded rater's votes count for no ranking, so they cover no pair either.
            counted = and_(counted, col(Vote.rater_id).not_in(excluded))
        query = (
            select(Pair.id, votes_per_pair)
            .outerjoin(Vote, counted)
            .where(col(Pair.id).not_in(voted_by_rater), col(Pair.id).not_in(shown_to_rater))
            .group_by(col(Pair.id))
            .order_by(votes_per_pair, func.random())
            .limit(1)
        )
        if exclude_pair_ids:
            query = query.where(col(Pair.id).not_in(list(exclude_pair_ids)))
        if tiers is not None:
            on_tiers = select(Prompt.id).where(col(Prompt.tier).in_(list(tiers)))
            query = query.where(col(Pair.prompt_id).in_(on_tiers))
        query = query.where(*open_pair_conditions(rating, policy))
        row = session.exec(query).first()
        if row is None:
            return None
        pair = session.get(Pair, row[0])
        assert pair is not None
        first, second = pair.response_a_id, pair.response_b_id
        return drawn_pair(session, pair, first if rng.random() < 0.5 else second)


# Built once: an alias copies every column of the table, which costs more than the query.
_LEFT_ANSWER = aliased(Response, name="left_answer")
_RIGHT_ANSWER = aliased(Response, name="right_answer")


def drawn_pair(session: Session, pair: Pair, left_response_id: int) -> DrawnPair:
    """The texts and ids of ``pair`` with ``left_response_id`` on the left.

    Raises
    ------
    ValueError
        When that response is not one of the pair's two.
    """
    sides = (pair.response_a_id, pair.response_b_id)
    if left_response_id not in sides:
        raise ValueError(f"response {left_response_id} is not in pair {pair.id}")
    right_response_id = sides[1] if left_response_id == sides[0] else sides[0]
    left, right = _LEFT_ANSWER, _RIGHT_ANSWER
    # One round trip for the prompt and both answers: a draw sits on every vote's path.
    row = session.exec(
        select(Prompt.text, Prompt.messages, Prompt.system, left.text, right.text)
        .select_from(Prompt)
        .join(left, col(left.id) == left_response_id)
        .join(right, col(right.id) == right_response_id)
        .where(col(Prompt.id) == pair.prompt_id)
    ).one()
    prompt_text, messages, prompt_system, left_text, right_text = row
    system, turns = conversation(messages, prompt_system)
    return DrawnPair(
        pair_id=pair.id,  # type: ignore[arg-type]
        prompt_text=prompt_text,
        system=system,
        turns=turns,
        left_response_id=left_response_id,
        right_response_id=right_response_id,
        left_text=left_text or "",
        right_text=right_text or "",
    )

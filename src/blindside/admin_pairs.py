"""What the Rating setup page shows an admin: pairs by suite and tier, and pairs unblinded.

Unlike everything a rater sees, these reads name the models behind each answer: an
admin marking a gold pair judges the answers knowing their authors, so this module is
for the admin's page only (``Action.MANAGE_POLICIES``), never the Vote page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from blindside.policy import GoldMark, RatingPolicy, gold_answers
from blindside.tables import GoldPair, Model, Pair, Prompt, Rater, Response, Suite


def suite_names(engine: Engine) -> list[str]:
    """Every loaded suite's name, with pairs or not (a suite can be opened before its run)."""
    with Session(engine) as session:
        return list(session.exec(select(Suite.name).order_by(col(Suite.name))).all())


def pair_counts(engine: Engine) -> dict[tuple[str, int], int]:
    """Pairs per (suite name, tier): what each suite and tier would open for rating."""
    with Session(engine) as session:
        rows = session.exec(
            select(Suite.name, Prompt.tier, func.count(col(Pair.id)))
            .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
            .join(Suite, col(Suite.id) == col(Prompt.suite_id))
            .group_by(col(Suite.name), col(Prompt.tier))
        ).all()
    return {(suite, tier): count for suite, tier, count in rows}


def open_pair_count(counts: dict[tuple[str, int], int], policy: RatingPolicy) -> int:
    """How many of the counted pairs ``policy`` opens for rating (before the identity policy)."""
    return sum(n for (suite, tier), n in counts.items() if policy.opens(suite, tier))


@dataclass(frozen=True)
class PromptChoice:
    """A prompt with pairs, as the gold picker lists it.

    Attributes
    ----------
    prompt_id : int
    suite : str
    tier : int
    external_id : str
        The prompt's id in its suite file.
    text : str
    pairs : int
        Its pairs.
    gold : int
        How many of them are gold pairs.
    """

    prompt_id: int
    suite: str
    tier: int
    external_id: str
    text: str
    pairs: int
    gold: int


def prompts_with_pairs(engine: Engine, policy: RatingPolicy) -> list[PromptChoice]:
    """Prompts of the suites and tiers open for rating that have pairs, by suite and id."""
    gold = func.count(col(GoldPair.pair_id))
    with Session(engine) as session:
        rows = session.exec(
            select(
                Prompt.id,
                Suite.name,
                Prompt.tier,
                Prompt.external_id,
                Prompt.text,
                func.count(col(Pair.id)),
                gold,
            )
            .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
            .join(Suite, col(Suite.id) == col(Prompt.suite_id))
            .outerjoin(GoldPair, col(GoldPair.pair_id) == col(Pair.id))
            .group_by(col(Prompt.id), col(Suite.name), col(Prompt.tier), col(Prompt.external_id))
            .order_by(col(Suite.name), col(Prompt.external_id))
        ).all()
    return [PromptChoice(*row) for row in rows if policy.opens(row[1], row[2])]


@dataclass(frozen=True)
class Answer:
    """One answer of a pair, with its model's name."""

    response_id: int
    model: str
    text: str


@dataclass(frozen=True)
class PairForReview:
    """A pair with its prompt, both answers named, and its gold mark if any.

    ``first`` is the answer with the lower id (the order is fixed, not drawn).
    """

    pair_id: int
    prompt_text: str
    system: str | None
    first: Answer
    second: Answer
    mark: GoldMark | None


def pairs_of_prompt(engine: Engine, prompt_id: int) -> list[PairForReview]:
    """Every pair of a prompt, unblinded, by model names."""
    marks = gold_answers(engine)
    first, second = aliased(Response), aliased(Response)
    first_model, second_model = aliased(Model), aliased(Model)
    with Session(engine) as session:
        prompt = session.get(Prompt, prompt_id)
        if prompt is None:
            return []
        rows = session.exec(
            select(
                Pair.id,
                first.id,
                first_model.name,
                first.text,
                second.id,
                second_model.name,
                second.text,
            )
            .join(first, col(first.id) == col(Pair.response_a_id))
            .join(second, col(second.id) == col(Pair.response_b_id))
            .join(first_model, col(first_model.id) == col(first.model_id))
            .join(second_model, col(second_model.id) == col(second.model_id))
            .where(Pair.prompt_id == prompt_id)
        ).all()
    pairs = [
        PairForReview(
            pair_id,
            prompt.text,
            prompt.system,
            Answer(a_id, a_model, a_text or ""),
            Answer(b_id, b_model, b_text or ""),
            marks.get(pair_id),
        )
        for pair_id, a_id, a_model, a_text, b_id, b_model, b_text in rows
    ]
    return sorted(pairs, key=lambda p: (p.first.model.casefold(), p.second.model.casefold()))


@dataclass(frozen=True)
class GoldListing:
    """One gold pair, in words: where it is, which answer won, who marked it and when."""

    pair_id: int
    suite: str
    prompt: str
    better: str
    other: str
    tie: bool
    marked_by: str
    marked_at: datetime


def gold_listing(engine: Engine) -> list[GoldListing]:
    """Every gold pair, newest mark first."""
    with Session(engine) as session:
        rows = session.exec(
            select(GoldPair, Pair, Suite.name, Prompt.external_id, Rater.name)
            .join(Pair, col(Pair.id) == col(GoldPair.pair_id))
            .join(Prompt, col(Prompt.id) == col(Pair.prompt_id))
            .join(Suite, col(Suite.id) == col(Prompt.suite_id))
            .join(Rater, col(Rater.id) == col(GoldPair.marked_by))
            .order_by(col(GoldPair.marked_at).desc(), col(GoldPair.pair_id))
        ).all()
        models = dict(
            session.exec(
                select(Response.id, Model.name)
                .join(Model, col(Model.id) == col(Response.model_id))
                .where(
                    col(Response.id).in_(
                        [r for _g, p, *_ in rows for r in (p.response_a_id, p.response_b_id)]
                    )
                )
            ).all()
        )
    listing = []
    for gold, pair, suite, external_id, marked_by in rows:
        a, b = pair.response_a_id, pair.response_b_id
        better, other = (b, a) if gold.better_response_id == b else (a, b)
        listing.append(
            GoldListing(
                pair.id,
                suite,
                external_id,
                models[better],
                models[other],
                gold.better_response_id is None,
                marked_by,
                gold.marked_at,
            )
        )
    return listing

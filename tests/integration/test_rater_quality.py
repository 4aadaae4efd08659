"""Rater quality from a real database (SQLite file and PostgreSQL): what the Raters page shows.

Each expectation is worked out by hand from the votes the test casts, never read back
from the code under test.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from blindside.cuts import Cut
from blindside.pairing import DrawnPair
from blindside.rater_quality import rater_quality
from blindside.tables import Model, Pair, Prompt, Response, Run, Suite
from blindside.votes import record_vote
from tests.conftest import rater_id

MODELS = ("A", "B", "C")
# prompt -> (tier, gold, which answers the scorers marked correct)
PROMPTS = {
    "gold": (1, True, {"A": True, "B": False, "C": True}),
    "plain": (2, False, {"A": True, "B": False, "C": None}),
}


def _world(engine: Engine) -> dict[tuple[str, str], int]:
    """One suite, two prompts (one gold), three models, every pair; (prompt, model) -> answer id."""
    with Session(engine, expire_on_commit=False) as s:
        suite = Suite(name="s")
        s.add(suite)
        s.flush()
        prompts = {
            ext: Prompt(
                suite_id=suite.id,
                external_id=ext,
                tier=tier,
                category="c",
                text=f"question {ext}",
                messages=[{"role": "user", "content": ext}],
                meta={"gold": True} if gold else {},
            )
            for ext, (tier, gold, _correct) in PROMPTS.items()
        }
        models = {m: Model(name=m, endpoint="e", model_id=m.lower()) for m in MODELS}
        s.add_all([*prompts.values(), *models.values()])
        s.flush()
        run = Run(suite_id=suite.id, config_hash="h")
        s.add(run)
        s.flush()
        answers = {
            (ext, m): Response(
                run_id=run.id,
                prompt_id=prompts[ext].id,
                model_id=models[m].id,
                text=f"{m} on {ext}",
                correct=correct[m],
            )
            for ext, (_tier, _gold, correct) in PROMPTS.items()
            for m in MODELS
        }
        s.add_all(answers.values())
        s.flush()
        for ext in PROMPTS:
            for i, a in enumerate(MODELS):
                for b in MODELS[i + 1 :]:
                    first, second = sorted((answers[(ext, a)].id, answers[(ext, b)].id))
                    s.add(
                        Pair(prompt_id=prompts[ext].id, response_a_id=first, response_b_id=second)
                    )
        s.commit()
        return {key: r.id for key, r in answers.items()}  # type: ignore[misc]


def _pair_id(engine: Engine, first: int, second: int) -> int:
    with Session(engine) as s:
        from sqlmodel import select

        lo, hi = sorted((first, second))
        pair = s.exec(select(Pair).where(Pair.response_a_id == lo, Pair.response_b_id == hi)).one()
        return pair.id  # type: ignore[return-value]


# (rater, prompt, left model, right model, choice, dwell ms, flagged)
VOTES = [
    # The gold pair A-B (A is better): ann and bob prefer A from mirrored sides, cy prefers B.
    ("ann", "gold", "A", "B", "left", 5000, False),
    ("bob", "gold", "B", "A", "right", 1500, False),
    ("cy", "gold", "A", "B", "right", 900, True),
    # The gold pair A-C has no known better answer (both correct).
    ("ann", "gold", "C", "A", "tie", 4000, False),
    ("bob", "gold", "A", "C", "tie", None, False),
    # The gold pair B-C: C is better; only ann votes, for C.
    ("ann", "gold", "B", "C", "right", 3000, False),
    # A plain pair voted by all three: all prefer A, from both sides.
    ("ann", "plain", "A", "B", "left", 6000, False),
    ("bob", "plain", "B", "A", "right", 7000, False),
    ("cy", "plain", "A", "B", "left", 800, False),
]


@pytest.fixture
def voted(engine: Engine) -> Engine:
    answers = _world(engine)
    raters = {name: rater_id(engine, name) for name in ("ann", "bob", "cy")}
    for rater, ext, left_m, right_m, choice, dwell, flagged in VOTES:
        left, right = answers[(ext, left_m)], answers[(ext, right_m)]
        impression = DrawnPair(_pair_id(engine, left, right), "", None, left, right, "", "")
        assert record_vote(
            engine, raters[rater], impression, choice, dwell_ms=dwell, flagged=flagged
        )
    return engine


def test_rater_figures_from_the_database(voted: Engine) -> None:
    report = rater_quality(voted, too_fast_ms=2000)
    rows = {r.name: r for r in report.rows}
    assert list(rows) == ["ann", "bob", "cy"]
    ann, bob, cy = (rows[n].figures for n in ("ann", "bob", "cy"))
    assert (ann.votes, bob.votes, cy.votes) == (4, 3, 2)
    # Gold: ann A-B right and B-C right; bob A-B right; cy A-B wrong; A-C has no answer.
    assert (ann.gold_accuracy.hits, ann.gold_accuracy.count) == (2, 2)
    assert (bob.gold_accuracy.hits, bob.gold_accuracy.count) == (1, 1)
    assert (cy.gold_accuracy.hits, cy.gold_accuracy.count) == (0, 1)
    # Majority of two others: gold A-B and plain A-B have three votes each. On gold A-B ann
    # sees (A, B) from bob and cy: tied, not compared; cy sees (A, A): disagrees. On plain
    # A-B everyone sees (A, A) and agrees.
    assert (ann.majority_agreement.hits, ann.majority_agreement.count) == (1, 1)
    assert (cy.majority_agreement.hits, cy.majority_agreement.count) == (1, 2)
    # Left wins among left/right votes: ann 2 of 3, bob 0 of 2, cy 1 of 2.
    assert (ann.left_share.hits, ann.left_share.count) == (2, 3)
    assert (bob.left_share.hits, bob.left_share.count) == (0, 2)
    assert ann.median_dwell_ms == 4500
    assert bob.median_dwell_ms == 4250  # the vote with no dwell is left out
    assert (bob.too_fast.hits, bob.too_fast.count) == (1, 2)
    assert (cy.too_fast.hits, cy.too_fast.count) == (2, 2)
    assert (cy.flag_rate.hits, cy.flag_rate.count) == (1, 2)


def test_agreement_counts_mirrored_votes_as_the_same_verdict(voted: Engine) -> None:
    report = rater_quality(voted)
    pairs = {(p.first, p.second): p.kappa for p in report.pairs}
    # ann and bob share three pairs and give the same verdict on each, seen mirrored twice.
    assert pairs[("ann", "bob")].items == 3
    assert pairs[("ann", "bob")].observed == 1.0
    assert pairs[("ann", "cy")].items == 2
    assert pairs[("ann", "cy")].observed == 0.5
    # Alpha rests on the pairs voted twice or more: gold A-B (3), gold A-C (2), plain A-B (3).
    assert (report.alpha.units, report.alpha.pairable) == (3, 8)


def test_a_cut_narrows_the_votes(voted: Engine) -> None:
    report = rater_quality(voted, Cut(tier=2))
    assert {r.name: r.figures.votes for r in report.rows} == {"ann": 1, "bob": 1, "cy": 1}
    assert all(r.figures.gold_accuracy.count == 0 for r in report.rows)
    assert rater_quality(voted, Cut(suite="none")).rows == []

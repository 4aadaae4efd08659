"""blindside.scheduler: the adaptive pair scheduler, on counts kept up to date vote by vote."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pytest

from blindside.ranking import Battles, rank_battles
from blindside.scheduler import (
    Draw,
    Item,
    Policy,
    SchedulerState,
    Uncertainty,
    VoteRecord,
    next_pair,
)
from blindside.scheduler.uncertainty import comparison_weights, fisher_information

QUIET = Policy(explore=0.0, gold_share=0.0, repeat_share=0.0)


def grid_items(n_models: int, prompts: int, gold_every: int = 0) -> list[Item]:
    """One item per (prompt, model pair); every ``gold_every``-th item gold."""
    pairs = list(combinations(range(n_models), 2))
    return [
        Item(k, *pairs[k % len(pairs)], gold=bool(gold_every) and k % gold_every == 0)
        for k in range(prompts * len(pairs))
    ]


def vote_on(state: SchedulerState, rater, rng, theta=None) -> VoteRecord | None:
    """Draw for ``rater`` and record a vote by the Bradley-Terry ``theta`` (coin flips if None)."""
    draw = next_pair(state, rater, rng)
    if draw is None:
        return None
    gap = 0.0 if theta is None else theta[draw.left] - theta[draw.right]
    choice = "left" if rng.random() < 1 / (1 + np.exp(-gap)) else "right"
    vote = VoteRecord(rater, draw.item_id, draw.left, draw.right, choice)
    state.record(vote)
    return vote


def test_a_rater_never_sees_an_item_twice_and_runs_out_cleanly():
    items = grid_items(5, prompts=6, gold_every=7)
    state = SchedulerState(5, items, Policy(gold_share=0.1, repeat_share=0.2))
    rng = np.random.default_rng(0)
    shown: dict[str, list[int]] = {"ada": [], "bo": []}
    for _ in range(2 * len(items)):
        for rater, ids in shown.items():
            vote = vote_on(state, rater, rng)
            if vote is not None:
                ids.append(vote.item_id)
    for ids in shown.values():
        assert len(ids) == len(set(ids)) == len(items)  # every item once, then None
    assert next_pair(state, "ada", rng) is None
    # A skipped item counts as seen.
    fresh = SchedulerState(5, items, QUIET)
    draw = next_pair(fresh, "cy", rng)
    assert draw is not None
    fresh.mark_seen("cy", draw.item_id)
    seen = {draw.item_id}
    for _ in range(len(items) - 1):
        draw = next_pair(fresh, "cy", rng)
        assert draw is not None and draw.item_id not in seen
        seen.add(draw.item_id)
        fresh.mark_seen("cy", draw.item_id)
    assert next_pair(fresh, "cy", rng) is None


def test_left_right_balance_stays_within_one_per_model():
    n = 8
    theta = np.linspace(-2, 2, n)
    state = SchedulerState(n, grid_items(n, prompts=40), Policy(gold_share=0.0, repeat_share=0.0))
    rng = np.random.default_rng(1)
    worst = 0
    for t in range(3000):
        vote_on(state, t % 7, rng, theta)
        worst = max(worst, int(np.abs(state.counts.imbalance()).max()))
        if t % 500 == 499:
            state.set_fit(theta)
    assert worst <= 1
    assert np.abs(state.counts.left_exposures - state.counts.right_exposures).max() <= 1


def test_the_exploration_floor_samples_every_pair():
    n = 10
    theta = np.linspace(-6, 6, n)  # far pairs teach almost nothing: adaptive draws avoid them
    items = grid_items(n, prompts=60)
    adaptive = SchedulerState(n, items, Policy(explore=0.0, gold_share=0.0, repeat_share=0.0))
    floored = SchedulerState(n, items, Policy(explore=0.1, gold_share=0.0, repeat_share=0.0))
    rng = np.random.default_rng(2)
    reasons: dict[str, int] = {}
    for state in (adaptive, floored):
        state.set_fit(theta)
        for t in range(3000):
            draw = next_pair(state, t % 20, rng)
            assert draw is not None
            if state is floored:
                reasons[draw.reason] = reasons.get(draw.reason, 0) + 1
            state.record(VoteRecord(t % 20, draw.item_id, draw.left, draw.right, "left"))
    unplayed = (adaptive.counts.games()[np.triu_indices(n, 1)] == 0).sum()
    assert unplayed > 10  # without the floor, many pairs are never shown
    played = floored.counts.games()[np.triu_indices(n, 1)]
    assert played.min() >= 1  # with it, every one of the 45 pairs is
    assert reasons["explore"] / 3000 == pytest.approx(0.1, abs=0.02)


def test_gold_and_repeat_shares_come_out_as_configured():
    n = 6
    state = SchedulerState(
        n, grid_items(n, prompts=200, gold_every=10), Policy(gold_share=0.1, repeat_share=0.2)
    )
    rng = np.random.default_rng(3)
    reasons: dict[str, int] = {}
    draws = 4000
    for t in range(draws):
        draw = next_pair(state, t % 50, rng)
        assert draw is not None
        reasons[draw.reason] = reasons.get(draw.reason, 0) + 1
        if draw.reason == "repeat":
            # An item other raters voted, not yet by repeat_raters of them.
            assert 1 <= state.counts.votes_per_item[draw.item_id] < state.policy.repeat_raters
        state.record(VoteRecord(t % 50, draw.item_id, draw.left, draw.right, "tie"))
    assert reasons["gold"] / draws == pytest.approx(0.1, abs=0.02)
    assert reasons["repeat"] / draws == pytest.approx(0.2, abs=0.02)
    gold = {i for i, item in state.counts.items.items() if item.gold}
    assert sum(state.counts.votes_per_item.get(i, 0) for i in gold) == reasons["gold"]


def test_the_choice_concentrates_on_the_uncertain_adjacent_pair():
    # Four models; every pair well measured except 1 and 2, which are adjacent in rank and
    # close: the next votes should go there.
    n = 4
    theta = np.array([1.5, 0.5, 0.3, -1.0])
    items = grid_items(n, prompts=400)
    state = SchedulerState(n, items, QUIET)
    rng = np.random.default_rng(4)
    per_pair = dict.fromkeys(combinations(range(n), 2), 0)
    for item in items:
        pair = (item.model_a, item.model_b)
        if per_pair[pair] < (3 if pair == (1, 2) else 150):
            per_pair[pair] += 1
            state.record(VoteRecord("seed", item.item_id, *pair, "left"))
    state.set_fit(theta)
    first = [next_pair(state, "ada", rng) for _ in range(20)]
    assert all({d.left, d.right} == {1, 2} for d in first if d is not None)
    # As votes arrive the pair's variance falls and the choice moves on, without a refit.
    chosen = [vote_on(state, "ada", rng, theta) for _ in range(200)]
    pairs = [frozenset((v.left, v.right)) for v in chosen if v is not None]
    assert pairs[:5] == [frozenset((1, 2))] * 5
    assert len(set(pairs)) > 1


def test_incremental_counts_equal_a_recount():
    n = 6
    items = grid_items(n, prompts=30, gold_every=9)
    state = SchedulerState(n, items, Policy(gold_share=0.1, repeat_share=0.1))
    theta = np.array([0.8, -0.3, 0.1, 1.2, -1.0, 0.0])
    state.set_fit(theta)
    rng = np.random.default_rng(5)
    votes = []
    for t in range(400):
        draw = next_pair(state, t % 9, rng)
        assert draw is not None
        choice = ("left", "right", "tie", "both_bad")[int(rng.integers(4))]
        vote = VoteRecord(t % 9, draw.item_id, draw.left, draw.right, choice)
        state.record(vote)
        votes.append(vote)

    left = np.array([v.left for v in votes])
    right = np.array([v.right for v in votes])
    column = np.array([{"left": 0, "right": 1}.get(v.choice, 2) for v in votes])
    outcomes = np.zeros((3, n, n))
    np.add.at(outcomes, (column, left, right), 1)
    counts = state.counts
    np.testing.assert_array_equal(counts.outcomes, outcomes)
    np.testing.assert_array_equal(counts.left_exposures, np.bincount(left, minlength=n))
    np.testing.assert_array_equal(counts.right_exposures, np.bincount(right, minlength=n))
    ids, raters = np.unique([v.item_id for v in votes], return_counts=True)
    assert counts.votes_per_item == dict(zip(ids.tolist(), raters.tolist(), strict=True))
    for rater in range(9):
        seen = {v.item_id for v in votes if v.rater == rater}
        assert counts.seen_by(rater) == seen
        unseen = np.array([len([i for i in ids_ if i not in seen]) for ids_ in counts.pool])
        np.testing.assert_array_equal(counts.unseen_per_pair(rater), unseen)
    for pair, ids_ in enumerate(counts.pool):
        assert set(counts.fresh[pair].ids) == {i for i in ids_ if i not in counts.votes_per_item}
    battles = counts.battles()
    assert battles.total == len(votes)
    np.testing.assert_array_equal(battles.wins(), rank_input_wins(outcomes))

    # The covariance followed every vote by rank-one updates; rebuilt from the counts it is the
    # same, and so is the matrix the gains read.
    rebuilt = Uncertainty.from_counts(
        counts.games(), theta, prior=state.policy.prior, adjacent_weight=0.0
    )
    np.testing.assert_allclose(state.uncertainty.cov, rebuilt.cov, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(state.uncertainty.spread, rebuilt.spread, rtol=1e-8, atol=1e-12)
    direct = np.linalg.inv(fisher_information(counts.games(), comparison_weights(theta, n), 0.05))
    np.testing.assert_allclose(rebuilt.cov, direct, rtol=1e-10)


def rank_input_wins(outcomes: np.ndarray) -> np.ndarray:
    """``W[i, j]``: times ``i`` beat ``j``, ties as halves, from (3, n, n) outcome counts."""
    left_wins, right_wins, ties = outcomes
    return left_wins + right_wins.T + 0.5 * (ties + ties.T)


def test_the_gain_is_the_fall_of_the_objective():
    n = 5
    theta = np.array([0.0, 0.4, -0.7, 1.1, 0.2])
    games = np.zeros((n, n))
    games[0, 1] = games[1, 0] = 12
    games[2, 3] = games[3, 2] = 4
    games[1, 4] = games[4, 1] = 7
    for adjacent_weight in (0.0, 2.0):
        base = Uncertainty.from_counts(games, theta, prior=0.1, adjacent_weight=adjacent_weight)
        first, second = np.triu_indices(n, 1)
        gains = base.gains(first, second)
        for k, (i, j) in enumerate(zip(first, second, strict=True)):
            after = Uncertainty.from_counts(games, theta, prior=0.1, adjacent_weight=0.0)
            after.target = base.target  # the same objective, one more game of (i, j)
            after.add(int(i), int(j))
            expected = base.objective() - after.objective()
            assert gains[k] == pytest.approx(expected, rel=1e-9)


def test_sides_go_to_the_model_with_fewer_left_exposures():
    state = SchedulerState(3, grid_items(3, prompts=3), QUIET)
    state.record(VoteRecord("ada", 0, 0, 1, "left"))  # 0 on the left once
    rng = np.random.default_rng(6)
    from blindside.scheduler import place_sides

    assert place_sides(state.counts, 0, 2, rng) == (2, 0)
    assert place_sides(state.counts, 1, 0, rng) == (1, 0)


def test_a_pending_vote_places_the_sides_as_if_it_were_counted():
    """A vote stored in the same statement as the next draw is not counted yet: the draw is
    told its sides, and places the next pair's as it would after counting it."""
    items = [Item(0, 0, 1), Item(1, 0, 2)]  # item 0 is being voted, 0 on the left
    for seed in range(20):
        state = SchedulerState(3, items, QUIET)
        state.mark_seen("ada", 0)
        rng = np.random.default_rng(seed)
        draw = next_pair(state, "ada", rng, pending=(0, 1))
        assert draw is not None and draw.item_id == 1
        assert (draw.left, draw.right) == (2, 0)  # 0 was just on the left
    # Counted, the same rule gives the same sides.
    state = SchedulerState(3, items, QUIET)
    state.record(VoteRecord("ada", 0, 0, 1, "left"))
    assert next_pair(state, "ada", np.random.default_rng(0)) == Draw(1, 2, 0, "adaptive")


def test_unmark_seen_offers_an_item_again():
    state = SchedulerState(3, grid_items(3, prompts=1), QUIET)
    rng = np.random.default_rng(3)
    drawn = []
    for _ in range(3):
        draw = next_pair(state, "ada", rng)
        assert draw is not None
        state.mark_seen("ada", draw.item_id)
        drawn.append(draw)
    assert next_pair(state, "ada", rng) is None
    state.unmark_seen("ada", drawn[1].item_id)
    state.unmark_seen("ada", drawn[1].item_id)  # twice: no effect
    state.unmark_seen("bob", drawn[1].item_id)  # never seen by bob: no effect
    again = next_pair(state, "ada", rng)
    assert again is not None and again.item_id == drawn[1].item_id
    assert state.counts.unseen_per_pair("ada").sum() == 1


@pytest.mark.parametrize(
    ("vote", "match"),
    [
        (VoteRecord("ada", 99, 0, 1, "left"), "unknown item"),
        (VoteRecord("ada", 0, 0, 2, "left"), "shows models"),
        (VoteRecord("ada", 0, 0, 1, "maybe"), "choice"),
    ],
)
def test_record_rejects_a_vote_that_does_not_fit(vote, match):
    state = SchedulerState(3, grid_items(3, prompts=1), QUIET)
    with pytest.raises(ValueError, match=match):
        state.record(vote)


def test_bad_items_and_policies_are_refused():
    with pytest.raises(ValueError, match="given twice"):
        SchedulerState(3, [Item(1, 0, 1), Item(1, 1, 2)])
    with pytest.raises(ValueError, match="are not two of"):
        SchedulerState(3, [Item(1, 0, 0)])
    with pytest.raises(ValueError, match="gold_share"):
        Policy(gold_share=0.7, repeat_share=0.5)
    with pytest.raises(ValueError, match="explore"):
        Policy(explore=1.5)


def mean_width(state_battles) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ranking = rank_battles(state_battles)
    return float(np.mean(ranking.elo_high - ranking.elo_low))


def test_the_scheduler_beats_uniform_pairs_in_a_small_simulation():
    # benchmarks/sim_active_sampling.py in miniature: 8 models over 1,600 Elo, 3 seeds, the
    # interval width after a fixed number of votes. Width^2 falls as 1/votes, so a width ratio
    # r means 1/r^2 times as many votes.
    n, votes, refit = 8, 2000, 250
    theta = np.linspace(-1600, 1600, n) / 2 / (400 / np.log(10))
    ratios = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        state = SchedulerState(n, grid_items(n, prompts=100), Policy())
        for t in range(votes):
            vote_on(state, t % 30, rng, theta)
            if t % refit == refit - 1:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    state.set_fit(rank_battles(state.counts.battles()).theta)
        # Uniform: a model pair at random, sides at random.
        first = rng.integers(n, size=votes)
        second = (first + rng.integers(1, n, size=votes)) % n
        left_won = rng.random(votes) < 1 / (1 + np.exp(theta[second] - theta[first]))
        outcomes = np.zeros((3, n, n))
        np.add.at(outcomes, (np.where(left_won, 0, 1), first, second), 1)
        pairs = np.nonzero(outcomes.sum(axis=0))
        uniform = Battles(n, *pairs, *outcomes[:, pairs[0], pairs[1]])
        ratios.append(mean_width(state.counts.battles()) / mean_width(uniform))
    assert np.median(ratios) ** 2 < 0.85  # fewer votes for the same width

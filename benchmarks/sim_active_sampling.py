"""Adaptive pairs against uniform pairs: votes needed for a target interval width.

Simulated raters vote by a known Bradley-Terry truth (models evenly spread over ``--span`` Elo)
with a left-side bias of ``--left-bias`` Elo. Two ways of choosing pairs are compared:

- **uniform**: a model pair uniformly at random, sides at random;
- **scheduler**: ``blindside.scheduler.next_pair`` with its default policy (exploration floor,
  gold and repeat shares, side balance), refitted every ``--refit-every`` votes.

Both are fitted with ``ranking.rank_battles`` (sandwich intervals, position bias on) every
``--refit-every`` votes; a run has reached the target when the mean width of the 95% Elo
intervals is at most ``--target-width``. The scheduler runs then go on to ``--bias-votes`` votes
each, and the left bias is estimated from all seeds' scheduler votes pooled (the truth is the
same in every seed).

Must show (issue 9): the median votes of the scheduler are at least 30% fewer than uniform's
(ratio <= 0.70), and the left bias is recovered within +-2 Elo. Exits 1 if either is missed.

    .venv/bin/python benchmarks/sim_active_sampling.py [--seeds 20] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from blindside.ranking import Battles, rank_battles
from blindside.ranking.elo import ELO_SCALE
from blindside.scheduler import Item, Policy, SchedulerState, VoteRecord, next_pair

RATIO_TARGET = 0.70
BIAS_TOLERANCE = 2.0


@dataclass(frozen=True)
class Truth:
    theta: np.ndarray  # log-strengths
    beta: float  # left-side advantage, log-odds


def make_truth(n_models: int, span: float, left_bias: float) -> Truth:
    """Models evenly spread over ``span`` Elo, in a fixed shuffled order."""
    elo = np.linspace(-span / 2, span / 2, n_models)
    order = np.random.default_rng(12345).permutation(n_models)
    return Truth(theta=elo[order] / ELO_SCALE, beta=left_bias / ELO_SCALE)


def make_items(n_models: int, prompts: int, gold_fraction: float, seed: int) -> list[Item]:
    """One item per (prompt, model pair), like the pairs of a run; a share marked gold."""
    rng = np.random.default_rng(seed)
    first, second = np.triu_indices(n_models, k=1)
    n_items = prompts * first.size
    gold = rng.random(n_items) < gold_fraction
    return [
        Item(k, int(first[k % first.size]), int(second[k % first.size]), bool(gold[k]))
        for k in range(n_items)
    ]


def fit(battles: Battles):
    with warnings.catch_warnings():
        # Early fits: the left advantage may not be identifiable yet.
        warnings.simplefilter("ignore", RuntimeWarning)
        return rank_battles(battles, intervals="sandwich", position_bias=True)


def mean_width(ranking) -> float:
    return float(np.mean(ranking.elo_high - ranking.elo_low))


def battles_of(outcomes: np.ndarray) -> Battles:
    left, right = np.nonzero(outcomes.sum(axis=0))
    return Battles(outcomes.shape[1], left, right, *outcomes[:, left, right])


def run_uniform(truth: Truth, seed: int, args: argparse.Namespace) -> int | None:
    """Votes until the target width with uniform pairs and random sides (None: never)."""
    rng = np.random.default_rng([seed, 1])
    n = truth.theta.size
    outcomes = np.zeros((3, n, n))
    for votes in range(args.refit_every, args.max_votes + 1, args.refit_every):
        first = rng.integers(n, size=args.refit_every)
        second = (first + rng.integers(1, n, size=args.refit_every)) % n  # uniform, != first
        p_left = 1 / (1 + np.exp(-(truth.theta[first] - truth.theta[second] + truth.beta)))
        left_won = rng.random(args.refit_every) < p_left
        np.add.at(outcomes, (np.where(left_won, 0, 1), first, second), 1)
        if mean_width(fit(battles_of(outcomes))) <= args.target_width:
            return votes
    return None


def run_scheduler(
    truth: Truth, seed: int, args: argparse.Namespace
) -> tuple[int | None, Battles, dict[str, int]]:
    """Votes until the target width with the scheduler; then on to ``--bias-votes`` votes."""
    rng = np.random.default_rng([seed, 2])
    n = truth.theta.size
    policy = Policy(explore=args.explore, adjacent_weight=args.adjacent_weight)
    state = SchedulerState(n, make_items(n, args.prompts, args.gold_fraction, seed), policy)
    reached: int | None = None
    reasons: dict[str, int] = {}
    last = max(args.bias_votes, args.max_votes)
    for votes in range(1, last + 1):
        rater = votes % args.raters
        draw = next_pair(state, rater, rng)
        if draw is None:
            raise RuntimeError("the simulated raters ran out of items: raise --prompts")
        reasons[draw.reason] = reasons.get(draw.reason, 0) + 1
        d = truth.theta[draw.left] - truth.theta[draw.right] + truth.beta
        choice = "left" if rng.random() < 1 / (1 + np.exp(-d)) else "right"
        state.record(VoteRecord(rater, draw.item_id, draw.left, draw.right, choice))
        refit = votes % args.refit_every == 0
        if refit and (reached is None or votes % (10 * args.refit_every) == 0):
            ranking = fit(state.counts.battles())
            state.set_fit(ranking.theta)
            if reached is None and mean_width(ranking) <= args.target_width:
                reached = votes
        if reached is not None and votes >= args.bias_votes:
            break
        if reached is None and votes >= args.max_votes:
            break
    return reached, state.counts.battles(), reasons


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--span", type=float, default=1600.0, help="Elo from worst to best")
    parser.add_argument("--left-bias", type=float, default=8.0, help="Elo")
    parser.add_argument("--target-width", type=float, default=60.0, help="mean 95%% width, Elo")
    parser.add_argument("--refit-every", type=int, default=50)
    parser.add_argument("--max-votes", type=int, default=40_000)
    parser.add_argument("--bias-votes", type=int, default=20_000, help="scheduler votes a seed")
    parser.add_argument("--raters", type=int, default=40)
    parser.add_argument("--prompts", type=int, default=400)
    parser.add_argument("--gold-fraction", type=float, default=0.02)
    parser.add_argument("--explore", type=float, default=Policy.explore)
    parser.add_argument("--adjacent-weight", type=float, default=Policy.adjacent_weight)
    parser.add_argument("--quick", action="store_true", help="5 seeds, 4,000 bias votes")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.bias_votes = 5, 4_000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    truth = make_truth(args.models, args.span, args.left_bias)
    print(
        f"{args.models} models over {args.span:.0f} Elo, left bias {args.left_bias:g} Elo, "
        f"target mean 95% width {args.target_width:g} Elo, refit every {args.refit_every} votes, "
        f"{args.seeds} seeds"
    )
    started = time.perf_counter()
    uniform, adaptive, pooled, reasons = [], [], [], {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        uniform.append(run_uniform(truth, seed, args))
        reached, battles, seed_reasons = run_scheduler(truth, seed, args)
        adaptive.append(reached)
        pooled.append(battles)
        for key, count in seed_reasons.items():
            reasons[key] = reasons.get(key, 0) + count
        print(f"  seed {seed:2d}: uniform {uniform[-1]}, scheduler {reached}", flush=True)
    if None in uniform or None in adaptive:
        print(f"FAIL: a run did not reach the target within {args.max_votes} votes")
        return 1
    median_uniform = float(np.median(uniform))
    median_adaptive = float(np.median(adaptive))
    ratio = median_adaptive / median_uniform
    paired = np.median(np.array(adaptive) / np.array(uniform))

    all_battles = Battles(
        truth.theta.size,
        np.concatenate([b.left for b in pooled]),
        np.concatenate([b.right for b in pooled]),
        np.concatenate([b.left_wins for b in pooled]),
        np.concatenate([b.right_wins for b in pooled]),
        np.concatenate([b.ties for b in pooled]),
    )
    ranking = fit(all_battles)
    bias = ranking.left_advantage_elo
    assert bias is not None
    error = bias - args.left_bias
    total = sum(reasons.values())
    shares = ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in sorted(reasons.items()))

    print(f"votes to target, median: uniform {median_uniform:.0f}, scheduler {median_adaptive:.0f}")
    print(
        f"ratio scheduler/uniform: {ratio:.3f} (median of paired ratios {paired:.3f}); "
        f"target <= {RATIO_TARGET:.2f}"
    )
    print(f"scheduler draws: {shares}")
    print(
        f"left bias from {all_battles.total:.0f} pooled scheduler votes: {bias:.2f} Elo "
        f"[{ranking.left_advantage_low:.2f}, {ranking.left_advantage_high:.2f}], "
        f"error {error:+.2f} Elo; target within +-{BIAS_TOLERANCE:g}"
    )
    print(f"{time.perf_counter() - started:.0f} s")
    failed = []
    if ratio > RATIO_TARGET:
        failed.append(f"ratio {ratio:.3f} > {RATIO_TARGET}")
    if abs(error) > BIAS_TOLERANCE:
        failed.append(f"left bias error {error:+.2f} Elo")
    print("FAIL: " + "; ".join(failed) if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed and agreement of blindside's rankings on a million votes.

Builds 1,000,000 synthetic votes over 100 models (seeded; pairs drawn with a
bias toward close ratings, ~5% ties, a left-side advantage of ~20 Elo),
aggregates them in numpy into position-oriented rows, and measures in the
same run:

- ``rank_battles`` (fit + sandwich intervals, the default);
- ``rank_battles`` with a 1,000-round bootstrap;
- ``choix.ilsr_pairwise`` on the raw list of (winner, loser) tuples, point
  estimates only (choix cannot take half wins, so it gets the decisive votes
  only, and our comparison fit for it drops ties too);
- evalica's Bradley-Terry (ties as half a win, no position term) if evalica
  is installed; compared with our fit of the same model.

Run::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ranking_stats.py [--votes N]
"""

from __future__ import annotations

import argparse
import os
import time

import choix
import numpy as np

from blindside.ranking import ELO_SCALE, Battles, rank_battles

N_MODELS = 100
TIE_SHARE = 0.13  # P(tie) = 0.13 min(p, 1 - p): ~5% ties for these pairs
BETA_ELO = 20.0


def simulate(n_votes: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Raw votes: (left, right, outcome) with outcome 0 left won, 1 right won, 2 tie."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, N_MODELS)  # ~ +-400 Elo spread
    # Pairs biased toward close ratings: accept a random pair with probability
    # exp(-|gap| / 0.7), drawing until n_votes are kept.
    left, right = [], []
    kept = 0
    while kept < n_votes:
        i = rng.integers(0, N_MODELS, 2 * n_votes)
        j = (i + rng.integers(1, N_MODELS, i.size)) % N_MODELS
        ok = rng.random(i.size) < np.exp(-np.abs(theta[i] - theta[j]) / 0.7)
        left.append(i[ok])
        right.append(j[ok])
        kept += int(ok.sum())
    left = np.concatenate(left)[:n_votes]
    right = np.concatenate(right)[:n_votes]
    d = theta[left] - theta[right] + BETA_ELO / ELO_SCALE
    # Ties taken out of both sides, so the left answer's expected score stays
    # sigmoid(d) (the half-tie model holds in the mean); ~5% ties overall.
    p = 1 / (1 + np.exp(-d))
    p_tie = TIE_SHARE * np.minimum(p, 1 - p)
    p_left = p - p_tie / 2
    u = rng.random(n_votes)
    outcome = np.where(u < p_left, 0, np.where(u < p_left + p_tie, 2, 1))
    return left, right, outcome


def aggregate(left: np.ndarray, right: np.ndarray, outcome: np.ndarray) -> Battles:
    """One row per (left, right) with counts, by bincount."""
    cell = (left * N_MODELS + right) * 3 + outcome
    counts = np.bincount(cell, minlength=N_MODELS * N_MODELS * 3).reshape(-1, 3)
    rows = np.flatnonzero(counts.sum(axis=1))
    return Battles(
        N_MODELS,
        rows // N_MODELS,
        rows % N_MODELS,
        counts[rows, 0].astype(float),
        counts[rows, 1].astype(float),
        counts[rows, 2].astype(float),
    )


def timed(fn, repeat: int = 1):
    """(best seconds, result) over ``repeat`` calls."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def centred_elo(theta: np.ndarray) -> np.ndarray:
    return ELO_SCALE * (theta - theta.mean())


def evalica_elo(battles: Battles) -> tuple[float, np.ndarray] | None:
    """evalica's Bradley-Terry on the aggregated rows (weights), or None if not installed."""
    try:
        import evalica
    except ImportError:
        return None
    xs, ys, winners, weights = [], [], [], []
    for outcome, counts in (
        (evalica.Winner.X, battles.left_wins),
        (evalica.Winner.Y, battles.right_wins),
        (evalica.Winner.Draw, battles.ties),
    ):
        nz = counts > 0
        xs.append(battles.left[nz])
        ys.append(battles.right[nz])
        winners += [outcome] * int(nz.sum())
        weights.append(counts[nz])
    xs_, ys_, w_ = np.concatenate(xs), np.concatenate(ys), np.concatenate(weights)

    def run():
        return evalica.bradley_terry(
            xs_.tolist(),
            ys_.tolist(),
            winners,
            weights=w_.tolist(),
            index=None,
            tolerance=1e-12,
            limit=100_000,
        )

    seconds, res = timed(run)
    scores = res.scores.reindex(range(N_MODELS)).to_numpy()
    return seconds, centred_elo(np.log(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--skip-choix", action="store_true", help="choix takes a while")
    args = parser.parse_args()
    print(
        f"{args.votes:,} votes, {N_MODELS} models, cores={os.cpu_count()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )

    left, right, outcome = simulate(args.votes)
    t_agg, battles = timed(lambda: aggregate(left, right, outcome), repeat=3)
    print(f"ties: {np.mean(outcome == 2):.1%}")
    print(f"aggregated into {battles.left.size:,} (left, right) rows in {t_agg * 1e3:.0f} ms")
    rank_battles(battles)  # warm-up: imports, caches

    t_sand, r_sand = timed(lambda: rank_battles(battles), repeat=3)
    print(f"ours: fit + sandwich intervals      {t_sand * 1e3:8.0f} ms")
    t_boot, r_boot = timed(
        lambda: rank_battles(battles, intervals="bootstrap", n_bootstrap=args.rounds), repeat=2
    )
    print(f"ours: fit + {args.rounds}-round bootstrap    {t_boot * 1e3:8.0f} ms")
    t_dav, r_dav = timed(lambda: rank_battles(battles, tie_model="davidson"), repeat=3)
    print(
        f"ours: Davidson fit + sandwich       {t_dav * 1e3:8.0f} ms "
        f"(tie parameter nu = {r_dav.tie_param:.3f})"
    )
    print(
        f"  left advantage {r_sand.left_advantage_elo:.1f} Elo "
        f"[{r_sand.left_advantage_low:.1f}, {r_sand.left_advantage_high:.1f}] (truth {BETA_ELO})"
    )
    width_s = np.median(r_sand.elo_high - r_sand.elo_low)
    width_b = np.median(r_boot.elo_high - r_boot.elo_low)
    print(f"  median 95% interval width: sandwich {width_s:.1f}, bootstrap {width_b:.1f} Elo")

    if not args.skip_choix:
        decisive = outcome < 2
        winner = np.where(outcome == 0, left, right)[decisive]
        loser = np.where(outcome == 0, right, left)[decisive]
        comparisons = list(zip(winner.tolist(), loser.tolist(), strict=True))
        t_choix, theta_choix = timed(
            lambda: choix.ilsr_pairwise(N_MODELS, comparisons, tol=1e-8, max_iter=1000)
        )
        no_ties = Battles(
            N_MODELS,
            battles.left,
            battles.right,
            battles.left_wins,
            battles.right_wins,
            np.zeros_like(battles.ties),
        )
        _, r_nt = timed(lambda: rank_battles(no_ties, position_bias=False), repeat=3)
        diff = np.abs(centred_elo(r_nt.theta) - centred_elo(theta_choix)).max()
        print(
            f"choix.ilsr_pairwise, {len(comparisons):,} decisive (winner, loser) tuples "
            f"{t_choix * 1e3:8.0f} ms"
        )
        print(
            f"  speed-up, ours fit + sandwich vs choix point estimate: {t_choix / t_sand:.0f}x "
            f"({t_choix / (t_sand + t_agg):.0f}x counting the aggregation)"
        )
        print(f"  max |Elo diff| vs choix (same data, no ties, no position term): {diff:.2e}")

    ev = evalica_elo(battles)
    if ev is None:
        print("evalica not installed: skipping that comparison (pip install evalica)")
    else:
        t_ev, elo_ev = ev
        _, r_half = timed(lambda: rank_battles(battles, position_bias=False), repeat=3)
        diff = np.abs(centred_elo(r_half.theta) - elo_ev).max()
        print(f"evalica.bradley_terry on the aggregated rows {t_ev * 1e3:8.0f} ms")
        print(f"  max |Elo diff| vs evalica (ties half, no position term): {diff:.2e}")


if __name__ == "__main__":
    main()

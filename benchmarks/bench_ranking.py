"""From the database to a full leaderboard: aggregation, fit and 95% intervals.

Part 1, "from the database": builds a SQLite file (through the real Alembic
migrations) holding one suite, ``--prompts`` prompts over three tiers,
``--models`` models with one answer each per prompt, random pairs, and
``--votes`` votes by ``--raters`` raters drawn from a Bradley-Terry model with a
left-side advantage and ties. Rows are bulk-inserted with ``executemany``.
Then it times, on that file:

* the aggregation alone (:func:`blindside.aggregate.aggregate`, one GROUP BY);
* the whole path to a leaderboard (:func:`blindside.leaderboard.build_leaderboard`)
  with sandwich intervals (target 1.0 s) and with 1,000 bootstrap rounds
  (target 3.0 s);
* a few cuts (one tier, exclusions, a rater subset, a date window).

Each time is the median of ``--repeat`` runs on a warm file (the first run is
printed too). Usage::

    .venv/bin/python benchmarks/bench_ranking.py [--votes 1000000] [--models 100]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from blindside.aggregate import aggregate
from blindside.cuts import Cut
from blindside.db import create_db_engine, upgrade_schema
from blindside.leaderboard.board import RankOptions, build_leaderboard

TARGET_SANDWICH_S = 1.0
TARGET_BOOTSTRAP_S = 3.0


def build_database(
    path: Path, *, n_votes: int, n_models: int, n_prompts: int, n_raters: int, seed: int
) -> dict[str, Any]:
    """Write a synthetic, migrated SQLite file; returns what it holds."""
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    now = datetime(2026, 11, 28, tzinfo=UTC).replace(tzinfo=None)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    with con:
        con.execute(
            "INSERT INTO suite (id, name, description, source_path, content_hash, loaded_at) "
            "VALUES (1, 'bench', '', '', '', ?)",
            (now,),
        )
        con.executemany(
            "INSERT INTO prompt (id, suite_id, external_id, tier, category, text, messages, meta) "
            "VALUES (?, 1, ?, ?, ?, ?, '[]', ?)",
            [
                (
                    p + 1,
                    f"p{p}",
                    1 + p % 3,
                    f"cat{p % 7}",
                    f"prompt {p}",
                    json.dumps({"gold": p % 50 == 0}),
                )
                for p in range(n_prompts)
            ],
        )
        con.executemany(
            "INSERT INTO model (id, name, endpoint, model_id, simulated, active, params, "
            "pricing, fallbacks, registered_at) VALUES (?, ?, 'e', ?, 0, 1, '{}', '{}', '[]', ?)",
            [(m + 1, f"model-{m:03d}", f"m{m:03d}", now) for m in range(n_models)],
        )
        con.execute(
            "INSERT INTO run (id, suite_id, started_at, status, samples_per_prompt, config_hash, "
            "model_names) VALUES (1, 1, ?, 'finished', 1, 'h', '[]')",
            (now,),
        )
        # One answer per (prompt, model): response id = prompt * n_models + model + 1.
        leak = rng.random(n_prompts * n_models) < 0.01
        fallback = rng.random(n_prompts * n_models) < 0.01
        chars = rng.integers(200, 4000, n_prompts * n_models)
        con.executemany(
            "INSERT INTO response (id, run_id, prompt_id, model_id, sample, text, latency_ms, "
            "ttft_ms, cost_usd, attempts, retry_wait_ms, tokens_estimated, is_fallback, "
            "created_at, identity_leak, text_chars, md_headers, md_list_items, md_bold) "
            "VALUES (?, 1, ?, ?, 0, 'answer', ?, ?, ?, 1, 0, 0, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p * n_models + m + 1,
                    p + 1,
                    m + 1,
                    500.0 + m,
                    100.0 + m,
                    1e-4 * (1 + m % 10),
                    bool(fallback[p * n_models + m]),
                    now,
                    bool(leak[p * n_models + m]),
                    int(chars[p * n_models + m]),
                    m % 4,
                    m % 9,
                    m % 5,
                )
                for p in range(n_prompts)
                for m in range(n_models)
            ],
        )
        con.executemany(
            "INSERT INTO rater (id, name, name_key, role, created_at) VALUES (?, ?, ?, 'rater', ?)",
            [(r + 1, f"rater{r:02d}", f"rater{r:02d}", now) for r in range(n_raters)],
        )
        # Pairs: every pair gets one vote from each of `per_pair` distinct raters.
        per_pair = min(n_raters, 5)
        needed = -(-n_votes // per_pair)
        # Draw 10% extra: duplicates are dropped below, and the vote count must be exact.
        n_pairs = needed + needed // 10 + 10
        pair_prompt = rng.integers(0, n_prompts, n_pairs)
        m1 = rng.integers(0, n_models, n_pairs)
        m2 = (m1 + rng.integers(1, n_models, n_pairs)) % n_models
        ra = pair_prompt * n_models + np.minimum(m1, m2) + 1
        rb = pair_prompt * n_models + np.maximum(m1, m2) + 1
        # Drop duplicate (response a, response b) pairs: the table is unique on them.
        _, first = np.unique(np.stack([ra, rb], axis=1), axis=0, return_index=True)
        first = np.sort(first)[:needed]
        pair_prompt, ra, rb = pair_prompt[first], ra[first], rb[first]
        n_pairs = first.size
        con.executemany(
            "INSERT INTO pair (id, prompt_id, response_a_id, response_b_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            zip(
                range(1, n_pairs + 1),
                (pair_prompt + 1).tolist(),
                ra.tolist(),
                rb.tolist(),
                [now] * n_pairs,
                strict=True,
            ),
        )
        # Votes: Bradley-Terry strengths, a left advantage and ties.
        strength = np.sort(rng.normal(0, 1, n_models))[::-1]
        n = min(n_votes, n_pairs * per_pair)
        pair_of = np.repeat(np.arange(n_pairs), per_pair)[:n]
        rater_of = (np.tile(np.arange(per_pair), n_pairs)[:n] + pair_of) % n_raters
        swap = rng.random(n) < 0.5
        left = np.where(swap, rb[pair_of], ra[pair_of])
        right = np.where(swap, ra[pair_of], rb[pair_of])
        lm, rm = (left - 1) % n_models, (right - 1) % n_models
        p_left = 1 / (1 + np.exp(-(strength[lm] - strength[rm] + 0.1)))
        u = rng.random(n)
        tie = rng.random(n) < 0.15
        choice = np.where(tie, np.where(rng.random(n) < 0.3, "both_bad", "tie"), "right")
        choice = np.where(~tie & (u < p_left), "left", choice)
        created = [now - timedelta(seconds=int(s)) for s in rng.integers(0, 90 * 86400, n)]
        flagged = rng.random(n) < 0.02
        con.executemany(
            "INSERT INTO vote (pair_id, rater_id, left_response_id, choice, flagged, created_at, "
            "right_response_id, left_model_id, right_model_id, prompt_id, tier, run_id, "
            "fallback, identity_leak) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            zip(
                (pair_of + 1).tolist(),
                (rater_of + 1).tolist(),
                left.tolist(),
                choice.tolist(),
                flagged.tolist(),
                created,
                right.tolist(),
                (lm + 1).tolist(),
                (rm + 1).tolist(),
                (pair_prompt[pair_of] + 1).tolist(),
                (1 + pair_prompt[pair_of] % 3).tolist(),
                (fallback[left - 1] | fallback[right - 1]).tolist(),
                (leak[left - 1] | leak[right - 1]).tolist(),
                strict=True,
            ),
        )
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"votes": n, "pairs": n_pairs, "responses": n_prompts * n_models}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first run, median of the runs, last result) in seconds."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--prompts", type=int, default=600)
    parser.add_argument("--raters", type=int, default=40)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="build the file in DIR and keep it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        path = root / "bench.db"
        if not path.exists():
            start = time.perf_counter()
            info = build_database(
                path,
                n_votes=args.votes,
                n_models=args.models,
                n_prompts=args.prompts,
                n_raters=args.raters,
                seed=args.seed,
            )
            print(
                f"built {info['votes']:,} votes, {info['pairs']:,} pairs, "
                f"{info['responses']:,} answers, {args.models} models in "
                f"{time.perf_counter() - start:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
            )
        engine = create_db_engine(f"sqlite:///{path}")
        sandwich = RankOptions()
        boot = RankOptions(intervals="bootstrap", n_bootstrap=args.bootstrap)
        now = datetime(2026, 11, 28, tzinfo=UTC)
        cases: list[tuple[str, Callable[[], Any], float | None]] = [
            ("aggregate, all votes", lambda: aggregate(engine, Cut()), None),
            ("leaderboard, sandwich", lambda: build_leaderboard(engine, Cut(), sandwich), 1.0),
            (
                f"leaderboard, {args.bootstrap} bootstrap",
                lambda: build_leaderboard(engine, Cut(), boot),
                TARGET_BOOTSTRAP_S,
            ),
            ("aggregate, tier 2", lambda: aggregate(engine, Cut(tier=2)), None),
            (
                "aggregate, all exclusions",
                lambda: aggregate(
                    engine,
                    Cut(
                        exclude_flagged=True,
                        exclude_gold=True,
                        exclude_identity_leaks=True,
                        exclude_fallbacks=True,
                    ),
                ),
                None,
            ),
            (
                "aggregate, 10 raters",
                lambda: aggregate(engine, Cut(raters=tuple(f"rater{r:02d}" for r in range(10)))),
                None,
            ),
            (
                "aggregate, last 30 days",
                lambda: aggregate(engine, Cut(since=now - timedelta(days=30))),
                None,
            ),
            (
                "leaderboard, style control",
                lambda: build_leaderboard(engine, Cut(tier=1), RankOptions(style=True)),
                None,
            ),
        ]
        failed = False
        print(f"{'path':<36} {'first':>8} {'median':>8}  target")
        for label, fn, target in cases:
            first, median, result = timed(fn, args.repeat)
            verdict = ""
            if target is not None:
                ok = median <= target
                failed |= not ok
                verdict = f"{target:.1f} s {'met' if ok else 'MISSED'}"
            # Battles count votes in floats (halves are allowed), leaderboards in ints.
            total = round(getattr(result, "total", getattr(result, "total_votes", 0)))
            print(f"{label:<36} {first:>7.3f}s {median:>7.3f}s  {verdict}  ({total:,} votes)")
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

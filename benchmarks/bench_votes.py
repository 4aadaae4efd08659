"""Recording a vote and drawing the next pair, with 100,000 votes stored, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_votes.py [--backend sqlite|postgresql|both]
        [--stored 100000] [--raters 50] [--paced-seconds 30] [--closed-seconds 10]

Two figures per backend:

- **paced p95**: 50 raters vote at human pace (one vote every 3 s each, phases spread), as
  threads calling what the Vote page calls on a press (``rating.answer_and_next``: the vote
  and the next pair in one transaction); the server-side time of that call, 95th
  percentile. Target 25 ms or less.
- **closed-loop capacity**: the same threads voting as fast as they can; votes per second.
  Target 500 or more.

Contenders, run in the same process on the same database:

- ``old least-voted``: the baseline, the old path: the least-voted draw
  (``pairing.next_impression``, a GROUP BY over every pair and vote) and ``votes.record_vote``;
- ``two calls``: ``rating.cast_vote`` then ``rating.current_or_next_impression``, two
  transactions (what the page called before ``answer_and_next``);
- ``one transaction``: ``rating.answer_and_next``, what the page calls;
- ``raw floor`` (closed loop only): the same threads running minimal transactions with no
  application logic, one UPDATE and one INSERT on two small tables through the same
  ``rating.writing`` transactions and connection pool: what this machine, driver and pool
  can do at most for a transaction with a write, with the database server and the benchmark
  sharing the cores.

Ratios are contender / baseline, and capacity / raw floor.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from blindside.db import create_db_engine, upgrade_schema
from blindside.pairing import build_pairs, next_impression
from blindside.rating import answer_and_next, cast_vote, current_or_next_impression, writing
from blindside.tables import Model, Prompt, Rater, Response, Run, Suite, Vote, utc_now
from blindside.votes import record_vote

MODELS = 10
CHOICES = ("left", "right", "tie", "both_bad")


def build_world(engine: Engine, stored: int, seed: int = 0) -> None:
    """10 models, enough prompts for ``stored`` votes by 400 past raters, the votes stored."""
    rng = random.Random(seed)
    past_raters = 400
    pairs_per_prompt = MODELS * (MODELS - 1) // 2
    prompts = max(20, stored // past_raters * 4 // pairs_per_prompt + 1) * 10
    with Session(engine, expire_on_commit=False) as s:
        suite = Suite(name="bench")
        s.add(suite)
        s.flush()
        prompt_rows = [
            {
                "suite_id": suite.id,
                "external_id": f"p{k}",
                "tier": 1 + k % 2,
                "category": "c",
                "text": f"question {k}",
                "messages": [{"role": "user", "content": f"question {k}"}],
                "meta": {},
            }
            for k in range(prompts)
        ]
        s.execute(insert(Prompt.__table__), prompt_rows)  # type: ignore[attr-defined]
        models = [Model(name=f"m{i}", endpoint="e", model_id=f"id{i}") for i in range(MODELS)]
        run = Run(suite_id=suite.id, config_hash="h")
        s.add_all([*models, run])
        s.flush()
        prompt_ids = [
            (pid, tier) for pid, tier in s.execute(text("SELECT id, tier FROM prompt")).all()
        ]
        s.execute(
            insert(Response.__table__),  # type: ignore[attr-defined]
            [
                {
                    "run_id": run.id,
                    "prompt_id": pid,
                    "model_id": m.id,
                    "sample": 0,
                    "text": f"answer of model {m.id} to prompt {pid}. " * 20,
                    "identity_leak": False,
                    "created_at": utc_now(),
                }
                for pid, _ in prompt_ids
                for m in models
            ],
        )
        s.execute(
            insert(Rater.__table__),  # type: ignore[attr-defined]
            [
                {"name": f"past{i}", "name_key": f"past{i}", "created_at": utc_now()}
                for i in range(past_raters)
            ],
        )
        s.commit()
        run_id = run.id
    build_pairs(engine, run_id)  # type: ignore[arg-type]
    with Session(engine) as s:
        pairs = s.exec(
            text(
                "SELECT pair.id, pair.prompt_id, prompt.tier, pair.response_a_id, "
                "pair.response_b_id, a.model_id, b.model_id FROM pair "
                "JOIN prompt ON prompt.id = pair.prompt_id "
                "JOIN response a ON a.id = pair.response_a_id "
                "JOIN response b ON b.id = pair.response_b_id"
            )  # type: ignore[call-overload]
        ).all()
        rater_ids = list(s.exec(select(Rater.id)).all())
    now = utc_now()
    rows = []
    per_rater = stored // len(rater_ids) + 1
    for rater in rater_ids:
        for pair in rng.sample(pairs, per_rater):
            if len(rows) == stored:
                break
            pid, prompt_id, tier, ra, rb, ma, mb = pair
            flip = rng.random() < 0.5
            rows.append(
                {
                    "pair_id": pid,
                    "rater_id": rater,
                    "left_response_id": rb if flip else ra,
                    "right_response_id": ra if flip else rb,
                    "left_model_id": mb if flip else ma,
                    "right_model_id": ma if flip else mb,
                    "choice": rng.choice(CHOICES),
                    "prompt_id": prompt_id,
                    "tier": tier,
                    "run_id": run_id,
                    "flagged": False,
                    "fallback": False,
                    "identity_leak": False,
                    "created_at": now,
                }
            )
    with Session(engine) as s:
        for start in range(0, len(rows), 10_000):
            s.execute(insert(Vote.__table__), rows[start : start + 10_000])  # type: ignore[attr-defined]
        s.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def new_raters(engine: Engine, n: int) -> list[int]:
    tag = uuid.uuid4().hex[:8]
    with Session(engine, expire_on_commit=False) as s:
        rows = [Rater(name=f"{tag}-{i}", name_key=f"{tag}-{i}") for i in range(n)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]  # type: ignore[misc]


def page_step(engine: Engine) -> Callable[[int], None]:
    """One rater's press, as the Vote page does it: the vote and the next pair in one
    transaction (the page keeps the pair on screen in its session state; its first load is
    not part of a step)."""
    on_screen: dict[int, int] = {}

    def step(rater: int) -> None:
        if rater not in on_screen:
            first = current_or_next_impression(engine, rater)
            assert first is not None
            on_screen[rater] = first.impression_id
        outcome, shown = answer_and_next(engine, rater, on_screen[rater], random.choice(CHOICES))
        assert outcome == "stored" and shown is not None
        on_screen[rater] = shown.impression_id

    return step


def two_call_step(engine: Engine) -> Callable[[int], None]:
    """A vote and the next pair as two calls and two transactions."""
    on_screen: dict[int, int] = {}

    def step(rater: int) -> None:
        if rater not in on_screen:
            first = current_or_next_impression(engine, rater)
            assert first is not None
            on_screen[rater] = first.impression_id
        cast_vote(engine, rater, on_screen[rater], random.choice(CHOICES))
        shown = current_or_next_impression(engine, rater)
        assert shown is not None
        on_screen[rater] = shown.impression_id

    return step


def old_step(engine: Engine) -> Callable[[int], None]:
    """The old path: the least-voted GROUP BY draw and record_vote."""
    shown: dict[int, object] = {}

    def step(rater: int) -> None:
        drawn = shown.get(rater) or next_impression(engine, rater)
        assert drawn is not None
        record_vote(engine, rater, drawn, random.choice(CHOICES))  # type: ignore[arg-type]
        shown[rater] = next_impression(engine, rater)

    return step


def floor_step(engine: Engine) -> Callable[[int], None]:
    """The raw floor: one UPDATE and one INSERT in one transaction, no application logic."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS floor_counter (rater INTEGER, n INTEGER)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS floor_log (rater INTEGER)"))
        conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS floor_rater ON floor_counter (rater)"))
    known: set[int] = set()
    bump = text("UPDATE floor_counter SET n = n + 1 WHERE rater = :r")
    log = text("INSERT INTO floor_log (rater) VALUES (:r)")

    def step(rater: int) -> None:
        if rater not in known:
            known.add(rater)
            with writing(engine) as conn:
                conn.execute(text("INSERT INTO floor_counter VALUES (:r, 0)"), {"r": rater})
        with writing(engine) as conn:
            conn.execute(bump, {"r": rater})
            conn.execute(log, {"r": rater})

    return step


def timed_step(engine: Engine, step: Callable[[int], None], rater: int) -> float:
    """Server time of the vote and the next draw (the first draw is the page's load)."""
    start = time.perf_counter()
    step(rater)
    return time.perf_counter() - start


def paced(engine: Engine, step: Callable[[int], None], raters: int, seconds: float) -> list[float]:
    """``raters`` threads, one vote every 3 s each; every step's time in seconds."""
    ids = new_raters(engine, raters)
    times: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def rate(rater: int, phase: float) -> None:
        next_at = time.monotonic() + phase
        while True:
            time.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= end:
                return
            elapsed = timed_step(engine, step, rater)
            with lock:
                times.append(elapsed)
            next_at += 3.0

    run_threads([(rate, (r, 3.0 * k / raters)) for k, r in enumerate(ids)])
    return times


def closed(engine: Engine, step: Callable[[int], None], raters: int, seconds: float) -> float:
    """``raters`` threads voting as fast as they can for ``seconds``; votes per second."""
    ids = new_raters(engine, raters)
    done = [0]
    lock = threading.Lock()
    start = time.monotonic()
    end = start + seconds

    def rate(rater: int) -> None:
        while time.monotonic() < end:
            step(rater)
            with lock:
                done[0] += 1

    run_threads([(rate, (r,)) for r in ids])
    return done[0] / (time.monotonic() - start)


def run_threads(work: list[tuple[Callable[..., None], tuple]]) -> None:
    errors: list[BaseException] = []

    def wrap(fn: Callable[..., None], args: tuple) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=w) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] * 1000


@contextmanager
def database(backend: str, pg_url: str, folder: str) -> Iterator[Engine]:
    if backend == "sqlite":
        url = f"sqlite:///{folder}/bench_votes_{uuid.uuid4().hex[:8]}.db"
        engine = create_db_engine(url)
        upgrade_schema(engine)
        yield engine
        engine.dispose()
        return
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"bench_votes_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = create_db_engine(
            make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        )
        upgrade_schema(engine)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--folder", default="/tmp")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with database(backend, args.pg_url, args.folder) as engine:
            t0 = time.perf_counter()
            build_world(engine, args.stored)
            with Session(engine) as s:
                stored = s.exec(text("SELECT count(*) FROM vote")).one()[0]  # type: ignore[call-overload]
                pairs = s.exec(text("SELECT count(*) FROM pair")).one()[0]  # type: ignore[call-overload]
            print(
                f"{backend}: {stored:,} votes stored on {pairs:,} pairs of {MODELS} models "
                f"(built in {time.perf_counter() - t0:.0f} s); {args.raters} raters"
            )
            results = {}
            contenders = (
                ("old least-voted", old_step),
                ("two calls", two_call_step),
                ("one transaction", page_step),
            )
            for label, make in contenders:
                times = paced(engine, make(engine), args.raters, args.paced_seconds)
                rate = closed(engine, make(engine), args.raters, args.closed_seconds)
                results[label] = (p95(times), statistics.median(times) * 1000, len(times), rate)
                print(
                    f"  {label:16s} paced (1 vote / 3 s each): p95 {results[label][0]:7.1f} ms "
                    f"(median {results[label][1]:.1f} ms, {len(times)} votes); "
                    f"closed loop: {rate:6.0f} votes/s"
                )
            floor = closed(engine, floor_step(engine), args.raters, args.closed_seconds)
            print(
                f"  {'raw floor':16s} closed loop (UPDATE + INSERT, no app logic): "
                f"{floor:6.0f} transactions/s"
            )
            old = results["old least-voted"]
            for label in ("two calls", "one transaction"):
                new = results[label]
                print(
                    f"  {label} / old: p95 {new[0] / old[0]:.2f}x, "
                    f"capacity {new[3] / old[3]:.2f}x; "
                    f"capacity / raw floor {new[3] / floor:.2f}"
                )
            new = results["one transaction"]
            print(
                f"  targets (one transaction, what the page calls): p95 <= 25 ms: "
                f"{'met' if new[0] <= 25 else 'NOT met'}; "
                f">= 500 votes/s: {'met' if new[3] >= 500 else 'NOT met'}"
                f" (raw floor {floor:.0f}/s)"
            )


if __name__ == "__main__":
    main()

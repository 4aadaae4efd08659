"""Recording a vote and drawing the next pair, with 100,000 votes stored, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_votes.py [--backend sqlite|postgresql|both]
        [--stored 100000] [--raters 50] [--paced-seconds 30] [--closed-seconds 10]

Two figures per backend:

- **paced p95**: 50 raters vote at human pace (one vote every 3 s each, phases spread), as
  threads calling what the Vote page calls on a press (``rating.answer_and_next``: the vote
  and the next pair); the server-side time of that call, 95th percentile, each rater's first
  press left out (it also loads the page: the rater's first pair). Target 25 ms or less.
- **closed-loop capacity**: the same threads voting as fast as they can; votes per second.
  Target 500 or more.

Contenders, run in the same process on the same database:

- ``old least-voted``: the baseline, the old path: the least-voted draw
  (``pairing.next_impression``, a GROUP BY over every pair and vote) and ``votes.record_vote``;
- ``two calls``: ``rating.cast_vote`` then ``rating.current_or_next_impression``, two
  transactions (what the page called before ``answer_and_next``);
- ``four statements``: the vote path before ``press.py`` (kept here to compare under the
  same load): one transaction of four statements, the close, the vote, the drawn pair's
  texts and its impression, drawn after the vote is counted;
- ``answer_and_next``: ``rating.answer_and_next``, what the page calls. On PostgreSQL the
  next pair is drawn first, then one statement in autocommit (``blindside.press``); on
  SQLite the ``four statements`` order, with the scheduler's reads done before it;
- ``raw floor`` (closed loop only): the same threads running minimal transactions with no
  application logic, one UPDATE and one INSERT on two small tables through the same
  ``impressions.writing`` transactions and connection pool: what this machine, driver and
  pool can do at most for a transaction with a write, with the database server and the
  benchmark sharing the cores.

Each measurement prints the load average (1 min) before and after it, this process's CPU time
per vote (every thread; the Python side, bound by one interpreter lock), and on PostgreSQL the
CPU time per vote of the server backends serving this benchmark's database (read from
``/proc`` every 0.2 s; autovacuum and the server's background writers are left out), and how
many connections the pool opened. ``ceiling`` is what the cores of this machine could do if
the vote path had them to itself: cores / (CPU per vote). At human pace the CPU per vote is
several times the closed loop's (costs per second and per rater spread over few votes, cold
caches between votes): there it is printed for completeness; the closed loop's bounds the
capacity.

Ratios are contender / baseline, contender / ``four statements``, and capacity / raw floor.
The PostgreSQL URL is ``--pg-url``, by default ``BLINDSIDE_TEST_PG_URL``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from vote_world import CHOICES, MODELS, build_world, database, new_raters

from blindside.client.percentile import percentile
from blindside.impressions import close_impression, writing
from blindside.live_scheduler import live_scheduler
from blindside.pairing import next_impression
from blindside.rating import (
    _TAKEN,
    _open_next,
    _shown,
    _store_vote,
    answer_and_next,
    cast_vote,
    current_or_next_impression,
)
from blindside.votes import record_vote


def page_step(engine: Engine) -> Callable[[int], None]:
    """One rater's press, as the Vote page does it: ``answer_and_next``, the vote and the next
    pair (the page keeps the pair on screen in its session state; its first load is not part
    of a step)."""
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


def four_statement_step(engine: Engine) -> Callable[[int], None]:
    """The vote path before ``press.py``: close, vote, count, draw, the drawn pair's texts and
    its impression, in one transaction of four statements (a vote only: no skips here)."""
    on_screen: dict[int, int] = {}
    scheduler = live_scheduler(engine)

    def step(rater: int) -> None:
        if rater not in on_screen:
            first = current_or_next_impression(engine, rater)
            assert first is not None
            on_screen[rater] = first.impression_id
        choice = random.choice(CHOICES)
        with writing(engine) as conn:
            closed = close_impression(conn, rater, on_screen[rater], skipped=False)
            assert closed is not None
            counted = _store_vote(conn, rater, on_screen[rater], closed, choice, False, None)
            scheduler.voted(*counted)
            opened = _open_next(conn, scheduler, rater, None)
        if opened is None or opened is _TAKEN:
            shown = current_or_next_impression(engine, rater)
        else:
            shown = _shown(*opened)  # type: ignore[misc]
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


@dataclass
class Usage:
    """What one measurement cost: wall and CPU time, and the load around it."""

    votes: int
    wall: float
    client_cpu: float  # this process, every thread
    server_cpu: float | None  # the PostgreSQL backends of this database; None on SQLite
    load: tuple[float, float]  # 1-minute load average before and after
    connects: int  # new database connections the pool opened

    def describe(self) -> str:
        per_vote = self.client_cpu / max(self.votes, 1) * 1000
        text = f"load {self.load[0]:.1f}->{self.load[1]:.1f}; CPU/vote: client {per_vote:.2f} ms"
        total = per_vote
        if self.server_cpu is not None:
            server = self.server_cpu / max(self.votes, 1) * 1000
            text += f" + server {server:.2f} ms"
            total += server
        cores = os.cpu_count() or 1
        return (
            text + f" (ceiling {cores} cores / {total:.2f} ms = {cores / total * 1000:.0f}/s); "
            f"{self.connects} new connections"
        )


def backend_cpu(engine: Engine) -> dict[int, float] | None:
    """CPU seconds of each PostgreSQL backend serving ``engine``'s database (``/proc``);
    None on SQLite, or when the server's processes cannot be read (another machine)."""
    if engine.dialect.name != "postgresql":
        return None
    name, found = engine.url.database or "", {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Backends serving this database; not autovacuum's workers.
        if title.startswith("postgres:") and f" {name} " in title and "autovacuum" not in title:
            fields = stat[stat.rindex(")") + 2 :].split()
            found[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found if found else None


@contextmanager
def measured(engine: Engine, usage: list[Usage]) -> Iterator[list[int]]:
    """Measure the block; it puts the number of votes it cast in the list it is given.

    The backends' CPU is sampled every 0.2 s, so that a connection the pool closes
    meanwhile still counts (up to its last sample).
    """
    votes, connects, own = [0], [0], [0.0]
    first = backend_cpu(engine)
    last = dict(first or {})
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            last.update(backend_cpu(engine) or {})
        own[0] = time.thread_time()  # the sampler's own CPU, not the vote path's

    def connected(*_: object) -> None:
        connects[0] += 1

    event.listen(engine, "connect", connected)
    sampler = threading.Thread(target=sample, daemon=True)
    load0, wall0, cpu0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
    sampler.start()
    yield votes
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    stop.set()
    sampler.join()
    cpu -= own[0]
    event.remove(engine, "connect", connected)
    last.update(backend_cpu(engine) or {})
    server = None
    if first is not None:
        server = sum(seconds - first.get(pid, 0.0) for pid, seconds in last.items())
    usage.append(Usage(votes[0], wall, cpu, server, (load0, os.getloadavg()[0]), connects[0]))


def timed_step(engine: Engine, step: Callable[[int], None], rater: int) -> float:
    """Server time of the vote and the next draw (the first draw is the page's load)."""
    start = time.perf_counter()
    step(rater)
    return time.perf_counter() - start


def paced(
    engine: Engine, step: Callable[[int], None], raters: int, seconds: float, usage: list[Usage]
) -> list[float]:
    """``raters`` threads, one vote every 3 s each; the time of every step but each rater's
    first (which includes the page's first load), in seconds."""
    ids = new_raters(engine, raters)
    times: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def rate(rater: int, phase: float) -> None:
        next_at = time.monotonic() + phase
        first = True
        while True:
            time.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= end:
                return
            elapsed = timed_step(engine, step, rater)
            if not first:  # the first step also loads the page: not a press alone
                with lock:
                    times.append(elapsed)
            first = False
            next_at += 3.0

    with measured(engine, usage) as votes:
        run_threads([(rate, (r, 3.0 * k / raters)) for k, r in enumerate(ids)])
        votes[0] = len(times) + len(ids)
    return times


def closed(
    engine: Engine, step: Callable[[int], None], raters: int, seconds: float, usage: list[Usage]
) -> float:
    """``raters`` threads voting as fast as they can for ``seconds``; votes per second."""
    ids = new_raters(engine, raters)
    done = [0]
    lock = threading.Lock()

    def rate(rater: int) -> None:
        while time.monotonic() < end:
            step(rater)
            with lock:
                done[0] += 1

    with measured(engine, usage) as votes:
        start = time.monotonic()
        end = start + seconds
        run_threads([(rate, (r,)) for r in ids])
        votes[0] = done[0]
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
    """In ms, by the project's one percentile (linear interpolation)."""
    value = percentile(times, 95)
    return (value or 0.0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BLINDSIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
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
                f"(built in {time.perf_counter() - t0:.0f} s); {args.raters} raters; "
                f"{os.cpu_count()} cores"
            )
            run_contenders(engine, args)


def run_contenders(engine: Engine, args: argparse.Namespace) -> None:
    results = {}
    contenders = (
        ("old least-voted", old_step),
        ("two calls", two_call_step),
        ("four statements", four_statement_step),
        ("answer_and_next", page_step),
    )
    for label, make in contenders:
        usage: list[Usage] = []
        times = paced(engine, make(engine), args.raters, args.paced_seconds, usage)
        rate = closed(engine, make(engine), args.raters, args.closed_seconds, usage)
        results[label] = (p95(times), statistics.median(times) * 1000, len(times), rate)
        print(
            f"  {label:16s} paced (1 vote / 3 s each): p95 {results[label][0]:7.1f} ms "
            f"(median {results[label][1]:.1f} ms, {len(times)} votes)\n"
            f"  {'':16s}   {usage[0].describe()}\n"
            f"  {'':16s} closed loop: {rate:6.0f} votes/s\n"
            f"  {'':16s}   {usage[1].describe()}"
        )
    usage = []
    floor = closed(engine, floor_step(engine), args.raters, args.closed_seconds, usage)
    print(
        f"  {'raw floor':16s} closed loop (UPDATE + INSERT, no app logic): "
        f"{floor:6.0f} transactions/s\n  {'':16s}   {usage[0].describe()}"
    )
    for base in ("old least-voted", "four statements"):
        old = results[base]
        for label in ("two calls", "four statements", "answer_and_next"):
            if label == base:
                continue
            new = results[label]
            print(
                f"  {label} / {base}: p95 {new[0] / old[0]:.2f}x, "
                f"capacity {new[3] / old[3]:.2f}x; capacity / raw floor {new[3] / floor:.2f}"
            )
    new = results["answer_and_next"]
    print(
        f"  targets (answer_and_next, what the page calls): p95 <= 25 ms: "
        f"{'met' if new[0] <= 25 else 'NOT met'}; "
        f">= 500 votes/s: {'met' if new[3] >= 500 else 'NOT met'}"
        f" (raw floor {floor:.0f}/s)"
    )


if __name__ == "__main__":
    main()

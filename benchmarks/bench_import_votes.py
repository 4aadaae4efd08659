"""Importing an arena file of votes (``blindside import votes``), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_import_votes.py [--votes 50000]
        [--backend sqlite|postgresql|both]

The file is made here: ``--votes`` battles between 8 models, by 20 judges, on half as many
prompts as battles (each prompt asked about twice), one answer per prompt and model, so
answers and pairs recur as they do in LMArena's data. Each backend gets a fresh database; the
file is imported twice (the second import changes nothing). Per import it prints the wall
time and how many SQL statements reached the database (``before_cursor_execute`` events; an
executemany is one), which do not depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from scratch_db import scratch_database
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from blindside.imports.vote_store import import_votes
from blindside.imports.votes import VoteDefaults, vote_records
from blindside.tables import Vote

MODELS = [f"model-{i}" for i in range(8)]
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")


def write_battles(path: Path, votes: int, seed: int = 0) -> None:
    """``votes`` arena battles as JSONL (see the module's docstring)."""
    rng = random.Random(seed)
    prompts = max(1, votes // 2)
    # A judge who meets the same two answers again gives the same verdict, sides and all.
    verdicts: dict[tuple[object, ...], tuple[str, str, str]] = {}
    with path.open("w", encoding="utf-8") as out:
        for i in range(votes):
            prompt = rng.randrange(prompts)
            first, second = rng.sample(MODELS, 2)
            judge = f"judge-{rng.randrange(20)}"
            key = (prompt, frozenset((first, second)), judge)
            a, b, winner = verdicts.setdefault(key, (first, second, rng.choice(WINNERS)))
            question = f"Question {prompt}: say something about the number {prompt}."
            record = {
                "model_a": a,
                "model_b": b,
                "winner": winner,
                "judge": judge,
                "tstamp": 1_700_000_000 + i,
                "conversation_a": [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": f"{a} on {prompt}: " + "words " * 20},
                ],
                "conversation_b": [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": f"{b} on {prompt}: " + "terms " * 20},
                ],
            }
            out.write(json.dumps(record) + "\n")


def timed_import(engine: Engine, path: Path) -> tuple[float, int, str]:
    """(seconds, statements, what the import said) for one import of ``path``."""
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        done = import_votes(
            engine,
            lambda: vote_records(path, VoteDefaults()),
            file=str(path),
            source=f"jsonl:{path.name}",
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    seconds = time.perf_counter() - started
    said = (
        f"{done.votes_created} votes, {done.votes_unchanged} unchanged, "
        f"{done.answers_created} answers, {done.pairs_created} pairs"
    )
    return seconds, statements, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "battles.jsonl"
        write_battles(path, args.votes)
        for backend in backends:
            with scratch_database(backend, args.pg_url, folder, "bench_import") as engine:
                for attempt in ("first", "again"):
                    seconds, statements, said = timed_import(engine, path)
                    print(
                        f"{backend:10} {attempt:5} {seconds:7.2f} s  {statements:8d} statements"
                        f"  ({said})"
                    )
                with engine.connect() as conn:
                    stored = conn.execute(select(func.count()).select_from(Vote)).scalar_one()
                print(f"{backend:10} votes stored: {stored}")


if __name__ == "__main__":
    main()

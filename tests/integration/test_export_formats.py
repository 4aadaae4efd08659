"""Every export format on a real database (SQLite and PostgreSQL), through the real CLI.

The must-show of issue 11: position-unbalanced votes exported as arena battles rank through
``rank --votes`` within 0.5 Elo of the database route, position term included; the same
file without ``left_model`` is ranked without the term, and says so.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.cuts import Cut
from blindside.db import open_database
from blindside.export.formats import ARENA_FIELDS, PREFERENCE_FIELDS
from blindside.export.pseudonyms import export_key, pseudonym
from blindside.export.records import EXPORT_FIELDS
from blindside.export.run import row_counts
from blindside.rating import cast_vote, current_or_next_impression
from blindside.tables import Model, Pair, Response, Vote
from blindside.votes import insert_vote
from tests.conftest import Cli
from tests.integration.rating_world import rating_world

#: True strengths (Elo) of s-m0 .. s-m3, and the left side's advantage.
STRENGTH = (150.0, 50.0, -50.0, -150.0)
LEFT_ADVANTAGE = 60.0


def unbalanced_votes(engine: Engine, rater_ids: list[int], seed: int = 11) -> int:
    """Every rater votes on every pair; the stronger model is on the left 85% of the time."""
    rng = random.Random(seed)
    with Session(engine) as s:
        models = {m.id: int(m.name.rsplit("m", 1)[1]) for m in s.exec(select(Model))}
        answers = {r.id: models[r.model_id] for r in s.exec(select(Response))}
        pairs = [(p.id, p.response_a_id, p.response_b_id) for p in s.exec(select(Pair))]
    n = 0
    with Session(engine) as s:
        for rater in rater_ids:
            for pair_id, a, b in pairs:
                strong, weak = (a, b) if answers[a] < answers[b] else (b, a)
                left, right = (strong, weak) if rng.random() < 0.85 else (weak, strong)
                diff = STRENGTH[answers[left]] - STRENGTH[answers[right]] + LEFT_ADVANTAGE
                u = rng.random()
                if u < 0.08:
                    choice = "tie"
                elif u < 0.11:
                    choice = "both_bad"
                else:
                    p_left = 1 / (1 + math.pow(10, -diff / 400))
                    choice = "left" if rng.random() < p_left else "right"
                insert_vote(s.connection(), rater, pair_id, left, choice)
                n += 1
        s.commit()
    return n


def ratings(stdout: str) -> tuple[dict[str, float], dict[str, Any]]:
    summary = json.loads(stdout)
    return {m["model"]: m["rating"] for m in summary["models"]}, summary


def test_arena_export_of_unbalanced_votes_ranks_like_the_database(
    db_url: str, tmp_path: Path, cli: Cli
) -> None:
    engine = open_database(db_url)
    raters = rating_world(engine, models=4, prompts_per_tier=60, raters=4)
    total = unbalanced_votes(engine, raters)
    arena = tmp_path / "battles.arena.jsonl"
    done = cli("export", "--db", db_url, "--format", "arena", "--out", str(arena))
    assert done.returncode == 0, done.stderr
    assert f"exported {total} battles" in done.stderr

    records = [json.loads(line) for line in arena.read_text(encoding="utf-8").splitlines()]
    assert len(records) == total
    assert all(tuple(r) == ARENA_FIELDS for r in records)
    assert all(r["left_model"] == r["model_a"] for r in records)
    # The file really is unbalanced: the stronger model mostly on the left.
    stronger_left = sum(r["model_a"] < r["model_b"] for r in records) / total
    assert stronger_left > 0.8

    from_db, db_summary = ratings(cli("rank", "--db", db_url, "--format", "json").stdout)
    ranked = cli("rank", "--votes", str(arena), "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    from_file, file_summary = ratings(ranked.stdout)
    assert from_file.keys() == from_db.keys() and len(from_db) == 4
    for name, rating in from_db.items():
        assert abs(from_file[name] - rating) <= 0.5, name
    db_left = db_summary["left_advantage_elo"]["estimate"]
    assert file_summary["left_advantage_elo"]["estimate"] == pytest.approx(db_left, abs=0.5)
    assert db_left > 20  # the term was fitted and found the simulated lean

    # Without the position field, the same votes rank without the term: it says so, and
    # the ratings move by more than the 0.5 Elo the positioned file stays within.
    bare = tmp_path / "bare.jsonl"
    bare.write_text(
        "".join(
            json.dumps({k: v for k, v in r.items() if k != "left_model"}) + "\n" for r in records
        ),
        encoding="utf-8",
    )
    ranked = cli("rank", "--votes", str(bare), "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    unpositioned, bare_summary = ratings(ranked.stdout)
    assert bare_summary["left_advantage_elo"]["estimate"] is None
    assert any("no left_model field" in w for w in bare_summary["warnings"])
    assert max(abs(unpositioned[n] - from_db[n]) for n in from_db) > 5
    engine.dispose()


def test_csv_and_parquet_exports_rank_like_jsonl(db_url: str, tmp_path: Path, cli: Cli) -> None:
    engine = open_database(db_url)
    raters = rating_world(engine, models=3, prompts_per_tier=20, raters=3)
    total = unbalanced_votes(engine, raters, seed=5)
    results = {}
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"pairs.{fmt}"
        done = cli("export", "--db", db_url, "--format", fmt, "--out", str(out))
        assert done.returncode == 0, done.stderr
        ranked = cli("rank", "--votes", str(out), "--format", "json")
        assert ranked.returncode == 0, ranked.stderr
        results[fmt], summary = ratings(ranked.stdout)
        assert summary["votes"] == total
        assert summary["left_advantage_elo"]["estimate"] is not None
    assert results["csv"] == results["jsonl"] == results["parquet"]

    table = pq.read_table(tmp_path / "pairs.parquet")
    assert table.num_rows == total and tuple(table.column_names) == EXPORT_FIELDS
    with (tmp_path / "pairs.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["vote_id"]) for r in rows] == table.column("vote_id").to_pylist()
    assert [r["left_model"] for r in rows] == table.column("model_a").to_pylist()
    engine.dispose()


def test_preference_export_leaves_out_ties_unless_asked(
    db_url: str, tmp_path: Path, cli: Cli
) -> None:
    engine = open_database(db_url)
    raters = rating_world(engine, models=3, prompts_per_tier=10, raters=2)
    unbalanced_votes(engine, raters, seed=7)
    with Session(engine) as s:
        votes = {v.id: v for v in s.exec(select(Vote))}
        texts = {r.id: r.text for r in s.exec(select(Response))}
    decided = {i for i, v in votes.items() if v.choice in ("left", "right")}
    assert 0 < len(decided) < len(votes)

    done = cli("export", "--db", db_url, "--format", "preference")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["vote_id"] for r in records} == decided
    assert row_counts(engine)["preference"] == len(decided)
    for r in records:
        assert tuple(r) == PREFERENCE_FIELDS and r["outcome"] == "preferred"
        vote = votes[r["vote_id"]]
        winner = vote.left_response_id if vote.choice == "left" else vote.right_response_id
        loser = vote.right_response_id if vote.choice == "left" else vote.left_response_id
        assert (r["chosen"], r["rejected"]) == (texts[winner], texts[loser])
        assert r["left_model"] in (r["chosen_model"], r["rejected_model"])

    kept = cli("export", "--db", db_url, "--format", "preference", "--keep-ties")
    records = [json.loads(line) for line in kept.stdout.splitlines()]
    assert len(records) == len(votes) == row_counts(engine)["preference+ties"]
    outcomes = {r["outcome"] for r in records}
    assert outcomes == {"preferred", "tie", "both_bad"}

    bad = cli("export", "--db", db_url, "--format", "jsonl", "--keep-ties")
    assert bad.returncode == 2 and "--keep-ties" in bad.stderr and bad.stdout == ""
    bad = cli("export", "--db", db_url, "--format", "parquet")
    assert bad.returncode == 2 and "--out" in bad.stderr
    engine.dispose()


def test_every_format_carries_the_impression_and_the_left_model(
    db_url: str, tmp_path: Path, cli: Cli
) -> None:
    engine = open_database(db_url)
    [ada] = rating_world(engine, models=3, prompts_per_tier=3, raters=1)
    for k in range(5):
        shown = current_or_next_impression(engine, ada)
        assert shown is not None
        cast_vote(engine, ada, shown.impression_id, ("left", "right", "tie")[k % 3])
    with Session(engine) as s:
        votes = {v.id: v for v in s.exec(select(Vote))}
        models = {r.id: r.model_id for r in s.exec(select(Response))}
        names = {m.id: m.name for m in s.exec(select(Model))}
    assert len(votes) == 5 and all(v.impression_id for v in votes.values())

    def left_name(vote_id: int) -> str:
        return names[models[votes[vote_id].left_response_id]]

    outputs: dict[str, list[dict[str, Any]]] = {}
    for fmt in ("jsonl", "csv", "arena", "preference"):
        extra = ("--keep-ties",) if fmt == "preference" else ()
        done = cli("export", "--db", db_url, "--format", fmt, *extra)
        assert done.returncode == 0, done.stderr
        if fmt == "csv":
            outputs[fmt] = list(csv.DictReader(io.StringIO(done.stdout)))
        else:
            outputs[fmt] = [json.loads(line) for line in done.stdout.splitlines()]
    cli("export", "--db", db_url, "--format", "parquet", "--out", str(tmp_path / "p.parquet"))
    outputs["parquet"] = pq.read_table(tmp_path / "p.parquet").to_pylist()
    for fmt, records in outputs.items():
        assert len(records) == 5, fmt
        for r in records:
            vote = votes[int(r["vote_id"])]
            assert int(r["impression_id"]) == vote.impression_id, fmt
            assert r["left_model"] == left_name(vote.id), fmt
            assert r.get("rater", r.get("judge")) == pseudonym(export_key(engine), ada), fmt
    engine.dispose()


def test_leaderboard_and_scores_export_with_their_cut(
    sqlite_url: str, tmp_path: Path, cli: Cli
) -> None:
    engine = open_database(sqlite_url)
    raters = rating_world(engine, models=3, prompts_per_tier=10, raters=2)
    unbalanced_votes(engine, raters, seed=3)
    rater_name = "s-r1"
    out = tmp_path / "board.json"
    args = ("--db", sqlite_url, "--table", "leaderboard", "--rater", rater_name)
    done = cli("export", *args, "--out", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["table"] == "leaderboard"
    # The cut is in the file, its rater by pseudonym, never by name.
    assert pseudonym(export_key(engine), raters[1]) in document["cut"]
    assert rater_name not in out.read_text(encoding="utf-8")
    rank_args = ("--db", sqlite_url, "--rater", rater_name, "--format", "json")
    ranked, _ = ratings(cli("rank", *rank_args).stdout)
    assert {m["model"]: m["rating"] for m in document["models"]} == ranked

    done = cli("export", "--db", sqlite_url, "--table", "scores", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 3 and next(iter(rows[0])) == "cut"
    assert {r["cut"] for r in rows} == {Cut().describe()}

    bad = cli("export", "--db", sqlite_url, "--table", "scores", "--format", "parquet")
    assert bad.returncode == 2 and "csv or json" in bad.stderr
    engine.dispose()

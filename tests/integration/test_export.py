"""Labelled-pair exports from a real database, through the library and the real CLI."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.config import Settings
from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.engine.run import generate
from blindside.export.pseudonyms import export_key, pseudonym
from blindside.export.records import (
    EXPORT_FIELDS,
    export_schema,
    labelled_batches,
    labelled_pairs,
    labelled_tables,
)
from blindside.export.writers import replaced_atomically, write_csv, write_jsonl, write_parquet
from blindside.leaderboard.board import RankOptions, build_leaderboard
from blindside.pairing import next_impression
from blindside.project import init_project
from blindside.tables import Model, Response, Vote
from blindside.votes import record_vote
from tests.conftest import Cli, rater_id

CHOICES = ("left", "right", "tie", "both_bad")


def cast_votes(engine: Engine, rater: str, n: int, seed: int) -> None:
    """``n`` votes by ``rater`` that prefer longer answers, with some noise and a flag."""
    rng = random.Random(seed)
    voter = rater_id(engine, rater)
    for i in range(n):
        shown = next_impression(engine, voter, rng=rng)
        assert shown is not None
        if rng.random() < 0.2:
            choice = rng.choice(CHOICES)
        else:
            choice = "left" if len(shown.left_text) >= len(shown.right_text) else "right"
        assert record_vote(
            engine,
            voter,
            shown,
            choice,
            dwell_ms=1000 + i,
            flagged=i == 0,
            comment="first one" if i == 0 else None,
        )


def test_each_vote_becomes_one_labelled_pair_with_its_answers_and_models(
    settings: Settings,
) -> None:
    engine, report = init_project(settings, create_db_engine(settings.database_url))
    generate(
        engine,
        report.config,
        settings,
        suite_name="high_stakes",
        model_names=["Demo careful", "Demo erratic"],
    )
    cast_votes(engine, "Ada", 12, seed=1)
    cast_votes(engine, "Grace", 5, seed=2)

    records = list(labelled_pairs(engine))
    with Session(engine) as s:
        votes = {v.id: v for v in s.exec(select(Vote))}
        answers = {r.id: r for r in s.exec(select(Response))}
        models = {m.id: m for m in s.exec(select(Model))}
    assert [r["vote_id"] for r in records] == sorted(votes)
    winners = {"left": "model_a", "right": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
    for record in records:
        assert tuple(record) == EXPORT_FIELDS
        vote = votes[record["vote_id"]]
        left, right = answers[vote.left_response_id], answers[vote.right_response_id]
        # model_a is the answer shown on the left, and the names say "simulated".
        assert record["model_a"] == f"{models[left.model_id].name} (simulated)"
        assert record["model_b"] == f"{models[right.model_id].name} (simulated)"
        assert (record["answer_a"], record["answer_b"]) == (left.text, right.text)
        assert (record["correct_a"], record["correct_b"]) == (left.correct, right.correct)
        assert record["choice"] == vote.choice and record["winner"] == winners[vote.choice]
        assert record["left_model"] == record["model_a"]
        assert record["impression_id"] == vote.impression_id
        assert record["tier"] == 1 and record["suite"] == "high_stakes"
        # The rater is a keyed-hash pseudonym of their id, never their name.
        assert record["rater"] == pseudonym(export_key(engine), vote.rater_id)
        assert record["rater"].startswith("rater-") and len(record["rater"]) == 18
    first = records[0]
    assert first["flagged"] is True and first["comment"] == "first one"
    assert first["dwell_ms"] == 1000

    # Stable: the same database gives the same pseudonyms again.
    assert [r["rater"] for r in labelled_pairs(engine)] == [r["rater"] for r in records]
    assert len({r["rater"] for r in records}) == 2

    # The same cuts as a leaderboard.
    grace = pseudonym(export_key(engine), rater_id(engine, "Grace"))
    assert {r["rater"] for r in labelled_pairs(engine, Cut(raters=("Grace",)))} == {grace}
    assert len(list(labelled_pairs(engine, Cut(raters=("Grace",))))) == 5
    assert len(list(labelled_pairs(engine, Cut(exclude_flagged=True)))) == len(records) - 2
    assert list(labelled_pairs(engine, Cut(tier=2))) == []


@pytest.fixture
def voted_db(demo_db_url: str) -> Iterator[tuple[str, Engine]]:
    engine = create_db_engine(demo_db_url)
    cast_votes(engine, "Ada", 60, seed=3)
    cast_votes(engine, "Grace", 40, seed=4)
    yield demo_db_url, engine
    engine.dispose()


def test_an_export_ranks_like_the_database(
    voted_db: tuple[str, Engine], tmp_path: Path, cli: Cli
) -> None:
    url, engine = voted_db
    out = tmp_path / "pairs.jsonl"
    done = cli("export", "--db", url, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "exported 100 labelled pairs" in done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 100

    ranked = cli("rank", "--votes", str(out), "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    summary = json.loads(ranked.stdout)
    from_file = {m["model"]: m["rating"] for m in summary["models"]}
    # The export says which model was on the left, so the fit has the position term too.
    board = build_leaderboard(engine, Cut(), RankOptions())
    from_db = {r.display_name: r.rating for r in board.rows if r.rating is not None}
    assert from_file.keys() == from_db.keys()
    for name, rating in from_db.items():
        assert from_file[name] == pytest.approx(rating, abs=0.1)
    assert summary["left_advantage_elo"]["estimate"] == pytest.approx(
        board.left_advantage_elo, abs=0.1
    )
    assert not any("left_model" in w for w in summary["warnings"])

    # A file without the field ranks without a position term, and says so.
    bare = tmp_path / "bare.jsonl"
    with bare.open("w") as handle:
        for line in lines:
            record = json.loads(line)
            del record["left_model"]
            handle.write(json.dumps(record) + "\n")
    ranked = cli("rank", "--votes", str(bare))
    assert ranked.returncode == 0, ranked.stderr
    assert "no left_model field" in ranked.stdout and "left-side advantage:" not in ranked.stdout


def test_batches_of_any_size_give_the_same_records_and_plain_parquet_columns(
    voted_db: tuple[str, Engine], tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    _, engine = voted_db
    whole = [row for batch in labelled_batches(engine, messages=True) for row in batch]
    assert len(whole) == 100
    # Small batches let go of prompts and answers and read them again, batch after batch.
    for size in (1, 3, 7):
        rows = labelled_batches(engine, messages=True, batch_rows=size)
        assert [row for batch in rows for row in batch] == whole

    # Batches carry texts dictionary-coded; the file has plain typed columns all the same.
    path = tmp_path / "pairs.parquet"
    with path.open("wb") as out:
        assert write_parquet(labelled_tables(engine, batch_rows=7), out) == 100
    table = pq.read_table(path)
    assert table.schema.equals(export_schema())
    fields = len(EXPORT_FIELDS)
    assert table.to_pylist() == [
        dict(zip(EXPORT_FIELDS, row[:fields], strict=True)) for row in whole
    ]


def test_csv_export_keeps_multi_line_answers_and_cuts_apply(
    voted_db: tuple[str, Engine], cli: Cli
) -> None:
    url, _ = voted_db
    done = cli("export", "--db", url, "--format", "csv", "--rater", "Grace")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    grace = pseudonym(export_key(voted_db[1]), rater_id(voted_db[1], "Grace"))
    assert len(rows) == 40 and {r["rater"] for r in rows} == {grace}
    assert tuple(rows[0]) == EXPORT_FIELDS
    assert any("\n" in r["answer_a"] or "\n" in r["answer_b"] for r in rows)

    bad = cli("export", "--db", url, "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr and bad.stdout == ""


def test_a_failed_export_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    out.write_text('{"previous": true}\n')

    def broken() -> Iterator[dict[str, Any]]:
        yield dict.fromkeys(EXPORT_FIELDS, "x")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError), replaced_atomically(out) as stream:
        write_jsonl(broken(), stream)
    assert out.read_text() == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.jsonl"]  # no temporary left

    with replaced_atomically(out) as stream:
        assert write_csv([dict.fromkeys(EXPORT_FIELDS, 1)], EXPORT_FIELDS, stream) == 1
    assert out.read_text().splitlines()[0] == ",".join(EXPORT_FIELDS)

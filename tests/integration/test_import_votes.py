"""`blindside import votes`: arena battles and blindside's own export, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.export.run import export_votes
from blindside.imports import vote_store
from blindside.imports.votes import VoteDefaults, vote_records
from blindside.leaderboard.board import build_leaderboard
from blindside.rating import cast_vote, current_or_next_impression
from blindside.tables import Pair, Rater, Response, Vote
from tests.conftest import Cli, rater_id


def _battle(question: str, a: str, b: str, winner: str, **extra: object) -> dict:
    return {
        "model_a": a,
        "model_b": b,
        "winner": winner,
        "conversation_a": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": f"{a} says hello to: {question}"},
        ],
        "conversation_b": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": f"{b} answers: {question}"},
        ],
        "turn": 1,
        **extra,
    }


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_arena_battles_become_imported_votes_that_rank(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    battles = [
        _battle("Name a colour.", "alpha", "beta", "model_a", judge="j1", tstamp=1_700_000_000),
        _battle("Name a fruit.", "beta", "gamma", "model_b", judge="j1", tstamp=1_700_000_100),
        _battle("Name a tree.", "alpha", "gamma", "tie", judge="j2"),
        _battle("Name a colour.", "alpha", "beta", "tie (bothbad)", judge="j2"),
    ]
    file = _write(tmp_path / "arena.jsonl", battles)
    db = engine.url.render_as_string(hide_password=False)
    first = cli("import", "votes", str(file), "--db", db)
    assert first.returncode == 0, first.stderr
    assert "4 votes imported, 0 already there" in first.stdout
    with Session(engine) as s:
        votes = s.exec(select(Vote).order_by(Vote.id)).all()
        raters = {r.id: r.name for r in s.exec(select(Rater))}
        answers = s.exec(select(Response)).all()
    # Imported, with their source, by raters named as imported, and no impression.
    assert all(v.imported_from == "jsonl:arena.jsonl" and v.impression_id is None for v in votes)
    assert {raters[v.rater_id] for v in votes} == {"imported: j1", "imported: j2"}
    assert [v.choice for v in votes] == ["left", "right", "tie", "both_bad"]
    assert votes[0].created_at.timestamp() == 1_700_000_000
    # The same answer in two battles is one answer: 'Name a colour.' by alpha and beta.
    assert len(answers) == 6
    assert all(a.imported_from == "jsonl:arena.jsonl" and a.latency_ms is None for a in answers)
    assert _count(engine, Pair) == 3
    board = build_leaderboard(engine)
    assert board.total_votes == 4
    assert {r.name for r in board.rows if r.votes} == {"alpha", "beta", "gamma"}

    again = cli("import", "votes", str(file), "--db", db)
    assert again.returncode == 0, again.stderr
    assert "0 votes imported, 4 already there; 0 new answers, 0 new pairs" in again.stdout
    assert _count(engine, Vote) == 4


def test_bad_vote_records_name_line_and_field_and_write_nothing(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    db = engine.url.render_as_string(hide_password=False)
    good = _battle("Q?", "alpha", "beta", "model_a", judge="j1")
    no_conversation = {k: v for k, v in good.items() if k != "conversation_b"}
    records = [
        good,
        {**good, "winner": "model_c"},
        no_conversation,
        {**good, "model_b": "alpha"},
        {**good, "winner": "model_b"},  # the same judge, the same answers, another verdict
    ]
    file = _write(tmp_path / "bad.jsonl", records)
    result = cli("import", "votes", str(file), "--db", db)
    assert result.returncode == 2
    assert f"{file}:2: field 'winner'" in result.stderr
    assert f"{file}:3: field 'conversation_b': required field is missing" in result.stderr
    assert f"{file}:4: field 'model_b': same model on both sides" in result.stderr
    file = _write(tmp_path / "clash.jsonl", [good, records[-1]])
    result = cli("import", "votes", str(file), "--db", db)
    assert result.returncode == 2
    assert f"{file}:2: field 'winner': the same rater voted differently" in result.stderr
    # Against the database: a stored imported vote is never overturned.
    assert (
        cli("import", "votes", str(_write(tmp_path / "ok.jsonl", [good])), "--db", db).returncode
        == 0
    )
    before = (_count(engine, Vote), _count(engine, Response))
    result = cli("import", "votes", str(_write(tmp_path / "turn.jsonl", [records[-1]])), "--db", db)
    assert result.returncode == 2
    assert "turn.jsonl:1: field 'winner'" in result.stderr
    assert (_count(engine, Vote), _count(engine, Response)) == before


@pytest.fixture
def voted_demo(demo_db_template: Path, tmp_path: Path) -> Engine:
    """A copy of the demo database with 60 votes by two raters, sides as drawn."""
    source = tmp_path / "source.db"  # beside, never in place of, the test's own database
    shutil.copyfile(demo_db_template, source)
    engine = create_db_engine(f"sqlite:///{source}")
    rng = random.Random(7)
    for name in ("Ada", "Linus"):
        rater = rater_id(engine, name)
        for _ in range(30):
            shown = current_or_next_impression(engine, rater)
            assert shown is not None
            choice = rng.choice(["left", "left", "right", "tie", "both_bad"])
            cast_vote(engine, rater, shown.impression_id, choice)
    return engine


def test_an_export_imported_into_a_fresh_database_ranks_the_same(
    voted_demo: Engine, engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "pairs.jsonl"
    count = export_votes(voted_demo, None, "jsonl", out)
    assert count == 60
    db = engine.url.render_as_string(hide_password=False)
    result = cli("import", "votes", str(out), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "60 votes imported" in result.stdout
    source, copy = build_leaderboard(voted_demo, Cut()), build_leaderboard(engine, Cut())
    ratings = {r.display_name: r.rating for r in source.rows if r.rating is not None}
    copied = {r.display_name: r.rating for r in copy.rows if r.rating is not None}
    assert ratings.keys() == copied.keys() and len(ratings) == 4
    for name, rating in ratings.items():
        assert copied[name] == pytest.approx(rating, abs=1e-6)
    assert copy.left_advantage_elo == pytest.approx(source.left_advantage_elo, abs=1e-6)
    with Session(engine) as s:
        raters = {r.name for r in s.exec(select(Rater))}
        votes = s.exec(select(Vote).order_by(Vote.id)).all()
    with Session(voted_demo) as s:
        # The export writes times to the millisecond.
        times = [
            v.created_at.replace(microsecond=v.created_at.microsecond // 1000 * 1000)
            for v in s.exec(select(Vote).order_by(Vote.id))
        ]
    # The export names raters by pseudonym, never by name: two raters, two pseudonyms.
    assert len(raters) == 2 and all(r.startswith("imported: rater-") for r in raters)
    assert [v.created_at for v in votes] == times


def test_bad_export_rows_in_csv_name_line_and_field_and_write_nothing(
    voted_demo: Engine, engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    exported = tmp_path / "pairs.csv"
    export_votes(voted_demo, None, "csv", exported)
    with exported.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    db = engine.url.render_as_string(hide_password=False)
    result = cli("import", "votes", str(_write_csv(tmp_path / "good.csv", rows[:3])), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "3 votes imported" in result.stdout
    before = _count(engine, Vote)
    # Break one field of two records: an unknown choice, a latency that is not a number.
    broken = [{**rows[3], "choice": "sideways"}, {**rows[4], "latency_ms_a": "fast"}]
    bad = _write_csv(tmp_path / "bad.csv", broken)
    # A record's line is where it starts: answers span several lines.
    second = 2 + _write_csv(tmp_path / "one.csv", broken[:1]).read_text().count("\n") - 1
    result = cli("import", "votes", str(bad), "--db", db)
    assert result.returncode == 2
    assert f"{bad}:2: field 'choice'" in result.stderr
    assert f"{bad}:{second}: field 'latency_ms_a': must be a number" in result.stderr
    assert _count(engine, Vote) == before


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _battles(count: int, *, judges: int = 5) -> list[dict]:
    """``count`` battles on count // 2 prompts between four models; a judge's verdict repeats."""
    rng = random.Random(count)
    models = ["alpha", "beta", "gamma", "delta"]
    verdicts: dict[tuple[object, ...], tuple[str, str, str]] = {}
    out = []
    for i in range(count):
        prompt, judge = rng.randrange(max(1, count // 2)), f"j{rng.randrange(judges)}"
        first, second = rng.sample(models, 2)
        key = (prompt, frozenset((first, second)), judge)
        a, b, winner = verdicts.setdefault(
            key, (first, second, rng.choice(["model_a", "model_b", "tie", "tie (bothbad)"]))
        )
        out.append(_battle(f"Question {prompt}?", a, b, winner, judge=judge, tstamp=1e9 + i))
    return out


def _statements(engine: Engine, run: Callable[[], object]) -> int:
    """How many SQL statements ``run`` sends to ``engine``'s database (an executemany is one)."""
    sent = 0

    def count(*_: object) -> None:
        nonlocal sent
        sent += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return sent


def test_votes_are_written_in_batches_not_row_by_row(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statements grow with the batches: 600 votes in batches of 100 take a few dozen."""
    monkeypatch.setattr(vote_store, "_BATCH", 100)
    file = _write(tmp_path / "many.jsonl", _battles(600))

    def run() -> object:
        return vote_store.import_votes(
            engine, lambda: vote_records(file, VoteDefaults()), file=str(file), source="s"
        )

    first = _statements(engine, run)
    votes = _count(engine, Vote)
    assert votes > 500 and _count(engine, Response) > 500
    # Per batch (6 of them): prompts looked up and added, scorers read, answers, pairs and
    # votes added; once: 4 models, 5 raters, the suite and the run looked up and added.
    # 60 when written; row by row it was 9 statements a vote and more (over 5,000).
    assert first <= 40 + 8 * 6, first
    again = _statements(engine, run)
    assert _count(engine, Vote) == votes
    # Again (31 when written): once the lookups, then per batch prompts, pairs, votes read.
    assert again <= 20 + 3 * 6, again


def test_stored_votes_with_another_verdict_are_all_named_and_nothing_is_written(
    engine: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vote_store, "_BATCH", 2)  # the clashes fall into different batches
    db = engine.url.render_as_string(hide_password=False)
    stored = [
        _battle("Q1?", "alpha", "beta", "model_a", judge="j1"),
        _battle("Q2?", "alpha", "gamma", "model_b", judge="j1"),
        _battle("Q3?", "beta", "gamma", "tie", judge="j2"),
    ]
    assert (
        cli("import", "votes", str(_write(tmp_path / "a.jsonl", stored)), "--db", db).returncode
        == 0
    )
    before = (_count(engine, Vote), _count(engine, Response), _count(engine, Pair))
    new = [_battle(f"New {i}?", "alpha", "delta", "tie", judge="j3") for i in range(3)]
    # A judge's name in another case is the same rater: the same vote, not a new one.
    same = {**stored[0], "judge": "J1"}
    turned = [
        same,
        *new,
        {**stored[1], "winner": "model_a"},
        {**stored[2], "winner": "tie (bothbad)"},
    ]
    file = _write(tmp_path / "b.jsonl", turned)
    result = cli("import", "votes", str(file), "--db", db)
    assert result.returncode == 2
    clashes = [line for line in result.stderr.splitlines() if "stored already" in line]
    assert [line.split(f"{file}:")[1].split(":")[0] for line in clashes] == ["5", "6"]
    assert all("field 'winner': this rater's vote on these answers" in c for c in clashes)
    assert (_count(engine, Vote), _count(engine, Response), _count(engine, Pair)) == before

    grown = _write(tmp_path / "c.jsonl", [*stored, *new, same])
    result = cli("import", "votes", str(grown), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "3 votes imported, 3 already there; 6 new answers, 3 new pairs" in result.stdout
    assert _count(engine, Vote) == before[0] + 3

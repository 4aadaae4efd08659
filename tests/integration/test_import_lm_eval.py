"""Real lm-evaluation-harness ``--log_samples`` files import, are scored, paired and ranked.

The two samples files in ``tests/fixtures/lm_eval/`` were written by lm-eval itself, run
against ``blindside serve-demo`` through its ``local-chat-completions`` model type (the
command is in that folder's README.md): one file per demo model, on a four-prompt task.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.leaderboard.board import build_leaderboard
from blindside.rating import cast_vote, current_or_next_impression
from blindside.tables import Model, Pair, Prompt, Response, Run, Vote
from tests.conftest import Cli, rater_id
from tests.processes import blindside

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm_eval"
#: (folder, the model name given with --model)
MODELS = (("careful", "Careful via lm-eval"), ("erratic", "Erratic via lm-eval"))


def samples_file(folder: str) -> Path:
    """The one samples file lm-eval wrote for a model (its name carries the run's time)."""
    (path,) = sorted((FIXTURES / folder).rglob("samples_*.jsonl"))
    return path


def import_fixtures(cli: Cli, db: str) -> list[str]:
    """Import both models' samples files into the task's suite; the outputs printed."""
    outputs = []
    for folder, model in MODELS:
        args = ("import", "responses", str(samples_file(folder)), "--format", "lm-eval",
                "--model", model, "--tier", "1", "--scorer", "numeric", "--db", db)  # fmt: skip
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    return outputs


def test_lm_eval_samples_are_scored_paired_and_ranked(engine: Engine, cli: Cli) -> None:
    db = engine.url.render_as_string(hide_password=False)
    records = [
        json.loads(line) for line in samples_file("careful").read_text().splitlines() if line
    ]
    first, second = import_fixtures(cli, db)
    assert f"{len(records)} answers imported" in first
    assert f"{len(records)} new pairs" in second  # the second model's answers meet the first's
    with Session(engine) as s:
        prompts = s.exec(select(Prompt)).all()
        rows = s.exec(select(Response, Model.name).join(Model)).all()
        run = s.exec(select(Run)).one()
        pairs = s.exec(select(func.count()).select_from(Pair)).one()
    # One prompt per lm-eval document, its text the request's, its reference the target.
    assert len(prompts) == len(records)
    assert {p.reference for p in prompts} == {r["target"] for r in records}
    contexts = {p.text for p in prompts}
    assert all(any(r["doc"]["question"] in c for c in contexts) for r in records)
    assert {p.suite_id for p in prompts} == {run.suite_id} and run.status == "imported"
    # Every answer is lm-eval's raw output, scored by the prompt's scorer.
    answers = {r["resps"][0][0] for r in records}
    assert {resp.text for resp, name in rows if name == MODELS[0][1]} == answers
    assert all(resp.correct is not None for resp, _ in rows)
    assert all(resp.imported_from.startswith("lm-eval:samples_") for resp, _ in rows)
    assert pairs == len(records)
    # Importing the same files again changes nothing.
    again = import_fixtures(cli, db)
    assert all("0 answers imported" in out and "0 new pairs" in out for out in again)

    # Votes on the imported pairs rank the two models, with their scores beside.
    ada = rater_id(engine, "Ada")
    for _ in range(len(records)):
        shown = current_or_next_impression(engine, ada)
        assert shown is not None
        assert shown.left_text in answers or shown.right_text in answers
        cast_vote(engine, ada, shown.impression_id, "left")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Vote)).one() == len(records)
        assert s.exec(select(Vote).where(col(Vote.imported_from).is_not(None))).first() is None
    board = build_leaderboard(engine)
    names = {row.display_name: row for row in board.rows}
    assert set(names) == {model for _, model in MODELS}
    assert all(row.stats.scored == len(records) for row in names.values())
    # lm-eval measured no latency: none is shown, rather than 0 ms.
    assert all(row.stats.mean_latency_ms is None for row in names.values())


def test_bad_lm_eval_records_name_line_and_field_and_write_nothing(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    db = engine.url.render_as_string(hide_password=False)
    lines = samples_file("careful").read_text().splitlines()
    records = [json.loads(line) for line in lines if line]
    records[1]["resps"] = [[[-1.25, False]]]  # what a log-likelihood task logs
    records[1]["filtered_resps"] = [[-1.25, False]]
    del records[2]["arguments"]
    bad = tmp_path / "samples_broken_2026-12-01T10-00-00.000001.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in records) + "{not json\n")
    result = cli("import", "responses", str(bad), "--format", "lm-eval", "--model", "M",
                 "--db", db)  # fmt: skip
    assert result.returncode == 2
    assert f"{bad}:2: field 'resps': holds no generated text" in result.stderr
    assert f"{bad}:3: field 'arguments': required field is missing" in result.stderr
    assert f"{bad}:5: not valid JSON" in result.stderr
    no_model = cli("import", "responses", str(samples_file("careful")), "--format", "lm-eval",
                   "--db", db)  # fmt: skip
    assert no_model.returncode == 2
    assert "--model" in no_model.stderr
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Response)).one() == 0
        assert s.exec(select(func.count()).select_from(Prompt)).one() == 0


def test_import_as_a_real_process(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'process.db'}"
    for folder, model in MODELS:
        done = blindside("import", "responses", str(samples_file(folder)), "--format", "lm-eval",
                         "--model", model, "--db", db, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert "4 new pairs" in done.stdout

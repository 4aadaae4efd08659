"""`blindside import prompts` and `import responses` in process, on SQLite and PostgreSQL.

Every import checks the whole file first: a bad record is one file:line:field message,
exit code 2, and nothing written. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.db import open_database
from blindside.leaderboard.board import build_leaderboard
from blindside.leaderboard.stats import ModelStats, model_stats
from blindside.tables import Model, Pair, Prompt, Response, Run, Suite, Vote
from tests.conftest import Cli


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            table.__name__: s.exec(select(func.count()).select_from(table)).one()
            for table in (Suite, Prompt, Model, Run, Response, Pair, Vote)
        }


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


PROMPTS = [
    {"id": "add", "tier": 1, "category": "math", "text": "What is 2 + 3?", "reference": "5",
     "scorer": {"type": "numeric"}},
    {"id": "mail", "tier": 2, "category": "email", "text": "Write a short thank-you note."},
]  # fmt: skip


def test_import_prompts_jsonl_then_again_changes_nothing(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    file = _write_jsonl(tmp_path / "extra.jsonl", PROMPTS)
    db = _database(engine)
    first = cli("import", "prompts", str(file), "--db", db)
    assert first.returncode == 0, first.stderr
    assert "suite extra: 2 prompts (2 new" in first.stdout
    before = _counts(engine)
    again = cli("import", "prompts", str(file), "--db", db)
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 updated, 2 unchanged" in again.stdout
    assert _counts(engine) == before
    with Session(engine) as s:
        rows = s.exec(select(Prompt).order_by(Prompt.external_id)).all()
    assert [(p.external_id, p.tier, p.reference) for p in rows] == [
        ("add", 1, "5"),
        ("mail", 2, None),
    ]


def test_import_prompts_csv_into_a_named_suite(engine: Engine, cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "prompts.csv"
    file.write_text(
        "id,tier,category,text,reference,scorer\n"
        'add,1,math,"What is 2 + 3?",5,"{""type"": ""numeric""}"\n'
        'poem,2,creative,"A poem\nover two lines",,\n',
        encoding="utf-8",
    )
    result = cli("import", "prompts", str(file), "--suite", "mine", "--db", _database(engine))
    assert result.returncode == 0, result.stderr
    with Session(engine) as s:
        rows = s.exec(
            select(Prompt).join(Suite).where(Suite.name == "mine").order_by(Prompt.external_id)
        ).all()
    assert [(p.external_id, p.tier, p.scorer) for p in rows] == [
        ("add", 1, {"type": "numeric"}),
        ("poem", 2, None),
    ]
    assert rows[1].text == "A poem\nover two lines"


def test_bad_prompt_rows_name_file_line_field_and_write_nothing(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    jsonl = _write_jsonl(
        tmp_path / "bad.jsonl",
        [PROMPTS[0], {**PROMPTS[1], "tier": 7}, {**PROMPTS[1], "id": "add"}],
    )
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(
        'id,tier,category,text,scorer\nok,1,math,"1+1?",\nbroken,1,math,"2+2?","{type:"\n',
        encoding="utf-8",
    )
    db = _database(engine)
    before = _counts(engine)
    result = cli("import", "prompts", str(jsonl), "--db", db)
    assert result.returncode == 2
    assert f"{jsonl}:2: field 'tier'" in result.stderr
    assert f"{jsonl}:3: field 'id': duplicate id" in result.stderr
    result = cli("import", "prompts", str(csv_file), "--db", db)
    assert result.returncode == 2
    assert f"{csv_file}:3: field 'scorer': must be JSON" in result.stderr
    assert _counts(engine) == before


def _answers(model: str, *, latency: bool) -> list[dict]:
    out = []
    for i, (question, right) in enumerate((("What is 2 + 3?", "5"), ("What is 4 + 4?", "8"))):
        answer = right if model == "Team model" else str(int(right) + 1)
        record = {"prompt": question, "reference": right, "model": model,
                  "answer": f"The answer is {answer}."}  # fmt: skip
        if latency:
            record |= {"latency_ms": 100.0 * (i + 1), "output_tokens": 5, "cost_usd": 0.001}
        out.append(record)
    return out


def test_import_responses_scored_paired_nulls_kept_and_idempotent(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    file = _write_jsonl(
        tmp_path / "answers.jsonl",
        _answers("Team model", latency=True) + _answers("Vendor model", latency=False),
    )
    db = _database(engine)
    args = ("import", "responses", str(file), "--suite", "pipeline", "--tier", "1",
            "--scorer", "numeric", "--db", db)  # fmt: skip
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert "4 answers imported, 0 already there; 2 new prompts, 2 new pairs" in first.stdout
    with Session(engine) as s:
        rows = s.exec(select(Response, Model.name).join(Model)).all()
        run = s.exec(select(Run)).one()
        prompts = s.exec(select(Prompt)).all()
    assert run.status == "imported"
    assert {p.tier for p in prompts} == {1}
    assert all(r.imported_from == "jsonl:answers.jsonl" for r, _ in rows)
    correct = {name: sorted(r.correct for r, n in rows if n == name) for _, name in rows}
    assert correct == {"Team model": [True, True], "Vendor model": [False, False]}
    # What was not measured stays NULL: no zero latency, cost or token count appears.
    vendor = [r for r, n in rows if n == "Vendor model"]
    assert {(r.latency_ms, r.cost_usd, r.output_tokens, r.attempts) for r in vendor} == {
        (None, None, None, 0)
    }
    stats = _stats_by_model(engine)
    assert stats["Team model"].mean_latency_ms == pytest.approx(150.0)
    assert stats["Vendor model"].mean_latency_ms is None
    assert stats["Vendor model"].cost_per_task_usd is None
    assert stats["Vendor model"].cost_per_correct_usd is None
    assert stats["Vendor model"].spent_usd is None
    assert stats["Team model"].spent_usd == pytest.approx(0.002)
    assert stats["Team model"].cost_per_correct_usd == pytest.approx(0.001)
    assert stats["Team model"].retries == 0 and stats["Vendor model"].retries == 0
    assert stats["Team model"].accuracy == 1.0 and stats["Vendor model"].accuracy == 0.0
    # Whatever the figures are, they are the file's, not a provider's usage.
    board = {row.display_name: row.stats.cost_source for row in build_leaderboard(engine).rows}
    assert board == {"Team model": "imported 2/2", "Vendor model": "imported 2/2"}

    before = _counts(engine)
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert "0 answers imported, 4 already there; 0 new prompts, 0 new pairs" in again.stdout
    assert _counts(engine) == before


def _stats_by_model(engine: Engine) -> dict[str, ModelStats]:
    stats = model_stats(engine)
    with Session(engine) as s:
        names = dict(s.exec(select(Model.id, Model.name)).all())
    return {names[i]: st for i, st in stats.items()}


def test_responses_csv_by_prompt_id_join_the_suite_prompts(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    db = _database(engine)
    prompts = _write_jsonl(tmp_path / "shared.jsonl", PROMPTS)
    assert cli("import", "prompts", str(prompts), "--db", db).returncode == 0
    file = tmp_path / "answers.csv"
    file.write_text(
        "prompt_id,model,answer,latency_ms,input_tokens,output_tokens,cost_usd\n"
        "add,A,5,120.5,10,1,0.0002\n"
        "add,B,six,,,,\n"
        'mail,A,"Thanks a lot,\nAda",80,12,4,\n'
        "mail,B,Thank you!,95,,,\n",
        encoding="utf-8",
    )
    result = cli("import", "responses", str(file), "--suite", "shared", "--db", db)
    assert result.returncode == 0, result.stderr
    with Session(engine) as s:
        rows = {
            (p, m): r
            for r, p, m in s.exec(
                select(Response, Prompt.external_id, Model.name)
                .join(Prompt, col(Prompt.id) == col(Response.prompt_id))
                .join(Model, col(Model.id) == col(Response.model_id))
            )
        }
        pairs = s.exec(select(func.count()).select_from(Pair)).one()
    assert pairs == 2
    assert rows[("add", "A")].correct is True and rows[("add", "B")].correct is False
    assert rows[("mail", "A")].correct is None  # no scorer on that prompt
    assert rows[("mail", "A")].text == "Thanks a lot,\nAda"
    assert (rows[("add", "A")].latency_ms, rows[("add", "A")].input_tokens) == (120.5, 10)
    assert rows[("mail", "A")].cost_usd is None and rows[("mail", "B")].input_tokens is None
    # The same prompt named by its text is the same prompt: the same answer is not stored again,
    # and another answer under the same key is refused.
    by_text = {"prompt": "What is 2 + 3?", "model": "A", "answer": "5"}
    same = _write_jsonl(tmp_path / "same.jsonl", [by_text])
    result = cli("import", "responses", str(same), "--suite", "shared", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "0 answers imported, 1 already there; 0 new prompts" in result.stdout
    other = _write_jsonl(tmp_path / "other.jsonl", [{**by_text, "answer": "7"}])
    result = cli("import", "responses", str(other), "--suite", "shared", "--db", db)
    assert result.returncode == 2
    assert f"{other}:1: field 'answer'" in result.stderr


def test_bad_response_rows_exit_2_naming_each_and_write_nothing(
    engine: Engine, cli: Cli, tmp_path: Path
) -> None:
    db = _database(engine)
    good = _write_jsonl(tmp_path / "good.jsonl", _answers("Team model", latency=True))
    assert cli("import", "responses", str(good), "--db", db).returncode == 0
    before = _counts(engine)
    jsonl = _write_jsonl(
        tmp_path / "bad.jsonl",
        [
            _answers("X", latency=False)[0],
            {"prompt": "Hi", "model": "X", "answer": "Hello", "latency_ms": -3},
            {"prompt": "Hi", "answer": "Hello"},
            {"prompt": "Hi", "model": "X", "answer": "Hello", "latency": 5},
        ],
    )
    (tmp_path / "bad.csv").write_text(
        "prompt,model,answer,output_tokens\nHi,X,Hello,many\nHi,X\n", encoding="utf-8"
    )
    result = cli("import", "responses", str(jsonl), "--db", db)
    assert result.returncode == 2
    for where in ("2: field 'latency_ms'", "3: field 'model'",
                  "4: field 'latency': unknown field; did you mean 'latency_ms'?"):  # fmt: skip
        assert f"{jsonl}:{where}" in result.stderr
    csv_file = tmp_path / "bad.csv"
    result = cli("import", "responses", str(csv_file), "--db", db)
    assert result.returncode == 2
    assert f"{csv_file}:2: field 'output_tokens'" in result.stderr
    assert f"{csv_file}:3: has 2 cells" in result.stderr
    # Against the database: the same key with another answer is refused, not overwritten,
    # and a prompt id must name a prompt of the suite.
    changed = _answers("Team model", latency=True)
    changed[1]["answer"] = "The answer is 9."
    changed.append({"prompt_id": "nope", "model": "X", "answer": "a"})
    clash = _write_jsonl(tmp_path / "clash.jsonl", changed)
    result = cli("import", "responses", str(clash), "--db", db)
    assert result.returncode == 2
    assert f"{clash}:2: field 'answer'" in result.stderr
    assert f"{clash}:3: field 'prompt_id': no prompt" in result.stderr
    assert _counts(engine) == before


def test_a_bad_file_creates_no_database(cli: Cli, tmp_path: Path) -> None:
    bad = _write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "Hi", "model": "X"}])
    db_path = tmp_path / "never.db"
    result = cli("import", "responses", str(bad), "--db", f"sqlite:///{db_path}")
    assert result.returncode == 2
    assert f"{bad}:1: field 'answer': required field is missing" in result.stderr
    assert not db_path.exists()


def test_imported_answers_beside_generated_ones_say_their_cost_is_imported(
    demo_db_url: str, cli: Cli, tmp_path: Path
) -> None:
    """A model with generated and imported answers: the imported share is named everywhere."""
    answers = [
        {**record, "model": "Demo careful", "cost_usd": 0.002}
        for record in _answers("Team model", latency=True)
    ]
    file = _write_jsonl(tmp_path / "careful_elsewhere.jsonl", answers)
    result = cli("import", "responses", str(file), "--suite", "pipeline", "--db", demo_db_url)
    assert result.returncode == 0, result.stderr
    engine = open_database(demo_db_url)
    try:
        generated = {row.display_name: row.stats for row in build_leaderboard(engine).rows}
    finally:
        engine.dispose()
    careful = generated["Demo careful (simulated)"]
    assert careful.imported_usage == 2 and careful.answers > 2
    assert careful.cost_source == f"imported 2/{careful.answers}"
    # The other models' answers were all generated: none of them is counted as imported.
    assert all(
        stats.imported_usage == 0 and "imported" not in (stats.cost_source or "")
        for name, stats in generated.items()
        if name != "Demo careful (simulated)"
    )

    scores = cli("scores", "--format", "json", "--db", demo_db_url)
    assert scores.returncode == 0, scores.stderr
    sources = {m["model"]: m["cost_source"] for m in json.loads(scores.stdout)["models"]}
    assert sources["Demo careful (simulated)"] == careful.cost_source
    table = cli("scores", "--db", demo_db_url)
    assert table.returncode == 0, table.stderr
    assert f"Demo careful (simulated): {careful.cost_source}" in table.stdout.splitlines()[-1]

"""Automated scores end to end: real HTTP to the demo provider, real database, real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.config import Settings, load_settings
from blindside.cuts import Cut
from blindside.db import create_db_engine
from blindside.demo.profiles import DEMO_PROFILES
from blindside.demo.server import LoopbackServer
from blindside.engine.run import generate
from blindside.leaderboard.board import build_leaderboard
from blindside.leaderboard.stats import model_stats
from blindside.pairing import next_impression
from blindside.project import init_project
from blindside.scorers import score_answer, wilson_interval
from blindside.tables import Model, Prompt, Response
from blindside.votes import record_vote
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli, rater_id


def stats_by_model_id(engine: Engine, cut: Cut) -> dict[str, object]:
    with Session(engine) as s:
        ids = {m.id: m.model_id for m in s.exec(select(Model))}
    return {ids[m]: st for m, st in model_stats(engine, cut).items()}


def test_every_answer_is_scored_and_accuracy_tracks_each_simulated_model(
    settings: Settings,
) -> None:
    engine, report = init_project(settings, create_db_engine(settings.database_url))
    result = generate(
        engine, report.config, settings, suite_name="high_stakes", samples=3, concurrency=16
    )
    assert result.failed <= 0.05 * result.requested
    with Session(engine) as s:
        prompts = {p.id: p for p in s.exec(select(Prompt))}
        rows = s.exec(select(Response).where(Response.run_id == result.run_id)).all()
    scored_prompts = {p for p in {r.prompt_id for r in rows} if prompts[p].scorer}
    assert scored_prompts, "the tier 1 suite has scored prompts"
    for row in rows:
        prompt = prompts[row.prompt_id]
        if row.error is not None or not prompt.scorer:
            assert row.correct is None and row.answer_key is None
            continue
        # What was stored is what the scorer says about the stored text.
        expected = score_answer(row.text, prompt.reference, prompt.scorer)
        assert (row.correct, row.answer_key) == (expected.correct, expected.answer_key)

    stats = stats_by_model_id(engine, Cut(tier=1))
    for model_id in ("careful", "verbose", "fast-cheap"):
        # These present every answer in a form the scorers read; their measured accuracy is
        # a binomial draw around the simulated one (99% Wilson interval).
        s = stats[model_id]
        low, high = wilson_interval(s.correct, s.scored, z=2.576)
        assert low <= DEMO_PROFILES[model_id].accuracy <= high, (model_id, s)
    # The chatty model also buries answers in chatter, which strict scorers fail.
    assert stats["erratic"].accuracy < DEMO_PROFILES["erratic"].accuracy + 0.05
    assert stats["careful"].accuracy > stats["fast-cheap"].accuracy > stats["erratic"].accuracy

    for model_id, s in stats.items():
        assert s.consistency_prompts == len(scored_prompts), model_id
        assert 1 / 3 <= s.consistency <= 1.0
    # Three samples right 92% of the time agree more often than three right 45% of the time.
    assert stats["careful"].consistency > stats["erratic"].consistency


def generated_workspace(
    tmp_path: Path, demo_server: LoopbackServer, models: list[str]
) -> tuple[Settings, Engine]:
    """A copy of the shipped suites, with the tier 3 answers of ``models`` stored."""
    shutil.copy(MODELS_TOML, tmp_path / "models.toml")
    shutil.copytree(SEED_PROMPTS, tmp_path / "seed_prompts")
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'scores.db'}",
        models_path=tmp_path / "models.toml",
        suites_dir=tmp_path / "seed_prompts",
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    engine, report = init_project(settings)
    generate(engine, report.config, settings, suite_name="high_volume", model_names=models)
    return settings, engine


def label_rows(engine: Engine, external_id: str) -> list[Response]:
    with Session(engine) as s:
        prompt = s.exec(select(Prompt).where(Prompt.external_id == external_id)).one()
        return list(s.exec(select(Response).where(Response.prompt_id == prompt.id)))


def test_a_corrected_reference_rescores_the_stored_answers(
    tmp_path: Path, demo_server: LoopbackServer
) -> None:
    settings, engine = generated_workspace(tmp_path, demo_server, ["Demo careful", "Demo verbose"])
    suite_file = tmp_path / "seed_prompts" / "high_volume.jsonl"
    lines = suite_file.read_text().splitlines()
    # A label prompt the model answered right: flip its reference to another label.
    for index, line in enumerate(lines):
        obj = json.loads(line) if line.strip() else None
        if not obj or (obj.get("scorer") or {}).get("type") != "label":
            continue
        rows = label_rows(engine, obj["id"])
        if rows and all(r.correct for r in rows):
            other = next(x for x in obj["scorer"]["labels"] if x != obj["reference"])
            lines[index] = json.dumps({**obj, "reference": other})
            changed = obj["id"]
            break
    else:
        pytest.fail("no label prompt answered right")
    with Session(engine) as s:
        before = {r.id: r.correct for r in s.exec(select(Response))}
    suite_file.write_text("\n".join(lines) + "\n")

    init_project(settings, engine)

    with Session(engine) as s:
        after = {r.id: r.correct for r in s.exec(select(Response))}
    flipped = {r.id for r in label_rows(engine, changed)}
    assert all(after[i] is False for i in flipped)
    assert {i: v for i, v in after.items() if i not in flipped} == {
        i: v for i, v in before.items() if i not in flipped
    }


def test_answers_stored_before_scores_existed_are_scored_on_the_next_start(
    tmp_path: Path, demo_server: LoopbackServer
) -> None:
    settings, engine = generated_workspace(
        tmp_path, demo_server, ["Demo erratic", "Demo fast-cheap"]
    )
    with Session(engine) as s:
        scored = {r.id: (r.correct, r.answer_key) for r in s.exec(select(Response))}
        # As a database upgraded from before migration 0005 holds them.
        s.exec(update(Response).values(correct=None, answer_key=None))  # type: ignore[call-overload]
        s.commit()
    assert any(v[0] is not None for v in scored.values())

    init_project(settings, engine)

    with Session(engine) as s:
        assert {r.id: (r.correct, r.answer_key) for r in s.exec(select(Response))} == scored


def test_scores_command_prints_accuracy_with_intervals(demo_db_url: str, cli: Cli) -> None:
    done = cli("scores", "--db", demo_db_url, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["selection"] == "all answers"
    engine = create_db_engine(demo_db_url)
    stats = model_stats(engine, Cut())
    with Session(engine) as s:
        names = {m.id: m.name for m in s.exec(select(Model))}
    by_name = {r["model"]: r for r in report["models"]}
    for model_id, s in stats.items():
        record = by_name[f"{names[model_id]} (simulated)"]
        assert record["scored"] == s.scored > 0
        assert record["accuracy"] == pytest.approx(s.correct / s.scored, abs=1e-4)
        assert record["accuracy_low"] <= record["accuracy"] <= record["accuracy_high"]
    accuracies = [r["accuracy"] for r in report["models"]]
    assert accuracies == sorted(accuracies, reverse=True)

    table = cli("scores", "--db", demo_db_url, "--tier", "3")
    assert table.returncode == 0, table.stderr
    assert "acc%" in table.stdout and "(simulated)" in table.stdout
    # Tier 2 prompts have no scorer, and there are no tier 2 answers in this database.
    empty = cli("scores", "--db", demo_db_url, "--tier", "2")
    assert empty.returncode == 1 and "no answers in this selection (tier 2)" in empty.stderr


def test_rating_accuracy_correlation_follows_what_raters_reward(demo_db_url: str, cli: Cli) -> None:
    """A rater who prefers the correct answer ranks models as the scorers do; one who prefers
    the wrong answer ranks them the other way round."""
    engine = create_db_engine(demo_db_url)
    with Session(engine) as s:
        correct = {r.id: r.correct for r in s.exec(select(Response))}
    for name, reward in (("honest", True), ("contrarian", False)):
        voter = rater_id(engine, name)
        while (shown := next_impression(engine, voter)) is not None:
            left, right = correct[shown.left_response_id], correct[shown.right_response_id]
            choice = "tie" if left == right else "left" if left is reward else "right"
            assert record_vote(engine, voter, shown, choice)

    honest = build_leaderboard(engine, Cut(raters=("honest",)))
    contrarian = build_leaderboard(engine, Cut(raters=("contrarian",)))
    assert honest.rating_accuracy_models == contrarian.rating_accuracy_models == 4
    assert honest.rating_accuracy_rho > 0.5
    assert contrarian.rating_accuracy_rho < -0.5

    done = cli("rank", "--db", demo_db_url, "--rater", "honest", "--format", "json")
    assert done.returncode == 0, done.stderr
    reported = json.loads(done.stdout)["rating_accuracy_spearman"]
    assert reported == {"rho": round(honest.rating_accuracy_rho, 3), "models": 4}
    table = cli("rank", "--db", demo_db_url, "--rater", "contrarian")
    assert table.returncode == 0, table.stderr
    assert "acc%" in table.stdout
    assert f"Spearman's rho {contrarian.rating_accuracy_rho:+.2f} over 4 models" in table.stdout

"""Answers imported from real lm-eval samples files reach the Vote page and the Leaderboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from blindside.db import open_database
from blindside.imports.answers import AnswerDefaults
from blindside.imports.responses import response_import
from blindside.raters import add_rater
from blindside.ui.vote_panel import button_key
from tests.app.conftest import app_reading, opened_by_link
from tests.integration.test_import_lm_eval import MODELS, samples_file


@pytest.fixture
def imported_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database holding only the two lm-eval files' answers (no demo answers)."""
    url = f"sqlite:///{tmp_path / 'imported.db'}"
    engine = open_database(url)
    for folder, model in MODELS:
        defaults = AnswerDefaults(model=model, tier=1, scorer={"type": "numeric"})
        response_import(samples_file(folder), "lm-eval", defaults).run(engine)
    engine.dispose()
    with app_reading(url, monkeypatch):
        yield url


def test_imported_lm_eval_answers_are_rated_and_ranked(imported_db: str) -> None:
    records = [
        json.loads(line)
        for folder, _ in MODELS
        for line in samples_file(folder).read_text().splitlines()
        if line
    ]
    answers = {r["resps"][0][0] for r in records}
    questions = {r["doc"]["question"] for r in records}
    invite = add_rater(open_database(imported_db), "Ada", "lead")
    at = opened_by_link(invite.token)
    for _ in range(len(questions)):
        shown = at.session_state["impression"]
        # The Vote page shows lm-eval's prompt and the two models' raw outputs, nothing else.
        assert shown.turns[-1][1] in questions
        assert {shown.left_text, shown.right_text} <= answers
        page = " ".join(m.value for m in at.markdown)
        assert not any(model in page for _, model in MODELS)
        at.button(key=button_key("left", shown.impression_id)).click().run()
        assert not at.exception
    assert at.session_state["impression"] is None  # every imported pair was rated
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(frame["Model"]) == {model for _, model in MODELS}
    assert frame["Votes"].sum() == 2 * len(questions)
    assert frame["Scored answers"].eq(len(questions)).all()
    # lm-eval measured no latency: the leaderboard shows none rather than 0 ms.
    assert frame["Mean latency (ms)"].isna().all()
    # The Runs page lists the suite's imported run, marked as such.
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    runs = at.dataframe[0].value
    assert set(runs["Model"]) == {model for _, model in MODELS}
    assert runs["Status"].eq("imported").all()

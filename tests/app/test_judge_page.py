"""The Leaderboard shows an LLM judge's ranking beside the raters', and raters never see it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from blindside.config import load_models_toml, load_settings
from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.demo_votes import simulate_demo_votes
from blindside.judge.run import judge_suite
from blindside.raters import add_rater
from tests.app.conftest import app_reading, opened_by_link
from tests.conftest import MODELS_TOML, SEED_PROMPTS


@pytest.fixture
def judged(
    demo_db_url: str, demo_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The demo database with simulated votes and a simulated judge's verdicts."""
    engine = create_db_engine(demo_db_url)
    simulate_demo_votes(engine, share=0.5)
    settings = load_settings(
        database_url=demo_db_url,
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    judge_suite(
        engine,
        load_models_toml(MODELS_TOML),
        settings,
        suite_name="high_volume",
        judge_name="Demo careful",
        max_pairs=30,
        concurrency=16,
    )
    with app_reading(demo_db_url, monkeypatch):
        yield demo_db_url


def _signed_in(db_url: str, name: str, role: str) -> AppTest:
    return opened_by_link(add_rater(create_db_engine(db_url), name, role).token, timeout=60)


def test_the_leaderboard_shows_the_judge_beside_the_raters(judged: str) -> None:
    at = _signed_in(judged, "Lena", "lead")
    at.switch_page("app_pages/leaderboard.py").run()
    assert not at.exception
    assert "LLM judge beside the raters" in [h.value for h in at.subheader]
    texts = [m.value for m in at.markdown]
    agreement = [t for t in texts if t.startswith("**Agreement with raters:**")]
    bias = [t for t in texts if t.startswith("**Position bias of the judge:**")]
    # One of each on every tab that has ratings (Overall and tier 3: the suite is tier 3).
    assert len(agreement) >= 2 and len(bias) >= 2
    assert "95% CI" in agreement[0] and "κ" in agreement[0]
    assert "answer shown first won" in bias[0] and "where 50% is no bias" in bias[0]
    assert at.selectbox(key="judge_model_all").value == "Demo careful (simulated)"
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Demo careful (simulated): ") and "verdicts" in c for c in captions)


def test_a_rater_page_reads_nothing_of_the_judge(judged: str) -> None:
    at = _signed_in(judged, "Rita", "rater")
    assert not at.exception
    shown = " ".join(
        str(e.value) for kind in ("markdown", "caption", "subheader") for e in getattr(at, kind)
    ).lower()
    # Nothing of the judge: no section, no figure, no reply ("judge the answer" is the
    # vote page's own advice to raters, so the words are matched, not "judge" alone).
    for phrase in ("llm judge", "verdict", "agreement with raters", "position bias", "simulated"):
        assert phrase not in shown, phrase
    assert not any("judge" in (w.key or "") for w in at.selectbox)

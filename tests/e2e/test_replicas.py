"""Two replicas of the app on one PostgreSQL database, eight raters in real browsers.

Four raters sign in on each replica by their own link and vote with the keyboard, round by
round: every rater presses a key, then every page waits for its counter, so the replicas write
at the same time. Each replica keeps its own scheduler counts in process (docs/deploy.md);
the database must still hold every vote once, tied to the impression the rater saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import Session, select

from blindside.config import load_settings
from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.raters import add_rater, invite_link
from blindside.tables import Impression, Vote
from tests.conftest import MODELS_TOML, SEED_PROMPTS
from tests.e2e.conftest import AppServer, assert_blind, wait_ready

REPLICAS = 2
RATERS_PER_REPLICA = 4
VOTES_EACH = 5
# Generous: eight sessions and two servers share two cores.
WAIT_MS = 60_000


@pytest.fixture
def demo_pg_url(postgres_url: str, demo_server: LoopbackServer) -> str:
    """A PostgreSQL database with suites, models and the demo answers of one suite."""
    from blindside.engine.run import generate
    from blindside.project import init_project

    settings = load_settings(
        database_url=postgres_url,
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    engine, report = init_project(settings)
    # In a thread of its own: the module's browser keeps an event loop running on this one,
    # and generation runs its own (asyncio.run).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            generate, engine, report.config, settings, suite_name="high_volume", concurrency=32
        ).result()
    engine.dispose()
    return postgres_url


@pytest.fixture
def replicas(demo_pg_url: str, tmp_path: Path) -> Iterator[list[AppServer]]:
    servers = [AppServer(demo_pg_url, tmp_path) for _ in range(REPLICAS)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _wait_for_pair(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(".st-key-vote_left button:not([disabled])", timeout=WAIT_MS)
    wait_ready(page)


def _wait_for_count(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "n => new RegExp('Votes cast:\\\\s*' + n + '\\\\b').test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        arg=n,
        timeout=WAIT_MS,
    )


def test_eight_raters_on_two_replicas_store_every_vote_once(  # type: ignore[no-untyped-def]
    replicas, chromium_browser
) -> None:
    db_url = replicas[0].db_url
    engine = create_db_engine(db_url)
    contexts = []
    pages = []
    rater_ids: list[int] = []
    try:
        for r in range(REPLICAS * RATERS_PER_REPLICA):
            server = replicas[r % REPLICAS]
            invite = add_rater(engine, f"Rater {r}", "rater")
            rater_ids.append(invite.rater.id)  # type: ignore[arg-type]
            context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(context)
            page = context.new_page()
            page.goto(invite_link(server.base, invite.token))
            pages.append(page)
        for page in pages:
            _wait_for_pair(page)
            assert_blind(page)

        for n in range(1, VOTES_EACH + 1):
            for i, page in enumerate(pages):
                _wait_for_pair(page)
                page.bring_to_front()
                page.keyboard.press("1234"[(n + i) % 4])
            for page in pages:
                _wait_for_count(page, n)
                _wait_for_pair(page)
                assert_blind(page)
    finally:
        for context in contexts:
            context.close()

    with Session(engine) as s:
        votes = s.exec(
            select(Vote.rater_id, Vote.pair_id, Vote.impression_id, Vote.left_response_id)
        ).all()
        impressions = {
            i.id: i
            for i in s.exec(select(Impression).where(Impression.rater_id.in_(rater_ids)))  # type: ignore[union-attr]
        }
    engine.dispose()

    assert len(votes) == len(rater_ids) * VOTES_EACH
    assert Counter(rater for rater, *_ in votes) == dict.fromkeys(rater_ids, VOTES_EACH)
    assert len({(rater, pair) for rater, pair, *_ in votes}) == len(votes), "a pair voted twice"
    for rater, pair, impression_id, left in votes:
        shown = impressions[impression_id]  # every vote has the impression the rater saw
        assert (shown.rater_id, shown.pair_id, shown.left_response_id) == (rater, pair, left)
        assert shown.answered_at is not None
    assert len({impression for _, _, impression, _ in votes}) == len(votes)
    for server in replicas:
        assert "Traceback" not in server.log(), server.log()[-4000:]

"""SIGKILL a real `blindside judge` process midway, run it again: each verdict once.

The judge commits every verdict as it arrives, so a kill loses only the requests in
flight (at most the concurrency); the rerun asks for exactly the verdicts not stored.
Counted against the demo provider's own request log, in a process that outlives the kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from blindside.config import load_settings
from blindside.engine.run import generate
from blindside.project import init_project
from blindside.tables import JudgeVerdict
from tests.conftest import MODELS_TOML, SEED_PROMPTS
from tests.processes import serve_demo_process

PAIRS, CONCURRENCY = 20, 2


@pytest.fixture
def slow_demo() -> Iterator[str]:
    with serve_demo_process("--latency-ms", "150") as url:
        yield url


def _requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_demo/stats") as reply:
        return int(json.loads(reply.read())["requests"])


def _judge(db: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "blindside.cli",
            "judge",
            "--db",
            db,
            "--suite",
            "high_volume",
            "--judge",
            "Demo careful",
            "--pairs",
            str(PAIRS),
            "--concurrency",
            str(CONCURRENCY),
            "--config",
            str(MODELS_TOML),
            "--suites",
            str(SEED_PROMPTS),
        ],
        env={**os.environ, "BLINDSIDE_DEMO_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stored(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(JudgeVerdict)).one()


def test_sigkill_a_judge_midway_then_rerun(tmp_path: Path, slow_demo: str) -> None:
    db = f"sqlite:///{tmp_path / 'judge.db'}"
    settings = load_settings(
        database_url=db,
        models_path=MODELS_TOML,
        suites_dir=SEED_PROMPTS,
        environ={"BLINDSIDE_DEMO_URL": slow_demo},
    )
    engine, report = init_project(settings)
    generate(
        engine,
        report.config,
        settings,
        suite_name="high_volume",
        model_names=["Demo careful", "Demo verbose"],
        concurrency=16,
    )
    before = _requests(slow_demo)
    first = _judge(db, slow_demo)
    deadline = time.monotonic() + 120
    while _stored(engine) < 8:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stored = _stored(engine)
    sent = _requests(slow_demo) - before
    assert 8 <= stored < 2 * PAIRS
    # Every stored verdict was one request; the rest were in flight at the kill.
    assert stored <= sent <= stored + CONCURRENCY

    second = _judge(db, slow_demo)
    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err
    assert f"already done {stored}" in out
    assert f"requested {2 * PAIRS - stored} verdicts" in out
    with Session(engine) as session:
        keys = session.exec(select(JudgeVerdict.pair_id, JudgeVerdict.position)).all()
    assert len(keys) == 2 * PAIRS and len(set(keys)) == 2 * PAIRS
    # Nothing stored before the kill was asked for again.
    assert _requests(slow_demo) - before == sent + 2 * PAIRS - stored

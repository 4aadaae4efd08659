"""SIGKILL a generation midway, run it again: every answer exactly once, nothing paid twice."""

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
from sqlmodel import Session, select

from blindside.db import create_db_engine
from blindside.demo.planning import request_digest
from blindside.engine.journal import journal_dir, read_journal
from blindside.tables import Model, Prompt, Response
from tests.conftest import MODELS_TOML, SEED_PROMPTS
from tests.processes import serve_demo_process

MODELS = "Demo careful,Demo verbose"  # no built-in failures, so every answer can succeed


@pytest.fixture
def slow_demo() -> Iterator[str]:
    """serve-demo in its own process (its request log outlives the killed client)."""
    with serve_demo_process("--latency-ms", "250") as url:
        yield url


def _stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_demo/stats") as reply:
        return json.loads(reply.read())


def _generate(db: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "blindside.cli",
            "generate",
            "--db",
            db,
            "--suite",
            "high_volume",
            "--models",
            MODELS,
            "--concurrency",
            "4",
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


def _digests(engine, keys) -> dict[tuple[int, int, int], str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        prompts = {p.id: p.messages for p in s.exec(select(Prompt))}
        model_ids = {m.id: m.model_id for m in s.exec(select(Model))}
    return {k: request_digest(0, model_ids[k[1]], prompts[k[0]], 0) for k in keys}


def test_sigkill_midway_then_rerun(tmp_path: Path, slow_demo: str) -> None:
    db_path = tmp_path / "crash.db"
    db = f"sqlite:///{db_path}"
    first = _generate(db, slow_demo)
    journal = journal_dir(db)
    deadline = time.monotonic() + 60
    # Kill once a good share of answers is journaled but the run is far from done.
    while sum(1 for p in journal.glob("*.jsonl") for _ in read_journal(p)) < 12:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL

    engine = create_db_engine(db)
    with Session(engine) as s:
        in_db = {
            (r.prompt_id, r.model_id, r.sample)
            for r in s.exec(select(Response).where(Response.error.is_(None)))
        }
    journaled = {
        (r["prompt_id"], r["model_row_id"], r["sample"])
        for p in journal.glob("*.jsonl")
        for r in read_journal(p)
        if r.get("error") is None
    }
    paid_before_kill = in_db | journaled
    n_total = 2 * len((SEED_PROMPTS / "high_volume.jsonl").read_text().splitlines())
    assert 12 <= len(paid_before_kill) < n_total

    second = _generate(db, slow_demo)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert f"recovered {len(journaled)} answers" in out or not journaled

    with Session(engine) as s:
        rows = s.exec(select(Response)).all()
    keys = [(r.prompt_id, r.model_id, r.sample) for r in rows]
    assert len(rows) == n_total and len(set(keys)) == n_total
    assert all(r.error is None and r.text for r in rows)

    served = _stats(slow_demo)["by_digest"]
    digests = _digests(engine, keys)
    # Nothing stored (or journaled) before the kill was requested again...
    for key in paid_before_kill:
        assert served[digests[key]] == 1, key
    # ...and only requests in flight at the kill (at most the concurrency) were served twice.
    assert sum(served[d] - 1 for d in digests.values()) <= 4
    assert not list(journal.glob("*.jsonl"))  # replayed and removed

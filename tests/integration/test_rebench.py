"""`blindside rebench` against the real demo provider: drift made on purpose is caught, named
in the report and posted to a webhook; an unchanged setup stays quiet across 20 seeds. A judge
(``[drift] judge``) adds its preference to what is compared."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session, select

from blindside.db import create_db_engine
from blindside.tables import DriftFinding, Rebench
from tests.conftest import Cli
from tests.integration.drift_world import write_models, write_suite


class Hooks:
    """A loopback webhook receiver: every JSON body posted to it, with its headers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/SECRETPATH"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hooks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_suite(tmp_path / "suites")
    write_models(tmp_path / "models.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLINDSIDE_DEMO_URL", raising=False)
    monkeypatch.setenv("BLINDSIDE_MODELS", str(tmp_path / "models.toml"))
    monkeypatch.setenv("BLINDSIDE_SUITES", str(tmp_path / "suites"))
    monkeypatch.setenv("BLINDSIDE_DEMO_LATENCY_SCALE", "0.5")
    return tmp_path


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    with Hooks() as receiver:
        yield receiver


def _rebench(cli: Cli, monkeypatch: pytest.MonkeyPatch, seed: int, *extra: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BLINDSIDE_DEMO_SEED", str(seed))
    models = "Demo careful,Demo verbose"  # not the judge, when there is one
    return cli("rebench", "--suite", "sums", "--models", models, "--concurrency", "32", *extra)


@pytest.mark.parametrize(
    ("change", "metrics", "samples", "latency_scale", "judge"),
    [
        # 3 samples: 180 answers per model, so a drop from ~0.9 to 0.6 is far beyond noise;
        # the judge, who prefers right answers, prefers Demo careful's less often.
        ("demo = { accuracy = 0.6 }", {"accuracy", "judge_preference"}, "3", "0.2", True),
        # Twice the simulated delays (over a second per answer), well above what a busy
        # machine adds to a loopback request (at load 10-20 a 1x run once read no alert).
        ("demo = { latency_scale = 2.0 }", {"latency_p95"}, "1", "2.0", False),
    ],
)
def test_simulated_drift_is_caught_reported_and_posted(
    project: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    hooks: Hooks,
    db_url: str,
    change: str,
    metrics: set[str],
    samples: str,
    latency_scale: str,
    judge: bool,
) -> None:
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", db_url)
    write_models(project / "models.toml", judge=judge)
    monkeypatch.setenv("BLINDSIDE_DEMO_LATENCY_SCALE", latency_scale)
    first = _rebench(cli, monkeypatch, 1, "--samples", samples)
    assert first.returncode == 0, first.stderr
    assert "no earlier comparable run" in first.stdout

    write_models(project / "models.toml", change, judge=judge)
    monkeypatch.setenv("HOOK_URL", hooks.url)
    second = _rebench(
        cli,
        monkeypatch,
        2,
        "--samples",
        samples,
        "--report",
        str(project / "report"),
        "--webhook",
        "env:HOOK_URL",
    )
    assert second.returncode == 1, second.stdout + second.stderr
    assert "DRIFT Demo careful (simulated), tier 1:" in second.stdout
    # The webhook's path is its key: only its host is ever printed.
    assert "SECRETPATH" not in second.stdout + second.stderr

    report = json.loads((project / "report.json").read_text())
    alerts = [f for f in report["findings"] if f["verdict"] == "drift"]
    # The changed model alerts on the metric changed (a lower accuracy also makes samples
    # disagree more: consistency may alert with it). The unchanged model's answers stay as
    # good (its latency is left out: this machine's own jitter can move a p95, see below).
    assert metrics <= {a["metric"] for a in alerts if a["model"] == "Demo careful"}
    assert not [a for a in alerts if a["model"] == "Demo verbose" and "p95" not in a["metric"]]
    assert "Demo careful (simulated), tier 1" in (project / "report.md").read_text()
    assert report["published"][0]["benchmark"] == "MMLU-Pro"
    compared = {f["metric"] for f in report["findings"]}
    assert ("judge_preference" in compared) is judge
    if judge:
        # The second rebench asked only for its own run's verdicts: the baseline's were kept.
        pairs = 60 * int(samples)
        assert report["judging"]["requested"] == 2 * pairs
        assert report["judging"]["already_done"] == 2 * pairs
        assert "Judge preference: verdicts of Demo judge" in (project / "report.md").read_text()
        assert f"judge Demo judge: {2 * pairs} verdicts asked, {2 * pairs} already stored" in (
            second.stdout
        )

    ((headers, payload),) = hooks.received
    assert headers["Content-Type"] == "application/json"
    assert payload["blindside"]["drifted"] is True
    assert payload["blindside"]["alerts"] == len(alerts)
    assert "Demo careful" in payload["text"]

    engine = create_db_engine(db_url)
    with Session(engine) as session:
        stored = session.exec(select(Rebench).order_by(Rebench.id)).all()
        assert [r.alerts for r in stored] == [0, len(alerts)]
        assert "SECRETPATH" not in json.dumps(stored[-1].report)
        drifted = session.exec(select(DriftFinding).where(DriftFinding.verdict == "drift")).all()
        assert {(f.metric, f.tier) for f in drifted} == {(a["metric"], 1) for a in alerts}
    engine.dispose()


def test_an_unchanged_setup_raises_no_alarm_across_20_seeds(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    # SQLite only: the statistics are the same on both databases, and 21 runs take a while.
    db_url = sqlite_url
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", db_url)
    # Full simulated delays (TTFT p95 ~270 ms): at half of them a load of 9 on 2 cores once
    # moved a p95 TTFT from 136 to 478 ms, beyond even the 3x allowed below.
    monkeypatch.setenv("BLINDSIDE_DEMO_LATENCY_SCALE", "1.0")
    # On a shared 2-core machine a loopback request's p95 moved up to 2.5x between two runs a
    # minute apart with nothing changed (TTFT 579 -> 1,192 ms, measured while other test
    # suites ran): the machine's drift, not the model's. Latency limits here allow 3x; the
    # statistics at the default limits are tested over 200 seeds in tests/unit/test_drift.py.
    write_models(
        project / "models.toml", drift="latency_p95_ratio = 3.0\nttft_p95_ratio = 3.0\n", judge=True
    )
    first = _rebench(cli, monkeypatch, 100)
    assert first.returncode == 0, first.stderr
    codes = []
    for seed in range(20):
        result = _rebench(cli, monkeypatch, seed)
        codes.append(result.returncode)
        assert "DRIFT" not in result.stdout, result.stdout
    assert codes == [0] * 20
    engine = create_db_engine(db_url)
    with Session(engine) as session:
        findings = session.exec(select(DriftFinding)).all()
    engine.dispose()
    # Every rebench compared both models on every metric it could test.
    tested = [f for f in findings if f.verdict != "untested"]
    assert len({f.rebench_id for f in tested}) == 20
    assert {f.metric for f in tested} >= {
        "accuracy",
        "latency_p95",
        "ttft_p95",
        "error_rate",
        "judge_preference",
    }

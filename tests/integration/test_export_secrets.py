"""No rater name and no API key reaches any export format (issue 11's must-show).

A real-kind endpoint (the demo provider over loopback) is keyed with a sentinel API key from
the environment; a rater whose name is a sentinel votes; every vote format, the leaderboard
and the scores (CSV and JSON, also cut by that rater) are exported through the real CLI and
the Export page's own file builder, and every byte is searched for the sentinels (the key,
a secret header value and the rater's name).
"""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.export.run import FORMATS, export_bytes
from blindside.pairing import next_impression
from blindside.votes import record_vote
from tests.conftest import SEED_PROMPTS, Cli, rater_id
from tests.sentinels import keyed_endpoint, models_toml, priced_model, sentinel

KEY_VAR = "BLINDSIDE_TEST_EXPORT_SENTINEL_KEY"
HEADER_VAR = "BLINDSIDE_TEST_EXPORT_SENTINEL_HEADER"


def _models_toml(demo_url: str) -> str:
    return models_toml(
        keyed_endpoint("keyed", demo_url, KEY_VAR, headers_env={"x-gateway-key": HEADER_VAR}),
        priced_model("Keyed careful", "keyed", "careful"),
        priced_model("Keyed erratic", "keyed", "erratic"),
    )


def test_no_rater_name_api_key_or_header_secret_in_any_export(
    tmp_path: Path, demo_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    key = sentinel("sk")
    name = f"Rater Sentinel {uuid.uuid4().hex[:10]}"
    config = tmp_path / "models.toml"
    config.write_text(_models_toml(demo_server.base_url))
    db = f"sqlite:///{tmp_path / 'exports.db'}"
    monkeypatch.setenv(KEY_VAR, key)
    header_secret = sentinel("hdr")
    monkeypatch.setenv(HEADER_VAR, header_secret)
    common = ("--db", db, "--config", str(config), "--suites", str(SEED_PROMPTS))
    assert cli("init", *common).returncode == 0
    done = cli(
        "generate", *common, "--suite", "high_volume", "--models", "Keyed careful,Keyed erratic"
    )
    assert done.returncode == 0, done.stderr

    engine = create_db_engine(db)
    voter = rater_id(engine, name)
    rng = random.Random(1)
    for i in range(12):
        shown = next_impression(engine, voter, rng=rng)
        assert shown is not None
        choice = ("left", "right", "tie", "both_bad")[i % 4]
        assert record_vote(engine, voter, shown, choice, comment="fine" if i == 0 else None)

    files: dict[str, bytes] = {}
    for fmt in FORMATS:
        for cut in ((), ("--rater", name)):
            out = tmp_path / f"votes-{fmt}-{len(cut)}{FORMATS[fmt]}"
            extra = ("--keep-ties",) if fmt == "preference" else ()
            done = cli("export", *common, "--format", fmt, *extra, *cut, "--out", str(out))
            assert done.returncode == 0, done.stderr
            files[out.name] = out.read_bytes()
    for table in ("leaderboard", "scores"):
        for fmt in ("csv", "json"):
            done = cli("export", *common, "--table", table, "--format", fmt, "--rater", name)
            assert done.returncode == 0, done.stderr
            files[f"{table}.{fmt}"] = done.stdout.encode()
    for fmt in FORMATS:  # what the Export page's buttons download
        files[f"page-{fmt}"], count = export_bytes(engine, None, fmt, keep_ties=True)
        assert count == 12

    # Parquet is compressed: search its decoded rows (and its raw bytes, which hold metadata).
    for file in [f for f in files if f.endswith(".parquet") or f == "page-parquet"]:
        table = pq.read_table(io.BytesIO(files[file]))
        files[f"{file} (rows)"] = repr(table.to_pylist()).encode()
    # The exports are real: votes in every file, the rater's pseudonym where a rater is.
    readable = [f for f in files if f.startswith("votes") and not f.endswith(".parquet")]
    assert len(readable) == 10
    assert all(b"Keyed careful" in files[f] for f in readable)
    assert b"rater-" in files["votes-jsonl-0.jsonl"]
    for file, data in files.items():
        assert key.encode() not in data, file
        assert header_secret.encode() not in data, file
        assert name.encode() not in data, file
        assert name.split()[-1].encode() not in data, file
    engine.dispose()

"""Endpoint headers go out on every request, streamed or not; a secret one is stored nowhere.

A recording server (the real demo app behind an ASGI layer that keeps every
request's headers and body) stands in for a gateway such as Portkey. A second
one rejects every request and quotes the secret header back in its error, as a
careless gateway might. Then the database (every text column, SQLite and
PostgreSQL), the log records, the command output and the exports are searched
for the secret value.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, Text, column, inspect, select, table
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from blindside.db import create_db_engine
from blindside.demo.app import create_demo_app
from blindside.demo.server import LoopbackServer
from blindside.pairing import DrawnPair
from blindside.votes import record_vote
from tests.conftest import SEED_PROMPTS, Cli, rater_id

SECRET = f"pk-sentinel-{uuid.uuid4().hex}"
SECRET_VAR = "BLINDSIDE_TEST_PORTKEY_KEY"
PLAIN = {"x-portkey-provider": "openai", "X-Title": "blindside headers test"}


class Recorder:
    """ASGI layer that records (path, headers, body) of each request before the app sees it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append((scope["path"], headers, body))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def echoing_gateway() -> Starlette:
    """Rejects every request, quoting the gateway key it was sent."""

    async def reject(request: Request) -> JSONResponse:
        key = request.headers.get("x-portkey-api-key", "")
        message = f"Invalid x-portkey-api-key: {key}. Check the key {key} and try again"
        return JSONResponse({"error": {"message": message, "type": "auth_error"}}, status_code=401)

    return Starlette(routes=[Route("/v1/chat/completions", reject, methods=["POST"])])


@pytest.fixture
def gateway() -> Iterator[tuple[LoopbackServer, Recorder]]:
    recorder = Recorder(create_demo_app(seed=3, latency_scale=0.02))
    with LoopbackServer(recorder) as server:
        yield server, recorder


@pytest.fixture
def leaky_gateway() -> Iterator[LoopbackServer]:
    with LoopbackServer(echoing_gateway()) as server:
        yield server


def models_toml(gateway_url: str, leaky_url: str) -> str:
    plain = ", ".join(f'"{k}" = "{v}"' for k, v in PLAIN.items())
    return f"""
[[endpoints]]
name = "portkey"
base_url = "{gateway_url}"
headers = {{ {plain} }}
headers_env = {{ "x-portkey-api-key" = "{SECRET_VAR}" }}

[[endpoints]]
name = "portkey-whole"
base_url = "{gateway_url}"
stream = false
headers_env = {{ "x-portkey-api-key" = "{SECRET_VAR}" }}

[[endpoints]]
name = "leaky"
base_url = "{leaky_url}"
headers_env = {{ "x-portkey-api-key" = "{SECRET_VAR}" }}
max_attempts = 1

[[models]]
name = "Routed careful"
endpoint = "portkey"
model_id = "careful"
pricing = {{ input = 1.0, output = 2.0 }}

[[models]]
name = "Routed whole"
endpoint = "portkey-whole"
model_id = "fast-cheap"
pricing = {{ input = 1.0, output = 2.0 }}

[[models]]
name = "Leaky"
endpoint = "leaky"
model_id = "careful"
pricing = {{ input = 1.0, output = 2.0 }}
"""


def vote_on_some_pairs(engine: Engine) -> int:
    """A vote on each of the first pairs, so that exports carry answers and models."""
    with engine.connect() as conn:
        pairs = conn.execute(
            select(column("id"), column("response_a_id"), column("response_b_id"))
            .select_from(table("pair"))
            .order_by(column("id"))
            .limit(5)
        ).all()
    rater = rater_id(engine, "Ada")
    for pair_id, left, right in pairs:
        record_vote(engine, rater, DrawnPair(pair_id, "q", None, left, right, "x", "y"), "left")
    return len(pairs)


def text_columns_dump(engine: Engine) -> str:
    """Every value of every text column of every table, as one string."""
    found: list[str] = []
    inspector = inspect(engine)
    with engine.connect() as conn:
        for name in inspector.get_table_names():
            texts = [
                c["name"]
                for c in inspector.get_columns(name)
                if isinstance(c["type"], String | Text)
            ]
            if not texts:
                continue
            rows = conn.execute(select(*(column(c) for c in texts)).select_from(table(name)))
            found.extend(str(value) for row in rows for value in row if value is not None)
    return "\n".join(found)


def test_configured_headers_are_sent_streamed_and_whole_and_the_secret_is_stored_nowhere(
    tmp_path: Path,
    db_url: str,
    gateway: tuple[LoopbackServer, Recorder],
    leaky_gateway: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    cli: Cli,
) -> None:
    server, recorder = gateway
    config = tmp_path / "models.toml"
    config.write_text(models_toml(server.base_url, leaky_gateway.base_url))
    monkeypatch.setenv(SECRET_VAR, SECRET)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    common = ("--config", str(config), "--suites", str(SEED_PROMPTS))
    models = "Routed careful,Routed whole,Leaky"
    outputs = []
    for args in (
        ["init", "--db", db_url],
        ["generate", "--db", db_url, "--suite", "high_volume", "--models", models],
    ):
        done = cli(*args, *common)
        outputs.append(done.stdout + done.stderr)
    engine = create_db_engine(db_url)
    try:
        assert vote_on_some_pairs(engine) > 0  # so the exports below have rows
    finally:
        engine.dispose()
    for args in (
        ["probe", "Routed careful", "--db", db_url],
        ["rank", "--db", db_url],
        ["scores", "--db", db_url],
        ["export", "--db", db_url, "--out", str(tmp_path / "pairs.jsonl")],
        ["export", "--db", db_url, "--out", str(tmp_path / "pairs.csv")],
    ):
        done = cli(*args, *common)
        outputs.append(done.stdout + done.stderr)

    # Every chat request carried the headers, as headers: streamed and whole alike.
    chats = [(h, json.loads(b)) for path, h, b in recorder.requests if path.endswith("tions")]
    streamed = [(h, b) for h, b in chats if b.get("stream")]
    whole = [(h, b) for h, b in chats if not b.get("stream")]
    assert streamed and whole
    for headers, body in chats:
        assert headers["x-portkey-api-key"] == SECRET
        if body["model"] == "careful":
            assert {k.lower(): v for k, v in PLAIN.items()}.items() <= headers.items()
        assert SECRET not in json.dumps(body)
        assert "extra_headers" not in body

    # The leaky gateway really did quote the secret back, so a message was stored...
    generated = outputs[1]
    assert "auth" in generated
    # ...and the probe says what it sent, with the secret masked.
    assert "x-portkey-api-key=***" in outputs[2]
    assert "x-portkey-provider=openai" in outputs[2]

    engine = create_db_engine(db_url)
    try:
        dump = text_columns_dump(engine)
    finally:
        engine.dispose()
    assert "Invalid x-portkey-api-key" in dump  # the stored error, redacted
    assert SECRET not in dump
    for text in outputs:
        assert SECRET not in text
    assert caplog.records  # the run did log (the SDK's and httpx's records included)
    assert SECRET not in caplog.text
    exports = [tmp_path / "pairs.jsonl", tmp_path / "pairs.csv"]
    assert all(len(p.read_text().splitlines()) >= 2 for p in exports)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "models.toml"]
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path


def test_a_credential_written_as_a_header_exits_2_naming_file_line_and_field(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "models.toml"
    text = models_toml("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1").replace(
        'headers = { "x-portkey-provider"', 'headers = { "x-api-key" = "SUPERSECRET-123456", "a b"'
    )
    config.write_text(text)
    monkeypatch.chdir(tmp_path)
    done = cli("validate", "--config", str(config), "--suites", str(SEED_PROMPTS))
    assert done.returncode == 2
    line = next(i + 1 for i, ln in enumerate(text.splitlines()) if "x-api-key" in ln)
    assert f"models.toml:{line}: field 'headers.x-api-key'" in done.stderr
    assert f"models.toml:{line}: field 'headers.a b'" in done.stderr
    assert "SUPERSECRET" not in done.stdout + done.stderr
    assert not list(tmp_path.glob("*.db"))  # nothing written

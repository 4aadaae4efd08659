"""A real LiteLLM proxy in front of the demo provider: what blindside reads through a router.

The proxy (``litellm --config``, from its own venv: see the Makefile and
``requirements-litellm.txt``) starts offline (``LITELLM_LOCAL_MODEL_COST_MAP``)
with its own retries off, in front of the demo app with injected faults:

- ``verbose`` answers half of its attempts with a 429 and ``Retry-After: 1``,
  which the proxy forwards only as ``llm_provider-retry-after``: each retry
  after a 429 comes at least one second after it;
- ``erratic`` always answers with malformed JSON, which the proxy wraps in a
  500 (whole) or a stream error event with code "500": ``bad_response``;
- ``fast-cheap`` sends no usage in streams, so the proxy makes up its own
  counts: the answers are marked ``router``, while the same model asked
  directly is ``estimated``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from blindside.config import FaultConfig
from blindside.db import create_db_engine
from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import load_demo_knowledge
from blindside.demo.server import LoopbackServer
from blindside.tables import Model, Response
from tests.conftest import ROOT, SEED_PROMPTS, Cli, require_or_skip

pytestmark = [pytest.mark.litellm, pytest.mark.timeout(900)]

KEY_VAR = "BLINDSIDE_TEST_LITELLM_KEY"
RETRY_AFTER_S = 1.0
STARTUP_S = 300.0


def litellm_binary() -> Path:
    """The proxy's executable: ``BLINDSIDE_LITELLM_BIN``, or the Makefile's shared venv."""
    if os.environ.get("BLINDSIDE_LITELLM_BIN"):
        return Path(os.environ["BLINDSIDE_LITELLM_BIN"])
    pinned = (ROOT / "requirements-litellm.txt").read_text()
    version = re.search(r"^litellm\[proxy\]==(\S+)$", pinned, re.MULTILINE)
    assert version is not None, "requirements-litellm.txt pins litellm[proxy]==VERSION"
    return Path.home() / ".cache" / "blindside" / f"litellm-{version[1]}" / "bin" / "litellm"


class ArrivalLog:
    """ASGI layer: when each chat request reached the demo app, and what the app answered.

    ``events`` holds (arrival, answer start, model, messages digest, status): the digest
    tells apart the attempts of one request from those of another.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.events: list[tuple[float, float, str, str, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        request = json.loads(body)
        digest = hashlib.sha256(json.dumps(request.get("messages")).encode()).hexdigest()
        sent_body = False

        async def replay() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def record(message: Any) -> None:
            if message["type"] == "http.response.start":
                started = time.monotonic()
                model = str(request.get("model"))
                self.events.append((arrived, started, model, digest, message["status"]))
            await send(message)

        await self.app(scope, replay, record)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[LoopbackServer, ArrivalLog]]:
    app = create_demo_app(
        seed=5,
        latency_scale=0.02,
        knowledge=load_demo_knowledge(sorted(SEED_PROMPTS.glob("*.jsonl"))),
        model_faults={
            "verbose": FaultConfig(rate=0.5, kinds=("429",), retry_after_s=RETRY_AFTER_S),
            "erratic": FaultConfig(rate=1.0, kinds=("malformed",)),
        },
    )
    log = ArrivalLog(app)
    with LoopbackServer(log) as server:
        yield server, log


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def litellm_proxy(
    upstream: tuple[LoopbackServer, ArrivalLog], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, master key) of a LiteLLM proxy in front of the demo app."""
    binary = litellm_binary()
    if not binary.exists():
        require_or_skip(f"no LiteLLM proxy at {binary} (make .venv/.installed-test builds it)")
    server, _ = upstream
    folder = tmp_path_factory.mktemp("litellm")
    entries = []
    for model in ("careful", "fast-cheap", "verbose", "erratic"):
        prices = ", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002"
        entries.append(
            f"  - model_name: {model}\n"
            f'    litellm_params: {{model: openai/{model}, api_base: "{server.base_url}", '
            f"api_key: demo-key{prices if model == 'careful' else ''}}}\n"
        )
    config = folder / "config.yaml"
    config.write_text(
        "model_list:\n"
        + "".join(entries)
        + "litellm_settings:\n  num_retries: 0\n  request_timeout: 60\n"
    )
    key = f"sk-{secrets.token_hex(16)}"
    port = _free_port()
    env = {
        **os.environ,
        "LITELLM_MASTER_KEY": key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no cost map fetched from the internet
    }
    log_path = folder / "proxy.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the LiteLLM proxy exited: {log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health/liveliness", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the LiteLLM proxy did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"{base}/v1", key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def models_toml(proxy_url: str, demo_url: str) -> str:
    def model(name: str, endpoint: str, model_id: str) -> str:
        return (
            f'\n[[models]]\nname = "{name}"\nendpoint = "{endpoint}"\nmodel_id = "{model_id}"\n'
            "pricing = { input = 1.0, output = 2.0 }\n"
        )

    return (
        f'[[endpoints]]\nname = "litellm"\nbase_url = "{proxy_url}"\napi_key_env = "{KEY_VAR}"\n'
        "max_attempts = 4\nbackoff_base_s = 0.01\nbackoff_max_s = 0.05\n"
        f'\n[[endpoints]]\nname = "litellm-whole"\nbase_url = "{proxy_url}"\n'
        f'api_key_env = "{KEY_VAR}"\nstream = false\nmax_attempts = 2\nbackoff_base_s = 0.01\n'
        f'\n[[endpoints]]\nname = "direct"\nbase_url = "{demo_url}"\n'
        + model("Routed careful", "litellm-whole", "careful")
        + model("Routed fast", "litellm", "fast-cheap")
        + model("Routed limited", "litellm", "verbose")
        + model("Routed broken", "litellm", "erratic")
        + model("Routed broken whole", "litellm-whole", "erratic")
        + model("Direct fast", "direct", "fast-cheap")
        + model("Direct careful", "direct", "careful")
    )


def answers(engine: Engine) -> dict[str, list[Response]]:
    with Session(engine) as session:
        rows = session.execute(select(Model.name, Response).join(Response)).all()
    found: dict[str, list[Response]] = {}
    for name, response in rows:
        found.setdefault(name, []).append(response)
    return found


def test_blindside_reads_the_signals_a_litellm_proxy_passes_on(
    tmp_path: Path,
    db_url: str,
    upstream: tuple[LoopbackServer, ArrivalLog],
    litellm_proxy: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    server, arrivals = upstream
    proxy_url, key = litellm_proxy
    config = tmp_path / "models.toml"
    config.write_text(models_toml(proxy_url, server.base_url))
    monkeypatch.setenv(KEY_VAR, key)
    common = ("--config", str(config), "--suites", str(SEED_PROMPTS))
    assert cli("init", "--db", db_url, *common).returncode == 0
    arrivals.events.clear()
    names = "Routed careful,Routed fast,Routed limited,Routed broken,Routed broken whole"
    done = cli(
        "generate", "--db", db_url, "--suite", "high_volume", "--concurrency", "8",
        "--models", names + ",Direct fast,Direct careful", *common,
    )  # fmt: skip
    assert key not in done.stdout + done.stderr

    engine = create_db_engine(db_url)
    try:
        stored = answers(engine)
    finally:
        engine.dispose()

    # A 429 with Retry-After: 1, forwarded as llm_provider-retry-after: the next attempt of
    # the same request reached the upstream at least one second after the 429 went out.
    limited = sorted(e for e in arrivals.events if e[2] == "verbose")
    assert {status for *_, status in limited} == {200, 429}
    by_request: dict[str, list[tuple[float, float, int]]] = {}
    for arrived, answered, _, digest, status in limited:
        by_request.setdefault(digest, []).append((arrived, answered, status))
    gaps = [
        later[0] - earlier[1]
        for attempts in by_request.values()
        for earlier, later in itertools.pairwise(attempts)
        if earlier[2] == 429
    ]
    assert gaps, "some verbose request was rate limited and retried"
    assert min(gaps) >= RETRY_AFTER_S
    for answer in stored["Routed limited"]:
        # Through in the end, or rate limited on every one of its 4 attempts.
        assert answer.error is None or (answer.error_class, answer.attempts) == ("rate_limit", 4)
        assert answer.retry_wait_ms >= 1000 * RETRY_AFTER_S * (answer.attempts - 1)
    assert sum(r.error is None for r in stored["Routed limited"]) > len(by_request) / 2
    # The proxy itself retried nothing: the upstream saw exactly blindside's attempts.
    assert len(limited) == sum(r.attempts for r in stored["Routed limited"])

    # A malformed upstream answer, wrapped by the proxy, is a bad response, streamed or not.
    for name in ("Routed broken", "Routed broken whole"):
        classes = {r.error_class for r in stored[name]}
        assert classes == {"bad_response"}, (name, {r.error for r in stored[name]})

    # Usage the proxy made up is the router's; the same model asked directly is estimated.
    routed_fast = stored["Routed fast"]
    assert routed_fast and all(r.error is None for r in routed_fast)
    assert {r.usage_source for r in routed_fast} == {"router"}
    assert not any(r.tokens_estimated for r in routed_fast)
    assert {r.usage_source for r in stored["Direct fast"]} == {"estimated"}
    assert {r.usage_source for r in stored["Direct careful"]} == {"provider"}
    # The proxy's cost header is kept beside blindside's own cost; request ids are stored.
    routed_careful = stored["Routed careful"]
    assert {r.usage_source for r in routed_careful} == {"router"}
    assert all(r.router_cost_usd and r.router_cost_usd > 0 for r in routed_careful)
    assert all(r.cost_usd and r.cost_usd > 0 for r in routed_careful)
    assert all(r.request_id for r in routed_careful + stored["Direct careful"])
    assert all(r.router_cost_usd is None for r in stored["Direct careful"])

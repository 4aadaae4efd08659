"""An API key never reaches the database, the journal, the output or the page.

A sentinel key is set in the environment for a real-kind endpoint; one endpoint
answers normally, another rejects the key and echoes it back in its error
message, as some providers do. Then everything blindside wrote or printed is
searched for the sentinel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from streamlit.testing.v1 import AppTest

from blindside.db import create_db_engine, open_database
from blindside.demo.server import LoopbackServer
from blindside.raters import add_rater
from tests.conftest import ROOT, SEED_PROMPTS, Cli
from tests.sentinels import keyed_endpoint, models_toml, priced_model, sentinel

SENTINEL = sentinel("sk")
KEY_VAR = "BLINDSIDE_TEST_SENTINEL_KEY"


def echoing_app() -> Starlette:
    """A provider that rejects every key and quotes it back (like a careless real one)."""

    async def reject(request: Request) -> JSONResponse:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        body = {
            "error": {
                "message": f"Incorrect API key provided: {key}",
                "type": "auth",
                "code": "invalid_api_key",
            }
        }
        return JSONResponse(body, status_code=401)

    return Starlette(routes=[Route("/v1/chat/completions", reject, methods=["POST"])])


@pytest.fixture
def echo_server() -> Iterator[LoopbackServer]:
    with LoopbackServer(echoing_app()) as server:
        yield server


def _models_toml(demo_url: str, echo_url: str) -> str:
    return models_toml(
        keyed_endpoint("keyed", demo_url, KEY_VAR),
        keyed_endpoint("leaky", echo_url, KEY_VAR, max_attempts=1),
        priced_model("Keyed careful", "keyed", "careful"),
        priced_model("Leaky", "leaky", "whatever"),
    )


def test_sentinel_key_never_leaks(
    tmp_path: Path,
    demo_server: LoopbackServer,
    echo_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    (tmp_path / "models.toml").write_text(_models_toml(demo_server.base_url, echo_server.base_url))
    db = f"sqlite:///{tmp_path / 'secrets.db'}"
    monkeypatch.setenv(KEY_VAR, SENTINEL)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for args in (
        ["init", "--db", db],
        ["generate", "--db", db, "--suite", "high_volume", "--models", "Keyed careful,Leaky"],
        ["probe", "Keyed careful", "--db", db],
        ["rank", "--db", db],
        ["scores", "--db", db],
        ["export", "--db", db, "--out", str(tmp_path / "pairs.jsonl")],
    ):
        done = cli(*args, "--config", str(tmp_path / "models.toml"), "--suites", str(SEED_PROMPTS))
        outputs.append(done.stdout + done.stderr)
    generate_output = outputs[1]
    # The leaky endpoint really did fail on the key, so its message was stored...
    assert "auth" in generate_output
    # ...but the key is in no output, no database file and no journal.
    for text in outputs:
        assert SENTINEL not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "models.toml"]
    assert any(p.name.startswith("secrets.db") for p in written)
    for path in written:
        assert SENTINEL.encode() not in path.read_bytes(), path

    # The pages a lead opens show the stored errors and models, never the key.
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", db)
    monkeypatch.setenv("BLINDSIDE_MODELS", str(tmp_path / "models.toml"))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["invite"] = add_rater(create_db_engine(db), "Ada", "admin").token
    at.run()
    for page in ("app_pages/runs.py", "app_pages/leaderboard.py", "app_pages/vote.py"):
        at.switch_page(page).run()
        assert not at.exception
        rendered = repr([e.value for e in at.main if hasattr(e, "value")])
        rendered += "".join(str(df.value.to_dict()) for df in at.dataframe)
        assert SENTINEL not in rendered, page
    st.cache_resource.clear()
    st.cache_data.clear()


PASSWORD = "S3cr@tPW"  # in a URL: S3cr%40tPW, a percent-escape


def _sign_in_page(monkeypatch: pytest.MonkeyPatch, database_url: str, invite: str) -> AppTest:
    """The app with ``database_url`` configured, opened by the sign-in link of ``invite``."""
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", database_url)
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["invite"] = invite
    at.run()
    st.cache_resource.clear()
    return at


def test_a_database_password_with_a_percent_escape_signs_in(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    url = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    assert "S3cr%40tPW@" in url
    invite = add_rater(open_database(url), "Ada").token
    at = _sign_in_page(monkeypatch, url, invite)
    assert not at.exception and not at.error
    assert "Signed in as **Ada**" in at.sidebar.caption[0].value


def test_an_unusable_database_is_named_on_the_sign_in_page_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _sign_in_page(
        monkeypatch, "postgresql+psycopg://postgres:S3cr%40tPW@127.0.0.1:1/test", "any-link"
    )
    assert not at.exception
    [error] = at.error
    assert "postgresql+psycopg://postgres:***@127.0.0.1:1/test" in error.value
    rendered = repr([e.value for e in at.main if hasattr(e, "value")])
    assert "S3cr" not in rendered

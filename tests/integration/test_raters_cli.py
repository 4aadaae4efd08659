"""`blindside raters ...` in process (one real process too), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from blindside.db import create_db_engine
from blindside.raters import redeem_invite, resume_session, token_hash
from blindside.roles import Role
from tests.conftest import Cli
from tests.processes import blindside

LINK = re.compile(r"^http://127\.0\.0\.1:8501/\?invite=([A-Za-z0-9_-]{43})$")


def _token(output: str) -> str:
    """The token of the link on the last line of ``raters add`` (or ``link``)."""
    found = LINK.match(output.rstrip("\n").splitlines()[-1])
    assert found, output
    return found.group(1)


def _database_text(url: str) -> str:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM rater")).fetchall())
    engine.dispose()
    return dump


@pytest.fixture(autouse=True)
def _no_env_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLINDSIDE_BASE_URL", raising=False)


def test_add_prints_a_one_time_link_last_and_stores_only_its_hash(cli: Cli, db_url: str) -> None:
    done = cli("raters", "add", "Ada  Lovelace", "--role", "admin", "--db", db_url)
    assert done.returncode == 0, done.stderr
    assert "Ada Lovelace (admin)" in done.stdout
    token = _token(done.stdout)

    listed = cli("raters", "list", "--db", db_url)
    assert listed.returncode == 0
    header, row = listed.stdout.splitlines()
    assert header.split() == ["name", "role", "created", "signed", "in", "revoked"]
    assert row.startswith("Ada Lovelace  admin  ")
    stored = _database_text(db_url)
    for shown in (listed.stdout, listed.stderr, stored):
        assert token not in shown
    assert token_hash(token) not in listed.stdout
    assert token_hash(token) in stored

    engine = create_db_engine(db_url)
    signed = redeem_invite(engine, token)
    assert resume_session(engine, signed.session_token) == signed.rater
    engine.dispose()
    assert signed.session_token not in _database_text(db_url)
    listed = cli("raters", "list", "--db", db_url)
    assert signed.session_token not in listed.stdout
    assert listed.stdout.splitlines()[1].split()[-1] == "-"  # signed in, not revoked


def test_the_base_url_comes_from_the_flag_or_the_setting(
    cli: Cli, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = cli("raters", "add", "a", "--db", sqlite_url, "--base-url", "https://x.example/bs/")
    assert done.stdout.splitlines()[-1].startswith("https://x.example/bs/?invite=")
    monkeypatch.setenv("BLINDSIDE_BASE_URL", "http://evals.internal:9000")
    done = cli("raters", "link", "A", "--db", sqlite_url)
    assert done.stdout.splitlines()[-1].startswith("http://evals.internal:9000/?invite=")
    done = cli("raters", "add", "b", "--db", sqlite_url, "--base-url", "evals.internal")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: --base-url")
    assert "b " not in cli("raters", "list", "--db", sqlite_url).stdout  # nothing written


def test_role_revoke_and_link(cli: Cli, db_url: str) -> None:
    first = _token(cli("raters", "add", "Grace", "--db", db_url).stdout)
    done = cli("raters", "role", "grace", "lead", "--db", db_url)
    assert (done.returncode, done.stdout) == (0, "Grace is now lead\n")

    second = _token(cli("raters", "link", "GRACE", "--db", db_url).stdout)
    assert second != first
    engine = create_db_engine(db_url)
    signed = redeem_invite(engine, second)
    assert signed.rater.role is Role.LEAD

    done = cli("raters", "revoke", "Grace", "--db", db_url)
    assert done.returncode == 0 and done.stdout.startswith("revoked Grace")
    assert resume_session(engine, signed.session_token) is None
    engine.dispose()
    row = cli("raters", "list", "--db", db_url).stdout.splitlines()[1]
    assert row.split()[:2] == ["Grace", "lead"] and row.split()[-1] != "-"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("raters", "add", "ada lovelace"), "error: the name 'ada lovelace' is taken"),
        (("raters", "add", "Bob", "--role", "boss"), "error: unknown role 'boss'"),
        (("raters", "add", "   "), "error: a rater needs a name"),
        (("raters", "role", "Ada Lovelace", "owner"), "error: unknown role 'owner'"),
        (("raters", "role", "Nobody", "lead"), "error: no rater named 'Nobody'"),
        (("raters", "revoke", "Nobody"), "error: no rater named 'Nobody'"),
        (("raters", "link", "Nobody"), "error: no rater named 'Nobody'"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    cli: Cli, sqlite_url: str, args: tuple[str, ...], message: str
) -> None:
    assert cli("raters", "add", "Ada Lovelace", "--db", sqlite_url).returncode == 0
    done = cli(*args, "--db", sqlite_url)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert len(cli("raters", "list", "--db", sqlite_url).stdout.splitlines()) == 2


def test_a_revoked_rater_gets_no_new_link(cli: Cli, sqlite_url: str) -> None:
    cli("raters", "add", "Mallory", "--db", sqlite_url)
    cli("raters", "revoke", "Mallory", "--db", sqlite_url)
    done = cli("raters", "link", "Mallory", "--db", sqlite_url)
    assert (done.returncode, done.stderr) == (2, "error: 'Mallory' is revoked\n")


def test_list_with_no_raters_says_how_to_add_one(cli: Cli, sqlite_url: str) -> None:
    done = cli("raters", "list", "--db", sqlite_url)
    assert done.returncode == 0 and "blindside raters add" in done.stdout


def test_raters_add_in_a_real_process(sqlite_url: str) -> None:
    done = blindside("raters", "add", "Ada", "--role", "lead", "--db", sqlite_url)
    assert done.returncode == 0, done.stderr
    token = _token(done.stdout)
    assert token not in _database_text(sqlite_url)


def test_admin_link_adds_admin_once_and_never_ends_a_session(cli: Cli, db_url: str) -> None:
    """What `make run` prints at each start: the first adds "admin", later ones re-link it."""
    first = cli("raters", "admin-link", "--db", db_url, "--base-url", "http://127.0.0.1:8642")
    assert first.returncode == 0, first.stderr
    link = first.stdout.rstrip("\n").splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8642/?invite=")  # the port make run serves on
    engine = create_db_engine(db_url)
    signed = redeem_invite(engine, link.rsplit("=", 1)[1])
    assert (signed.rater.name, signed.rater.role) == ("admin", Role.ADMIN)

    again = cli("raters", "admin-link", "--db", db_url)
    assert again.returncode == 0, again.stderr
    token = _token(again.stdout)
    listed = cli("raters", "list", "--db", db_url).stdout.splitlines()
    assert len(listed) == 2  # header and the one admin: no second admin was added
    # A new link for the admin leaves their open session signed in, until it is redeemed.
    assert resume_session(engine, signed.session_token) == signed.rater
    assert redeem_invite(engine, token).rater.id == signed.rater.id
    engine.dispose()


def test_admin_link_uses_the_oldest_admin(cli: Cli, db_url: str) -> None:
    cli("raters", "add", "Grace", "--db", db_url)
    cli("raters", "add", "Ada", "--role", "admin", "--db", db_url)
    done = cli("raters", "admin-link", "--db", db_url)
    assert done.returncode == 0, done.stderr
    assert "Sign in as Ada (admin)" in done.stdout
    assert redeem_invite(create_db_engine(db_url), _token(done.stdout)).rater.name == "Ada"

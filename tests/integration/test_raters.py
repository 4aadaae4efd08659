"""Raters on SQLite and PostgreSQL: one-time links, sessions, revocation, roles, names."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.raters import (
    INVITE_LIFETIME,
    SESSION_LIFETIME,
    RaterError,
    add_rater,
    end_session,
    find_rater,
    issue_invite,
    list_raters,
    redeem_invite,
    resume_session,
    revoke_rater,
    set_role,
    sign_up,
    token_hash,
)
from blindside.roles import Role
from blindside.tables import Rater

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _dump(engine: Engine) -> str:
    """Every value of the rater table, as text."""
    with engine.connect() as conn:
        return repr(conn.execute(text("SELECT * FROM rater")).fetchall())


def test_an_invite_signs_in_once_and_only_its_hash_is_stored(engine: Engine) -> None:
    invite = add_rater(engine, "Ada Lovelace", "lead", now=T0)
    assert (invite.rater.name, invite.rater.role) == ("Ada Lovelace", Role.LEAD)
    assert invite.expires_at == T0 + INVITE_LIFETIME
    stored = _dump(engine)
    assert invite.token not in stored
    assert token_hash(invite.token) in stored

    signed = redeem_invite(engine, invite.token, now=T0 + timedelta(hours=1))
    assert signed.rater.id == invite.rater.id
    assert signed.rater.signed_in_at == T0 + timedelta(hours=1)
    assert signed.expires_at == T0 + timedelta(hours=1) + SESSION_LIFETIME
    stored = _dump(engine)
    assert signed.session_token not in stored
    assert token_hash(signed.session_token) in stored
    assert token_hash(invite.token) not in stored  # spent

    with pytest.raises(RaterError, match="not valid"):
        redeem_invite(engine, invite.token, now=T0 + timedelta(hours=2))


def test_a_session_survives_reloads_until_it_expires(engine: Engine) -> None:
    invite = add_rater(engine, "Grace", now=T0)
    signed = redeem_invite(engine, invite.token, now=T0)
    for later in (timedelta(0), timedelta(days=1), SESSION_LIFETIME - timedelta(seconds=1)):
        rater = resume_session(engine, signed.session_token, now=T0 + later)
        assert rater is not None and rater.name == "Grace"
    assert resume_session(engine, signed.session_token, now=T0 + SESSION_LIFETIME) is None
    assert resume_session(engine, invite.token, now=T0) is None  # an invite is no session
    assert resume_session(engine, "made-up", now=T0) is None
    assert resume_session(engine, None) is None


def test_signing_out_ends_the_session(engine: Engine) -> None:
    signed = redeem_invite(engine, add_rater(engine, "Linus", now=T0).token, now=T0)
    end_session(engine, signed.session_token)
    assert resume_session(engine, signed.session_token, now=T0) is None
    end_session(engine, "unknown")  # nothing to end: no error


def test_an_expired_invite_is_refused(engine: Engine) -> None:
    invite = add_rater(engine, "Barbara", now=T0)
    with pytest.raises(RaterError, match="expired"):
        redeem_invite(engine, invite.token, now=T0 + INVITE_LIFETIME)


def test_a_new_link_replaces_the_unused_one_and_a_new_sign_in_the_old_session(
    engine: Engine,
) -> None:
    first = add_rater(engine, "Edsger", now=T0)
    second = issue_invite(engine, "edsger", now=T0)
    with pytest.raises(RaterError, match="not valid"):
        redeem_invite(engine, first.token, now=T0)
    laptop = redeem_invite(engine, second.token, now=T0)

    # Issuing a link leaves a live session alone; redeeming it replaces the session.
    third = issue_invite(engine, "Edsger", now=T0)
    assert resume_session(engine, laptop.session_token, now=T0) is not None
    phone = redeem_invite(engine, third.token, now=T0)
    assert resume_session(engine, laptop.session_token, now=T0) is None
    assert resume_session(engine, phone.session_token, now=T0) is not None


def test_a_link_redeemed_twice_at_once_signs_in_once(engine: Engine) -> None:
    invite = add_rater(engine, "Tony", now=T0)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def redeem() -> None:
        barrier.wait()
        try:
            redeem_invite(engine, invite.token, now=T0)
            outcomes.append("in")
        except RaterError:
            outcomes.append("refused")

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["in"] + ["refused"] * 5


def test_revoked_raters_cannot_sign_in_and_their_votes_stay(engine: Engine) -> None:
    signed = redeem_invite(engine, add_rater(engine, "Mallory", now=T0).token, now=T0)
    pending = issue_invite(engine, "Mallory", now=T0)
    rater = revoke_rater(engine, "  mallory ", now=T0 + timedelta(minutes=5))
    assert rater.revoked and rater.revoked_at == T0 + timedelta(minutes=5)
    assert resume_session(engine, signed.session_token, now=T0) is None
    with pytest.raises(RaterError, match="not valid"):
        redeem_invite(engine, pending.token, now=T0)
    with pytest.raises(RaterError, match="revoked"):
        issue_invite(engine, "Mallory", now=T0)
    # Revoking again keeps the first time; the rater row (and so their votes) stays.
    assert revoke_rater(engine, "Mallory", now=T0 + timedelta(days=1)).revoked_at == (
        T0 + timedelta(minutes=5)
    )
    assert [r.name for r in list_raters(engine)] == ["Mallory"]


def test_set_role_changes_what_the_next_page_load_sees(engine: Engine) -> None:
    signed = redeem_invite(engine, add_rater(engine, "Ken", now=T0).token, now=T0)
    assert set_role(engine, "KEN", "admin").role is Role.ADMIN
    rater = resume_session(engine, signed.session_token, now=T0)
    assert rater is not None and rater.role is Role.ADMIN
    with pytest.raises(RaterError, match="unknown role"):
        set_role(engine, "Ken", "owner")
    with pytest.raises(RaterError, match="no rater named 'Dennis'"):
        set_role(engine, "Dennis", "lead")


def test_names_differing_only_in_case_or_spacing_are_one_rater(engine: Engine) -> None:
    add_rater(engine, "Ada Tester", now=T0)
    for other in ("ada tester", "ADA  TESTER", " Ada Tester "):
        with pytest.raises(RaterError, match="taken"):
            add_rater(engine, other, now=T0)
    assert find_rater(engine, "ada tester").name == "Ada Tester"
    with Session(engine) as session:
        assert session.exec(select(Rater.name_key)).all() == ["ada tester"]


def test_the_database_refuses_a_second_rater_with_the_same_key(engine: Engine) -> None:
    """The unique key holds even for a writer that skips the library's check."""
    from sqlalchemy.exc import IntegrityError

    add_rater(engine, "Ada Tester", now=T0)
    with pytest.raises(IntegrityError), Session(engine) as session:
        session.add(Rater(name="ada tester", name_key="ada tester"))
        session.commit()


def test_add_rater_checks_its_input(engine: Engine) -> None:
    with pytest.raises(RaterError, match="unknown role"):
        add_rater(engine, "Ada", "boss")
    with pytest.raises(RaterError, match="needs a name"):
        add_rater(engine, "  ")
    assert list_raters(engine) == []


def test_open_sign_up_is_refused_unless_turned_on(engine: Engine) -> None:
    with pytest.raises(RaterError, match="off"):
        sign_up(engine, "Newcomer", None)
    with pytest.raises(RaterError, match="raters only"):
        sign_up(engine, "Newcomer", "admin")
    assert list_raters(engine) == []

    signed = sign_up(engine, "Newcomer", "rater", now=T0)
    assert signed.rater.role is Role.RATER
    assert resume_session(engine, signed.session_token, now=T0) == signed.rater


def test_open_sign_up_never_signs_in_as_someone_who_exists(engine: Engine) -> None:
    add_rater(engine, "Ada Lovelace", "admin", now=T0)
    with pytest.raises(RaterError, match="taken"):
        sign_up(engine, "ada lovelace", "rater", now=T0)
    assert [(r.name, r.role) for r in list_raters(engine)] == [("Ada Lovelace", Role.ADMIN)]


def test_migration_0006_keys_names_and_renames_later_case_duplicates(db_url: str) -> None:
    """Before 0006 "Ada Tester" and "ada tester" could both sign up: the later one becomes
    "ada tester #2", still nameable, with their votes still theirs."""
    from alembic import command

    from blindside.db import alembic_config, create_db_engine, schema_drift, upgrade_schema

    engine = create_db_engine(db_url)
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:
        for name in ("Ada Tester", "ada  tester", "Grace", "ADA TESTER"):
            conn.execute(
                text(
                    "INSERT INTO rater (name, role, created_at) "
                    "VALUES (:name, 'rater', CURRENT_TIMESTAMP)"
                ),
                {"name": name},
            )
    upgrade_schema(engine)
    assert schema_drift(engine) == []
    with Session(engine) as session:
        rows = session.exec(select(Rater.id, Rater.name, Rater.name_key).order_by(Rater.id))
        assert [tuple(row) for row in rows] == [
            (1, "Ada Tester", "ada tester"),
            (2, "ada tester #2", "ada tester #2"),
            (3, "Grace", "grace"),
            (4, "ADA TESTER #4", "ada tester #4"),
        ]
    assert find_rater(engine, "Ada Tester #4").id == 4
    assert all(not r.revoked and not r.excluded for r in list_raters(engine))
    engine.dispose()

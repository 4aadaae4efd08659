"""OIDC sign-in's rater rows on SQLite and PostgreSQL, and the role table as config."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from blindside.oidc_raters import OidcIdentity, oidc_rater
from blindside.oidc_roles import parse_oidc_roles
from blindside.raters import (
    RaterError,
    add_rater,
    list_raters,
    revoke_rater,
    set_role,
    sign_up,
)
from blindside.roles import Role
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli
from tests.processes import blindside

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROLES = parse_oidc_roles(
    '[roles]\n"ada@example.com" = "admin"\n"@example.com" = "rater"\n', file="oidc_roles.toml"
)


def who(email: str, verified: bool = True) -> OidcIdentity:
    return OidcIdentity(provider="default", email=email, email_verified=verified)


def test_the_first_sign_in_creates_the_rater_named_by_the_address(engine: Engine) -> None:
    first = oidc_rater(engine, who("Rita@Example.com"), ROLES, signing_in=True, now=T0)
    assert (first.name, first.role, first.created_at, first.signed_in_at) == (
        "rita@example.com",
        Role.RATER,
        T0,
        T0,
    )
    # Every later run finds the same row, and writes nothing unless signing in.
    later = T0 + timedelta(hours=1)
    again = oidc_rater(engine, who("rita@example.com"), ROLES, now=later)
    assert again.id == first.id and again.signed_in_at == T0
    reload = oidc_rater(engine, who("rita@example.com"), ROLES, signing_in=True, now=later)
    assert reload.signed_in_at == later
    assert [r.name for r in list_raters(engine)] == ["rita@example.com"]


def test_the_role_follows_the_table(engine: Engine) -> None:
    assert oidc_rater(engine, who("ada@example.com"), ROLES).role is Role.ADMIN
    demoted = parse_oidc_roles('[roles]\n"@example.com" = "lead"\n', file="oidc_roles.toml")
    assert oidc_rater(engine, who("ada@example.com"), demoted).role is Role.LEAD
    # `raters role` applies until the next page run, when the table decides again.
    set_role(engine, "ada@example.com", "rater")
    assert oidc_rater(engine, who("ada@example.com"), demoted).role is Role.LEAD
    assert [r.role for r in list_raters(engine)] == [Role.LEAD]


def test_refused_accounts_get_no_rater_row(engine: Engine) -> None:
    for identity in (who("eve@elsewhere.org"), who("mallory@example.com", verified=False)):
        with pytest.raises(RaterError):
            oidc_rater(engine, identity, ROLES)
    assert list_raters(engine) == []


def test_revocation_is_honoured_for_oidc_raters(engine: Engine) -> None:
    oidc_rater(engine, who("rita@example.com"), ROLES)
    revoke_rater(engine, "Rita@example.com")
    with pytest.raises(RaterError, match=r"rita@example\.com is revoked"):
        oidc_rater(engine, who("rita@example.com"), ROLES, signing_in=True)
    # Revoked before their first sign-in: an admin can shut an address out in advance.
    add_rater(engine, "tom@example.com")
    revoke_rater(engine, "tom@example.com")
    with pytest.raises(RaterError, match="revoked"):
        oidc_rater(engine, who("tom@example.com"), ROLES)
    assert all(r.revoked for r in list_raters(engine))


def test_an_admin_added_address_is_the_same_rater(engine: Engine) -> None:
    added = add_rater(engine, "ada@example.com", "rater").rater
    signed = oidc_rater(engine, who("ADA@example.com"), ROLES)
    assert signed.id == added.id and signed.role is Role.ADMIN


def test_name_only_sign_up_cannot_take_an_address(engine: Engine) -> None:
    with pytest.raises(RaterError, match="kept for e-mail sign-in"):
        sign_up(engine, "rita@example.com", "rater")
    assert list_raters(engine) == []


def test_two_tabs_signing_in_at_once_make_one_rater(engine: Engine) -> None:
    barrier = threading.Barrier(6)
    ids: list[int] = []
    errors: list[BaseException] = []

    def sign_in() -> None:
        barrier.wait()
        try:
            ids.append(oidc_rater(engine, who("rita@example.com"), ROLES, signing_in=True).id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids) == 6 and len(set(ids)) == 1
    assert len(list_raters(engine)) == 1


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(MODELS_TOML, tmp_path / "models.toml")
    shutil.copytree(SEED_PROMPTS, tmp_path / "seed_prompts")
    return tmp_path


def test_a_bad_role_table_stops_validate_and_init_with_exit_2(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("BLINDSIDE_OIDC_ROLES", raising=False)
    assert cli("validate").returncode == 0  # no table: OIDC sign-in refuses everyone
    table = workdir / "oidc_roles.toml"
    table.write_text('[roles]\n"@example.com" = "rater"\n"ada@example.com" = "boss"\n')
    result = cli("validate")
    assert result.returncode == 2
    assert "oidc_roles.toml:3: field 'roles.ada@example.com': unknown role 'boss'" in result.stderr
    db = workdir / "fresh.db"
    done = blindside("init", "--db", f"sqlite:///{db}", cwd=workdir)
    assert done.returncode == 2, done.stderr
    assert "oidc_roles.toml:3: field 'roles.ada@example.com'" in done.stderr
    assert not db.exists()  # nothing half written
    table.write_text('[roles]\n"@example.com" = "rater"\n')
    assert cli("validate").returncode == 0


def test_a_named_table_that_is_missing_is_an_error(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("BLINDSIDE_OIDC_ROLES", str(workdir / "sso" / "roles.toml"))
    result = cli("validate")
    assert result.returncode == 2
    assert f"{workdir / 'sso' / 'roles.toml'}: cannot read the OIDC role table" in result.stderr

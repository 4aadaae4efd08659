"""The OIDC role table: which address gets which role, and every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from blindside.errors import InputError
from blindside.oidc_raters import OidcIdentity, checked_email
from blindside.oidc_roles import (
    NO_ROLES,
    ProviderOptions,
    load_oidc_roles,
    parse_oidc_roles,
    read_oidc_roles,
)
from blindside.raters import RaterError
from blindside.roles import Role

TABLE = """\
# who may sign in through the company's provider
[roles]
"ada@example.com" = "admin"
"Grace@Example.com" = "lead"
"@example.com" = "rater"
"@partner.example.org" = "rater"
"boss@partner.example.org" = "Lead"

[providers.okta]
label = "Okta"
trust_email = true
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InputError) as caught:
        parse_oidc_roles(text, file="oidc_roles.toml")
    assert all(p.file == "oidc_roles.toml" for p in caught.value.problems)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_exact_address_wins_over_its_domain_and_case_is_ignored() -> None:
    roles = parse_oidc_roles(TABLE, file="oidc_roles.toml")
    assert roles.role_for("ada@example.com") is Role.ADMIN
    assert roles.role_for("  ADA@EXAMPLE.COM ") is Role.ADMIN
    assert roles.role_for("grace@example.com") is Role.LEAD
    assert roles.role_for("someone@example.com") is Role.RATER
    assert roles.role_for("boss@partner.example.org") is Role.LEAD
    assert roles.role_for("other@partner.example.org") is Role.RATER


def test_an_address_the_table_does_not_map_has_no_role() -> None:
    roles = parse_oidc_roles(TABLE, file="oidc_roles.toml")
    # Another domain, a subdomain, a domain that only ends like one, no address at all.
    for email in (
        "eve@elsewhere.org",
        "ada@mail.example.com",
        "ada@notexample.com",
        "example.com",
        "@example.com",
        "",
    ):
        assert roles.role_for(email) is None, email
    assert NO_ROLES.role_for("ada@example.com") is None


def test_provider_options_and_labels() -> None:
    roles = parse_oidc_roles(TABLE, file="oidc_roles.toml")
    assert roles.options("okta") == ProviderOptions("Okta", True)
    assert roles.options("google") == ProviderOptions(None, False)
    assert roles.label("okta") == "Okta"
    assert roles.label("keycloak") == "Keycloak"
    assert roles.label("default") == "single sign-on"


def test_every_problem_is_reported_with_its_line_and_field() -> None:
    text = """\
[roles]
"ada@example.com" = "owner"
"*@example.com" = "rater"
"example.com" = "rater"
"@exa mple.com" = "rater"
"bob@example.com" = 3
"ADA@example.com" = "rater"
"@EXAMPLE.org" = "rater"
"@example.org" = "lead"

[providers.my_sso]
label = ""
trust_email = "yes"
trusted = true

[sign_in]
x = 1
"""
    found = problems(text)
    lines = {field: line for line, field, _ in found}
    assert lines == {
        "sign_in": 16,
        "roles.ada@example.com": 2,
        "roles.*@example.com": 3,
        "roles.example.com": 4,
        "roles.@exa mple.com": 5,
        "roles.bob@example.com": 6,
        "roles.ADA@example.com": 7,
        "roles.@example.org": 9,
        "providers.my_sso": 11,
        "providers.my_sso.label": 12,
        "providers.my_sso.trust_email": 13,
        "providers.my_sso.trusted": 14,
    }
    messages = {field: message for _, field, message in found}
    assert messages["roles.ada@example.com"] == (
        "unknown role 'owner': choose one of rater, lead, admin"
    )
    assert messages["roles.*@example.com"].startswith("no wildcards")
    assert "did you mean 'trust_email'" in messages["providers.my_sso.trusted"]
    assert "case is ignored" in messages["roles.ADA@example.com"]
    assert messages["providers.my_sso.trust_email"] == (
        "[providers.my_sso]: 'trust_email' must be true or false, got a string"
    )
    assert len(found) == len(lines)  # one problem each


def test_a_syntax_error_names_its_line() -> None:
    found = problems('[roles]\n"ada@example.com" = "admin"\n"@example.com" = rater\n')
    assert [(line, field) for line, field, _ in found] == [(3, "")]
    assert found[0][2].startswith("TOML syntax error")


def test_roles_and_providers_must_be_tables() -> None:
    found = problems('roles = "rater"\nproviders = ["okta"]\n')
    assert [(line, field) for line, field, _ in found] == [(1, "roles"), (2, "providers")]


def test_files_absent_unreadable_and_required(tmp_path: Path) -> None:
    missing = tmp_path / "oidc_roles.toml"
    assert read_oidc_roles(missing, required=False) is NO_ROLES
    with pytest.raises(InputError) as caught:
        read_oidc_roles(missing, required=True)
    assert caught.value.problems[0].file == str(missing)
    assert "cannot read the OIDC role table" in caught.value.problems[0].message
    missing.write_text(TABLE)
    assert load_oidc_roles(missing).role_for("x@example.com") is Role.RATER
    assert load_oidc_roles(missing).path == str(missing)


def identity(email: str | None, verified: bool = True, provider: str = "default") -> OidcIdentity:
    return OidcIdentity(provider=provider, email=email, email_verified=verified)


def test_checked_email_needs_a_verified_mapped_address() -> None:
    roles = parse_oidc_roles(TABLE, file="oidc_roles.toml")
    assert checked_email(identity("Ada@Example.com"), roles) == ("ada@example.com", Role.ADMIN)
    with pytest.raises(RaterError, match=r"eve@elsewhere\.org has no role here"):
        checked_email(identity("eve@elsewhere.org"), roles)
    with pytest.raises(RaterError, match=r"has not verified ada@example\.com"):
        checked_email(identity("ada@example.com", verified=False), roles)
    with pytest.raises(RaterError, match="sent no e-mail address"):
        checked_email(identity(None), roles)
    # A provider the admin trusts needs no email_verified claim.
    assert checked_email(identity("x@example.com", False, "okta"), roles)[1] is Role.RATER
    with pytest.raises(RaterError, match="no role here"):
        checked_email(identity("x@example.com"), NO_ROLES)


def test_identity_from_claims() -> None:
    claims = {"email": " ada@example.com ", "email_verified": True, "provider": "okta"}
    assert OidcIdentity.from_claims(claims, "default") == identity("ada@example.com", True, "okta")
    # The string form some providers send; anything else is not a verification.
    for value, verified in (("true", True), ("false", False), (1, False), (None, False)):
        got = OidcIdentity.from_claims({"email": "a@b.c", "email_verified": value}, "default")
        assert got.email_verified is verified, value
        assert got.provider == "default"
    assert OidcIdentity.from_claims({"email": ""}, "default").email is None

"""Sign-in through an OIDC provider (``st.login``) in Chromium, against a real provider.

The provider is :mod:`tests.oidc_provider` on a loopback port: discovery, authorize, token
(RS256 ID token), JWKS. The app server reads a ``secrets.toml`` whose ``[auth]`` points at
it (``STREAMLIT_SECRETS_FILES``) and a role table (``BLINDSIDE_OIDC_ROLES``), both in the
test's folder. Every request the browser makes outside loopback is aborted and recorded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from blindside.db import create_db_engine
from blindside.raters import list_raters, revoke_rater
from tests.e2e.conftest import AppServer, wait_ready
from tests.oidc_provider import OidcProvider, TestUser, secrets_toml

COUNTER = ".st-key-votes_cast_counter"
BUTTON = "Sign in with Test SSO"
ROLES = """\
[roles]
"@example.com" = "rater"
"lead@example.com" = "lead"

[providers.default]
label = "Test SSO"
"""
# Set to a folder to keep screenshots of the sign-in page and a refusal.
SHOTS = os.environ.get("BLINDSIDE_E2E_SHOTS")


@pytest.fixture
def oidc_app(demo_db_template: Path, tmp_path: Path) -> Iterator[tuple[AppServer, OidcProvider]]:
    """An app server with ``[auth]`` configured, and the provider it trusts."""
    db = tmp_path / "blindside.db"
    shutil.copyfile(demo_db_template, db)
    secrets_file = tmp_path / "secrets.toml"
    roles_file = tmp_path / "oidc_roles.toml"
    server = AppServer(
        f"sqlite:///{db}",
        tmp_path,
        env={"STREAMLIT_SECRETS_FILES": str(secrets_file), "BLINDSIDE_OIDC_ROLES": str(roles_file)},
    )
    callback = f"{server.base}/oauth2callback"
    provider = OidcProvider(callback)
    with provider.serve():
        secrets_file.write_text(secrets_toml(provider, callback))
        roles_file.write_text(ROLES)
        server.start()
        try:
            yield server, provider
        finally:
            server.stop()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def _app_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='stApp']").inner_text()


def _assert_no_page_list(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
    assert page.locator(COUNTER).count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in _app_text(page)


def _sign_in_page(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the sign-in page; check it offers the provider and shows nothing else."""
    page.get_by_role("button", name=BUTTON).wait_for(timeout=30_000)
    wait_ready(page)
    assert "sign-in link" in _app_text(page)
    _assert_no_page_list(page)


def _refused(page, reason: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for a refusal naming ``reason``, with its sign-out button and no page list."""
    page.get_by_text(reason).wait_for(timeout=30_000)
    wait_ready(page)
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.get_by_role("button", name=BUTTON).count() == 0
    _assert_no_page_list(page)


def _votes_of(db_url: str, name: str) -> int:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM vote JOIN rater ON rater.id = vote.rater_id "
                    "WHERE rater.name = :name"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        engine.dispose()


def test_a_mapped_address_signs_in_votes_and_revocation_shuts_it_out(  # type: ignore[no-untyped-def]
    oidc_app: tuple[AppServer, OidcProvider], loopback_page
) -> None:
    server, provider = oidc_app
    page, outside = loopback_page
    provider.user = TestUser("Rita@Example.com", name="Rita")
    # Before sign-in, every address is the sign-in page, now with the provider's button.
    for path in ("/leaderboard", "/vote", "/"):
        page.goto(server.base + path)
        _sign_in_page(page)
    _shot(page, "signin_oidc")

    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_selector(COUNTER, timeout=30_000)
    wait_ready(page)
    # The provider really issued a token for this account, and the app is on Vote.
    assert [claims["email"] for claims in provider.issued] == ["Rita@Example.com"]
    assert provider.pkce == [True]  # the code was bound to a PKCE (S256) verifier
    listed = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    assert [t.strip().splitlines()[-1] for t in listed] == ["Vote", "My votes"], listed
    assert "rita@example.com (rater)" in page.locator("[data-testid='stSidebar']").inner_text()
    page.wait_for_selector(".st-key-vote_left button:not([disabled])", timeout=30_000)
    page.keyboard.press("1")
    page.wait_for_function(
        "() => /Votes cast:\\s*1\\b/.test("
        "document.querySelector('.st-key-votes_cast_counter')?.innerText || '')",
        timeout=15_000,
    )
    assert _votes_of(server.db_url, "rita@example.com") == 1

    # A lead's page typed by address: refused by the page's own check.
    page.goto(server.base + "/leaderboard")
    page.get_by_role("heading", name="Not available").wait_for(timeout=30_000)

    # A reload keeps the account (Streamlit's signed cookie); no second token is needed.
    page.goto(server.base + "/")
    page.wait_for_selector(COUNTER, timeout=30_000)
    assert len(provider.issued) == 1

    # Revoked: the next page load refuses the account, although the provider vouches for it.
    engine = create_db_engine(server.db_url)
    revoke_rater(engine, "rita@example.com")
    page.reload()
    _refused(page, "rita@example.com is revoked here")
    assert [r.name for r in list_raters(engine) if r.revoked] == ["rita@example.com"]
    engine.dispose()
    assert outside == []


def test_an_unmapped_or_unverified_address_is_refused(  # type: ignore[no-untyped-def]
    oidc_app: tuple[AppServer, OidcProvider], loopback_page, tmp_path: Path
) -> None:
    server, provider = oidc_app
    page, outside = loopback_page
    provider.user = TestUser("eve@elsewhere.org")
    page.goto(server.base + "/vote")
    _sign_in_page(page)
    page.get_by_role("button", name=BUTTON).click()
    _refused(page, "eve@elsewhere.org has no role here")
    _shot(page, "refused_oidc")
    page.reload()  # still signed in with the provider, still refused
    _refused(page, "eve@elsewhere.org has no role here")

    # Signing out of the provider's account brings back the sign-in button: another
    # account can be tried. This one's address is in a mapped domain but not verified.
    page.get_by_role("button", name="Sign out").click()
    _sign_in_page(page)
    provider.user = TestUser("mallory@example.com", email_verified=False)
    page.get_by_role("button", name=BUTTON).click()
    _refused(page, "has not verified mallory@example.com")
    assert len(provider.issued) == 2

    # The admin breaks the table while the app runs: OIDC sign-in closes at the next page
    # load, and the problem goes to the server's log, not to the page.
    (tmp_path / "oidc_roles.toml").write_text('[roles]\n"@example.com" = "boss"\n')
    page.reload()
    _refused(page, "role table has problems")
    assert "boss" not in _app_text(page)
    assert "oidc_roles.toml:2: field 'roles.@example.com'" in server.log()

    engine = create_db_engine(server.db_url)
    names = [r.name for r in list_raters(engine)]
    engine.dispose()
    assert "eve@elsewhere.org" not in names and "mallory@example.com" not in names
    assert outside == []


def test_signing_out_ends_the_provider_session_in_this_browser(  # type: ignore[no-untyped-def]
    oidc_app: tuple[AppServer, OidcProvider], loopback_page
) -> None:
    server, provider = oidc_app
    page, _ = loopback_page
    provider.user = TestUser("lead@example.com")
    page.goto(server.base)
    _sign_in_page(page)
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_selector(COUNTER, timeout=30_000)
    wait_ready(page)
    listed = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    assert "Leaderboard" in [t.strip().splitlines()[-1] for t in listed]
    page.get_by_role("button", name="Sign out").click()
    _sign_in_page(page)
    page.reload()
    _sign_in_page(page)
    cookies = [c["name"] for c in page.context.cookies()]
    assert not any(name.startswith("_streamlit_user") for name in cookies), cookies

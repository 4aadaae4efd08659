"""Sign-in through an OIDC provider with Streamlit's ``st.login``, when one is configured.

Streamlit does the protocol: ``st.login(provider)`` sends the browser to the provider, its
``/oauth2callback`` checks the ID token with Authlib and keeps the claims in a signed,
HttpOnly cookie, and every connection reads them back as ``st.user``. This module lists the
providers of ``[auth]`` in ``secrets.toml``, turns ``st.user`` into a rater through the
admin's role table (:mod:`blindside.oidc_raters`), and keeps the reason when it refuses.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from blindside.errors import InputError
from blindside.oidc_raters import OidcIdentity, oidc_rater
from blindside.oidc_roles import DEFAULT_PROVIDER, NO_ROLES, OidcRoles, read_oidc_roles
from blindside.raters import RaterError, RaterInfo
from blindside.ui.state import get_engine, get_settings

#: session_state: why the account signed in with the provider was refused, one line.
REFUSED = "oidc_refused"
#: session_state: this connection has recorded its OIDC sign-in time.
RECORDED = "oidc_recorded"
#: What a visitor sees when the role table cannot be read (the details go to the log).
TABLE_BROKEN = (
    "Sign-in through the provider is closed for now: blindside's OIDC role table has "
    "problems. An admin can list them with `blindside validate`."
)

_LOG = logging.getLogger(__name__)


def auth_providers() -> list[str]:
    """The providers ``st.login`` can use, from ``[auth]`` in ``secrets.toml``, in order.

    ``default`` for a provider configured in ``[auth]`` itself, then each ``[auth.NAME]``.
    Empty when there is no secrets file or no ``[auth]``.
    """
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml, or one Streamlit cannot parse
        return []
    if not isinstance(auth, Mapping):
        return []
    names = [DEFAULT_PROVIDER] if "client_id" in auth else []
    names += [
        name
        for name, value in auth.items()
        if isinstance(value, Mapping) and "client_id" in value and name != DEFAULT_PROVIDER
    ]
    return names


@functools.lru_cache(maxsize=4)
def _table(path: str, required: bool, _mtime_ns: int, _size: int) -> OidcRoles:
    # Keyed on the file's stat: an edited table applies at the next run, no restart.
    return read_oidc_roles(Path(path), required=required)


def role_table() -> OidcRoles:
    """The admin's role table (:data:`NO_ROLES` without one), re-read when it changes.

    Raises
    ------
    InputError
        The table has problems (``blindside validate`` lists them).
    """
    from blindside.config.settings import DEFAULT_OIDC_ROLES_PATH

    path = get_settings().oidc_roles_path
    try:
        stat = path.stat()
    except OSError:
        stat = None
    required = path != DEFAULT_OIDC_ROLES_PATH
    if stat is None and not required:
        return NO_ROLES
    return _table(
        str(path),
        required,
        stat.st_mtime_ns if stat else 0,
        stat.st_size if stat else -1,
    )


def _claims() -> Mapping[str, object] | None:
    """``st.user``'s claims when signed in with a configured provider, else None."""
    if not auth_providers():  # [auth] removed: a cookie left from before signs no one in
        return None
    user = st.user
    if not user.get("is_logged_in"):
        return None
    return user.to_dict()


def signed_in_with_provider() -> bool:
    """Whether the browser is signed in with an OIDC provider (mapped or not)."""
    return _claims() is not None


def oidc_rater_now() -> RaterInfo | None:
    """The rater the provider's account signs in as on this run, or None.

    None when nobody is signed in with a provider, and when the account is refused (no
    verified address, no role in the table, revoked, a broken table): the reason is kept
    in ``st.session_state[REFUSED]`` for the sign-in page.

    Raises
    ------
    DatabaseUnavailable
        The database cannot be reached.
    """
    claims = _claims()
    if claims is None:
        st.session_state.pop(REFUSED, None)
        return None
    identity = OidcIdentity.from_claims(claims, DEFAULT_PROVIDER)
    try:
        roles = role_table()
    except InputError as exc:
        _LOG.error("OIDC role table: %s", exc)
        st.session_state[REFUSED] = TABLE_BROKEN
        return None
    try:
        rater = oidc_rater(
            get_engine(), identity, roles, signing_in=not st.session_state.get(RECORDED)
        )
    except RaterError as exc:
        st.session_state[REFUSED] = str(exc)
        return None
    st.session_state[RECORDED] = True
    st.session_state.pop(REFUSED, None)
    return rater


def provider_labels() -> dict[str, str]:
    """Each configured provider and the name its button shows; empty without ``[auth]``."""
    providers = auth_providers()
    if not providers:
        return {}
    try:
        roles = role_table()
    except InputError:
        roles = NO_ROLES  # the buttons still show; signing in says the table is broken
    return {name: roles.label(name) for name in providers}


def sign_out_of_provider() -> None:
    """Forget the provider's account in this browser (``st.logout``), if signed in with one."""
    if signed_in_with_provider():
        st.logout()

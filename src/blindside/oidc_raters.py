"""The rater behind an OIDC sign-in: a verified e-mail address, its role, its rater row.

Streamlit's ``st.login`` hands the page the claims of the provider's ID token, which
Authlib has checked (signature against the provider's keys, issuer, audience, expiry,
nonce). This module decides what they are worth here:

- the address counts only when the provider says it verified it (``email_verified``), or
  the admin trusts that provider's addresses (``trust_email`` in ``oidc_roles.toml``);
- its role comes from the admin's table (:mod:`blindside.oidc_roles`), read at every page
  run, so an edit applies at the next click; an address the table does not map is refused;
- the rater row is the one *named* by the address (case ignored), created at the first
  sign-in. Votes, exclusion and ``blindside raters revoke ADDRESS`` work on it as on any
  rater, and a revoked row is refused on every run. Name-only sign-up refuses names with
  an ``@`` (:func:`blindside.raters.sign_up`), so nobody can take an address first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from blindside.db import session_scope
from blindside.oidc_roles import OidcRoles, normalise_email
from blindside.raters import RaterError, RaterInfo, rater_info, rater_name_key
from blindside.roles import Role
from blindside.tables import Rater


@dataclass(frozen=True)
class OidcIdentity:
    """Who a provider says signed in.

    Attributes
    ----------
    provider : str
        Streamlit's provider name (``default`` for a plain ``[auth]``).
    email : str or None
        The ``email`` claim, as sent.
    email_verified : bool
        The ``email_verified`` claim was true.
    """

    provider: str
    email: str | None
    email_verified: bool

    @classmethod
    def from_claims(cls, claims: Mapping[str, object], default_provider: str) -> OidcIdentity:
        """The identity in ``st.user``'s claims (the ID token's, plus Streamlit's ``provider``)."""
        email = claims.get("email")
        verified = claims.get("email_verified")
        provider = claims.get("provider")
        return cls(
            provider=provider if isinstance(provider, str) and provider else default_provider,
            email=email.strip() if isinstance(email, str) and email.strip() else None,
            # Some providers send the claim as the string "true".
            email_verified=verified is True or (isinstance(verified, str) and verified == "true"),
        )


def checked_email(identity: OidcIdentity, roles: OidcRoles) -> tuple[str, Role]:
    """The identity's address, normalised, and its role.

    Raises
    ------
    RaterError
        No address, an address the provider did not verify (and is not trusted for), or
        an address the table does not map. The message is one line, safe to show.
    """
    provider = roles.label(identity.provider)
    if identity.email is None:
        raise RaterError(f"{provider} sent no e-mail address for your account: ask an admin")
    email = normalise_email(identity.email)
    if not identity.email_verified and not roles.options(identity.provider).trust_email:
        raise RaterError(
            f"{provider} has not verified {email}: verify it there, then sign in again"
        )
    role = roles.role_for(email)
    if role is None:
        raise RaterError(
            f"{email} has no role here: ask an admin to add your address or domain to "
            "blindside's OIDC role table"
        )
    return email, role


def oidc_rater(
    engine: Engine,
    identity: OidcIdentity,
    roles: OidcRoles,
    *,
    signing_in: bool = False,
    now: datetime | None = None,
) -> RaterInfo:
    """The rater ``identity`` signs in as, created on their first sign-in.

    One indexed read on an ordinary page run; a write only to create the row, to follow a
    changed role in the table, or, with ``signing_in``, to record the sign-in time.

    Parameters
    ----------
    signing_in : bool
        The first run of a new browser connection: set ``signed_in_at``.

    Raises
    ------
    RaterError
        Refused (:func:`checked_email`), or the rater is revoked.
    """
    email, role = checked_email(identity, roles)
    moment = datetime.now(UTC) if now is None else now.astimezone(UTC)
    key = rater_name_key(email)
    for attempt in range(2):
        try:
            with session_scope(engine) as session:
                rater = session.exec(select(Rater).where(Rater.name_key == key)).first()
                if rater is None:
                    rater = Rater(name=email, name_key=key, role=str(role), created_at=moment)
                    session.add(rater)
                    signing_in = True
                elif rater.revoked_at is not None:
                    raise RaterError(f"{email} is revoked here: ask an admin")
                if rater.role != str(role):
                    rater.role = str(role)  # the table decides an OIDC rater's role
                if signing_in:
                    rater.signed_in_at = moment
                session.flush()
                return rater_info(rater)
        except IntegrityError:
            # Created a moment ago by this rater's other tab: read it again.
            if attempt:
                raise
    raise AssertionError("unreachable")

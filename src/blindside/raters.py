"""Raters: who they are, one-time sign-in links, and sessions that survive a reload.

An admin adds a rater with a role (:mod:`blindside.roles`) and hands them a link that
carries a one-time *invite token*. Opening it redeems the token: the invite is spent and
the rater gets a *session token*, which the browser keeps and presents again after a
reload (the app decides where the browser keeps it; ``docs/raters.md``). One rater has
at most one live session: signing in again, by a new link, ends the previous one.

What is stored
    Never a token: only the SHA-256 of each (``rater.invite_hash``,
    ``rater.session_hash``), with their expiry times. A copy of the database, a backup
    or a log of its rows cannot sign anyone in.

Why a fast hash is enough
    Slow password hashes (bcrypt, scrypt, argon2) exist because passwords are guessable:
    they make each guess against a stolen hash expensive. These tokens are 256 random bits
    from :func:`secrets.token_urlsafe`; there is nothing to guess, and inverting SHA-256 on
    a 256-bit input is out of reach at any hashing speed. A fast hash also keeps the check
    that runs on every page load to a few microseconds. The row is found by its hash
    (an indexed equality, which may leak timing about the *hash*, not the token), and the
    hash is then compared with :func:`hmac.compare_digest`.

Names
    Trimmed, inner whitespace collapsed (``cuts.normalise_rater_name``), and compared
    without case: ``rater.name_key`` is the case-folded name, unique, so "ada tester" and
    "Ada Tester" are one rater.

Every function takes ``now`` for tests; it defaults to the current UTC time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.cuts import normalise_rater_name
from blindside.db import session_scope
from blindside.roles import Role
from blindside.tables import Rater

#: How long an unused sign-in link works.
INVITE_LIFETIME = timedelta(days=7)
#: How long a session lasts from sign-in; then the rater needs a new link.
SESSION_LIFETIME = timedelta(days=30)
#: Random bytes per token (256 bits; 43 URL-safe characters).
TOKEN_BYTES = 32
#: The longest rater name.
MAX_NAME_CHARS = 80


class RaterError(ValueError):
    """A request about raters that the caller must fix: an unknown or taken name, a bad
    role, a used or expired link. Its message is one line, safe to show."""


@dataclass(frozen=True)
class RaterInfo:
    """What may be shown about a rater: never a token or a hash.

    Attributes
    ----------
    id : int
    name : str
        As first given, normalised.
    role : Role
    created_at : datetime
    signed_in_at : datetime or None
        The last time they redeemed a link or signed up.
    revoked_at : datetime or None
        When they were revoked; None while they may sign in.
    excluded : bool
        Their votes are left out of rankings (kept in the database).
    """

    id: int
    name: str
    role: Role
    created_at: datetime
    signed_in_at: datetime | None
    revoked_at: datetime | None
    excluded: bool

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Invite:
    """A one-time sign-in token just issued; the token exists nowhere else."""

    rater: RaterInfo
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """A rater just signed in, and the session token their browser keeps."""

    rater: RaterInfo
    session_token: str
    expires_at: datetime


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Whether ``token`` hashes to ``stored_hash``, compared in constant time."""
    if not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def invite_link(base_url: str, token: str) -> str:
    """The sign-in link for ``token``: ``BASE/?invite=TOKEN``."""
    return f"{base_url.rstrip('/')}/?invite={token}"


def rater_name_key(name: str) -> str:
    """The key two names are the same rater by: normalised and case-folded."""
    return normalise_rater_name(name).casefold()


def clean_rater_name(name: str) -> str:
    """``name`` normalised, checked non-empty and at most :data:`MAX_NAME_CHARS`.

    Raises
    ------
    RaterError
    """
    clean = normalise_rater_name(name)
    if not clean:
        raise RaterError("a rater needs a name")
    if len(clean) > MAX_NAME_CHARS:
        raise RaterError(f"names are at most {MAX_NAME_CHARS} characters")
    return clean


def parse_role(role: Role | str) -> Role:
    """:meth:`Role.parse`, failing as a :class:`RaterError`."""
    try:
        return Role.parse(role)
    except ValueError as exc:
        raise RaterError(str(exc)) from None


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now.astimezone(UTC)


def rater_info(rater: Rater) -> RaterInfo:
    """What may be shown of a stored rater row."""
    assert rater.id is not None
    return RaterInfo(
        id=rater.id,
        name=rater.name,
        role=Role.parse(rater.role),
        # Stored times come back aware, in UTC (sqlmodel's UTCDateTime), on both backends.
        created_at=rater.created_at,
        signed_in_at=rater.signed_in_at,
        revoked_at=rater.revoked_at,
        excluded=rater.excluded,
    )


def _by_name(session: Session, name: str) -> Rater:
    rater = session.exec(select(Rater).where(Rater.name_key == rater_name_key(name))).first()
    if rater is None:
        raise RaterError(f"no rater named {normalise_rater_name(name)!r}")
    return rater


@contextmanager
def _changing(engine: Engine, name: str) -> Iterator[Rater]:
    """The rater called ``name``, in a transaction that commits what the caller changes."""
    with session_scope(engine) as session:
        rater = _by_name(session, name)
        yield rater
        session.flush()


def _create(session: Session, name: str, role: Role, now: datetime) -> Rater:
    """A new rater row, flushed; a taken name (any case) is a :class:`RaterError`."""
    clean = clean_rater_name(name)
    taken = session.exec(select(Rater.name).where(Rater.name_key == rater_name_key(clean))).first()
    if taken is not None:
        raise RaterError(f"the name {clean!r} is taken (by {taken!r})")
    rater = Rater(name=clean, name_key=rater_name_key(clean), role=str(role), created_at=now)
    session.add(rater)
    session.flush()
    return rater


def _taken(name: str) -> RaterError:
    """A name created at the same moment by someone else (the unique key refused it)."""
    return RaterError(f"the name {normalise_rater_name(name)!r} is taken")


def _set_invite(rater: Rater, now: datetime) -> Invite:
    token = new_token()
    rater.invite_hash = token_hash(token)
    rater.invite_expires_at = now + INVITE_LIFETIME
    return Invite(rater_info(rater), token, now + INVITE_LIFETIME)


def add_rater(
    engine: Engine, name: str, role: Role | str = Role.RATER, *, now: datetime | None = None
) -> Invite:
    """Add a rater and issue their one-time sign-in token.

    Parameters
    ----------
    engine : Engine
    name : str
        Their name; it must differ from every other rater's in more than case and spacing.
    role : Role or str
        ``rater``, ``lead`` or ``admin``.

    Returns
    -------
    Invite
        The rater and the token (shown once; only its hash is stored).

    Raises
    ------
    RaterError
        An empty or too long name, a taken name, an unknown role.
    """
    rank = parse_role(role)
    moment = _now(now)
    try:
        with session_scope(engine) as session:
            return _set_invite(_create(session, name, rank, moment), moment)
    except IntegrityError:
        raise _taken(name) from None


def issue_invite(engine: Engine, name: str, *, now: datetime | None = None) -> Invite:
    """A new one-time sign-in token for an existing rater (a lost link, an ended session).

    It replaces any unused link of theirs; a live session is left alone.

    Raises
    ------
    RaterError
        An unknown name, or a revoked rater.
    """
    with _changing(engine, name) as rater:
        if rater.revoked_at is not None:
            raise RaterError(f"{rater.name!r} is revoked")
        return _set_invite(rater, _now(now))


def admin_invite(engine: Engine, name: str = "admin", *, now: datetime | None = None) -> Invite:
    """A sign-in link for the first admin, adding ``name`` as admin when there is none.

    What ``make run`` prints on every start: a fresh setup gets its admin, and a later start
    gets a new link for the oldest admin who is not revoked. It replaces that admin's unused
    link; a live session is left alone.

    Raises
    ------
    RaterError
        There is no admin and ``name`` is taken by a rater who is not one.
    """
    moment = _now(now)
    try:
        with session_scope(engine) as session:
            admin = session.exec(
                select(Rater)
                .where(Rater.role == str(Role.ADMIN), col(Rater.revoked_at).is_(None))
                .order_by(col(Rater.id))
            ).first()
            if admin is None:
                admin = _create(session, name, Role.ADMIN, moment)
            return _set_invite(admin, moment)
    except IntegrityError:
        raise _taken(name) from None


def _start_session(rater: Rater, now: datetime) -> tuple[str, dict[str, object]]:
    """A new session token and the column values that store it."""
    token = new_token()
    values: dict[str, object] = {
        "session_hash": token_hash(token),
        "session_expires_at": now + SESSION_LIFETIME,
        "signed_in_at": now,
    }
    return token, values


def redeem_invite(engine: Engine, token: str, *, now: datetime | None = None) -> SignedIn:
    """Spend a sign-in token and start the rater's session.

    The invite works once: the row is updated only while it still holds this token's hash,
    so of two concurrent redemptions exactly one succeeds. The new session replaces any
    earlier session of the same rater.

    Returns
    -------
    SignedIn
        The rater and a new session token (only its hash is stored).

    Raises
    ------
    RaterError
        For a token that is unknown, used, replaced, expired or of a revoked rater.
    """
    moment = _now(now)
    invalid = RaterError("this sign-in link is not valid (used or replaced): ask for a new one")
    hashed = token_hash(token)
    with session_scope(engine) as session:
        rater = session.exec(select(Rater).where(Rater.invite_hash == hashed)).first()
        if rater is None or not token_matches(token, rater.invite_hash):
            raise invalid
        if rater.revoked_at is not None:
            raise invalid
        expires = rater.invite_expires_at
        if expires is None or expires <= moment:
            raise RaterError("this sign-in link has expired: ask for a new one")
        session_token, values = _start_session(rater, moment)
        spent = session.execute(
            update(Rater)
            .where(col(Rater.id) == rater.id, col(Rater.invite_hash) == hashed)
            .values(invite_hash=None, invite_expires_at=None, **values)
        )
        if spent.rowcount != 1:  # redeemed a moment ago by another request
            raise invalid
        session.refresh(rater)
        return SignedIn(rater_info(rater), session_token, moment + SESSION_LIFETIME)


def resume_session(
    engine: Engine, session_token: str | None, *, now: datetime | None = None
) -> RaterInfo | None:
    """The rater whose live session ``session_token`` is, or None.

    None for a missing, unknown, replaced or expired token and for a revoked rater: the
    caller shows the sign-in page. Reads one row by an index; writes nothing.
    """
    if not session_token:
        return None
    moment = _now(now)
    with Session(engine) as session:
        rater = session.exec(
            select(Rater).where(Rater.session_hash == token_hash(session_token))
        ).first()
        if rater is None or not token_matches(session_token, rater.session_hash):
            return None
        expires = rater.session_expires_at
        if rater.revoked_at is not None or expires is None or expires <= moment:
            return None
        return rater_info(rater)


def end_session(engine: Engine, session_token: str | None) -> None:
    """Sign out: the session ``session_token`` stops working (nothing when unknown)."""
    if not session_token:
        return
    with session_scope(engine) as session:
        session.execute(
            update(Rater)
            .where(col(Rater.session_hash) == token_hash(session_token))
            .values(session_hash=None, session_expires_at=None)
        )


def sign_up(
    engine: Engine, name: str, open_signup: str | None, *, now: datetime | None = None
) -> SignedIn:
    """Name-only sign-up, when an admin has turned it on (``BLINDSIDE_OPEN_SIGNUP``).

    It only ever creates a new rater: typing a name that exists never signs you in as
    that person.

    Parameters
    ----------
    open_signup : str or None
        The setting: None (off) refuses; ``"rater"`` creates raters.

    Raises
    ------
    RaterError
        Sign-up is off, or set to a role above ``rater``; the name is empty, too long or taken.
    """
    if open_signup is None:
        raise RaterError("sign-up by name is off: ask an admin for a sign-in link")
    role = parse_role(open_signup)
    if role > Role.RATER:
        raise RaterError("sign-up by name is for raters only: leads and admins need a link")
    if "@" in name:
        # An address is the name of a rater who signs in through OIDC (oidc_raters): a
        # name-only sign-up must not take it first.
        raise RaterError("a name with '@' is kept for e-mail sign-in: choose another")
    moment = _now(now)
    try:
        with session_scope(engine) as session:
            rater = _create(session, name, role, moment)
            session_token, values = _start_session(rater, moment)
            for column, value in values.items():
                setattr(rater, column, value)
            session.flush()
            return SignedIn(rater_info(rater), session_token, moment + SESSION_LIFETIME)
    except IntegrityError:
        raise _taken(name) from None


def list_raters(engine: Engine) -> list[RaterInfo]:
    """Every rater, revoked ones included, oldest first."""
    with Session(engine) as session:
        return [rater_info(r) for r in session.exec(select(Rater).order_by(col(Rater.id)))]


def find_rater(engine: Engine, name: str) -> RaterInfo:
    """The rater called ``name`` (any case and spacing).

    Raises
    ------
    RaterError
        No such rater.
    """
    with Session(engine) as session:
        return rater_info(_by_name(session, name))


def revoke_rater(engine: Engine, name: str, *, now: datetime | None = None) -> RaterInfo:
    """Stop a rater signing in: their link and session end now; their votes stay.

    Revoking a revoked rater changes nothing (their first revocation time is kept).

    Raises
    ------
    RaterError
        No such rater.
    """
    moment = _now(now)
    with _changing(engine, name) as rater:
        if rater.revoked_at is None:
            rater.revoked_at = moment
        rater.invite_hash = rater.invite_expires_at = None
        rater.session_hash = rater.session_expires_at = None
    return rater_info(rater)


def set_role(engine: Engine, name: str, role: Role | str) -> RaterInfo:
    """Give a rater another role; it applies from their next page load.

    Raises
    ------
    RaterError
        No such rater, or an unknown role.
    """
    rank = parse_role(role)
    with _changing(engine, name) as rater:
        rater.role = str(rank)
    return rater_info(rater)

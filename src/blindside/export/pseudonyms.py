"""Raters in exports: a stable pseudonym from a keyed hash, never a name.

A pseudonym is ``rater-`` and the first 12 hex digits of HMAC-SHA256(key, rater id).
The key is 32 random bytes made at the first export and kept in the database
(``export_key``, one row), not in a setting:

- the same database gives the same pseudonyms in every export, on every replica and
  machine, with nothing to configure and nothing to lose when a deployment's settings
  change (a settings secret that differs between replicas would split one rater in two);
- whoever can read the key can already read the ``rater`` table, so keeping it beside
  the names gives away nothing; the file alone cannot be turned back into names, not
  even by hashing a list of staff names (that is why the hash is keyed);
- the key is never shown, logged or exported.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from blindside.cuts import Cut, normalise_rater_name
from blindside.tables import ExportKey, Rater

__all__ = ["export_key", "pseudonym", "pseudonymous_cut", "rater_pseudonyms"]

#: Hex digits of the HMAC kept: 48 bits, no collision among any plausible number of raters.
PSEUDONYM_DIGITS = 12


def export_key(engine: Engine) -> bytes:
    """The database's pseudonym key, made (once, race-safe) when there is none."""
    with engine.connect() as conn:
        stored = conn.execute(select(ExportKey.key).where(ExportKey.id == 1)).scalar()
    if stored is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(ExportKey).values(id=1, key=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first: read theirs
        with engine.connect() as conn:
            stored = conn.execute(select(ExportKey.key).where(ExportKey.id == 1)).scalar_one()
    return bytes.fromhex(stored)


def pseudonym(key: bytes, rater_id: int) -> str:
    """The pseudonym of the rater with id ``rater_id`` under ``key``."""
    digest = hmac.new(key, str(int(rater_id)).encode("ascii"), hashlib.sha256).hexdigest()
    return f"rater-{digest[:PSEUDONYM_DIGITS]}"


def rater_pseudonyms(engine: Engine, conn: Connection | None = None) -> dict[int, str]:
    """Every rater's id → pseudonym (raters are few: thousands at most)."""
    key = export_key(engine)
    if conn is None:
        with engine.connect() as own:
            ids = own.execute(select(Rater.id)).scalars().all()
    else:
        ids = conn.execute(select(Rater.id)).scalars().all()
    return {rater_id: pseudonym(key, rater_id) for rater_id in ids}


def pseudonymous_cut(engine: Engine, cut: Cut) -> Cut:
    """``cut`` with its raters named by pseudonym, to describe it inside an export file."""
    if not cut.raters:
        return cut
    with engine.connect() as conn:
        rows = conn.execute(select(Rater.id, Rater.name)).all()
    # Cut.raters matches names exactly (normalised), as vote_conditions does.
    by_name = {normalise_rater_name(name): rater_id for rater_id, name in rows}
    key = export_key(engine)
    return replace(
        cut,
        raters=tuple(
            pseudonym(key, by_name[name]) if name in by_name else "rater-unknown"
            for name in cut.raters
        ),
    )

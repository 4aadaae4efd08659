"""A throwaway database for a benchmark: a SQLite file in a folder, or a fresh PostgreSQL one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from blindside.db import create_db_engine, upgrade_schema


@contextmanager
def scratch_database(backend: str, pg_url: str, folder: str, prefix: str) -> Iterator[Engine]:
    """An engine on a new, migrated database named ``prefix_<random>``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        engine = create_db_engine(f"sqlite:///{folder}/{name}.db")
        upgrade_schema(engine)
        yield engine
        engine.dispose()
        return
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        engine = create_db_engine(url)
        upgrade_schema(engine)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

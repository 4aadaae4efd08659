"""Database engine, sessions and schema migrations.

SQLite (WAL) is the embedded default; PostgreSQL is used when
``BLINDSIDE_DATABASE_URL`` points at it. The schema is owned by Alembic
migrations shipped inside the package, applied with :func:`upgrade_schema`;
``create_all`` is never used, so both backends see the same DDL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from blindside import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets raters read while a run writes; busy_timeout waits out a writer
    # instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _refresh_planner_statistics(dbapi_connection: Any, record: Any) -> None:
    # Without statistics SQLite answers a rater cut through the single-column
    # rater index and a temporary B-tree (0.5 s on a million votes) instead of
    # filtering inside the covering aggregation index (0.2 s). A sampled ANALYZE
    # took 5 ms on that file, so every process refreshes them on its first connection.
    _set_sqlite_pragmas(dbapi_connection, record)  # the busy timeout first
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    except sqlite3.OperationalError:
        pass  # read-only or busy: plan with the statistics the file has
    finally:
        cursor.close()


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for a SQLite file or a PostgreSQL server.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///blindside.db`` or
        ``postgresql+psycopg://user@host/db``.
    echo : bool
        Log SQL statements.

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            # Streamlit serves every session from its own thread.
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "first_connect", _refresh_planner_statistics)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
        config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


def open_database(url: str) -> Engine:
    """An engine for ``url`` with its schema migrated to the newest revision.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, as for :func:`create_db_engine`.

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    engine = create_db_engine(url)
    upgrade_schema(engine)
    return engine


def schema_drift(engine: Engine) -> list[Any]:
    """Differences between the SQLModel tables and the migrated database.

    Returns
    -------
    list
        Alembic autogenerate diff entries; empty when models and migrations agree.
    """
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

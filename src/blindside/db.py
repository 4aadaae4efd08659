"""Database engine, sessions and schema migrations.

SQLite (WAL) is the embedded default; PostgreSQL is used when
``BLINDSIDE_DATABASE_URL`` points at it. The schema is owned by Alembic
migrations shipped inside the package, applied with :func:`upgrade_schema`;
``create_all`` is never used, so both backends see the same DDL.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlmodel import Session, SQLModel, create_engine

from blindside import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from blindside.config import load_settings
from blindside.errors import InputError, Problem

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


def create_db_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> Engine:
    """Create an engine for a SQLite file or a PostgreSQL server.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///blindside.db`` or
        ``postgresql+psycopg://user@host/db``.
    echo : bool
        Log SQL statements.
    pool_size, max_overflow : int, optional
        Connections kept open, and how many more at a peak; None reads
        ``BLINDSIDE_DB_POOL_SIZE`` and ``BLINDSIDE_DB_MAX_OVERFLOW`` (30 and 0).
        Streamlit serves each rater from a thread of one process, and a thread holds a
        connection only while it reads or writes, so a pool far smaller than the raters
        a replica serves is enough (``docs/deploy.md``).

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    if pool_size is None or max_overflow is None:
        settings = load_settings()
        pool_size = settings.db_pool_size if pool_size is None else pool_size
        max_overflow = settings.db_max_overflow if max_overflow is None else max_overflow
    pool = {"pool_size": pool_size, "max_overflow": max_overflow}
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            pool = {}  # one shared in-memory connection: no pool to size
        engine = create_engine(
            url,
            echo=echo,
            # Streamlit serves every session from its own thread.
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool,
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "first_connect", _refresh_planner_statistics)
        return engine
    engine = create_engine(url, echo=echo, **pool)
    ping_after_idle(engine)
    return engine


#: Seconds a pooled PostgreSQL connection may sit idle and still be handed out unchecked.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_after_idle(engine: Engine, idle_seconds: float | None = None) -> None:
    """Ping a pooled connection before handing it out, if it sat idle in the pool.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip to the server per
    transaction, 10-15% of the CPU of a vote (``benchmarks/bench_votes.py``). A connection
    returned less than ``idle_seconds`` (:data:`PING_AFTER_IDLE_SECONDS`) ago was just
    working; one idle for longer (the server restarted, a proxy or firewall dropped it) is
    pinged, and replaced when the ping fails. A connection that died within those seconds
    fails the statement that uses it; SQLAlchemy then replaces every connection opened before.
    """

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        limit = PING_AFTER_IDLE_SECONDS if idle_seconds is None else idle_seconds
        if since is None or time.monotonic() - since < limit:
            return  # new, or returned a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool closes this connection and hands out another (a new one if need be).
            raise DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        # The engine itself, not its URL: a URL in Alembic's config passes through
        # ConfigParser interpolation, where a password's percent-escape (%40) is an error
        # whose message quotes the whole URL, password included.
        config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


class DatabaseUnavailable(InputError):
    """The database URL cannot be used: an unknown kind, no driver, no server, no such file.

    Its message names the URL with the password hidden, and the reason on one line.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__([Problem(safe_url(url), None, "", reason)])


# user:password@ in a URL SQLAlchemy cannot parse, so cannot render without its password.
_CREDENTIALS = re.compile(r"(?<=://)([^/@:]*):[^/@]*@")


def safe_url(url: str) -> str:
    """``url`` as it may be shown or logged: its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return _CREDENTIALS.sub(r"\1:***@", url)


def _reason(exc: Exception, url: str) -> str:
    """One line saying why ``url`` cannot be opened, without its password."""
    if isinstance(exc, NoSuchModuleError):
        kind = url.split(":", 1)[0]
        return f"not a database URL of a known kind ({kind!r}): use sqlite:///FILE or postgresql://"
    if isinstance(exc, ArgumentError | ValueError):
        return "not a database URL: use sqlite:///FILE, a file path or postgresql://"
    if isinstance(exc, ImportError):
        return f"no driver installed for it ({exc.name}): blindside runs on SQLite and PostgreSQL"
    detail = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
    detail = detail.splitlines()[0] if detail else type(exc).__name__
    password = _password(url)
    if password:
        detail = detail.replace(password, "***")
    return f"cannot open the database: {detail}"


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


def _sqlite_folder(engine: Engine) -> Path | None:
    """The directory a SQLite file database lives in; None for memory or another backend."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).expanduser().resolve().parent


def open_database(url: str) -> Engine:
    """An engine for ``url`` with its schema migrated to the newest revision.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, as for :func:`create_db_engine`.

    Returns
    -------
    sqlalchemy.engine.Engine

    Raises
    ------
    DatabaseUnavailable
        When the URL cannot be parsed, names an unknown kind of database or a driver
        that is not installed, or the database cannot be connected to (no server, no
        such database, no such directory).
    """
    try:
        engine = create_db_engine(url)
        folder = _sqlite_folder(engine)
        if folder is not None and not folder.is_dir():
            raise DatabaseUnavailable(url, f"no such directory for the database file: {folder}")
        with engine.connect():
            pass
    except (ArgumentError, ValueError, ImportError, DBAPIError) as exc:
        raise DatabaseUnavailable(url, _reason(exc, url)) from None
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

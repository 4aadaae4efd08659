"""Process-wide settings read from ``BLINDSIDE_*`` environment variables.

Every setting is listed in :data:`SETTINGS` and documented in
``docs/configuration.md``. Explicit arguments (CLI flags) beat the environment,
which beats the defaults.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from blindside.errors import InputError, Problem

# Streamlit's address and port in .streamlit/config.toml and the Makefile.
DEFAULT_BASE_URL = "http://127.0.0.1:8501"
# What BLINDSIDE_OPEN_SIGNUP accepts: off, or the one role sign-up by name may create (leads
# and admins always need a link).
OPEN_SIGNUP_CHOICES = ("off", "rater")
# Where the OIDC role table is read from by default (blindside.oidc_roles).
DEFAULT_OIDC_ROLES_PATH = Path("oidc_roles.toml")


@dataclass(frozen=True)
class Settings:
    """Process-wide settings.

    Attributes
    ----------
    database_url : str
        Normalised SQLAlchemy URL (``BLINDSIDE_DATABASE_URL``).
    models_path : Path
        Path of ``models.toml`` (``BLINDSIDE_MODELS``).
    suites_dir : Path
        Directory of prompt suites (``BLINDSIDE_SUITES``).
    demo_seed : int
        Seed of the demo provider (``BLINDSIDE_DEMO_SEED``).
    demo_latency_scale : float
        Multiplier on simulated latencies (``BLINDSIDE_DEMO_LATENCY_SCALE``).
    demo_url : str or None
        Base URL of a running ``blindside serve-demo`` (``BLINDSIDE_DEMO_URL``);
        None means start one in-process on an ephemeral loopback port.
    base_url : str
        Where raters reach the app, for sign-in links (``BLINDSIDE_BASE_URL``).
    open_signup : str or None
        The role name-only sign-up creates (``BLINDSIDE_OPEN_SIGNUP``); None: sign-up is off.
    identity_policy : str
        What rating does with answers that reveal their model
        (``BLINDSIDE_IDENTITY_POLICY``, one of :data:`IDENTITY_POLICIES`); read it
        through :func:`blindside.policy.identity_policy`.
    db_pool_size, db_max_overflow : int
        Database connections each process keeps open, and how many more it may open at a
        peak (``BLINDSIDE_DB_POOL_SIZE``, ``BLINDSIDE_DB_MAX_OVERFLOW``).
    oidc_roles_path : Path
        The table of e-mail addresses and domains that may sign in through OIDC, and their
        roles (``BLINDSIDE_OIDC_ROLES``; :mod:`blindside.oidc_roles`).
    """

    database_url: str
    models_path: Path
    suites_dir: Path
    demo_seed: int = 0
    demo_latency_scale: float = 1.0
    demo_url: str | None = None
    base_url: str = DEFAULT_BASE_URL
    open_signup: str | None = None
    identity_policy: str = "hide"
    db_pool_size: int = 30
    db_max_overflow: int = 0
    oidc_roles_path: Path = DEFAULT_OIDC_ROLES_PATH


#: The values of ``BLINDSIDE_IDENTITY_POLICY``: keep answers flagged as identity leaks out of
#: rating (the default), or show them and leave their votes out of rankings.
IDENTITY_POLICIES = ("hide", "show-and-exclude")


@dataclass(frozen=True)
class SettingDoc:
    """Documentation of one environment setting.

    Attributes
    ----------
    env : str
        Name of the environment variable.
    attr : str
        Attribute of :class:`Settings` it fills.
    default : str
        Default, as shown to users.
    description : str
        What it does.
    """

    env: str
    attr: str
    default: str
    description: str


#: Every setting, in the order they are documented (``docs/configuration.md``).
SETTINGS: tuple[SettingDoc, ...] = (
    SettingDoc(
        "BLINDSIDE_DATABASE_URL",
        "database_url",
        "sqlite:///<cwd>/blindside.db",
        "SQLAlchemy URL of the database. postgresql:// URLs are rewritten to use "
        "psycopg 3; a bare file path means a SQLite file. CLI: --db.",
    ),
    SettingDoc(
        "BLINDSIDE_MODELS",
        "models_path",
        "./models.toml",
        "Path of the endpoints and models file. CLI: --models.",
    ),
    SettingDoc(
        "BLINDSIDE_SUITES",
        "suites_dir",
        "./seed_prompts",
        "Directory of prompt suites (*.jsonl). CLI: --suites.",
    ),
    SettingDoc(
        "BLINDSIDE_DEMO_SEED",
        "demo_seed",
        "0",
        "Integer seed of the simulated demo provider (same seed, same answers).",
    ),
    SettingDoc(
        "BLINDSIDE_DEMO_LATENCY_SCALE",
        "demo_latency_scale",
        "1.0",
        "Multiplier (>= 0) on the demo provider's simulated latencies; tests use "
        "small values, 0 disables the delays.",
    ),
    SettingDoc(
        "BLINDSIDE_DEMO_URL",
        "demo_url",
        "(unset)",
        "Base URL of an already running `blindside serve-demo` (e.g. "
        "http://127.0.0.1:8765/v1). Unset: a demo server is started in-process on "
        "an ephemeral loopback port.",
    ),
    SettingDoc(
        "BLINDSIDE_BASE_URL",
        "base_url",
        DEFAULT_BASE_URL,
        "Where raters reach the app (scheme, host, port, any path prefix): the start of "
        "every sign-in link `blindside raters add` prints. CLI: --base-url.",
    ),
    SettingDoc(
        "BLINDSIDE_OPEN_SIGNUP",
        "open_signup",
        "off",
        "`rater` lets anyone sign up by typing a new name, as a rater (an existing name "
        "never signs you in). `off`: everyone needs a sign-in link from an admin.",
    ),
    SettingDoc(
        "BLINDSIDE_IDENTITY_POLICY",
        "identity_policy",
        "hide",
        "What rating does with answers flagged as identity leaks (an answer that names its "
        "model or vendor): `hide` never offers a pair with such an answer to raters; "
        "`show-and-exclude` offers them and leaves their votes out of rankings by default.",
    ),
    SettingDoc(
        "BLINDSIDE_DB_POOL_SIZE",
        "db_pool_size",
        "30",
        "Database connections each process (each app replica) may open and keeps open. A vote "
        "holds one for a few milliseconds, so 30 serve 50 raters voting as fast as they can.",
    ),
    SettingDoc(
        "BLINDSIDE_DB_MAX_OVERFLOW",
        "db_max_overflow",
        "0",
        "Connections a process may open beyond the pool at a peak; each is closed when it is "
        "returned to a full pool, so under load they are opened and closed again and again. "
        "On PostgreSQL keep replicas x (pool + overflow) below the server's max_connections.",
    ),
    SettingDoc(
        "BLINDSIDE_OIDC_ROLES",
        "oidc_roles_path",
        "./oidc_roles.toml",
        "Path of the table that maps e-mail addresses and domains to roles for sign-in "
        "through an OIDC provider (st.login, configured in .streamlit/secrets.toml). No "
        "file: every OIDC sign-in is refused.",
    ),
)


def normalise_database_url(url: str) -> str:
    """Turn what a user typed into a SQLAlchemy URL.

    Parameters
    ----------
    url : str
        ``postgresql://...`` / ``postgres://...`` (rewritten to the psycopg 3
        driver, ``postgresql+psycopg://...``), any other SQLAlchemy URL (kept
        as is), or a bare file path (``foo.db``, ``~/x.db``), which becomes
        ``sqlite:///<absolute path>``.

    Returns
    -------
    str
        The normalised URL.

    Raises
    ------
    ValueError
        If ``url`` is empty, or looks like a mistyped URL (a colon before any slash).
    """
    url = url.strip()
    if not url:
        raise ValueError("database URL is empty")
    # SQLAlchemy's bare postgresql:// means psycopg2, which we do not ship.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if "://" in url or url.startswith("sqlite:"):
        return url
    # A colon before the first slash is a mistyped URL ("::::", "user:password@host/db",
    # "localhost:5432/db"), not a file name. The message does not quote it: it may hold a
    # password.
    if ":" in url.split("/", 1)[0]:
        raise ValueError("not a database URL (like postgresql://host/db) nor a file path")
    # A bare path: absolute, so the URL means the same file whatever the cwd.
    return f"sqlite:///{Path(url).expanduser().resolve()}"


# Where problems about environment variables are reported (Problem.file).
ENV_SOURCE = "environment"


def _env_value(environ: Mapping[str, str], name: str) -> str | None:
    # An empty variable (``VAR=`` in a compose file) means "unset", not "".
    value = environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _env_number(
    environ: Mapping[str, str],
    name: str,
    parse: Callable[[str], float],
    kind: str,
    bad: Callable[[str, str], None],
) -> tuple[str, float] | None:
    """The variable ``name`` as given and as ``parse`` reads it; None when unset or unreadable.

    An unreadable value is reported to ``bad`` as not being ``kind`` ("an integer").
    """
    raw = _env_value(environ, name)
    if raw is None:
        return None
    try:
        return raw, parse(raw)
    except ValueError:
        bad(name, f"must be {kind}, got {raw!r}")
        return None


def load_settings(
    *,
    database_url: str | None = None,
    models_path: str | Path | None = None,
    suites_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings: explicit arguments beat the environment, which beats defaults.

    Parameters
    ----------
    database_url : str, optional
        Explicit database URL or SQLite path (e.g. CLI ``--db``).
    models_path : str or Path, optional
        Explicit path of ``models.toml`` (e.g. CLI ``--models``).
    suites_dir : str or Path, optional
        Explicit suites directory (e.g. CLI ``--suites``).
    environ : Mapping[str, str], optional
        Environment to read; defaults to ``os.environ``.

    Returns
    -------
    Settings

    Raises
    ------
    InputError
        Listing every bad environment value (file ``"environment"``, field =
        the variable name).
    """
    env = os.environ if environ is None else environ
    problems: list[Problem] = []

    def bad(var: str, message: str) -> None:
        problems.append(Problem(ENV_SOURCE, None, var, message))

    raw_db = database_url if database_url else _env_value(env, "BLINDSIDE_DATABASE_URL")
    db_url = f"sqlite:///{Path.cwd() / 'blindside.db'}"
    if raw_db:
        try:
            db_url = normalise_database_url(raw_db)
        except ValueError as exc:
            if database_url:  # given on the command line
                problems.append(Problem("--db", None, "", str(exc)))
            else:
                bad("BLINDSIDE_DATABASE_URL", str(exc))

    if models_path is not None:
        models = Path(models_path)
    else:
        raw = _env_value(env, "BLINDSIDE_MODELS")
        models = Path(raw).expanduser() if raw else Path("models.toml")

    if suites_dir is not None:
        suites = Path(suites_dir)
    else:
        raw = _env_value(env, "BLINDSIDE_SUITES")
        suites = Path(raw).expanduser() if raw else Path("seed_prompts")

    seed = 0
    parsed = _env_number(env, "BLINDSIDE_DEMO_SEED", int, "an integer", bad)
    if parsed is not None:
        seed = int(parsed[1])

    scale = 1.0
    parsed = _env_number(env, "BLINDSIDE_DEMO_LATENCY_SCALE", float, "a number", bad)
    if parsed is not None:
        raw, scale = parsed
        if not math.isfinite(scale) or scale < 0:
            bad("BLINDSIDE_DEMO_LATENCY_SCALE", f"must be a finite number >= 0, got {raw!r}")

    demo_url = _env_value(env, "BLINDSIDE_DEMO_URL")
    if demo_url is not None:
        if not is_http_url(demo_url):
            bad("BLINDSIDE_DEMO_URL", f"must be an http:// or https:// URL, got {demo_url!r}")
        demo_url = demo_url.rstrip("/")

    base_url = _env_value(env, "BLINDSIDE_BASE_URL") or DEFAULT_BASE_URL
    if not is_http_url(base_url):
        bad("BLINDSIDE_BASE_URL", f"must be an http:// or https:// URL, got {base_url!r}")
    base_url = base_url.rstrip("/")

    open_signup = (_env_value(env, "BLINDSIDE_OPEN_SIGNUP") or "off").lower()
    if open_signup not in OPEN_SIGNUP_CHOICES:
        bad(
            "BLINDSIDE_OPEN_SIGNUP",
            f"must be one of {', '.join(OPEN_SIGNUP_CHOICES)}, got {open_signup!r}",
        )

    policy = (_env_value(env, "BLINDSIDE_IDENTITY_POLICY") or "hide").lower()
    if policy not in IDENTITY_POLICIES:
        bad("BLINDSIDE_IDENTITY_POLICY", f"must be hide or show-and-exclude, got {policy!r}")

    pool = {"BLINDSIDE_DB_POOL_SIZE": 30, "BLINDSIDE_DB_MAX_OVERFLOW": 0}
    for var, smallest in (("BLINDSIDE_DB_POOL_SIZE", 1), ("BLINDSIDE_DB_MAX_OVERFLOW", 0)):
        parsed = _env_number(env, var, int, "an integer", bad)
        if parsed is not None:
            if parsed[1] < smallest:
                bad(var, f"must be an integer >= {smallest}, got {parsed[0]!r}")
            pool[var] = int(parsed[1])

    raw_roles = _env_value(env, "BLINDSIDE_OIDC_ROLES")
    oidc_roles = Path(raw_roles).expanduser() if raw_roles else DEFAULT_OIDC_ROLES_PATH

    if problems:
        raise InputError(problems)
    return Settings(
        database_url=db_url,
        models_path=models,
        suites_dir=suites,
        demo_seed=seed,
        demo_latency_scale=scale,
        demo_url=demo_url,
        base_url=base_url,
        open_signup=None if open_signup == "off" else open_signup,
        identity_policy=policy,
        db_pool_size=pool["BLINDSIDE_DB_POOL_SIZE"],
        db_max_overflow=pool["BLINDSIDE_DB_MAX_OVERFLOW"],
        oidc_roles_path=oidc_roles,
    )


def is_http_url(value: str) -> bool:
    """True for an ``http://`` or ``https://`` URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)

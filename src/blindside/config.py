"""Settings from the environment, and ``models.toml`` loading and validation.

Two kinds of configuration live here:

* :class:`Settings` -- process-wide knobs read from ``BLINDSIDE_*`` environment
  variables (every one is listed in :data:`SETTINGS` and documented in
  ``docs/configuration.md``). Explicit arguments (CLI flags) beat the
  environment, which beats the defaults.
* :class:`ProjectConfig` -- the endpoints and models declared in
  ``models.toml``. The file is validated as a whole: every problem found is
  reported in one :class:`~blindside.errors.InputError` with file, line and
  field, so a user fixes everything in one pass.

API keys never live in ``models.toml``: an endpoint names the environment
variable that holds its key (``api_key_env``) and :meth:`EndpointConfig.api_key`
reads it at call time.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from blindside.errors import InputError, Problem

__all__ = [
    "DEMO_API_KEY",
    "ENDPOINT_KINDS",
    "NO_KEY_NEEDED",
    "SETTINGS",
    "EndpointConfig",
    "MissingApiKeyError",
    "ModelConfig",
    "Pricing",
    "ProjectConfig",
    "SettingDoc",
    "Settings",
    "load_models_toml",
    "load_settings",
    "normalise_database_url",
    "parse_models_toml",
]

EndpointKind = Literal["openai", "demo"]
ENDPOINT_KINDS: tuple[str, ...] = ("openai", "demo")

#: Key sent to the built-in demo provider; it checks nothing, so this is not a secret.
DEMO_API_KEY = "demo-key-not-secret"
#: Key sent to endpoints without ``api_key_env`` (local vLLM / Ollama); the
#: ``openai`` SDK refuses an empty key, so something must be sent.
NO_KEY_NEEDED = "not-needed"

# Where problems about environment variables are reported (Problem.file).
ENV_SOURCE = "environment"

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


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
)


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
    """

    database_url: str
    models_path: Path
    suites_dir: Path
    demo_seed: int = 0
    demo_latency_scale: float = 1.0
    demo_url: str | None = None


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
        If ``url`` is empty.
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
    # A bare path: absolute, so the URL means the same file whatever the cwd.
    return f"sqlite:///{Path(url).expanduser().resolve()}"


def _env_value(environ: Mapping[str, str], name: str) -> str | None:
    # An empty variable (``VAR=`` in a compose file) means "unset", not "".
    value = environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


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
    db_url = (
        normalise_database_url(raw_db) if raw_db else f"sqlite:///{Path.cwd() / 'blindside.db'}"
    )

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
    raw = _env_value(env, "BLINDSIDE_DEMO_SEED")
    if raw is not None:
        try:
            seed = int(raw)
        except ValueError:
            bad("BLINDSIDE_DEMO_SEED", f"must be an integer, got {raw!r}")

    scale = 1.0
    raw = _env_value(env, "BLINDSIDE_DEMO_LATENCY_SCALE")
    if raw is not None:
        try:
            scale = float(raw)
        except ValueError:
            bad("BLINDSIDE_DEMO_LATENCY_SCALE", f"must be a number, got {raw!r}")
        else:
            if not math.isfinite(scale) or scale < 0:
                bad("BLINDSIDE_DEMO_LATENCY_SCALE", f"must be a finite number >= 0, got {raw!r}")

    demo_url = _env_value(env, "BLINDSIDE_DEMO_URL")
    if demo_url is not None:
        if not _is_http_url(demo_url):
            bad("BLINDSIDE_DEMO_URL", f"must be an http:// or https:// URL, got {demo_url!r}")
        demo_url = demo_url.rstrip("/")

    if problems:
        raise InputError(problems)
    return Settings(
        database_url=db_url,
        models_path=models,
        suites_dir=suites,
        demo_seed=seed,
        demo_latency_scale=scale,
        demo_url=demo_url,
    )


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --------------------------------------------------------------------------
# models.toml: data classes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pricing:
    """Prices in USD per million tokens.

    Attributes
    ----------
    input_per_mtok : float
        Uncached input (prompt) tokens.
    cached_input_per_mtok : float
        Input tokens served from the provider's prompt cache.
    output_per_mtok : float
        Output (completion) tokens, reasoning tokens included.
    """

    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float

    @classmethod
    def of(cls, input: float, output: float, cached_input: float | None = None) -> Pricing:
        """Build from the ``models.toml`` names; ``cached_input`` defaults to ``input``."""
        return cls(
            float(input), float(input if cached_input is None else cached_input), float(output)
        )


FREE = Pricing(0.0, 0.0, 0.0)


class MissingApiKeyError(InputError):
    """The environment variable an endpoint names for its API key is unset or empty.

    Attributes
    ----------
    variable : str
        Name of the environment variable.
    endpoint : str
        Name of the endpoint that needs it.
    """

    def __init__(self, variable: str, endpoint: str) -> None:
        self.variable = variable
        self.endpoint = endpoint
        super().__init__(
            [
                Problem(
                    ENV_SOURCE,
                    None,
                    variable,
                    f"endpoint '{endpoint}' needs an API key: set the environment variable "
                    f"{variable} (named by api_key_env in models.toml)",
                )
            ]
        )


@dataclass(frozen=True)
class EndpointConfig:
    """One ``[[endpoints]]`` entry: where requests go and how many at once.

    Attributes
    ----------
    name : str
        Unique name that models refer to.
    kind : {"openai", "demo"}
        ``openai``: any OpenAI-compatible API at ``base_url``; ``demo``: the
        built-in simulated provider (its URL comes from the settings).
    base_url : str or None
        Base URL including the version path (``https://api.openai.com/v1``).
    api_key_env : str or None
        Name of the environment variable holding the key; None for endpoints
        that need no key (local vLLM / Ollama) and for demo.
    max_concurrency : int
        Most requests in flight at once to this endpoint.
    timeout_s : float
        Per-request timeout in seconds.
    stream : bool
        Whether to request streamed responses (needed to measure time to first token).
    rpm, tpm : float or None
        Requests and tokens per minute allowed by the provider; None = unlimited.
    max_attempts : int
        Attempts per answer on retryable errors (the SDK's own retries are off).
    backoff_base_s, backoff_max_s : float
        Exponential backoff with full jitter: attempt n waits up to
        ``min(backoff_max_s, backoff_base_s * 2**(n-1))``, or what Retry-After asks.
    circuit_failures, circuit_cooldown_s : int, float
        After this many answers in a row failed (retries exhausted), the model's
        circuit opens for the cooldown and its fallbacks serve.
    cached_tokens_in_prompt : bool
        True when ``prompt_tokens`` already includes the cached tokens (OpenAI);
        False for providers that report cached tokens beside the prompt tokens.
    supports_seed : bool
        Whether to send ``seed`` (per sample) with each request.
    batch_discount : float
        Fraction taken off every answer's cost (batch or discounted tiers), in [0, 1).
    line : int
        Line of the ``[[endpoints]]`` header in ``models.toml`` (0 when built in code).
    """

    name: str
    kind: EndpointKind
    base_url: str | None
    api_key_env: str | None
    max_concurrency: int = 8
    timeout_s: float = 120.0
    stream: bool = True
    rpm: float | None = None
    tpm: float | None = None
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    circuit_failures: int = 5
    circuit_cooldown_s: float = 30.0
    cached_tokens_in_prompt: bool = True
    supports_seed: bool = True
    batch_discount: float = 0.0
    line: int = 0

    @property
    def simulated(self) -> bool:
        """True for the built-in demo provider."""
        return self.kind == "demo"

    def api_key(self, environ: Mapping[str, str] | None = None) -> str:
        """The API key to send, read from the environment at call time.

        Parameters
        ----------
        environ : Mapping[str, str], optional
            Environment to read; defaults to ``os.environ``.

        Returns
        -------
        str
            :data:`DEMO_API_KEY` for demo endpoints, :data:`NO_KEY_NEEDED` when
            the endpoint names no variable, else the variable's value (stripped).

        Raises
        ------
        MissingApiKeyError
            If the named variable is unset or blank. The message names the
            variable and the endpoint and never contains a key.
        """
        if self.simulated:
            return DEMO_API_KEY
        if not self.api_key_env:
            return NO_KEY_NEEDED
        env = os.environ if environ is None else environ
        value = env.get(self.api_key_env, "")
        if not value.strip():
            raise MissingApiKeyError(self.api_key_env, self.name)
        return value.strip()


@dataclass(frozen=True)
class DemoFaults:
    """Faults the demo provider injects into one simulated model's answers.

    Attributes
    ----------
    rate : float
        Share of requests that suffer a fault, in [0, 1].
    kinds : tuple of str
        Which faults to draw from (:data:`FAULT_KINDS`).
    latency_ms : float or None
        Fixed total latency per request, instead of the profile's.
    retry_after_s : float
        What 429 answers ask the client to wait.
    capacity : int or None
        Requests the simulated model serves at once; more wait in a queue.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    latency_ms: float | None = None
    retry_after_s: float = 1.0
    capacity: int | None = None


def display_name(name: str, *, simulated: bool) -> str:
    """A model's name as leads see it: simulated (demo) models are labelled as such."""
    if simulated and "simulated" not in name.lower():
        return f"{name} (simulated)"
    return name


@dataclass(frozen=True)
class ModelConfig:
    """One ``[[models]]`` entry.

    Attributes
    ----------
    name : str
        Unique display name a lead sees (raters never do).
    endpoint : EndpointConfig
        Where its requests go.
    model_id : str
        Sent as ``model`` in each request.
    params : dict
        Extra request parameters (``temperature``, ``max_tokens``, ...).
    pricing : Pricing
        Prices per million tokens.
    fallbacks : tuple of str
        Names of models to try when this one fails.
    active : bool
        Inactive models stay in the file (and in history) but are not run.
    faults : DemoFaults or None
        Simulated models only: faults the demo provider injects.
    line : int
        Line of the ``[[models]]`` header (0 when built in code).
    """

    name: str
    endpoint: EndpointConfig
    model_id: str
    params: dict[str, Any] = field(default_factory=dict)
    pricing: Pricing = FREE
    fallbacks: tuple[str, ...] = ()
    active: bool = True
    faults: DemoFaults | None = None
    line: int = 0

    @property
    def simulated(self) -> bool:
        """True when served by the built-in demo provider."""
        return self.endpoint.simulated

    @property
    def display_name(self) -> str:
        """Name for leads; simulated models say so."""
        return display_name(self.name, simulated=self.simulated)


@dataclass(frozen=True)
class ProjectConfig:
    """A validated ``models.toml``.

    Attributes
    ----------
    path : Path
        The file it came from.
    endpoints : dict[str, EndpointConfig]
        Endpoints by name, in file order.
    models : list[ModelConfig]
        Models in file order.
    """

    path: Path
    endpoints: dict[str, EndpointConfig]
    models: list[ModelConfig]

    def active_models(self) -> list[ModelConfig]:
        """Models with ``active = true``, in file order."""
        return [m for m in self.models if m.active]

    def model(self, name: str) -> ModelConfig:
        """The model called ``name``.

        Raises
        ------
        KeyError
            With a message listing the known names.
        """
        for m in self.models:
            if m.name == name:
                return m
        known = ", ".join(repr(m.name) for m in self.models) or "(none)"
        raise KeyError(f"no model named {name!r} in {self.path}; known models: {known}")


# --------------------------------------------------------------------------
# models.toml: locating lines (tomllib reports none for values)
# --------------------------------------------------------------------------

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")


def _key_re(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    # bare, "quoted" or 'quoted' key, followed by "=" or by "." of a dotted key
    return re.compile(rf"""^\s*(?:{k}|"{k}"|'{k}')\s*[=.]""")


def _table_name(raw: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in raw.split("."))


class _Locator:
    """Finds the line of a block header or of a key inside a block.

    A line-oriented scan, good enough for error messages; multi-line strings
    that contain header-looking lines could fool it, and then the answer falls
    back to the block header.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (0-based index, table name, is array-of-tables)
        self.headers: list[tuple[int, str, bool]] = []
        for i, line in enumerate(self.lines):
            m = _HEADER_RE.match(line)
            if m:
                self.headers.append((i, _table_name(m.group(2)), m.group(1) == "[["))

    def _find_key(self, key: str, start: int, end: int) -> int | None:
        pattern = _key_re(key)
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    def _next_header_after(self, i: int) -> int:
        for h, _, _ in self.headers:
            if h > i:
                return h
        return len(self.lines)

    def top_level(self, key: str) -> int | None:
        """Line of a top-level ``key = ...`` or the first ``[key]`` / ``[[key]]`` header."""
        first_header = self.headers[0][0] if self.headers else len(self.lines)
        line = self._find_key(key, 0, first_header)
        if line is not None:
            return line
        for h, name, _ in self.headers:
            if name == key or name.startswith(key + "."):
                return h + 1
        return None

    def block(self, table: str, index: int) -> tuple[int, int] | None:
        """0-based (header, end) of the ``index``-th ``[[table]]`` block."""
        n = -1
        for pos, (h, name, is_array) in enumerate(self.headers):
            if is_array and name == table:
                n += 1
                if n == index:
                    end = len(self.lines)
                    for h2, name2, is_array2 in self.headers[pos + 1 :]:
                        # [table.sub] sub-tables still belong to this element
                        if is_array2 or not name2.startswith(table + "."):
                            end = h2
                            break
                    return h, end
        return None

    def line(self, table: str, index: int, path: tuple[str, ...] = ()) -> int | None:
        """Best line for field ``path`` of the ``index``-th ``[[table]]`` element.

        Falls back to the block header, then to the top-level ``table`` key
        (inline arrays of tables), then None.
        """
        blk = self.block(table, index)
        if blk is None:
            return self.top_level(table)
        header, end = blk
        if not path:
            return header + 1
        own_end = min(self._next_header_after(header), end)
        found = self._find_key(path[0], header + 1, own_end)
        if found is not None:
            return found
        if len(path) > 1:
            # [models.pricing] sub-table form
            sub = f"{table}.{path[0]}"
            for h, name, is_array in self.headers:
                if header < h < end and not is_array and name == sub:
                    found = self._find_key(path[1], h + 1, min(self._next_header_after(h), end))
                    return found if found is not None else h + 1
        return header + 1


# --------------------------------------------------------------------------
# models.toml: validation
# --------------------------------------------------------------------------

_TOP_KEYS = ("endpoints", "models")
_ENDPOINT_KEYS = (
    "name",
    "kind",
    "base_url",
    "api_key_env",
    "max_concurrency",
    "timeout_s",
    "stream",
    "rpm",
    "tpm",
    "max_attempts",
    "backoff_base_s",
    "backoff_max_s",
    "circuit_failures",
    "circuit_cooldown_s",
    "cached_tokens_in_prompt",
    "supports_seed",
    "batch_discount",
)
_MODEL_KEYS = (
    "name",
    "endpoint",
    "model_id",
    "params",
    "pricing",
    "fallbacks",
    "active",
    "faults",
)
_FAULT_KEYS = ("rate", "kinds", "latency_ms", "retry_after_s", "capacity")
FAULT_KINDS = ("429", "500", "503", "timeout", "malformed", "truncate")
_PRICING_KEYS = ("input", "cached_input", "output")
# Set by the engine itself; allowing them in params would silently fight it.
_RESERVED_PARAMS = {
    "model": "use model_id",
    "messages": "messages come from the prompt suite",
    "stream": "use stream on the endpoint",
}

_TOML_SYNTAX_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return "a date/time"
    return type(value).__name__


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python but never a number in a config file
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    """Collects problems for one file."""

    def __init__(self, file: str, locator: _Locator) -> None:
        self.file = file
        self.loc = locator
        self.problems: list[Problem] = []

    def add(self, line: int | None, field_: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, field_, message))

    def number(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: float | None,
        where: str,
        line: int | None,
        *,
        integer: bool = False,
        minimum: float | None = None,
        above: float | None = None,
        below: float | None = None,
        field_: str | None = None,
    ) -> Any:
        """A checked number from ``raw[key]`` (``default`` when absent); records problems."""
        value = raw.get(key, default)
        name = field_ or key
        if value is None:
            return None
        kind = "an integer" if integer else "a number"
        ok_type = (
            isinstance(value, int) and not isinstance(value, bool) if integer else _is_number(value)
        )
        if not ok_type:
            self.add(line, name, f"{where}: '{name}' must be {kind}, got {_toml_type(value)}")
            return default
        bounds = []
        if minimum is not None and not value >= minimum:
            bounds.append(f">= {minimum:g}")
        if above is not None and not value > above:
            bounds.append(f"> {above:g}")
        if below is not None and not value < below:
            bounds.append(f"< {below:g}")
        if bounds or not math.isfinite(value):
            need = " and ".join(bounds) or "finite"
            self.add(line, name, f"{where}: '{name}' must be {need}, got {value}")
            return default
        return value

    def boolean(
        self, raw: Mapping[str, Any], key: str, default: bool, where: str, line: int | None
    ) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(line, key, f"{where}: '{key}' must be true or false, got {_toml_type(value)}")
            return default
        return value

    def unknown_keys(
        self,
        raw: Mapping[str, Any],
        allowed: tuple[str, ...],
        where: str,
        line_of: Any,
        prefix: str = "",
    ) -> None:
        for key in raw:
            if key in allowed or key == "api_key":
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            self.add(
                line_of(key),
                prefix + key,
                f"{where}: unknown key '{prefix}{key}' (allowed: {', '.join(allowed)}){suggestion}",
            )


def _label(kind: str, raw: Mapping[str, Any], index: int) -> str:
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        return f"{kind} '{name}'"
    return f"{kind} #{index + 1}"


def _check_endpoint(ck: _Checker, raw: Any, index: int) -> EndpointConfig | None:
    """Validate one ``[[endpoints]]`` table; None when it has problems."""
    before = len(ck.problems)
    header = ck.loc.line("endpoints", index) or None

    def at(*path: str) -> int | None:
        return ck.loc.line("endpoints", index, path)

    if not isinstance(raw, dict):
        ck.add(header, "endpoints", f"endpoint #{index + 1} must be a table, got {_toml_type(raw)}")
        return None
    where = _label("endpoint", raw, index)
    ck.unknown_keys(raw, _ENDPOINT_KEYS, where, lambda k: at(k))

    if "api_key" in raw:
        # The value is deliberately never echoed: it may be a real secret.
        ck.add(
            at("api_key"),
            "api_key",
            f"{where}: API keys must not be written in models.toml; put the key in an "
            "environment variable and name it in api_key_env",
        )

    name = raw.get("name")
    if name is None:
        ck.add(header, "name", f"{where}: missing required key 'name'")
    elif not isinstance(name, str) or not name.strip():
        ck.add(at("name"), "name", f"{where}: 'name' must be a non-empty string")

    kind = raw.get("kind", "openai")
    if kind not in ENDPOINT_KINDS:
        shown = repr(kind) if isinstance(kind, str) else _toml_type(kind)
        ck.add(
            at("kind"),
            "kind",
            f"{where}: 'kind' must be one of {', '.join(ENDPOINT_KINDS)}, got {shown}",
        )

    base_url = raw.get("base_url")
    if base_url is not None and not isinstance(base_url, str):
        ck.add(
            at("base_url"),
            "base_url",
            f"{where}: 'base_url' must be a string, got {_toml_type(base_url)}",
        )
    elif kind == "demo" and base_url is not None:
        ck.add(
            at("base_url"),
            "base_url",
            f"{where}: demo endpoints take no base_url (set BLINDSIDE_DEMO_URL to use a "
            "running `blindside serve-demo`)",
        )
    elif kind == "openai" and base_url is None:
        ck.add(
            header,
            "base_url",
            f"{where}: missing required key 'base_url' (e.g. \"https://api.openai.com/v1\")",
        )
    elif isinstance(base_url, str) and not _is_http_url(base_url):
        ck.add(
            at("base_url"),
            "base_url",
            f"{where}: 'base_url' must be an http:// or https:// URL, got {base_url!r}",
        )

    key_env = raw.get("api_key_env")
    if key_env is not None:
        if not isinstance(key_env, str) or not _ENV_NAME_RE.match(key_env):
            shown = repr(key_env) if isinstance(key_env, str) else _toml_type(key_env)
            ck.add(
                at("api_key_env"),
                "api_key_env",
                f"{where}: 'api_key_env' must be the NAME of an environment variable "
                f"(letters, digits, underscores, e.g. OPENAI_API_KEY), got {shown}",
            )
        elif kind == "demo":
            ck.add(at("api_key_env"), "api_key_env", f"{where}: demo endpoints take no api_key_env")

    max_conc = ck.number(
        raw, "max_concurrency", 8, where, at("max_concurrency"), integer=True, minimum=1
    )
    timeout = ck.number(raw, "timeout_s", 120.0, where, at("timeout_s"), above=0)
    stream = ck.boolean(raw, "stream", True, where, at("stream"))
    rpm = ck.number(raw, "rpm", None, where, at("rpm"), above=0)
    tpm = ck.number(raw, "tpm", None, where, at("tpm"), above=0)
    attempts = ck.number(raw, "max_attempts", 4, where, at("max_attempts"), integer=True, minimum=1)
    backoff_base = ck.number(raw, "backoff_base_s", 0.5, where, at("backoff_base_s"), minimum=0)
    backoff_max = ck.number(raw, "backoff_max_s", 30.0, where, at("backoff_max_s"), minimum=0)
    circuit_failures = ck.number(
        raw, "circuit_failures", 5, where, at("circuit_failures"), integer=True, minimum=1
    )
    circuit_cooldown = ck.number(
        raw, "circuit_cooldown_s", 30.0, where, at("circuit_cooldown_s"), minimum=0
    )
    cached_in_prompt = ck.boolean(
        raw, "cached_tokens_in_prompt", True, where, at("cached_tokens_in_prompt")
    )
    supports_seed = ck.boolean(raw, "supports_seed", True, where, at("supports_seed"))
    batch_discount = ck.number(
        raw, "batch_discount", 0.0, where, at("batch_discount"), minimum=0, below=1
    )

    if len(ck.problems) > before:
        return None
    return EndpointConfig(
        name=name,
        kind=kind,
        base_url=base_url.rstrip("/") if base_url else None,
        api_key_env=key_env,
        max_concurrency=max_conc,
        timeout_s=float(timeout),
        stream=stream,
        rpm=None if rpm is None else float(rpm),
        tpm=None if tpm is None else float(tpm),
        max_attempts=attempts,
        backoff_base_s=float(backoff_base),
        backoff_max_s=float(backoff_max),
        circuit_failures=circuit_failures,
        circuit_cooldown_s=float(circuit_cooldown),
        cached_tokens_in_prompt=cached_in_prompt,
        supports_seed=supports_seed,
        batch_discount=float(batch_discount),
        line=header or 0,
    )


def _check_pricing(ck: _Checker, raw: Any, where: str, index: int) -> Pricing | None:
    def at(*path: str) -> int | None:
        return ck.loc.line("models", index, path)

    header = at()
    if raw is None:
        ck.add(
            header,
            "pricing",
            f"{where}: missing required key 'pricing' (USD per million tokens, e.g. "
            "{ input = 0.15, output = 0.6 }; use { input = 0, output = 0 } for self-hosted)",
        )
        return None
    if not isinstance(raw, dict):
        ck.add(
            at("pricing"), "pricing", f"{where}: 'pricing' must be a table, got {_toml_type(raw)}"
        )
        return None
    before = len(ck.problems)
    ck.unknown_keys(raw, _PRICING_KEYS, where, lambda k: at("pricing", k), prefix="pricing.")
    values: dict[str, float] = {}
    for key in _PRICING_KEYS:
        value = raw.get(key)
        fld = f"pricing.{key}"
        if value is None:
            if key != "cached_input":
                ck.add(at("pricing", key), fld, f"{where}: missing required key '{fld}'")
        elif not _is_number(value):
            ck.add(
                at("pricing", key),
                fld,
                f"{where}: '{fld}' must be a number, got {_toml_type(value)}",
            )
        elif not math.isfinite(value) or value < 0:
            ck.add(
                at("pricing", key),
                fld,
                f"{where}: '{fld}' must be >= 0 (USD per million tokens), got {value}",
            )
        else:
            values[key] = float(value)
    if len(ck.problems) > before:
        return None
    return Pricing.of(values["input"], values["output"], values.get("cached_input"))


def _check_model(
    ck: _Checker, raw: Any, index: int, endpoints: Mapping[str, EndpointConfig | None]
) -> dict[str, Any] | None:
    """Validate one ``[[models]]`` table; returns its checked values or None.

    ``endpoints`` maps every declared endpoint name to its config, or to None
    when that endpoint itself was invalid (so no second, misleading
    "unknown endpoint" problem is reported).
    """
    before = len(ck.problems)
    header = ck.loc.line("models", index)

    def at(*path: str) -> int | None:
        return ck.loc.line("models", index, path)

    if not isinstance(raw, dict):
        ck.add(header, "models", f"model #{index + 1} must be a table, got {_toml_type(raw)}")
        return None
    where = _label("model", raw, index)
    ck.unknown_keys(raw, _MODEL_KEYS, where, lambda k: at(k))
    if "api_key" in raw:
        ck.add(
            at("api_key"),
            "api_key",
            f"{where}: API keys must not be written in models.toml; put the key in an "
            "environment variable and name it in api_key_env of the endpoint",
        )

    for key in ("name", "endpoint", "model_id"):
        value = raw.get(key)
        if value is None:
            ck.add(header, key, f"{where}: missing required key '{key}'")
        elif not isinstance(value, str) or not value.strip():
            ck.add(at(key), key, f"{where}: '{key}' must be a non-empty string")

    endpoint_name = raw.get("endpoint")
    if isinstance(endpoint_name, str) and endpoint_name.strip() and endpoint_name not in endpoints:
        known = ", ".join(repr(n) for n in endpoints) or "(none declared)"
        ck.add(
            at("endpoint"),
            "endpoint",
            f"{where}: unknown endpoint {endpoint_name!r}; declared endpoints: {known}",
        )

    params = raw.get("params", {})
    if not isinstance(params, dict):
        ck.add(
            at("params"), "params", f"{where}: 'params' must be a table, got {_toml_type(params)}"
        )
    else:
        for key, instead in _RESERVED_PARAMS.items():
            if key in params:
                ck.add(
                    at("params"),
                    f"params.{key}",
                    f"{where}: 'params.{key}' is set by blindside itself; {instead}",
                )

    pricing = _check_pricing(ck, raw.get("pricing"), where, index)

    fallbacks = raw.get("fallbacks", [])
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        ck.add(
            at("fallbacks"),
            "fallbacks",
            f"{where}: 'fallbacks' must be an array of model names (strings)",
        )
        fallbacks = []

    active = ck.boolean(raw, "active", True, where, at("active"))
    faults = _check_faults(
        ck, raw, where, at, endpoints.get(endpoint_name) if isinstance(endpoint_name, str) else None
    )

    if len(ck.problems) > before:
        return None
    return {
        "name": raw["name"],
        "endpoint": endpoints[endpoint_name],
        "model_id": raw["model_id"],
        "params": dict(params),
        "pricing": pricing,
        "fallbacks": tuple(fallbacks),
        "active": active,
        "faults": faults,
        "line": header or 0,
        "endpoint_name": endpoint_name,
    }


def _check_faults(
    ck: _Checker,
    raw: Mapping[str, Any],
    where: str,
    at: Callable[..., int | None],
    endpoint: EndpointConfig | None,
) -> DemoFaults | None:
    """Validate a model's ``faults`` table (demo endpoints only)."""
    value = raw.get("faults")
    if value is None:
        return None
    if not isinstance(value, dict):
        ck.add(
            at("faults"), "faults", f"{where}: 'faults' must be a table, got {_toml_type(value)}"
        )
        return None
    if endpoint is not None and not endpoint.simulated:
        ck.add(
            at("faults"),
            "faults",
            f"{where}: 'faults' only applies to models on a demo endpoint (real providers "
            "bring their own)",
        )
        return None
    before = len(ck.problems)
    ck.unknown_keys(value, _FAULT_KEYS, where, lambda k: at("faults", k), prefix="faults.")
    line = at("faults")
    rate = ck.number(value, "rate", 0.0, where, line, minimum=0, field_="faults.rate")
    if rate is not None and rate > 1:
        ck.add(line, "faults.rate", f"{where}: 'faults.rate' must be <= 1, got {rate}")
    kinds = value.get("kinds", list(FAULT_KINDS))
    if not isinstance(kinds, list) or any(k not in FAULT_KINDS for k in kinds):
        ck.add(
            line,
            "faults.kinds",
            f"{where}: 'faults.kinds' must be an array of {', '.join(FAULT_KINDS)}",
        )
        kinds = []
    latency = ck.number(value, "latency_ms", None, where, line, above=0, field_="faults.latency_ms")
    retry_after = ck.number(
        value, "retry_after_s", 1.0, where, line, minimum=0, field_="faults.retry_after_s"
    )
    capacity = ck.number(
        value, "capacity", None, where, line, integer=True, minimum=1, field_="faults.capacity"
    )
    if len(ck.problems) > before:
        return None
    return DemoFaults(
        rate=float(rate),
        kinds=tuple(kinds),
        latency_ms=None if latency is None else float(latency),
        retry_after_s=float(retry_after),
        capacity=None if capacity is None else int(capacity),
    )


def _array_of_tables(ck: _Checker, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        ck.add(
            ck.loc.top_level(key),
            key,
            f"'{key}' must be an array of tables ([[{key}]] blocks), got {_toml_type(value)}",
        )
        return []
    return value


def parse_models_toml(text: str, *, file: str) -> ProjectConfig:
    """Parse and validate the text of a ``models.toml``.

    Parameters
    ----------
    text : str
        The file's content.
    file : str
        Path to name in problems (and stored as :attr:`ProjectConfig.path`).

    Returns
    -------
    ProjectConfig

    Raises
    ------
    InputError
        Listing every problem found, each with file, line and field.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_SYNTAX_LINE_RE.search(message)
        if m:
            line: int | None = int(m.group(1))
        elif "end of document" in message:
            line = max(1, len(text.splitlines()))
        else:
            line = None
        raise InputError([Problem(file, line, "", f"TOML syntax error: {message}")]) from None

    ck = _Checker(file, _Locator(text))
    ck.unknown_keys(data, _TOP_KEYS, "top level", ck.loc.top_level)
    if "api_key" in data:
        ck.add(
            ck.loc.top_level("api_key"),
            "api_key",
            "API keys must not be written in models.toml; put the key in an environment "
            "variable and name it in api_key_env",
        )

    # Endpoints first: models refer to them.
    endpoints: dict[str, EndpointConfig | None] = {}
    for i, raw in enumerate(_array_of_tables(ck, data, "endpoints")):
        ep = _check_endpoint(ck, raw, i)
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        if name in endpoints:
            ck.add(
                ck.loc.line("endpoints", i, ("name",)),
                "name",
                f"duplicate endpoint name {name!r} (endpoint names must be unique)",
            )
            continue
        endpoints[name] = ep

    raw_models = _array_of_tables(ck, data, "models")
    if not raw_models and isinstance(data.get("models", []), list):
        ck.add(None, "models", "no [[models]] declared; add at least one model")

    checked: list[tuple[int, dict[str, Any]]] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(raw_models):
        values = _check_model(ck, raw, i, endpoints)
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name.strip():
            if name in names:
                ck.add(
                    ck.loc.line("models", i, ("name",)),
                    "name",
                    f"duplicate model name {name!r} (first at model #{names[name] + 1}; "
                    "model names must be unique)",
                )
                continue
            names[name] = i
        if values is not None:
            checked.append((i, values))

    # Fallbacks may name models further down the file, so check after the loop.
    for i, raw in enumerate(raw_models):
        if not isinstance(raw, dict) or not isinstance(raw.get("fallbacks"), list):
            continue
        where = _label("model", raw, i)
        for fb in raw["fallbacks"]:
            if not isinstance(fb, str):
                continue
            if fb == raw.get("name"):
                ck.add(
                    ck.loc.line("models", i, ("fallbacks",)),
                    "fallbacks",
                    f"{where}: a model cannot be its own fallback",
                )
            elif fb not in names:
                hint = difflib.get_close_matches(fb, list(names), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                ck.add(
                    ck.loc.line("models", i, ("fallbacks",)),
                    "fallbacks",
                    f"{where}: unknown fallback model {fb!r}{suggestion}",
                )

    if ck.problems:
        # File order reads best; the sort is stable, so same-line problems keep check order.
        raise InputError(sorted(ck.problems, key=lambda p: p.line or 0))

    models: list[ModelConfig] = []
    for _, v in checked:
        endpoint = v.pop("endpoint")
        v.pop("endpoint_name")
        assert endpoint is not None  # an invalid endpoint would have left a problem
        models.append(ModelConfig(endpoint=endpoint, **v))
    eps = {name: ep for name, ep in endpoints.items() if ep is not None}
    return ProjectConfig(path=Path(file), endpoints=eps, models=models)


def load_models_toml(path: str | Path) -> ProjectConfig:
    """Read and validate ``models.toml``.

    Parameters
    ----------
    path : str or Path
        The file; problems name it as given.

    Returns
    -------
    ProjectConfig

    Raises
    ------
    InputError
        If the file is missing, unreadable, not UTF-8, or invalid.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(
            file, None, "", "file not found (set BLINDSIDE_MODELS or pass --models)"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(file, None, "", f"not valid UTF-8: {exc.reason}") from None
    except OSError as exc:
        raise InputError.single(file, None, "", f"cannot read: {exc.strerror}") from None
    return parse_models_toml(text, file=file)

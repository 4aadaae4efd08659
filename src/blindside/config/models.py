"""The model of a validated ``models.toml``: endpoints, models and prices.

These are plain frozen dataclasses; :mod:`blindside.config.validation` builds
them from the file. API keys never live in ``models.toml``: an endpoint names
the environment variable that holds its key (``api_key_env``) and
:meth:`EndpointConfig.api_key` reads it at call time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from blindside.config.drift import DemoOverride, DriftThresholds, PublishedFigures
from blindside.config.faults import FaultConfig
from blindside.config.rubrics import RubricConfig
from blindside.config.settings import ENV_SOURCE
from blindside.errors import InputError, Problem

EndpointKind = Literal["openai", "demo"]
ENDPOINT_KINDS: tuple[str, ...] = ("openai", "demo")


@dataclass(frozen=True)
class Pricing:
    """Prices in USD per million tokens, and the provider's batch discount.

    Attributes
    ----------
    input_per_mtok : float
        Uncached input (prompt) tokens.
    cached_input_per_mtok : float
        Input tokens served from the provider's prompt cache (a cache read).
    output_per_mtok : float
        Output (completion) tokens, reasoning tokens included.
    cache_write_per_mtok : float
        Input tokens written into the prompt cache (Anthropic-style caching bills a
        write above plain input; OpenAI-style caching does not, so it defaults to
        ``input_per_mtok``).
    batch_discount : float
        Fraction in [0, 1) the provider takes off through its batch API (0.5: half
        price). blindside never calls a batch API: it projects what the measured
        answers would have cost there (:func:`blindside.client.usage.batch_cost_usd`).
    """

    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float
    cache_write_per_mtok: float | None = None
    batch_discount: float = 0.0

    def __post_init__(self) -> None:
        if self.cache_write_per_mtok is None:
            object.__setattr__(self, "cache_write_per_mtok", self.input_per_mtok)

    @classmethod
    def of(
        cls,
        input: float,
        output: float,
        cached_input: float | None = None,
        cache_write: float | None = None,
        batch_discount: float = 0.0,
    ) -> Pricing:
        """Build from the ``models.toml`` names; ``cached_input`` and ``cache_write``
        default to ``input``."""
        return cls(
            float(input),
            float(input if cached_input is None else cached_input),
            float(output),
            float(input if cache_write is None else cache_write),
            float(batch_discount),
        )

    def record(self) -> dict[str, float]:
        """The prices as stored with a model (``Model.pricing``), under the models.toml names."""
        return {
            "input": self.input_per_mtok,
            "cached_input": self.cached_input_per_mtok,
            "output": self.output_per_mtok,
            "cache_write": float(self.cache_write_per_mtok or 0.0),
            "batch_discount": self.batch_discount,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Pricing:
        """The inverse of :meth:`record`; keys a model stored before they existed default."""
        return cls.of(
            record.get("input") or 0.0,
            record.get("output") or 0.0,
            record.get("cached_input"),
            record.get("cache_write"),
            record.get("batch_discount") or 0.0,
        )


FREE = Pricing(0.0, 0.0, 0.0)


#: Key sent to the built-in demo provider; it checks nothing, so this is not a secret.
DEMO_API_KEY = "demo-key-not-secret"
#: Key sent to endpoints without ``api_key_env`` (local vLLM / Ollama); the
#: ``openai`` SDK refuses an empty key, so something must be sent.
NO_KEY_NEEDED = "not-needed"


class MissingApiKeyError(InputError):
    """The environment variable an endpoint names for its API key (or a secret header) is unset.

    Attributes
    ----------
    variable : str
        Name of the environment variable.
    endpoint : str
        Name of the endpoint that needs it.
    header : str, optional
        The ``headers_env`` header whose value it holds; None for the API key.
    """

    def __init__(self, variable: str, endpoint: str, *, header: str | None = None) -> None:
        self.variable = variable
        self.endpoint = endpoint
        if header is None:
            what = f"an API key: set the environment variable {variable} (named by api_key_env"
        else:
            what = (
                f"the value of its header {header}: set the environment variable {variable} "
                "(named by headers_env"
            )
        message = f"endpoint '{endpoint}' needs {what} in models.toml)"
        super().__init__([Problem(ENV_SOURCE, None, variable, message)])


@dataclass(frozen=True)
class EndpointConfig:
    """One ``[[endpoints]]`` entry: where requests go and how many at once.

    Attributes
    ----------
    name : str
        Unique name; a model names its endpoint in ``endpoint``.
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
        The provider's batch API discount, in [0, 1): the default of each of its
        models' ``pricing.batch_discount``. It projects a batch cost; it is never
        taken off a measured cost (blindside sends ordinary requests).
    headers : dict of str to str
        Extra HTTP headers sent with every request (routers' provider and
        attribution headers: ``x-portkey-provider``, ``HTTP-Referer``, ...).
        Their values are written in models.toml, so they are not secrets.
    headers_env : dict of str to str
        Secret headers: header name to the environment variable holding its
        value (``{"x-portkey-api-key" = "PORTKEY_API_KEY"}``), read when a
        client is made, like the API key, and redacted wherever text is stored.
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
    headers: Mapping[str, str] = field(default_factory=dict)
    headers_env: Mapping[str, str] = field(default_factory=dict)
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

    def secret_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The ``headers_env`` headers with their values, read from the environment now.

        Raises
        ------
        MissingApiKeyError
            If a named variable is unset or blank; the message names the
            variable and the header, never a value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for header, variable in self.headers_env.items():
            value = env.get(variable, "").strip()
            if not value:
                raise MissingApiKeyError(variable, self.name, header=header)
            values[header] = value
        return values

    def request_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every configured header to send: the plain ones and the secret ones.

        Raises
        ------
        MissingApiKeyError
            As :meth:`secret_headers`.
        """
        return {**self.headers, **self.secret_headers(environ)}

    def secret_values(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The values to redact from anything stored or shown: the key and secret headers.

        Raises
        ------
        MissingApiKeyError
            As :meth:`api_key` and :meth:`secret_headers`.
        """
        return [self.api_key(environ), *self.secret_headers(environ).values()]


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
    faults : FaultConfig or None
        Simulated models only: faults the demo provider injects.
    drift : dict of str to float
        This model's own drift thresholds (``drift = {...}``), over ``[drift]``.
    published : PublishedFigures or None
        What its vendor published, shown beside what was measured.
    demo : DemoOverride or None
        Simulated models only: a change to the simulated profile.
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
    faults: FaultConfig | None = None
    drift: dict[str, float] = field(default_factory=dict)
    published: PublishedFigures | None = None
    demo: DemoOverride | None = None
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
        The file it was read from, as given.
    endpoints : dict[str, EndpointConfig]
        Endpoints by name, in file order.
    models : list[ModelConfig]
        Models in file order.
    monthly_volume : dict[int, int]
        Tasks per month planned per tier (``[volume] tier3 = 2_000_000``), for the
        projected monthly cost; tiers the file leaves out are missing.
    drift : DriftThresholds
        ``[drift]``: when a re-benchmark's change is an alert (defaults when absent).
    drift_judge : str or None
        ``[drift] judge``: the model whose verdicts ``rebench`` compares as judge preference.
    judge_rubrics : tuple of RubricConfig
        ``[[judge_rubrics]]``: rubrics that replace the shipped ones for an LLM judge.
    """

    path: Path
    endpoints: dict[str, EndpointConfig]
    models: list[ModelConfig]
    monthly_volume: dict[int, int] = field(default_factory=dict)
    drift: DriftThresholds = field(default_factory=DriftThresholds)
    drift_judge: str | None = None
    judge_rubrics: tuple[RubricConfig, ...] = ()

    def drift_thresholds(self, model_name: str) -> DriftThresholds:
        """``[drift]`` with the model's own ``drift`` table applied (unknown names: ``[drift]``)."""
        for m in self.models:
            if m.name == model_name:
                return self.drift.with_overrides(m.drift)
        return self.drift

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

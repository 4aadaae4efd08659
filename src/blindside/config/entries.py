"""Validation of one ``[[endpoints]]`` or ``[[models]]`` entry of ``models.toml``.

Each check records its problems on the :class:`~blindside.config.checker.Checker`
(with line and field) and returns the built value, or None when the entry has
problems.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from blindside.config.checker import NO_API_KEYS, Checker, is_number, label, toml_type
from blindside.config.drift import check_demo_override, check_published, check_thresholds
from blindside.config.faults import FAULT_KINDS, FaultConfig
from blindside.config.headers import check_headers
from blindside.config.models import ENDPOINT_KINDS, EndpointConfig, Pricing
from blindside.config.settings import is_http_url

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
    "headers",
    "headers_env",
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
    "drift",
    "published",
    "demo",
)
# The faults table's keys are FaultConfig's fields, in order.
_FAULT_KEYS = tuple(f.name for f in dataclasses.fields(FaultConfig))
_PRICING_KEYS = ("input", "cached_input", "output", "cache_write", "batch_discount")
# Prices in USD per million tokens; the rest of _PRICING_KEYS are optional.
_REQUIRED_PRICES = ("input", "output")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Set by the engine itself; allowing them in params would silently fight it.
_RESERVED_PARAMS = {
    "model": "use model_id",
    "messages": "messages come from the prompt suite",
    "stream": "use stream on the endpoint",
    # The body is sent as JSON as it is: these SDK-only names would land in it.
    "extra_headers": "set headers (or headers_env for secret values) on the endpoint",
    "extra_body": "write its fields in params directly",
    "extra_query": "put the query in the endpoint's base_url",
}


def _open_entry(
    ck: Checker, raw: Any, index: int, *, section: str, allowed: tuple[str, ...]
) -> tuple[int | None, str, Callable[..., int | None]] | None:
    """What every ``[[endpoints]]`` or ``[[models]]`` entry needs first.

    Records a problem for an entry that is not a table, for each unknown key and
    for an API key written in the file.

    Returns
    -------
    tuple or None
        The entry's header line, its name in messages (:func:`label`) and the finder
        of its keys' lines (``at("pricing", "input")``); None when ``raw`` is not a
        table, so nothing more can be checked.
    """
    kind = section.removesuffix("s")
    header = ck.loc.line(section, index) or None

    def at(*path: str) -> int | None:
        return ck.loc.line(section, index, path)

    if not isinstance(raw, dict):
        ck.add(header, section, f"{kind} #{index + 1} must be a table, got {toml_type(raw)}")
        return None
    where = label(kind, raw, index)
    ck.unknown_keys(raw, allowed, where, at)
    if "api_key" in raw:
        # The value is deliberately never echoed: it may be a real secret.
        whose = " of the endpoint" if section == "models" else ""
        ck.add(at("api_key"), "api_key", f"{where}: {NO_API_KEYS}{whose}")
    return header, where, at


def check_endpoint(ck: Checker, raw: Any, index: int) -> EndpointConfig | None:
    """Validate one ``[[endpoints]]`` table; None when it has problems."""
    before = len(ck.problems)
    opened = _open_entry(ck, raw, index, section="endpoints", allowed=_ENDPOINT_KEYS)
    if opened is None:
        return None
    header, where, at = opened

    name = raw.get("name")
    if name is None:
        ck.add(header, "name", f"{where}: missing required key 'name'")
    elif not isinstance(name, str) or not name.strip():
        ck.add(at("name"), "name", f"{where}: 'name' must be a non-empty string")

    kind = raw.get("kind", "openai")
    if kind not in ENDPOINT_KINDS:
        shown = repr(kind) if isinstance(kind, str) else toml_type(kind)
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
            f"{where}: 'base_url' must be a string, got {toml_type(base_url)}",
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
    elif isinstance(base_url, str) and not is_http_url(base_url):
        ck.add(
            at("base_url"),
            "base_url",
            f"{where}: 'base_url' must be an http:// or https:// URL, got {base_url!r}",
        )

    key_env = raw.get("api_key_env")
    if key_env is not None:
        if not isinstance(key_env, str) or not _ENV_NAME_RE.match(key_env):
            shown = repr(key_env) if isinstance(key_env, str) else toml_type(key_env)
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
    headers = check_headers(ck, raw, where, at)

    if len(ck.problems) > before or headers is None:
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
        headers=headers[0],
        headers_env=headers[1],
        line=header or 0,
    )


def _check_pricing(
    ck: Checker,
    raw: Any,
    where: str,
    at: Callable[..., int | None],
    endpoint: EndpointConfig | None,
) -> Pricing | None:
    """The model's prices; ``batch_discount`` defaults to its endpoint's."""
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
            at("pricing"), "pricing", f"{where}: 'pricing' must be a table, got {toml_type(raw)}"
        )
        return None
    before = len(ck.problems)
    ck.unknown_keys(raw, _PRICING_KEYS, where, lambda k: at("pricing", k), prefix="pricing.")
    values: dict[str, float] = {}
    for key in _PRICING_KEYS[:-1]:
        value = raw.get(key)
        fld = f"pricing.{key}"
        if value is None:
            if key in _REQUIRED_PRICES:
                ck.add(at("pricing", key), fld, f"{where}: missing required key '{fld}'")
        elif not is_number(value):
            ck.add(
                at("pricing", key),
                fld,
                f"{where}: '{fld}' must be a number, got {toml_type(value)}",
            )
        elif not math.isfinite(value) or value < 0:
            ck.add(
                at("pricing", key),
                fld,
                f"{where}: '{fld}' must be >= 0 (USD per million tokens), got {value}",
            )
        else:
            values[key] = float(value)
    default_discount = endpoint.batch_discount if endpoint is not None else 0.0
    discount = ck.number(
        raw,
        "batch_discount",
        default_discount,
        where,
        at("pricing", "batch_discount"),
        minimum=0,
        below=1,
        field_="pricing.batch_discount",
    )
    if len(ck.problems) > before:
        return None
    return Pricing.of(
        values["input"],
        values["output"],
        values.get("cached_input"),
        values.get("cache_write"),
        float(discount),
    )


def check_model(
    ck: Checker, raw: Any, index: int, endpoints: Mapping[str, EndpointConfig | None]
) -> dict[str, Any] | None:
    """Validate one ``[[models]]`` table; returns its checked values or None.

    ``endpoints`` maps every declared endpoint name to its config, or to None
    when that endpoint itself was invalid (so no second, misleading
    "unknown endpoint" problem is reported).
    """
    before = len(ck.problems)
    opened = _open_entry(ck, raw, index, section="models", allowed=_MODEL_KEYS)
    if opened is None:
        return None
    header, where, at = opened

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
            at("params"), "params", f"{where}: 'params' must be a table, got {toml_type(params)}"
        )
    else:
        for key, instead in _RESERVED_PARAMS.items():
            if key in params:
                ck.add(
                    at("params"),
                    f"params.{key}",
                    f"{where}: 'params.{key}' is set by blindside itself; {instead}",
                )

    endpoint = endpoints.get(endpoint_name) if isinstance(endpoint_name, str) else None
    pricing = _check_pricing(ck, raw.get("pricing"), where, at, endpoint)

    fallbacks = raw.get("fallbacks", [])
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        ck.add(
            at("fallbacks"),
            "fallbacks",
            f"{where}: 'fallbacks' must be an array of model names (strings)",
        )
        fallbacks = []

    active = ck.boolean(raw, "active", True, where, at("active"))
    faults = _check_faults(ck, raw, where, at, endpoint)

    endpoint = endpoints.get(endpoint_name) if isinstance(endpoint_name, str) else None
    drift = {}
    if "drift" in raw:
        drift = check_thresholds(
            ck, raw["drift"], where, lambda k: at("drift", k) if k else at("drift"), "drift."
        )
    published = check_published(ck, raw.get("published"), where, at)
    demo = check_demo_override(
        ck, raw.get("demo"), where, at, None if endpoint is None else endpoint.simulated
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
        "drift": drift,
        "published": published,
        "demo": demo,
        "line": header or 0,
        "endpoint_name": endpoint_name,
    }


def _check_faults(
    ck: Checker,
    raw: Mapping[str, Any],
    where: str,
    at: Callable[..., int | None],
    endpoint: EndpointConfig | None,
) -> FaultConfig | None:
    """Validate a model's ``faults`` table (demo endpoints only)."""
    value = raw.get("faults")
    if value is None:
        return None
    if not isinstance(value, dict):
        ck.add(at("faults"), "faults", f"{where}: 'faults' must be a table, got {toml_type(value)}")
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
    if rate and not kinds and len(ck.problems) == before:
        ck.add(
            line,
            "faults.kinds",
            f"{where}: 'faults.kinds' must name at least one fault when 'faults.rate' is above 0",
        )
    if len(ck.problems) > before:
        return None
    return FaultConfig(
        rate=float(rate),
        kinds=tuple(kinds),
        latency_ms=None if latency is None else float(latency),
        retry_after_s=float(retry_after),
        capacity=None if capacity is None else int(capacity),
    )

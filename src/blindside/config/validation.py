"""Parsing and validating a whole ``models.toml``.

The file is validated as a whole: every problem found is reported in one
:class:`~blindside.errors.InputError` with file, line and field, so a user fixes
everything in one pass. Single entries are checked in
:mod:`blindside.config.entries`; this module checks the file's syntax, its top
level, and what spans entries (unique names, fallbacks naming other models).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from blindside.config.checker import NO_API_KEYS, Checker, label, toml_type
from blindside.config.drift import DriftThresholds, check_thresholds
from blindside.config.entries import check_endpoint, check_model
from blindside.config.locator import Locator
from blindside.config.models import EndpointConfig, ModelConfig, ProjectConfig
from blindside.config.rubrics import check_rubrics
from blindside.errors import InputError, Problem

_TOP_KEYS = ("endpoints", "models", "volume", "drift", "judge_rubrics")
#: The keys of ``[volume]``: tasks per month for each tier.
VOLUME_KEYS = ("tier1", "tier2", "tier3")
_TOML_SYNTAX_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")


def _array_of_tables(ck: Checker, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        ck.add(
            ck.loc.top_level(key),
            key,
            f"'{key}' must be an array of tables ([[{key}]] blocks), got {toml_type(value)}",
        )
        return []
    return value


def _volume(ck: Checker, data: Mapping[str, Any]) -> dict[int, int]:
    """``[volume]``: tasks per month per tier, each a positive integer."""
    raw = data.get("volume", {})
    if not isinstance(raw, dict):
        ck.add(
            ck.loc.top_level("volume"),
            "volume",
            f"'volume' must be a table ([volume] with tier1, tier2, tier3), got {toml_type(raw)}",
        )
        return {}
    ck.unknown_keys(
        raw, VOLUME_KEYS, "[volume]", lambda key: ck.loc.table_key("volume", key), "volume."
    )
    volumes = {}
    for key in VOLUME_KEYS:
        if key not in raw:
            continue
        value = ck.number(
            raw,
            key,
            None,
            "[volume]",
            ck.loc.table_key("volume", key),
            integer=True,
            minimum=1,
            field_=f"volume.{key}",
        )
        if value is not None:
            volumes[int(key.removeprefix("tier"))] = int(value)
    return volumes


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
        The file's endpoints and models, each checked.

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

    ck = Checker(file, Locator(text))
    ck.unknown_keys(data, _TOP_KEYS, "top level", ck.loc.top_level)
    if "api_key" in data:
        ck.add(
            ck.loc.top_level("api_key"),
            "api_key",
            NO_API_KEYS,
        )

    volume = _volume(ck, data)
    drift = DriftThresholds()
    drift_judge = None
    if "drift" in data:
        raw_drift = data["drift"]
        if isinstance(raw_drift, dict) and "judge" in raw_drift:
            raw_drift = dict(raw_drift)
            drift_judge = raw_drift.pop("judge")
        drift = drift.with_overrides(
            check_thresholds(
                ck,
                raw_drift,
                "[drift]",
                lambda k: ck.loc.table_key("drift", k) if k else ck.loc.top_level("drift"),
                "drift.",
            )
        )
    rubrics = check_rubrics(ck, data)

    # Endpoints first: models refer to them.
    endpoints: dict[str, EndpointConfig | None] = {}
    for i, raw in enumerate(_array_of_tables(ck, data, "endpoints")):
        ep = check_endpoint(ck, raw, i)
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
        values = check_model(ck, raw, i, endpoints)
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
        where = label("model", raw, i)
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

    if drift_judge is not None:
        known = {m.get("name") for m in raw_models if isinstance(m, dict)}
        known |= {m.get("model_id") for m in raw_models if isinstance(m, dict)}
        if not isinstance(drift_judge, str) or drift_judge not in known:
            ck.add(
                ck.loc.table_key("drift", "judge"),
                "drift.judge",
                f"[drift]: judge must name a configured model, got {drift_judge!r}",
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
    return ProjectConfig(
        path=Path(file),
        endpoints=eps,
        models=models,
        monthly_volume=volume,
        drift=drift,
        drift_judge=drift_judge,
        judge_rubrics=rubrics,
    )


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

"""Configuration: settings from the environment, and ``models.toml``.

* :mod:`~blindside.config.settings` -- :class:`Settings`, process-wide knobs
  read from ``BLINDSIDE_*`` environment variables (:data:`SETTINGS`).
* :mod:`~blindside.config.models` -- :class:`ProjectConfig` and the endpoints,
  models and prices of a validated ``models.toml``.
* :mod:`~blindside.config.faults` -- :class:`FaultConfig`, the faults the demo
  provider injects (a model's ``faults`` table, the CLI, the demo app).
* :mod:`~blindside.config.locator` -- the line of a table or key in the TOML
  text (``tomllib`` reports none for values).
* :mod:`~blindside.config.checker`, :mod:`~blindside.config.entries` and
  :mod:`~blindside.config.validation` -- validation of the file as a whole,
  every problem reported with file, line and field.

All of it is standard library only, so importing it is cheap.
"""

from blindside.config.faults import FAULT_KINDS, FaultConfig, parse_fault_kinds
from blindside.config.models import (
    DEMO_API_KEY,
    ENDPOINT_KINDS,
    NO_KEY_NEEDED,
    EndpointConfig,
    MissingApiKeyError,
    ModelConfig,
    Pricing,
    ProjectConfig,
    display_name,
)
from blindside.config.settings import (
    IDENTITY_POLICIES,
    SETTINGS,
    SettingDoc,
    Settings,
    load_settings,
    normalise_database_url,
)
from blindside.config.validation import load_models_toml, parse_models_toml

__all__ = [
    "DEMO_API_KEY",
    "ENDPOINT_KINDS",
    "FAULT_KINDS",
    "IDENTITY_POLICIES",
    "NO_KEY_NEEDED",
    "SETTINGS",
    "EndpointConfig",
    "FaultConfig",
    "MissingApiKeyError",
    "ModelConfig",
    "Pricing",
    "ProjectConfig",
    "SettingDoc",
    "Settings",
    "display_name",
    "load_models_toml",
    "load_settings",
    "normalise_database_url",
    "parse_fault_kinds",
    "parse_models_toml",
]

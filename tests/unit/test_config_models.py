"""Tests for blindside.config.models: display names, model lookup and API keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from blindside.config import (
    DEMO_API_KEY,
    NO_KEY_NEEDED,
    EndpointConfig,
    MissingApiKeyError,
    ModelConfig,
    ProjectConfig,
)
from blindside.errors import InputError


def test_display_name_does_not_repeat_simulated() -> None:
    demo = EndpointConfig("demo", "demo", None, None)
    m = ModelConfig(name="Careful (Simulated)", endpoint=demo, model_id="careful")
    assert m.display_name == "Careful (Simulated)"


def test_model_lookup_error_lists_names() -> None:
    demo = EndpointConfig("demo", "demo", None, None)
    good = ModelConfig(name="Good", endpoint=demo, model_id="careful")
    cfg = ProjectConfig(path=Path("m.toml"), endpoints={"demo": demo}, models=[good])
    assert cfg.model("Good").model_id == "careful"
    with pytest.raises(KeyError, match="'Good'"):
        cfg.model("Missing")


OPENAI = EndpointConfig(
    name="openai", kind="openai", base_url="https://api.openai.com/v1", api_key_env="MY_KEY"
)


def test_api_key_reads_named_variable() -> None:
    assert OPENAI.api_key({"MY_KEY": "sk-abc\n"}) == "sk-abc"


def test_api_key_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    assert OPENAI.api_key() == "sk-from-env"


@pytest.mark.parametrize("environ", [{}, {"MY_KEY": ""}, {"MY_KEY": "   "}])
def test_missing_api_key_names_variable_and_endpoint(environ: dict[str, str]) -> None:
    with pytest.raises(MissingApiKeyError) as info:
        OPENAI.api_key({**environ, "OTHER_KEY": "sk-unrelated-secret"})
    err = info.value
    assert isinstance(err, InputError)  # the CLI exits 2 on it
    assert err.variable == "MY_KEY" and err.endpoint == "openai"
    assert "MY_KEY" in str(err) and "'openai'" in str(err)
    assert "sk-" not in str(err)


def test_keyless_and_demo_endpoints() -> None:
    local = EndpointConfig("vllm", "openai", "http://localhost:8000/v1", None)
    assert local.api_key({}) == NO_KEY_NEEDED
    demo = EndpointConfig("demo", "demo", None, None)
    assert demo.simulated and not local.simulated
    assert demo.api_key({}) == DEMO_API_KEY

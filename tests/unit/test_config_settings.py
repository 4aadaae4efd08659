"""Tests for blindside.config.settings: BLINDSIDE_* variables and database URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from blindside.config import SETTINGS, load_settings, normalise_database_url
from blindside.config.entries import _ENDPOINT_KEYS, _MODEL_KEYS, _PRICING_KEYS
from blindside.config.validation import VOLUME_KEYS
from blindside.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert s.database_url == f"sqlite:///{tmp_path / 'blindside.db'}"
    assert s.models_path == Path("models.toml")
    assert s.suites_dir == Path("seed_prompts")
    assert s.demo_seed == 0
    assert s.demo_latency_scale == 1.0
    assert s.demo_url is None
    assert s.base_url == "http://127.0.0.1:8501"
    assert s.open_signup is None


def test_sign_in_settings_from_the_environment() -> None:
    s = load_settings(
        environ={
            "BLINDSIDE_BASE_URL": "https://evals.example.com/blindside/",
            "BLINDSIDE_OPEN_SIGNUP": "Rater",
        }
    )
    assert (s.base_url, s.open_signup) == ("https://evals.example.com/blindside", "rater")
    assert load_settings(environ={"BLINDSIDE_OPEN_SIGNUP": "off"}).open_signup is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BLINDSIDE_OPEN_SIGNUP", "admin"),  # leads and admins always need a link
        ("BLINDSIDE_OPEN_SIGNUP", "yes"),
        ("BLINDSIDE_BASE_URL", "127.0.0.1:8501"),
    ],
)
def test_bad_sign_in_settings_are_named(variable: str, value: str) -> None:
    with pytest.raises(InputError) as caught:
        load_settings(environ={variable: value})
    assert [p.field for p in caught.value.problems] == [variable]


def test_settings_env_beats_defaults() -> None:
    env = {
        "BLINDSIDE_DATABASE_URL": "postgresql://u:p@db:5432/bs",
        "BLINDSIDE_MODELS": "/etc/bs/models.toml",
        "BLINDSIDE_SUITES": "/srv/suites",
        "BLINDSIDE_DEMO_SEED": "42",
        "BLINDSIDE_DEMO_LATENCY_SCALE": "0.01",
        "BLINDSIDE_DEMO_URL": "http://127.0.0.1:8765/v1/",
    }
    s = load_settings(environ=env)
    assert s.database_url == "postgresql+psycopg://u:p@db:5432/bs"
    assert s.models_path == Path("/etc/bs/models.toml")
    assert s.suites_dir == Path("/srv/suites")
    assert s.demo_seed == 42
    assert s.demo_latency_scale == 0.01
    assert s.demo_url == "http://127.0.0.1:8765/v1"


def test_settings_explicit_beats_env(tmp_path: Path) -> None:
    env = {
        "BLINDSIDE_DATABASE_URL": "sqlite:///env.db",
        "BLINDSIDE_MODELS": "env.toml",
        "BLINDSIDE_SUITES": "env_suites",
    }
    s = load_settings(
        database_url=str(tmp_path / "cli.db"),
        models_path=tmp_path / "cli.toml",
        suites_dir="cli_suites",
        environ=env,
    )
    assert s.database_url == f"sqlite:///{tmp_path / 'cli.db'}"
    assert s.models_path == tmp_path / "cli.toml"
    assert s.suites_dir == Path("cli_suites")


def test_empty_env_values_mean_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={"BLINDSIDE_DATABASE_URL": "", "BLINDSIDE_DEMO_SEED": " "})
    assert s.database_url == f"sqlite:///{tmp_path / 'blindside.db'}"
    assert s.demo_seed == 0


def test_settings_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLINDSIDE_DEMO_SEED", "7")
    assert load_settings().demo_seed == 7


@pytest.mark.parametrize("value", ["fast", "-1", "nan", "inf"])
def test_bad_latency_scale_names_the_variable(value: str) -> None:
    with pytest.raises(InputError) as info:
        load_settings(environ={"BLINDSIDE_DEMO_LATENCY_SCALE": value})
    (problem,) = info.value.problems
    assert problem.field == "BLINDSIDE_DEMO_LATENCY_SCALE"
    assert "BLINDSIDE_DEMO_LATENCY_SCALE" in str(info.value)


def test_all_bad_settings_reported_together() -> None:
    env = {
        "BLINDSIDE_DEMO_SEED": "1.5",
        "BLINDSIDE_DEMO_LATENCY_SCALE": "x",
        "BLINDSIDE_DEMO_URL": "localhost:8765",
    }
    with pytest.raises(InputError) as info:
        load_settings(environ=env)
    assert [p.field for p in info.value.problems] == list(env)


@pytest.mark.parametrize(
    ("value", "policy"),
    [
        (None, "hide"),
        ("hide", "hide"),
        ("show-and-exclude", "show-and-exclude"),
        (" HIDE ", "hide"),
    ],
)
def test_identity_policy_setting(value: str | None, policy: str) -> None:
    env = {} if value is None else {"BLINDSIDE_IDENTITY_POLICY": value}
    assert load_settings(environ=env).identity_policy == policy


@pytest.mark.parametrize("value", ["show", "exclude", "hide,show-and-exclude"])
def test_bad_identity_policy_names_the_variable_and_the_choices(value: str) -> None:
    with pytest.raises(InputError) as info:
        load_settings(environ={"BLINDSIDE_IDENTITY_POLICY": value})
    (problem,) = info.value.problems
    assert problem.field == "BLINDSIDE_IDENTITY_POLICY"
    assert "hide or show-and-exclude" in problem.message and repr(value) in problem.message


def test_zero_latency_scale_allowed() -> None:
    assert load_settings(environ={"BLINDSIDE_DEMO_LATENCY_SCALE": "0"}).demo_latency_scale == 0.0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///abs/x.db", "sqlite:///abs/x.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalise_database_url(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_normalise_bare_path_is_absolute_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalise_database_url("foo.db") == f"sqlite:///{tmp_path / 'foo.db'}"
    assert normalise_database_url(str(tmp_path / "a" / "b.db")) == (
        f"sqlite:///{tmp_path / 'a' / 'b.db'}"
    )
    with pytest.raises(ValueError):
        normalise_database_url("  ")


# ---------------------------------------------------------------------------
# Docs stay complete
# ---------------------------------------------------------------------------


def test_docs_cover_every_setting_and_key() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in doc, setting.env
    # Every key models.toml accepts, read from the validator's own lists.
    for key in (*_ENDPOINT_KEYS, *_MODEL_KEYS, *_PRICING_KEYS, *VOLUME_KEYS):
        assert f"`{key}`" in doc, key


def test_database_pool_settings() -> None:
    assert (load_settings(environ={}).db_pool_size, load_settings(environ={}).db_max_overflow) == (
        30,
        0,
    )
    env = {"BLINDSIDE_DB_POOL_SIZE": "40", "BLINDSIDE_DB_MAX_OVERFLOW": "0"}
    settings = load_settings(environ=env)
    assert (settings.db_pool_size, settings.db_max_overflow) == (40, 0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BLINDSIDE_DB_POOL_SIZE", "0"),
        ("BLINDSIDE_DB_POOL_SIZE", "many"),
        ("BLINDSIDE_DB_MAX_OVERFLOW", "-1"),
    ],
)
def test_bad_database_pool_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        load_settings(environ={variable: value})
    assert [p.field for p in info.value.problems] == [variable]

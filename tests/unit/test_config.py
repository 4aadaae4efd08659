"""Tests for blindside.config: settings, models.toml parsing and validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blindside.config import (
    DEMO_API_KEY,
    NO_KEY_NEEDED,
    SETTINGS,
    EndpointConfig,
    MissingApiKeyError,
    ModelConfig,
    Pricing,
    load_models_toml,
    load_settings,
    normalise_database_url,
    parse_models_toml,
)
from blindside.errors import InputError, Problem

ROOT = Path(__file__).resolve().parents[2]
MARK = "# <-"

DEMO_ENDPOINT = """\
[[endpoints]]
name = "demo"
kind = "demo"
"""

GOOD_MODEL = """\
[[models]]
name = "Good"
endpoint = "demo"
model_id = "careful"
pricing = { input = 1.0, output = 2.0 }
"""

# Appended to endpoint-only cases so the file also declares a valid model.
VALID_TAIL = "\n" + DEMO_ENDPOINT + GOOD_MODEL


def problems_of(text: str, file: str = "bad.toml") -> list[Problem]:
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file=file)
    return info.value.problems


def marked_line(text: str) -> int:
    """1-based line of the line carrying the ``# <-`` marker."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if MARK in line]
    assert len(hits) == 1, "test text must mark exactly one line"
    return hits[0]


# ---------------------------------------------------------------------------
# The shipped models.toml
# ---------------------------------------------------------------------------


def test_shipped_models_toml_has_four_active_simulated_demo_models() -> None:
    cfg = load_models_toml(ROOT / "models.toml")
    active = cfg.active_models()
    assert [m.model_id for m in active] == ["careful", "fast-cheap", "verbose", "erratic"]
    assert all(m.simulated and m.endpoint.kind == "demo" for m in active)
    assert all(m.display_name.endswith("(simulated)") for m in active)
    assert len({m.name for m in active}) == 4
    assert len({m.pricing for m in active}) == 4  # distinct price profiles
    careful, cheap = cfg.model("Demo careful"), cfg.model("Demo fast-cheap")
    assert careful.pricing.output_per_mtok > cheap.pricing.output_per_mtok
    assert cfg.endpoints["demo"].api_key() == DEMO_API_KEY
    # line numbers point at the [[models]] headers
    lines = (ROOT / "models.toml").read_text().splitlines()
    assert all(lines[m.line - 1].strip() == "[[models]]" for m in active)


def test_shipped_commented_provider_examples_parse_when_uncommented() -> None:
    text = (ROOT / "models.toml").read_text()
    keys = r"\[\[|name|kind|base_url|api_key_env|max_concurrency|timeout_s|endpoint|model_id|params|pricing|fallbacks"  # noqa: E501
    uncommented = re.sub(rf"(?m)^# ?(?=({keys}))", "", text)
    cfg = parse_models_toml(uncommented, file="models.toml")
    urls = {e.name: e.base_url for e in cfg.endpoints.values()}
    assert urls["openrouter"] == "https://openrouter.ai/api/v1"
    assert urls["together"] == "https://api.together.xyz/v1"
    assert urls["vllm"] == "http://localhost:8000/v1"
    assert urls["ollama"] == "http://localhost:11434/v1"
    assert urls["litellm"] == "http://localhost:4000/v1"
    assert "fireworks" in urls and "openai" in urls
    assert cfg.endpoints["vllm"].api_key_env is None
    assert cfg.endpoints["ollama"].api_key(environ={}) == NO_KEY_NEEDED
    assert cfg.endpoints["openai"].api_key_env == "OPENAI_API_KEY"
    assert cfg.endpoints["litellm"].api_key_env == "LITELLM_API_KEY"
    assert len(cfg.models) > 4
    assert not any(m.simulated for m in cfg.models[4:])


# ---------------------------------------------------------------------------
# A valid file, parsed in detail
# ---------------------------------------------------------------------------


def test_full_valid_file_parses_with_defaults() -> None:
    text = (
        DEMO_ENDPOINT
        + """
[[endpoints]]
name = "local"
base_url = "http://localhost:8000/v1/"
max_concurrency = 4
timeout_s = 30
stream = false

[[models]]
name = "A"
endpoint = "local"
model_id = "qwen"
params = { temperature = 0.5, max_tokens = 100 }
pricing = { input = 0, cached_input = 0, output = 0 }
fallbacks = ["B"]

[[models]]
name = "B"
endpoint = "demo"
model_id = "fast-cheap"
active = false

[models.pricing]
input = 2
output = 8
"""
    )
    cfg = parse_models_toml(text, file="m.toml")
    assert cfg.path == Path("m.toml")
    local = cfg.endpoints["local"]
    assert local == EndpointConfig(
        name="local",
        kind="openai",  # the default kind
        base_url="http://localhost:8000/v1",  # trailing slash dropped
        api_key_env=None,
        max_concurrency=4,
        timeout_s=30.0,
        stream=False,
        line=5,
    )
    assert cfg.endpoints["demo"].max_concurrency == 8
    assert cfg.endpoints["demo"].timeout_s == 120.0
    a, b = cfg.models
    assert a.params == {"temperature": 0.5, "max_tokens": 100}
    assert a.fallbacks == ("B",)
    assert a.display_name == "A" and not a.simulated
    assert b.pricing == Pricing(2.0, 2.0, 8.0)  # cached_input defaults to input
    assert b.active is False and b.params == {} and b.fallbacks == ()
    assert cfg.active_models() == [a]
    assert b.display_name == "B (simulated)"


def test_display_name_does_not_repeat_simulated() -> None:
    demo = EndpointConfig("demo", "demo", None, None)
    m = ModelConfig(name="Careful (Simulated)", endpoint=demo, model_id="careful")
    assert m.display_name == "Careful (Simulated)"


def test_model_lookup_error_lists_names() -> None:
    cfg = parse_models_toml(DEMO_ENDPOINT + GOOD_MODEL, file="m.toml")
    assert cfg.model("Good").model_id == "careful"
    with pytest.raises(KeyError, match="'Good'"):
        cfg.model("Missing")


# ---------------------------------------------------------------------------
# One kind of problem at a time: file, line (marked "# <-") and field
# ---------------------------------------------------------------------------

BAD_CASES: list[tuple[str, str, str, str]] = [
    (
        "unknown top-level key",
        DEMO_ENDPOINT + GOOD_MODEL + "modles = 3   # <-\n",
        "modles",
        "unknown key 'modles'",
    ),
    (
        "unknown endpoint key with suggestion",
        DEMO_ENDPOINT + "max_concurency = 4   # <-\n" + GOOD_MODEL,
        "max_concurency",
        "did you mean 'max_concurrency'",
    ),
    (
        "unknown model key",
        DEMO_ENDPOINT + GOOD_MODEL + "temperature = 0.3   # <-\n",
        "temperature",
        "unknown key 'temperature'",
    ),
    (
        "unknown pricing key (inline table -> line of pricing =)",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 1, output = 2, cache = 1 }   # <-
""",
        "pricing.cache",
        "unknown key 'pricing.cache'",
    ),
    (
        "missing model_id (-> block header)",
        DEMO_ENDPOINT
        + """[[models]]   # <-
name = "M"
endpoint = "demo"
pricing = { input = 1, output = 2 }
""",
        "model_id",
        "missing required key 'model_id'",
    ),
    (
        "missing pricing",
        DEMO_ENDPOINT
        + """[[models]]   # <-
name = "M"
endpoint = "demo"
model_id = "x"
""",
        "pricing",
        "missing required key 'pricing'",
    ),
    (
        "missing endpoint name",
        '[[endpoints]]   # <-\nkind = "demo"\n' + VALID_TAIL,
        "name",
        "missing required key 'name'",
    ),
    (
        "bool is not a number (max_concurrency)",
        DEMO_ENDPOINT + "max_concurrency = true   # <-\n" + GOOD_MODEL,
        "max_concurrency",
        "must be an integer, got a boolean",
    ),
    (
        "bool is not a number (price)",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = true, output = 2 }   # <-
""",
        "pricing.input",
        "must be a number, got a boolean",
    ),
    (
        "string timeout",
        DEMO_ENDPOINT + 'timeout_s = "60"   # <-\n' + GOOD_MODEL,
        "timeout_s",
        "must be a number, got a string",
    ),
    (
        "negative price in a [models.pricing] sub-table",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"

[models.pricing]
input = 1
output = -2   # <-
""",
        "pricing.output",
        "must be >= 0",
    ),
    (
        "max_concurrency < 1",
        DEMO_ENDPOINT + "max_concurrency = 0   # <-\n" + GOOD_MODEL,
        "max_concurrency",
        "must be >= 1",
    ),
    (
        "negative rpm",
        DEMO_ENDPOINT + "rpm = -5   # <-\n" + GOOD_MODEL,
        "rpm",
        "must be > 0",
    ),
    (
        "batch discount of 100%",
        DEMO_ENDPOINT + "batch_discount = 1.0   # <-\n" + GOOD_MODEL,
        "batch_discount",
        "must be < 1",
    ),
    (
        "max_attempts as a float",
        DEMO_ENDPOINT + "max_attempts = 2.5   # <-\n" + GOOD_MODEL,
        "max_attempts",
        "must be an integer",
    ),
    (
        "supports_seed as a string",
        DEMO_ENDPOINT + 'supports_seed = "yes"   # <-\n' + GOOD_MODEL,
        "supports_seed",
        "must be true or false",
    ),
    (
        "unknown fault kind",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 1, output = 2 }
faults = { rate = 0.2, kinds = ["429", "gremlins"] }   # <-
""",
        "faults.kinds",
        "must be an array of 429, 500, 503, timeout, malformed, truncate",
    ),
    (
        "fault rate above 1",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 1, output = 2 }
faults = { rate = 1.5 }   # <-
""",
        "faults.rate",
        "must be <= 1",
    ),
    (
        "capacity below one",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 1, output = 2 }
faults = { capacity = 0 }   # <-
""",
        "faults.capacity",
        ">= 1",
    ),
    (
        "unknown endpoint referenced by a model",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "dmeo"   # <-
model_id = "x"
pricing = { input = 1, output = 2 }
""",
        "endpoint",
        "unknown endpoint 'dmeo'",
    ),
    (
        "unknown fallback",
        DEMO_ENDPOINT
        + GOOD_MODEL
        + """
[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 1, output = 2 }
fallbacks = ["Goood"]   # <-
""",
        "fallbacks",
        "unknown fallback model 'Goood'; did you mean 'Good'",
    ),
    (
        "own fallback",
        DEMO_ENDPOINT
        + GOOD_MODEL.replace('"careful"\n', '"careful"\nfallbacks = ["Good"]   # <-\n'),
        "fallbacks",
        "its own fallback",
    ),
    (
        "duplicate endpoint name",
        DEMO_ENDPOINT + '[[endpoints]]\nname = "demo"   # <-\nkind = "demo"\n' + GOOD_MODEL,
        "name",
        "duplicate endpoint name 'demo'",
    ),
    (
        "duplicate model name",
        DEMO_ENDPOINT + GOOD_MODEL + GOOD_MODEL.replace('name = "Good"', 'name = "Good"   # <-'),
        "name",
        "duplicate model name 'Good'",
    ),
    (
        "kind not openai/demo",
        '[[endpoints]]\nname = "x"\nkind = "anthropic"   # <-\nbase_url = "https://a.b/v1"\n'
        + VALID_TAIL,
        "kind",
        "must be one of openai, demo, got 'anthropic'",
    ),
    (
        "openai kind without base_url (-> header)",
        '[[endpoints]]   # <-\nname = "x"\napi_key_env = "X_KEY"\n' + VALID_TAIL,
        "base_url",
        "missing required key 'base_url'",
    ),
    (
        "base_url not http(s)",
        '[[endpoints]]\nname = "x"\nbase_url = "ftp://a.b/v1"   # <-\n' + VALID_TAIL,
        "base_url",
        "http:// or https://",
    ),
    (
        "base_url on a demo endpoint",
        '[[endpoints]]\nname = "d"\nkind = "demo"\nbase_url = "http://x/v1"   # <-\n' + VALID_TAIL,
        "base_url",
        "BLINDSIDE_DEMO_URL",
    ),
    (
        "api_key_env that is a key, not a variable name",
        '[[endpoints]]\nname = "x"\nbase_url = "https://a.b/v1"\n'
        + 'api_key_env = "OPENAI-KEY"   # <-\n'
        + VALID_TAIL,
        "api_key_env",
        "NAME of an environment variable",
    ),
    (
        "reserved request param",
        DEMO_ENDPOINT + GOOD_MODEL + 'params = { model = "gpt" }   # <-\n',
        "params.model",
        "use model_id",
    ),
    (
        "non-boolean active",
        DEMO_ENDPOINT + GOOD_MODEL + "active = 1   # <-\n",
        "active",
        "true or false",
    ),
    (
        "models not an array of tables",
        DEMO_ENDPOINT.replace("[[endpoints]]", 'models = "all"   # <-\n[[endpoints]]'),
        "models",
        "array of tables",
    ),
]


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_each_kind_of_bad_config(text: str, field: str, fragment: str) -> None:
    found = problems_of(text, file="conf/models.toml")
    assert len(found) == 1, found
    (problem,) = found
    assert problem.file == "conf/models.toml"
    assert problem.field == field
    assert problem.line == marked_line(text)
    assert fragment in problem.message
    assert str(problem).startswith(f"conf/models.toml:{problem.line}: field '{field}':")


def test_no_models_is_a_problem() -> None:
    (problem,) = problems_of(DEMO_ENDPOINT)
    assert problem.field == "models"
    assert "at least one model" in problem.message


def test_invalid_endpoint_does_not_also_report_models_using_it() -> None:
    text = '[[endpoints]]\nname = "x"\nbase_url = "nope"\n' + GOOD_MODEL.replace('"demo"', '"x"')
    found = problems_of(text)
    assert [p.field for p in found] == ["base_url"]


def test_several_problems_reported_together() -> None:
    text = """\
typo = 1
[[endpoints]]
name = "demo"
kind = "demo"
max_concurrency = 0

[[endpoints]]
name = "remote"
kind = "openai"

[[models]]
name = "A"
endpoint = "nowhere"
model_id = "a"
pricing = { input = -1, output = "2" }
fallbacks = ["Z"]

[[models]]
name = "A"
endpoint = "demo"
model_id = "b"
pricing = { input = 1, output = 1 }
api_key = "sk-not-really"
"""
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="many.toml")
    got = {(p.line, p.field) for p in info.value.problems}
    assert got == {
        (1, "typo"),
        (5, "max_concurrency"),
        (7, "base_url"),
        (13, "endpoint"),
        (15, "pricing.input"),
        (15, "pricing.output"),
        (16, "fallbacks"),
        (19, "name"),
        (23, "api_key"),
    }
    assert all(p.file == "many.toml" for p in info.value.problems)
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)  # reported in file order
    # the exception text lists every problem, one a line
    assert len(str(info.value).splitlines()) == len(got)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[[endpoints]]\nname = "demo"\nkind = demo\n', 3),
        ('[[models]]\nname = "a"\n\nname = "b"\n', 4),
        ('[[endpoints]]\nname = "unterminated\n', 2),
    ],
)
def test_toml_syntax_error_has_line(text: str, line: int) -> None:
    (problem,) = problems_of(text, file="syntax.toml")
    assert problem.file == "syntax.toml"
    assert problem.line == line
    assert "TOML syntax error" in problem.message


@pytest.mark.parametrize("where", ["endpoints", "models", "top"])
def test_api_key_in_file_rejected_without_echoing_it(where: str) -> None:
    secret = "sk-proj-SUPERSECRET-1234567890"
    line = f'api_key = "{secret}"\n'
    if where == "endpoints":
        text = '[[endpoints]]\nname = "o"\nbase_url = "https://a.b/v1"\n' + line
    elif where == "models":
        text = DEMO_ENDPOINT + GOOD_MODEL + line
    else:
        text = line + DEMO_ENDPOINT + GOOD_MODEL
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="k.toml")
    (problem,) = [p for p in info.value.problems if p.field == "api_key"]
    assert "environment variable" in problem.message
    assert "api_key_env" in problem.message
    assert problem.line == text.splitlines().index(line.rstrip("\n")) + 1
    assert secret not in str(info.value)
    assert "SUPERSECRET" not in repr(info.value.problems)


def test_load_models_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(DEMO_ENDPOINT + GOOD_MODEL.replace("1.0", "-1.0"))
    with pytest.raises(InputError) as info:
        load_models_toml(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert (problem.line, problem.field) == (8, "pricing.input")


def test_load_models_toml_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(InputError) as info:
        load_models_toml(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert "not found" in problem.message


# ---------------------------------------------------------------------------
# API keys from the environment
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def test_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert s.database_url == f"sqlite:///{tmp_path / 'blindside.db'}"
    assert s.models_path == Path("models.toml")
    assert s.suites_dir == Path("seed_prompts")
    assert s.demo_seed == 0
    assert s.demo_latency_scale == 1.0
    assert s.demo_url is None


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
    for key in (
        "kind",
        "base_url",
        "api_key_env",
        "max_concurrency",
        "timeout_s",
        "stream",
        "model_id",
        "params",
        "pricing",
        "cached_input",
        "fallbacks",
        "active",
    ):
        assert f"`{key}`" in doc, key


def test_reliability_settings_parse_with_defaults_and_values() -> None:
    text = (
        '[[endpoints]]\nname = "p"\nbase_url = "https://example.test/v1"\n'
        "rpm = 600\ntpm = 90000\nmax_attempts = 6\nbackoff_base_s = 0.25\n"
        "cached_tokens_in_prompt = false\nsupports_seed = false\nbatch_discount = 0.5\n\n"
        + DEMO_ENDPOINT
        + '\n[[models]]\nname = "A"\nendpoint = "p"\nmodel_id = "a"\n'
        "pricing = { input = 1, output = 2 }\n\n"
        '[[models]]\nname = "B"\nendpoint = "demo"\nmodel_id = "careful"\n'
        "pricing = { input = 1, output = 2 }\n"
        'faults = { rate = 0.2, kinds = ["429", "timeout"], latency_ms = 100, capacity = 8 }\n'
    )
    config = parse_models_toml(text, file="models.toml")
    real, demo = config.endpoints["p"], config.endpoints["demo"]
    assert (real.rpm, real.tpm, real.max_attempts, real.backoff_base_s) == (600, 90000, 6, 0.25)
    assert not real.cached_tokens_in_prompt and not real.supports_seed
    assert real.batch_discount == 0.5
    assert (demo.rpm, demo.max_attempts, demo.circuit_failures, demo.supports_seed) == (
        None,
        4,
        5,
        True,
    )
    faults = config.model("B").faults
    assert faults is not None
    assert (faults.rate, faults.kinds, faults.latency_ms, faults.capacity) == (
        0.2,
        ("429", "timeout"),
        100.0,
        8,
    )
    assert config.model("A").faults is None


def test_faults_on_a_real_endpoint_are_rejected() -> None:
    text = (
        '[[endpoints]]\nname = "p"\nbase_url = "https://example.test/v1"\n\n'
        '[[models]]\nname = "A"\nendpoint = "p"\nmodel_id = "a"\n'
        "pricing = { input = 1, output = 2 }\nfaults = { rate = 0.1 }\n"
    )
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="models.toml")
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (10, "faults")
    assert "only applies to models on a demo endpoint" in problem.message

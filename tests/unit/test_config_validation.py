"""Tests for blindside.config.validation: models.toml parsed and checked as a whole,
every problem with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blindside.config import (
    DEMO_API_KEY,
    NO_KEY_NEEDED,
    EndpointConfig,
    FaultConfig,
    Pricing,
    load_models_toml,
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
        "negative cache_write price",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 3, output = 15, cache_write = -3.75 }   # <-
""",
        "pricing.cache_write",
        "must be >= 0",
    ),
    (
        "cache_write price as a string",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"

[models.pricing]
input = 3
output = 15
cache_write = "3.75"   # <-
""",
        "pricing.cache_write",
        "must be a number, got a string",
    ),
    (
        "model batch discount of 100%",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"
pricing = { input = 3, output = 15, batch_discount = 1 }   # <-
""",
        "pricing.batch_discount",
        "must be < 1",
    ),
    (
        "batch discount as a boolean",
        DEMO_ENDPOINT
        + """[[models]]
name = "M"
endpoint = "demo"
model_id = "x"

[models.pricing]
input = 3
output = 15
batch_discount = true   # <-
""",
        "pricing.batch_discount",
        "must be a number, got a boolean",
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
        "volume not a positive integer",
        "[volume]\ntier1 = 10_000\ntier3 = 0   # <-\n" + VALID_TAIL,
        "volume.tier3",
        "must be >= 1",
    ),
    (
        "volume a float",
        "[volume]\ntier2 = 1.5e6   # <-\n" + VALID_TAIL,
        "volume.tier2",
        "must be an integer",
    ),
    (
        "volume with an unknown tier",
        "[volume]\ntier1 = 5\ntier_3 = 5   # <-\n" + VALID_TAIL,
        "volume.tier_3",
        "did you mean 'tier3'",
    ),
    (
        "volume not a table",
        "volume = 100000   # <-\n" + VALID_TAIL,
        "volume",
        "must be a table",
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


def test_volume_gives_tasks_per_month_per_tier() -> None:
    text = "[volume]\ntier1 = 20_000\ntier3 = 2_000_000\n" + VALID_TAIL
    assert parse_models_toml(text, file="m.toml").monthly_volume == {1: 20_000, 3: 2_000_000}
    assert parse_models_toml(VALID_TAIL, file="m.toml").monthly_volume == {}
    inline = "volume = { tier2 = 100 }\n" + VALID_TAIL
    assert parse_models_toml(inline, file="m.toml").monthly_volume == {2: 100}


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
    # The endpoint's batch discount is its models' default.
    assert config.model("A").pricing.batch_discount == 0.5
    assert config.model("B").pricing.batch_discount == 0.0


def test_cache_write_and_batch_discount_per_model() -> None:
    text = (
        '[[endpoints]]\nname = "p"\nbase_url = "https://example.test/v1"\nbatch_discount = 0.5\n\n'
        '[[models]]\nname = "A"\nendpoint = "p"\nmodel_id = "a"\n'
        "pricing = { input = 3, cached_input = 0.3, cache_write = 3.75, output = 15 }\n\n"
        '[[models]]\nname = "B"\nendpoint = "p"\nmodel_id = "b"\n'
        "pricing = { input = 1, output = 2, batch_discount = 0 }\n"
    )
    config = parse_models_toml(text, file="models.toml")
    a, b = config.model("A").pricing, config.model("B").pricing
    assert (a.cache_write_per_mtok, a.batch_discount) == (3.75, 0.5)
    # cache_write defaults to input; a model's own discount wins over its endpoint's.
    assert (b.cache_write_per_mtok, b.batch_discount) == (1.0, 0.0)


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


def test_messages_read_exactly() -> None:
    # The whole text a user sees, byte for byte: the other tests check fragments.
    text = """\
[[endpoints]]
name = "e"
kind = "demo"
max_concurrency = 0
batch_discount = nan

[[models]]
name = "M"
endpoint = "e"
model_id = "m"
active = 1
fallbacks = ["Mm"]
modle_id = 2
faults = { rate = 2, kinds = ["429", "gremlins"] }

[models.pricing]
input = true
output = -1
"""
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="m.toml")
    assert str(info.value).splitlines() == [
        "m.toml:4: field 'max_concurrency': endpoint 'e': 'max_concurrency' must be >= 1, got 0",
        "m.toml:5: field 'batch_discount': endpoint 'e': 'batch_discount' must be >= 0 and < 1,"
        " got nan",
        "m.toml:11: field 'active': model 'M': 'active' must be true or false, got an integer",
        "m.toml:12: field 'fallbacks': model 'M': unknown fallback model 'Mm'; did you mean 'M'?",
        "m.toml:13: field 'modle_id': model 'M': unknown key 'modle_id' (allowed: name, endpoint,"
        " model_id, params, pricing, fallbacks, active, faults, drift, published, demo); did you"
        " mean 'model_id'?",
        "m.toml:14: field 'faults.rate': model 'M': 'faults.rate' must be <= 1, got 2",
        "m.toml:14: field 'faults.kinds': model 'M': 'faults.kinds' must be an array of 429, 500,"
        " 503, timeout, malformed, truncate",
        "m.toml:17: field 'pricing.input': model 'M': 'pricing.input' must be a number,"
        " got a boolean",
        "m.toml:18: field 'pricing.output': model 'M': 'pricing.output' must be >= 0 (USD per"
        " million tokens), got -1",
    ]


def test_model_faults_are_the_demo_apps_fault_config() -> None:
    from blindside.client.endpoints import demo_model_faults

    text = DEMO_ENDPOINT + GOOD_MODEL + 'faults = { rate = 0.25, kinds = ["500"], capacity = 2 }\n'
    config = parse_models_toml(text, file="models.toml")
    faults = config.model("Good").faults
    assert faults == FaultConfig(rate=0.25, kinds=("500",), capacity=2)
    # handed to the demo app as is, not copied field by field
    assert demo_model_faults(config.models)["careful"] is faults


def test_a_fault_rate_needs_a_fault_kind() -> None:
    text = DEMO_ENDPOINT + GOOD_MODEL + "faults = { rate = 0.5, kinds = [] }   # <-\n"
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (marked_line(text), "faults.kinds")
    assert "at least one fault" in problem.message
    # no rate, no kinds: no faults, and no problem
    config = parse_models_toml(text.replace("0.5", "0"), file="models.toml")
    assert config.model("Good").faults == FaultConfig()

"""An endpoint's ``headers`` and ``headers_env``: parsed, checked with file:line:field, read."""

from __future__ import annotations

import pytest

from blindside.config import MissingApiKeyError, parse_models_toml
from blindside.errors import InputError, Problem

MODEL = """
[[models]]
name = "Routed"
endpoint = "gw"
model_id = "gpt-4o-mini"
pricing = { input = 1.0, output = 2.0 }
"""


def endpoint(lines: str) -> str:
    return '[[endpoints]]\nname = "gw"\nbase_url = "https://gw.example/v1"\n' + lines + MODEL


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first line holding ``fragment``."""
    return next(i + 1 for i, line in enumerate(text.splitlines()) if fragment in line)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="conf/models.toml")
    return info.value.problems


def test_headers_and_secret_headers_parse_and_are_read_from_the_environment() -> None:
    text = endpoint(
        'headers = { "x-portkey-provider" = "openai", "HTTP-Referer" = "https://me.example" }\n'
        'headers_env = { "x-portkey-api-key" = "PORTKEY_API_KEY" }\n'
    )
    gw = parse_models_toml(text, file="m.toml").endpoints["gw"]
    assert gw.headers == {"x-portkey-provider": "openai", "HTTP-Referer": "https://me.example"}
    assert gw.headers_env == {"x-portkey-api-key": "PORTKEY_API_KEY"}
    env = {"PORTKEY_API_KEY": "  pk-live-123456789  "}
    assert gw.request_headers(env) == {
        "x-portkey-provider": "openai",
        "HTTP-Referer": "https://me.example",
        "x-portkey-api-key": "pk-live-123456789",
    }
    assert gw.secret_values({**env}) == ["not-needed", "pk-live-123456789"]


def test_a_missing_secret_header_variable_names_variable_and_header_never_a_value() -> None:
    text = endpoint('headers_env = { "x-portkey-api-key" = "PORTKEY_API_KEY" }\n')
    gw = parse_models_toml(text, file="m.toml").endpoints["gw"]
    with pytest.raises(MissingApiKeyError) as info:
        gw.request_headers({"PORTKEY_API_KEY": "   "})
    message = str(info.value)
    assert "PORTKEY_API_KEY" in message and "x-portkey-api-key" in message
    assert "headers_env" in message


def test_a_table_of_headers_in_a_table_header_form_parses() -> None:
    text = (
        '[[endpoints]]\nname = "gw"\nbase_url = "https://gw.example/v1"\n'
        '[endpoints.headers]\n"X-Title" = "blindside"\n' + MODEL
    )
    gw = parse_models_toml(text, file="m.toml").endpoints["gw"]
    assert gw.headers == {"X-Title": "blindside"}


@pytest.mark.parametrize(
    ("lines", "field", "fragment"),
    [
        ('headers = "x-a: b"\n', "headers", "must be a table"),
        ('headers = { "bad name" = "v" }\n', "headers.bad name", "not a valid HTTP header name"),
        ('headers = { "Content-Type" = "text/plain" }\n', "headers.Content-Type", "HTTP client"),
        ('headers = { "X-Title" = 3 }\n', "headers.X-Title", "must be a string, got an integer"),
        ('headers = { "X-Title" = "a\\nb" }\n', "headers.X-Title", "must be one line"),
        (
            'headers = { "x-portkey-api-key" = "pk-123" }\n',
            "headers.x-portkey-api-key",
            "headers_env",
        ),
        ('headers = { "Authorization" = "Bearer x" }\n', "headers.Authorization", "credential"),
        (
            'headers_env = { "x-portkey-api-key" = "pk-not-a-name" }\n',
            "headers_env.x-portkey-api-key",
            "NAME of an environment variable",
        ),
        ('headers_env = ["PORTKEY_API_KEY"]\n', "headers_env", "must be a table, got an array"),
        (
            'headers = { "X-Title" = "a" }\nheaders_env = { "x-title" = "TITLE" }\n',
            "headers_env.x-title",
            "also set in headers.X-Title",
        ),
    ],
)
def test_each_bad_header_is_one_problem_with_line_and_field(
    lines: str, field: str, fragment: str
) -> None:
    text = endpoint(lines)
    (problem,) = problems_of(text)
    assert problem.field == field
    assert fragment in problem.message
    wanted = line_of(text, "headers_env" if field.startswith("headers_env") else "headers")
    assert problem.line == wanted
    assert str(problem).startswith(f"conf/models.toml:{wanted}: field '{field}':")


def test_a_credential_written_as_a_plain_header_is_never_echoed() -> None:
    (problem,) = problems_of(endpoint('headers = { "x-api-key" = "SUPERSECRET-123456" }\n'))
    assert "SUPERSECRET" not in str(problem)


@pytest.mark.parametrize("name", ["extra_headers", "extra_body", "extra_query"])
def test_sdk_only_params_are_refused_since_they_would_land_in_the_body(name: str) -> None:
    text = endpoint("").replace(
        "pricing = {", f'params = {{ {name} = {{ "a" = "b" }} }}\npricing = {{', 1
    )
    (problem,) = problems_of(text)
    assert problem.field == f"params.{name}"
    assert problem.line == line_of(text, name)

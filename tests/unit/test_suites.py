"""Tests of prompt-suite loading and validation (blindside.suites)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from blindside.errors import InputError, Problem
from blindside.suites import (
    PromptSpec,
    SuiteSpec,
    load_suite_dir,
    load_suite_file,
    parse_suite_text,
)

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_prompts"

_DROP = object()


def prompt(**changes: Any) -> dict[str, Any]:
    """A valid prompt line, with fields changed (or dropped with _DROP)."""
    base: dict[str, Any] = {"id": "p1", "tier": 1, "category": "demo", "text": "Hello?"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _DROP}


def write_suite(directory: Path, name: str, lines: list[Any]) -> Path:
    """Write lines (dicts are JSON-encoded, strings written raw) to name.jsonl."""
    path = directory / f"{name}.jsonl"
    text = "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_suite_file(path)
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------
# Shipped suites


@pytest.fixture(scope="module")
def seed_suites() -> list[SuiteSpec]:
    return load_suite_dir(SEED_DIR)


def test_seed_suites_load_with_expected_names(seed_suites: list[SuiteSpec]) -> None:
    assert [s.name for s in seed_suites] == ["creative", "high_stakes", "high_volume"]


@pytest.mark.parametrize(
    ("name", "tier"), [("high_stakes", 1), ("creative", 2), ("high_volume", 3)]
)
def test_each_seed_suite_has_one_tier_and_at_least_20_prompts(
    seed_suites: list[SuiteSpec], name: str, tier: int
) -> None:
    suite = next(s for s in seed_suites if s.name == name)
    assert len(suite.prompts) >= 20
    assert {p.tier for p in suite.prompts} == {tier}


def test_seed_suites_have_at_least_66_prompts(seed_suites: list[SuiteSpec]) -> None:
    assert sum(len(s.prompts) for s in seed_suites) >= 66


def test_seed_tier_1_and_3_prompts_all_have_reference_and_scorer(
    seed_suites: list[SuiteSpec],
) -> None:
    missing = [
        (s.name, p.external_id)
        for s in seed_suites
        for p in s.prompts
        if p.tier in (1, 3) and (p.reference is None or p.scorer is None)
    ]
    assert missing == []


def test_seed_suites_cover_system_messages_and_tools(seed_suites: list[SuiteSpec]) -> None:
    tier1 = next(s for s in seed_suites if s.name == "high_stakes").prompts
    assert 2 <= sum(p.system is not None for p in tier1) <= 3
    assert sum(p.messages is not None for p in tier1) >= 2
    with_tools = [p for s in seed_suites for p in s.prompts if p.tools]
    assert with_tools and all(p.tier in (1, 3) for p in with_tools)


def test_seed_regex_scorers_accept_their_own_reference(seed_suites: list[SuiteSpec]) -> None:
    # A gold summary its own pattern rejects would score the ideal answer as wrong.
    rejected = [
        p.external_id
        for s in seed_suites
        for p in s.prompts
        if p.scorer
        and p.scorer["type"] == "regex"
        and p.reference is not None
        and not re.search(p.scorer["pattern"], p.reference)
    ]
    assert rejected == []


def test_seed_ids_are_unique_across_suites(seed_suites: list[SuiteSpec]) -> None:
    ids = [p.external_id for s in seed_suites for p in s.prompts]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------
# A valid file


def test_valid_file_parses_every_field(tmp_path: Path) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    path = write_suite(
        tmp_path,
        "mixed",
        [
            prompt(
                system="Be brief.",
                reference="yes",
                scorer={"type": "label", "labels": ["yes", "no"]},
            ),
            "",
            prompt(
                id="p2",
                tier=3,
                text=_DROP,
                messages=[
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                    {"role": "user", "content": "Classify: great"},
                ],
                tools=[tool],
                meta={"source": "test"},
            ),
        ],
    )
    suite = load_suite_file(path)
    assert suite.name == "mixed"
    assert suite.path == path
    first, second = suite.prompts
    assert (first.external_id, first.tier, first.line) == ("p1", 1, 1)
    assert first.system == "Be brief."
    assert first.scorer == {"type": "label", "labels": ["yes", "no"]}
    assert first.messages is None and first.tools is None and first.meta == {}
    assert (second.external_id, second.tier, second.line) == ("p2", 3, 3)
    assert second.text is None
    assert second.messages is not None and second.messages[-1]["content"] == "Classify: great"
    assert second.tools == [tool]
    assert second.meta == {"source": "test"}


def test_null_optional_fields_mean_absent(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path, "s", [prompt(system=None, reference=None, scorer=None, tools=None, meta=None)]
    )
    (p,) = load_suite_file(path).prompts
    assert (p.system, p.reference, p.scorer, p.tools, p.meta) == (None, None, None, None, {})


def test_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    # CRLF endings, blank lines and a U+2028 inside a string must not shift lines.
    text = "\r\n".join(
        [
            json.dumps(prompt(text="a\u2028b"), ensure_ascii=False),
            "",
            "   ",
            json.dumps(prompt(id="p2")),
        ]
    )
    suite = parse_suite_text(text, file="x.jsonl", name="x")
    assert [p.line for p in suite.prompts] == [1, 4]
    assert suite.prompts[0].text == "a\u2028b"


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(prompt()).encode())
    assert load_suite_file(path).prompts[0].external_id == "p1"


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(json.dumps(prompt()).encode() + b'\n{"id": "caf\xe9"}\n')
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "")
    assert "UTF-8" in problem.message


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "empty", ["", "  "])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), None, "")
    assert "no prompts" in problem.message


def test_missing_file(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "nope.jsonl")
    assert problem.line is None and "not found" in problem.message


# --------------------------------------------------------------------------
# Bad lines: each problem names file, line and field


def test_invalid_json(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(), '{"id": "p2", "tier": 1,'])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "")
    assert problem.message.startswith("not valid JSON: ")


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "42", "null"])
def test_line_that_is_not_an_object(tmp_path: Path, raw: str) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [raw]))
    assert (problem.line, problem.field) == (1, "")
    assert "must be a JSON object" in problem.message


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", ['{"id": "p1", "tier": 1, "category": "c", "text": NaN}'])
    problem = only_problem(path)
    assert (problem.line, problem.field) == (1, "")
    assert "NaN" in problem.message


def test_duplicate_key_in_a_line(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path, "s", ['{"id": "p1", "tier": 1, "tier": 2, "category": "c", "text": "t"}']
    )
    problem = only_problem(path)
    assert (problem.line, problem.field) == (1, "tier")


def test_wrong_tier_message_and_rendering(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(), prompt(id="p2", tier=4)])
    problem = only_problem(path)
    assert problem == Problem(str(path), 2, "tier", "must be 1, 2 or 3, got 4")
    assert str(problem) == f"{path}:2: field 'tier': must be 1, 2 or 3, got 4"


@pytest.mark.parametrize("tier", [0, "1", True, 1.0, None, [1]])
def test_tier_must_be_an_int_1_to_3(tmp_path: Path, tier: Any) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(tier=tier)]))
    assert (problem.line, problem.field) == (1, "tier")


def test_missing_tier(tmp_path: Path) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(tier=_DROP)]))
    assert (problem.line, problem.field) == (1, "tier")
    assert "missing" in problem.message


def test_missing_id(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(), prompt(id=_DROP)])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "id")
    assert problem.message == "required field is missing"


@pytest.mark.parametrize("value", ["", "   ", 7, None])
def test_id_must_be_a_non_empty_string(tmp_path: Path, value: Any) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(id=value)]))
    assert (problem.line, problem.field) == (1, "id")


@pytest.mark.parametrize("value", [_DROP, "", 3])
def test_category_is_required_non_empty_string(tmp_path: Path, value: Any) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(category=value)]))
    assert (problem.line, problem.field) == (1, "category")


def test_both_text_and_messages(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(messages=[{"role": "user", "content": "Hi"}])])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 1, "text")
    assert "not both" in problem.message


def test_neither_text_nor_messages(tmp_path: Path) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(text=_DROP)]))
    assert (problem.line, problem.field) == (1, "text")


def test_empty_text(tmp_path: Path) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(text=" ")]))
    assert (problem.line, problem.field, problem.message) == (1, "text", "must not be empty")


def test_unknown_field_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(), prompt(id="p2", refrence="x")])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "refrence")
    assert "did you mean 'reference'" in problem.message


def test_duplicate_id_reports_later_line_and_names_earlier(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(), "", prompt(id="p2"), prompt()])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 4, "id")
    assert "line 1" in problem.message


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([], "messages"),
        ("Hi", "messages"),
        ([{"role": "bot", "content": "Hi"}], "messages[0].role"),
        ([{"role": "user"}], "messages[0].content"),
        ([{"role": "user", "content": ""}], "messages[0].content"),
        ([{"role": "user", "content": "Hi", "name": "x"}], "messages[0].name"),
        (["Hi"], "messages[0]"),
        (
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
            "messages[1].role",
        ),
    ],
)
def test_bad_messages(tmp_path: Path, messages: Any, field: str) -> None:
    path = write_suite(tmp_path, "s", [prompt(text=_DROP, messages=messages)])
    problem = only_problem(path)
    assert (problem.line, problem.field) == (1, field)


def test_system_given_twice(tmp_path: Path) -> None:
    messages = [{"role": "system", "content": "A"}, {"role": "user", "content": "Hi"}]
    path = write_suite(tmp_path, "s", [prompt(text=_DROP, messages=messages, system="B")])
    problem = only_problem(path)
    assert (problem.line, problem.field) == (1, "system")


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        (
            {"scorer": {"type": "regex", "pattern": "("}, "reference": "x"},
            "scorer.pattern",
            "compile",
        ),
        ({"scorer": {"type": "regex"}, "reference": "x"}, "scorer.pattern", "required"),
        (
            {"scorer": {"type": "label", "labels": ["yes", "no"]}, "reference": "maybe"},
            "reference",
            "one of the scorer labels",
        ),
        ({"scorer": {"type": "label", "labels": []}, "reference": "x"}, "scorer.labels", ""),
        ({"scorer": {"type": "label"}, "reference": "x"}, "scorer.labels", "required"),
        ({"scorer": {"type": "numeric"}, "reference": "about 4"}, "reference", "number"),
        ({"scorer": {"type": "numeric"}, "reference": "1,000"}, "reference", "number"),
        ({"scorer": {"type": "numeric"}, "reference": "nan"}, "reference", "number"),
        (
            {"scorer": {"type": "numeric", "tolerance": -0.5}, "reference": "4"},
            "scorer.tolerance",
            ">= 0",
        ),
        ({"scorer": {"type": "json"}, "reference": "[1, 2]"}, "reference", "JSON object"),
        ({"scorer": {"type": "json"}, "reference": "{oops"}, "reference", "JSON object"),
        (
            {"scorer": {"type": "json", "fields": ["b"]}, "reference": '{"a": 1}'},
            "scorer.fields",
            '"b"',
        ),
        ({"scorer": {"type": "exact"}}, "reference", "required when a scorer is given"),
        ({"scorer": {"type": "fuzzy"}, "reference": "x"}, "scorer.type", "fuzzy"),
        ({"scorer": {"pattern": "x"}, "reference": "x"}, "scorer.type", "missing"),
        ({"scorer": "exact", "reference": "x"}, "scorer", "object"),
        (
            {"scorer": {"type": "exact", "labels": ["x"]}, "reference": "x"},
            "scorer.labels",
            "unknown",
        ),
        ({"scorer": {"type": "exact"}, "reference": 4000}, "reference", 'quote it: "4000"'),
    ],
)
def test_bad_scorer(tmp_path: Path, changes: dict[str, Any], field: str, fragment: str) -> None:
    path = write_suite(tmp_path, "s", [prompt(), prompt(id="p2", **changes)])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, field)
    assert fragment in problem.message


@pytest.mark.parametrize(
    ("scorer", "reference"),
    [
        ({"type": "exact"}, "Delaware"),
        ({"type": "contains"}, "ORD-1"),
        ({"type": "regex", "pattern": r"(?i)\byes\b"}, "yes"),
        ({"type": "numeric", "tolerance": 0.01}, "-12.5"),
        ({"type": "numeric"}, "1e3"),
        ({"type": "json", "fields": ["a"]}, '{"a": 1, "b": 2}'),
        ({"type": "label", "labels": ["yes", "no"]}, "no"),
    ],
)
def test_good_scorers(tmp_path: Path, scorer: dict[str, Any], reference: str) -> None:
    (p,) = load_suite_file(
        write_suite(tmp_path, "s", [prompt(scorer=scorer, reference=reference)])
    ).prompts
    assert p.scorer == scorer and p.reference == reference


_GOOD_TOOL = {"type": "function", "function": {"name": "lookup"}}


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        ({"type": "function"}, "tools"),
        ([], "tools"),
        (["lookup"], "tools[0]"),
        ([{"type": "retrieval", "function": {"name": "x"}}], "tools[0].type"),
        ([{"function": {"name": "x"}}], "tools[0].type"),
        ([{"type": "function"}], "tools[0].function"),
        ([_GOOD_TOOL, {"type": "function", "function": {"name": ""}}], "tools[1].function.name"),
        ([{"type": "function", "function": {"description": "d"}}], "tools[0].function.name"),
        ([{"type": "function", "function": {"name": "look up"}}], "tools[0].function.name"),
        ([_GOOD_TOOL, _GOOD_TOOL], "tools[1].function.name"),
    ],
)
def test_bad_tools(tmp_path: Path, tools: Any, field: str) -> None:
    path = write_suite(tmp_path, "s", [prompt(), prompt(id="p2", tools=tools)])
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 2, field)


def test_meta_must_be_an_object(tmp_path: Path) -> None:
    problem = only_problem(write_suite(tmp_path, "s", [prompt(meta=["x"])]))
    assert (problem.line, problem.field) == (1, "meta")


def test_every_bad_line_and_field_is_reported(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path,
        "s",
        [
            prompt(tier=9),
            prompt(id="ok"),
            "{not json",
            "",
            prompt(id="p3", category=_DROP, colour="red"),
            prompt(id="ok"),
        ],
    )
    found = [(p.file, p.line, p.field) for p in problems_of(path)]
    assert found == [
        (str(path), 1, "tier"),
        (str(path), 3, ""),
        (str(path), 5, "colour"),
        (str(path), 5, "category"),
        (str(path), 6, "id"),
    ]


# --------------------------------------------------------------------------
# Directories


def test_load_suite_dir_sorts_by_name_and_skips_other_files(tmp_path: Path) -> None:
    write_suite(tmp_path, "zeta", [prompt()])
    write_suite(tmp_path, "alpha", [prompt()])
    (tmp_path / "notes.txt").write_text("not a suite")
    (tmp_path / ".draft.jsonl").write_text("{broken")
    (tmp_path / "sub.jsonl").mkdir()
    assert [s.name for s in load_suite_dir(tmp_path)] == ["alpha", "zeta"]


def test_load_suite_dir_collects_problems_across_files(tmp_path: Path) -> None:
    a = write_suite(tmp_path, "a", [prompt(), prompt(id="p2", tier=5)])
    write_suite(tmp_path, "b", [prompt()])
    c = write_suite(tmp_path, "c", ["[]", prompt(id="p2", text=_DROP)])
    with pytest.raises(InputError) as info:
        load_suite_dir(tmp_path)
    found = [(p.file, p.line, p.field) for p in info.value.problems]
    assert found == [(str(a), 2, "tier"), (str(c), 1, ""), (str(c), 2, "text")]
    assert str(info.value).splitlines()[0] == f"{a}:2: field 'tier': must be 1, 2 or 3, got 5"


def test_load_suite_dir_without_suites(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("hi")
    with pytest.raises(InputError) as info:
        load_suite_dir(tmp_path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(tmp_path), None)
    assert "*.jsonl" in problem.message


def test_load_suite_dir_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_suite_dir(tmp_path / "absent")
    assert info.value.problems[0].file == str(tmp_path / "absent")


def test_load_suite_dir_rejects_names_differing_only_by_case(tmp_path: Path) -> None:
    write_suite(tmp_path, "Support", [prompt()])
    lower = write_suite(tmp_path, "support", [prompt()])
    if len(list(tmp_path.glob("*.jsonl"))) < 2:
        pytest.skip("case-insensitive filesystem")
    with pytest.raises(InputError) as info:
        load_suite_dir(tmp_path)
    (problem,) = info.value.problems
    assert problem.file == str(lower) and "clashes" in problem.message


# --------------------------------------------------------------------------
# PromptSpec helpers


def _spec(**changes: Any) -> PromptSpec:
    fields: dict[str, Any] = {
        "external_id": "p1",
        "tier": 1,
        "category": "c",
        "text": "What is 2+2?",
        "messages": None,
        "system": None,
        "reference": None,
        "scorer": None,
        "tools": None,
        "meta": {},
        "line": 1,
    }
    fields.update(changes)
    return PromptSpec(**fields)


def test_chat_messages_for_text_and_system() -> None:
    assert _spec(system="Be exact.").chat_messages() == [
        {"role": "system", "content": "Be exact."},
        {"role": "user", "content": "What is 2+2?"},
    ]
    assert _spec().chat_messages() == [{"role": "user", "content": "What is 2+2?"}]


def test_chat_messages_for_conversation() -> None:
    conversation = (
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Add 2 and 2."},
    )
    spec = _spec(text=None, messages=conversation, system="Be exact.")
    out = spec.chat_messages()
    assert out == [{"role": "system", "content": "Be exact."}, *conversation]
    out[1]["content"] = "changed"
    # Callers get copies: mutating the result must not change the spec.
    assert spec.chat_messages()[1]["content"] == "Hi"
    assert _spec(text=None, messages=conversation).chat_messages() == list(conversation)


def test_chat_messages_from_a_loaded_file(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", [prompt(system="Sys", text="Q")])
    assert load_suite_file(path).prompts[0].chat_messages() == [
        {"role": "system", "content": "Sys"},
        {"role": "user", "content": "Q"},
    ]


def test_display_text() -> None:
    assert _spec(system="hidden").display_text == "What is 2+2?"
    conversation = ({"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"})
    assert _spec(text=None, messages=conversation).display_text == "user: Hi\nassistant: Yo"

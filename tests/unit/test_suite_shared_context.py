"""A suite's settings file (``NAME.toml``): a long context shared by every prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from blindside.errors import InputError
from blindside.suites import load_suite_dir, load_suite_file

USER_PREFIX = '[shared_context]\nfile = "doc.md"\nas = "user_prefix"\n'
DOCUMENT = "# Handbook\n\nThe depot opens at 06:00.\n" * 50


def suite(tmp_path: Path, settings: str | None, *lines: dict[str, Any]) -> Path:
    """``s.jsonl`` with ``lines`` (two plain prompts by default), ``s.toml`` and ``doc.md``."""
    lines = lines or (
        {"id": "a", "tier": 1, "category": "c", "text": "When does it open?"},
        {"id": "b", "tier": 3, "category": "c", "text": "Summarise it."},
    )
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (tmp_path / "doc.md").write_text(DOCUMENT)
    if settings is not None:
        (tmp_path / "s.toml").write_text(settings)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_suite_file(path)
    return [str(p) for p in info.value.problems]


def test_shared_as_system_comes_first_byte_identical(tmp_path: Path) -> None:
    line = {"id": "c", "tier": 1, "category": "c", "system": "Be brief.", "text": "Open when?"}
    path = suite(tmp_path, '[shared_context]\nfile = "doc.md"\nas = "system"\n', line)
    spec = load_suite_file(path)
    assert spec.shared is not None and spec.shared.text == DOCUMENT
    (prompt,) = spec.prompts
    assert prompt.chat_messages() == [
        {"role": "system", "content": DOCUMENT},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Open when?"},
    ]
    # What a rater reads is the question, not the document.
    assert prompt.display_text == "Open when?"


def test_shared_as_user_prefix_starts_the_first_user_message(tmp_path: Path) -> None:
    conversation = {
        "id": "c",
        "tier": 1,
        "category": "c",
        "messages": [
            {"role": "user", "content": "I have a question."},
            {"role": "assistant", "content": "Go on."},
            {"role": "user", "content": "When does it open?"},
        ],
    }
    plain = {"id": "d", "tier": 1, "category": "c", "text": "Summarise it."}
    path = suite(tmp_path, USER_PREFIX, conversation, plain)
    first, second = load_suite_file(path).prompts
    opening = DOCUMENT + "\n\nI have a question."
    assert first.chat_messages()[0] == {"role": "user", "content": opening}
    assert first.chat_messages()[1:] == [dict(m) for m in conversation["messages"][1:]]
    assert second.chat_messages() == [{"role": "user", "content": DOCUMENT + "\n\nSummarise it."}]
    # Every request starts with the same bytes.
    assert all(p.chat_messages()[0]["content"].startswith(DOCUMENT) for p in (first, second))


def test_placement_defaults_to_system(tmp_path: Path) -> None:
    spec = load_suite_file(suite(tmp_path, '[shared_context]\nfile = "doc.md"\n'))
    assert spec.shared is not None and spec.shared.placement == "system"


def test_no_settings_file_means_no_shared_context(tmp_path: Path) -> None:
    spec = load_suite_file(suite(tmp_path, None))
    assert spec.shared is None
    assert spec.prompts[0].chat_messages() == [{"role": "user", "content": "When does it open?"}]


def test_missing_context_file(tmp_path: Path) -> None:
    path = suite(tmp_path, '[shared_context]\n# the handbook\nfile = "handbok.md"\n')
    assert problems(path) == [
        f"{tmp_path / 's.toml'}:3: field 'shared_context.file': file not found: handbok.md"
        f" (looked in {tmp_path})"
    ]


def test_bad_placement(tmp_path: Path) -> None:
    path = suite(tmp_path, '[shared_context]\nfile = "doc.md"\nas = "assistant"\n')
    assert problems(path) == [
        f"{tmp_path / 's.toml'}:3: field 'shared_context.as': must be one of system, user_prefix,"
        " got 'assistant'"
    ]


@pytest.mark.parametrize(
    ("settings", "line", "field", "fragment"),
    [
        (
            '[shared_context]\nfile = "doc.md"\nrole = "system"\n',
            3,
            "shared_context.role",
            "unknown key",
        ),
        (
            'shared_contxt = { file = "doc.md" }\n',
            1,
            "shared_contxt",
            "did you mean 'shared_context'?",
        ),
        ('[shared_context]\nas = "system"\n', 1, "shared_context.file", "required key is missing"),
        ("[shared_context]\nfile = 3\n", 2, "shared_context.file", "must be a non-empty string"),
        ('shared_context = "doc.md"\n', 1, "shared_context", "must be a table"),
        ('[shared_context]\nfile = "doc.md\n', 2, "", "not valid TOML"),
    ],
)
def test_bad_settings(tmp_path: Path, settings: str, line: int, field: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        load_suite_file(suite(tmp_path, settings))
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.field) == (str(tmp_path / "s.toml"), line, field)
    assert fragment in problem.message


def test_empty_or_non_utf8_context_file(tmp_path: Path) -> None:
    path = suite(tmp_path, '[shared_context]\nfile = "doc.md"\n')
    (tmp_path / "doc.md").write_text("  \n")
    assert problems(path)[0].endswith("field 'shared_context.file': doc.md is empty")
    (tmp_path / "doc.md").write_bytes(b"caf\xe9")
    assert "not valid UTF-8" in problems(path)[0]


def test_user_prefix_refuses_prompts_that_do_not_start_with_the_user(tmp_path: Path) -> None:
    with_system = {"id": "a", "tier": 1, "category": "c", "system": "Be brief.", "text": "Hi?"}
    assistant_first = {
        "id": "b",
        "tier": 1,
        "category": "c",
        "messages": [
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Hi?"},
        ],
    }
    path = suite(tmp_path, USER_PREFIX, with_system, assistant_first)
    found = problems(path)
    assert [p.split(": ", 2)[:2] for p in found] == [
        [f"{path}:1", "field 'system'"],
        [f"{path}:2", "field 'messages[0].role'"],
    ]
    assert "must come first" in found[0]


def test_problems_of_the_suite_and_its_settings_together(tmp_path: Path) -> None:
    bad_line = {"id": "a", "tier": 4, "category": "c", "text": "Hi?"}
    path = suite(tmp_path, '[shared_context]\nfile = "nope.md"\n', bad_line)
    found = problems(path)
    assert len(found) == 2
    assert found[0].startswith(f"{path}:1: field 'tier'")
    assert found[1].startswith(f"{tmp_path / 's.toml'}:2: field 'shared_context.file'")


def test_a_directory_reads_each_suites_settings(tmp_path: Path) -> None:
    suite(tmp_path, '[shared_context]\nfile = "doc.md"\n')
    (tmp_path / "other.jsonl").write_text(
        json.dumps({"id": "x", "tier": 2, "category": "c", "text": "Hi"}) + "\n"
    )
    other, shared = load_suite_dir(tmp_path)
    assert (other.name, other.shared) == ("other", None)
    assert shared.name == "s" and shared.shared is not None

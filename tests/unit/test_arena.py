"""Arena-format battle files: JSON lines and JSON arrays, with file:line:field errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blindside.arena import read_arena_battles
from blindside.errors import InputError


def _cells(path: Path) -> dict[tuple[str, str], tuple[int, int, int]]:
    b = read_arena_battles(path)
    return {
        (b.labels[b.left[k]], b.labels[b.right[k]]): (
            int(b.left_wins[k]),
            int(b.right_wins[k]),
            int(b.ties[k]),
        )
        for k in range(b.left.size)
    }


RECORDS = [
    {"model_a": "gpt-4o", "model_b": "claude", "winner": "model_a", "judge": "x"},
    {"model_a": "gpt-4o", "model_b": "claude", "winner": "model_b"},
    {"model_a": "gpt-4o", "model_b": "claude", "winner": "tie"},
    {"model_a": "gpt-4o", "model_b": "claude", "winner": "tie (bothbad)"},
    {"model_a": "claude", "model_b": "gpt-4o", "winner": "model_a"},
    {"model_a": "claude", "model_b": "llama", "winner": "tie (bothbad)"},
]
# One row per pair of models, the first by name on the "left": a file says nothing about
# screen position. "Both bad" counts as a tie.
EXPECTED = {
    ("claude", "gpt-4o"): (2, 1, 2),
    ("claude", "llama"): (0, 0, 1),
}


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n\n")
    assert _cells(path) == EXPECTED
    battles = read_arena_battles(path)
    assert battles.labels == ("claude", "gpt-4o", "llama")
    assert battles.n_items == 3 and battles.total == len(RECORDS)
    assert not battles.position_known


def test_json_array_as_lmarena_publishes(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(RECORDS, indent=2))
    assert _cells(path) == EXPECTED


def test_bad_lines_are_named_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(RECORDS[0]),
                '{"model_a": "a", "model_b": "b", "winner": "draw"}',
                "{not json",
                '{"model_a": "", "model_b": "b", "winner": "tie"}',
                '["a list"]',
                '{"model_a": "a", "model_b": "a", "winner": "tie"}',
            ]
        )
    )
    with pytest.raises(InputError) as info:
        read_arena_battles(path)
    where = [(p.line, p.field) for p in info.value.problems]
    assert where == [(2, "winner"), (3, ""), (4, "model_a"), (5, ""), (6, "model_b")]
    assert f"{path}:2: field 'winner': must be one of model_a, model_b, tie" in str(info.value)


def test_bad_record_in_an_array_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    records = [RECORDS[0], RECORDS[1], {"model_a": "a", "winner": "tie"}]
    path.write_text(json.dumps(records, indent=1))
    with pytest.raises(InputError) as info:
        read_arena_battles(path)
    (problem,) = info.value.problems
    # indent=1 puts each opening brace on its own line: records start on lines 2, 8, 13.
    assert (problem.line, problem.field) == (13, "model_b")


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_arena_battles(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    battles = read_arena_battles(empty)
    assert battles.total == 0 and battles.n_items == 0

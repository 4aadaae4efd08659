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


# The same battles with the screen side: (left, right) -> (left wins, right wins, ties).
POSITIONED = [
    {**RECORDS[0], "left_model": "gpt-4o"},
    {**RECORDS[1], "left_model": "gpt-4o"},
    {**RECORDS[2], "left_model": "gpt-4o"},
    {**RECORDS[3], "left_model": "gpt-4o"},
    {**RECORDS[4], "left_model": "gpt-4o"},  # claude was model_a but shown on the right
    {**RECORDS[5], "left_model": "claude"},
]
POSITIONED_CELLS = {
    ("gpt-4o", "claude"): (1, 2, 2),
    ("claude", "llama"): (0, 0, 1),
}


def _csv(path: Path, records: list[dict[str, str]]) -> Path:
    import csv

    fields = sorted({k for r in records for k in r})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)
    return path


def _parquet(path: Path, records: list[dict[str, str]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = sorted({k for r in records for k in r})
    pq.write_table(pa.Table.from_pylist([{f: r.get(f) for f in fields} for r in records]), path)
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_left_model_orients_battles_by_screen_side(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"b.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in POSITIONED))
    elif kind == "csv":
        _csv(path, POSITIONED)
    else:
        _parquet(path, POSITIONED)
    assert _cells(path) == POSITIONED_CELLS
    assert read_arena_battles(path).position_known


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_csv_and_parquet_without_position_fold_like_json(tmp_path: Path, kind: str) -> None:
    records = [{k: v for k, v in r.items() if k != "judge"} for r in RECORDS]
    path = (_csv if kind == "csv" else _parquet)(tmp_path / f"b.{kind}", records)
    assert _cells(path) == EXPECTED
    assert not read_arena_battles(path).position_known


def test_a_parquet_file_is_known_by_its_magic_bytes(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "battles.data", POSITIONED)
    assert _cells(path) == POSITIONED_CELLS


def test_bad_csv_rows_and_left_models_are_named(tmp_path: Path) -> None:
    records = [
        {**POSITIONED[0], "answer": "two\nlines"},  # a quoted multi-line cell: lines 2-3
        {**POSITIONED[1], "winner": "left"},  # line 4
        {**POSITIONED[2], "left_model": "llama"},  # line 5: not one of the two
        {**POSITIONED[3], "left_model": ""},  # line 6: missing in a positioned file
    ]
    path = _csv(tmp_path / "bad.csv", records)
    with pytest.raises(InputError) as exc:
        read_arena_battles(path)
    found = [(p.line, p.field) for p in exc.value.problems]
    assert found == [(4, "winner"), (5, "left_model"), (6, "left_model")]
    assert all(p.file == str(path) for p in exc.value.problems)


def test_bad_parquet_rows_are_numbered_and_a_broken_file_is_one_problem(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "bad.parquet", [POSITIONED[0], {**POSITIONED[1], "model_b": ""}])
    with pytest.raises(InputError) as exc:
        read_arena_battles(path)
    assert [(p.line, p.field) for p in exc.value.problems] == [(2, "model_b")]
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError) as exc:
        read_arena_battles(broken)
    [problem] = exc.value.problems
    assert "not a readable Parquet file" in problem.message

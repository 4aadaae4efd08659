"""Thin data on the leaderboard and in ``rank``: warnings that name models, "not enough
votes" instead of a rating, and Davidson's tie parameter with its interval."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blindside.cli.reports import print_rank
from blindside.leaderboard.board import FEW_VOTES, MIN_VOTES, RankOptions, leaderboard_from_arena
from blindside.ranking import Battles


def _arena(n: int, a, b, a_wins, b_wins, ties, names) -> Battles:
    return Battles(n, a, b, a_wins, b_wins, ties, position_known=False, labels=tuple(names))


def test_four_votes_show_not_enough_votes(capsys: pytest.CaptureFixture[str]) -> None:
    board = leaderboard_from_arena(
        _arena(2, [0], [1], [3], [1], [0], ["tiny-a", "tiny-b"]), RankOptions()
    )
    assert all(
        r.withheld and r.few_votes and r.rating is None and r.rank is None for r in board.rows
    )
    assert any("Not enough votes" in w for w in board.warnings)
    print_rank(board, "file", "all votes", "table")
    out = capsys.readouterr().out
    assert "warning: Not enough votes to show a rating" in out
    assert "tiny-a" in out and "1000" not in out
    assert board.rows[0].note == f"not enough votes (fewer than {MIN_VOTES})"


def test_disconnected_groups_are_named_and_ranked_apart() -> None:
    big = 3 * FEW_VOTES
    board = leaderboard_from_arena(
        _arena(4, [0, 2], [1, 3], [big, big], [big // 2, big // 2], [1, 1], "ABCD"),
        RankOptions(),
    )
    assert any("group 1: A / B; group 2: C / D" in w for w in board.warnings)
    assert [(r.name, r.group, r.rank) for r in board.rows] == [
        ("A", 1, 1),
        ("B", 1, 2),
        ("C", 2, 1),
        ("D", 2, 2),
    ]
    assert "ranked within its group" in board.rows[0].note


def test_never_loses_and_all_ties_are_warned() -> None:
    big = 2 * FEW_VOTES
    unbeaten = leaderboard_from_arena(
        _arena(3, [0, 0, 1], [1, 2, 2], [big, big, big], [0, 0, big], [0, 0, 0], "XYZ"),
        RankOptions(),
    )
    assert unbeaten.interval_method == "fisher"
    assert any("won or lost every comparison" in w and "X" in w for w in unbeaten.warnings)
    ties = leaderboard_from_arena(
        _arena(3, [0, 1, 0], [1, 2, 2], [0, 0, 0], [0, 0, 0], [big, big, big], "XYZ"),
        RankOptions(tie_model="davidson"),
    )
    assert ties.interval_method == "unavailable" and ties.tie_param is None
    assert any("Every vote is a tie" in w and "unbounded" in w for w in ties.warnings)
    assert all(r.rating_low is None and (r.rank_best, r.rank_worst) == (1, 3) for r in ties.rows)


def test_rank_prints_the_tie_parameter_with_its_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rng = np.random.default_rng(0)
    a_wins, b_wins, ties = rng.integers(20, 40, (3, 3))
    board = leaderboard_from_arena(
        _arena(3, [0, 1, 0], [1, 2, 2], a_wins, b_wins, ties, "XYZ"),
        RankOptions(tie_model="davidson"),
    )
    assert board.tie_param_low < board.tie_param < board.tie_param_high
    print_rank(board, "file", "all votes", "table")
    assert f"Davidson tie parameter nu: {board.tie_param:.2f} (95% CI" in capsys.readouterr().out
    print_rank(board, "file", "all votes", "json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["tie_param_low"] == board.tie_param_low
    assert doc["tie_param_high"] == board.tie_param_high

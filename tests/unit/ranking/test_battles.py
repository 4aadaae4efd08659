"""blindside.ranking.battles: the Battles counts type and win_matrix."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from blindside.ranking import Battles, rank_battles, win_matrix


def test_win_matrix_orientation_ties_and_repeats():
    # Row 0: 0 beat 1 three times, lost once, one tie. Row 1 is the same pair
    # flipped: 1 beat 0 twice, 0 beat 1 never, two ties.
    w = win_matrix(3, [0, 1, 2], [1, 0, 0], [3, 2, 1], [1, 0, 0], [1, 2, 0])
    assert w[0, 1] == 3 + 0 + 0.5 * (1 + 2)
    assert w[1, 0] == 1 + 2 + 0.5 * (1 + 2)
    assert w[2, 0] == 1 and w[0, 2] == 0
    assert np.all(np.diag(w) == 0)
    assert w.sum() == 3 + 1 + 1 + 2 + 0 + 2 + 1  # every vote counted once


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((2, [0], [0], [1], [0], [0]), "itself"),
        ((2, [0], [2], [1], [0], [0]), "indices"),
        ((2, [0], [1], [-1], [0], [0]), "non-negative"),
        ((2, [0, 1], [1], [1], [0], [0]), "same length"),
    ],
)
def test_win_matrix_rejects_bad_rows(args, match):
    with pytest.raises(ValueError, match=match):
        win_matrix(*args)


def test_battles_validates_and_normalises():
    b = Battles(3, [0, 1], [1, 2], [1, 2], [0, 1], [1, 0])
    assert b.left.dtype == np.int64 and b.left_wins.dtype == np.float64
    assert b.total == 5 and b.position_known and b.style is None
    with pytest.raises(ValueError, match="itself"):
        Battles(2, [0], [0], [1], [0], [0])
    with pytest.raises(ValueError, match="style"):
        Battles(2, [0], [1], [1], [0], [0], style=np.zeros((2, 1)))
    named = Battles(2, [0], [1], [1], [0], [0], style=np.zeros(1))
    assert named.style.shape == (1, 1) and named.style_names == ("style_0",)


def test_labels_name_the_indices_and_wins_folds_the_rows():
    b = Battles(3, [0, 1, 2], [1, 0, 0], [3, 2, 1], [1, 0, 0], [1, 2, 0], labels=[7, 3, 9])
    assert b.labels == (7, 3, 9)
    expected = win_matrix(3, b.left, b.right, b.left_wins, b.right_wins, b.ties)
    np.testing.assert_array_equal(b.wins(), expected)
    games = b.wins() + b.wins().T
    assert games[0, 1] == 3 + 1 + 1 + 2 + 0 + 2 and games.sum() / 2 == b.total
    unordered = Battles(2, [0], [1], [1], [0], [0], labels=("a", "b"), position_known=False)
    assert unordered.labels == ("a", "b") and not unordered.position_known
    with pytest.raises(ValueError, match="2 labels for 3 models"):
        Battles(3, [0], [1], [1], [0], [0], labels=(1, 2))


def test_an_empty_selection_is_valid_battles_but_not_rankable():
    empty = Battles(0, [], [], [], [], [], style=np.zeros((0, 4)), style_names=tuple("abcd"))
    assert empty.n_items == 0 and empty.total == 0 and empty.style.shape == (0, 4)
    with pytest.raises(ValueError, match="no votes in this selection"):
        rank_battles(empty)
    with pytest.raises(ValueError, match="positive"):
        win_matrix(0, [], [], [], [], [])  # a win matrix needs a model


def test_battles_load_neither_scipy_nor_the_fit():
    # The aggregation and the arena reader build Battles; the fit's imports
    # (scipy) are paid only by whoever ranks them.
    code = (
        "import sys; from blindside.ranking import Battles; "
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'blindside.ranking.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['blindside.ranking.battles']"

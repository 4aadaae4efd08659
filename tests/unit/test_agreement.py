"""Agreement statistics against published worked examples (never against our own output)."""

from __future__ import annotations

import numpy as np
import pytest

from blindside.agreement import (
    PairKappa,
    agrees_with_majority,
    cohen_kappa,
    krippendorff_alpha_nominal,
    mean_kappa,
    pairwise_kappa,
    rater_figures,
    verdicts,
)


def _two_by_two(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> tuple[list, list]:
    """Two raters' codes (1 = yes, 0 = no) from the cells of a 2x2 agreement table."""
    a = [1] * yes_yes + [1] * yes_no + [0] * no_yes + [0] * no_no
    b = [1] * yes_yes + [0] * yes_no + [1] * no_yes + [0] * no_no
    return a, b


@pytest.mark.parametrize(
    ("cells", "p_o", "kappa"),
    [
        # Wikipedia, "Cohen's kappa", worked example: 50 grant proposals read by two
        # readers; p_o = 0.70, p_e = 0.50, kappa = 0.40.
        ((20, 5, 10, 15), 0.70, 0.40),
        # Wikipedia, "Cohen's kappa", same agreement, different kappa: p_o = 0.60 in both;
        # p_e = 0.54 gives 0.1304, p_e = 0.46 gives 0.2593.
        ((45, 15, 25, 15), 0.60, 0.1304),
        ((25, 35, 5, 35), 0.60, 0.2593),
    ],
)
def test_cohen_kappa_matches_the_textbook(
    cells: tuple[int, int, int, int], p_o: float, kappa: float
) -> None:
    a, b = _two_by_two(*cells)
    result = cohen_kappa(a, b)
    assert result.items == sum(cells)
    assert result.observed == pytest.approx(p_o)
    assert result.value == pytest.approx(kappa, abs=5e-5)


def test_kappa_is_unknown_without_items_or_without_variation() -> None:
    assert cohen_kappa([], []).value is None
    assert cohen_kappa([], []).items == 0
    same = cohen_kappa([2, 2, 2], [2, 2, 2])
    assert (same.value, same.items, same.observed) == (None, 3, 1.0)


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, missing values (None); nominal alpha = 0.743 on n = 40
# pairable values (unit 12 has one value and drops out).
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Krippendorff (2011), section A: two observers, ten units, binary data; alpha = 0.095.
KRIPPENDORFF_A = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]
# Wikipedia, "Krippendorff's alpha", computational example: three coders, fifteen
# units; nominal alpha = 0.691 (units 1, 2 and 14 have fewer than two values: 12 units,
# n = 26).
WIKIPEDIA = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


def _long_form(matrix: list[list[int | None]]) -> tuple[list[int], list[int], list[int]]:
    """(unit, observer, value) per filled cell of an observers-by-units matrix."""
    cells = [
        (unit, observer, value)
        for observer, row in enumerate(matrix)
        for unit, value in enumerate(row)
        if value is not None
    ]
    unit, observer, value = zip(*cells, strict=True)
    return list(unit), list(observer), list(value)


@pytest.mark.parametrize(
    ("matrix", "alpha", "units", "pairable"),
    [(KRIPPENDORFF_C, 0.743, 11, 40), (KRIPPENDORFF_A, 0.095, 10, 20), (WIKIPEDIA, 0.691, 12, 26)],
)
def test_krippendorff_alpha_matches_the_published_examples(
    matrix: list[list[int | None]], alpha: float, units: int, pairable: int
) -> None:
    unit, _observer, value = _long_form(matrix)
    result = krippendorff_alpha_nominal(unit, value, n_categories=6)
    assert result.value == pytest.approx(alpha, abs=5e-4)
    assert (result.units, result.pairable) == (units, pairable)


def test_alpha_ignores_who_voted_and_units_voted_once() -> None:
    unit, _observer, value = _long_form(KRIPPENDORFF_C)
    shuffled = np.random.default_rng(0).permutation(len(unit))
    again = krippendorff_alpha_nominal(np.array(unit)[shuffled], np.array(value)[shuffled], 6)
    assert again == krippendorff_alpha_nominal(unit, value, 6)
    assert krippendorff_alpha_nominal([1, 2, 3], [0, 1, 2]).value is None
    assert krippendorff_alpha_nominal([], []).pairable == 0


def test_two_raters_with_no_missing_votes_get_pairwise_kappa_on_shared_items() -> None:
    # Rater 3 shares items 0-1 with rater 1 and nothing with rater 2.
    item = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 9]
    rater = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]
    code = [0, 1, 2, 0, 0, 1, 2, 1, 0, 0, 1]
    pairs = {(p.first_rater, p.second_rater): p.kappa for p in pairwise_kappa(item, rater, code)}
    assert set(pairs) == {(1, 2), (1, 3), (2, 3)}
    assert pairs[(1, 2)] == cohen_kappa([0, 1, 2, 0], [0, 1, 2, 1])
    assert pairs[(1, 3)].items == 2
    assert pairs[(1, 3)] == cohen_kappa([0, 1], [0, 0])
    assert pairs[(2, 3)].items == 2


def test_mean_kappa_skips_undefined_pairs() -> None:
    k = cohen_kappa
    pairs = [
        PairKappa(1, 2, k([0, 1], [0, 1])),
        PairKappa(1, 3, k([], [])),
        PairKappa(2, 3, k([0, 1], [1, 0])),
    ]
    assert mean_kappa(pairs) == pytest.approx((1.0 + -1.0) / 2)
    assert mean_kappa([]) is None


def test_a_mirrored_pair_gives_the_same_verdict() -> None:
    # Answers 10 and 20: one rater saw 10 on the left and chose it, another saw it on
    # the right and chose it. Both say the first answer is better.
    codes = verdicts(
        ["left", "right", "right", "tie", "both_bad"], [10, 20, 10, 20, 10], [20, 10, 20, 10, 20]
    )
    assert codes.tolist() == [0, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown choice"):
        verdicts(["up"], [1], [2])


def test_majority_leaves_out_the_vote_itself_and_ties() -> None:
    # Item 1: verdicts 0, 0, 1 -> each 0 vote sees (0, 1): a tie, not compared; the 1 vote
    # sees (0, 0): disagrees. Item 2: 0, 0, 0, 1 -> each 0 agrees; the 1 disagrees.
    # Item 3: two votes, each with one other: below MIN_OTHERS.
    item = [1, 1, 1, 2, 2, 2, 2, 3, 3]
    code = [0, 0, 1, 0, 0, 0, 1, 0, 0]
    assert agrees_with_majority(item, code).tolist() == [-1, -1, 0, 1, 1, 1, 0, -1, -1]
    assert agrees_with_majority(item, code, min_others=1).tolist()[7:] == [1, 1]


def test_majority_is_formed_by_counted_votes_only() -> None:
    item = [1, 1, 1, 1]
    code = [0, 0, 1, 1]
    counted = [True, True, True, False]  # the last vote's rater is excluded
    # Vote 3 (uncounted) sees 0, 0, 1: majority 0, disagrees. Vote 2 sees 0, 0: disagrees.
    assert agrees_with_majority(item, code, counted=counted).tolist() == [-1, -1, 0, 0]


def test_rater_figures() -> None:
    figures = rater_figures(
        choice=["left", "left", "right", "tie", "left"],
        code=[0, 1, 1, 2, 0],
        majority=[1, 0, -1, 1, -1],
        gold_code=[0, 0, -1, -1, 1],
        dwell_ms=[500, 2500, np.nan, 4000, 1999],
        flagged=[False, True, False, False, False],
        too_fast_ms=2000,
    )
    assert figures.votes == 5
    assert (figures.gold_accuracy.value, figures.gold_accuracy.count) == (pytest.approx(1 / 3), 3)
    assert (figures.majority_agreement.value, figures.majority_agreement.count) == (
        pytest.approx(2 / 3),
        3,
    )
    assert (figures.left_share.value, figures.left_share.count) == (0.75, 4)
    assert figures.median_dwell_ms == pytest.approx(2249.5)
    assert (figures.too_fast.value, figures.too_fast.count) == (0.5, 4)
    assert (figures.flag_rate.value, figures.flag_rate.count) == (0.2, 5)


def test_rater_figures_without_gold_or_dwell_are_unknown() -> None:
    figures = rater_figures(
        choice=["tie"], code=[2], majority=[-1], gold_code=[-1], dwell_ms=[np.nan], flagged=[False]
    )
    assert figures.gold_accuracy.value is None
    assert figures.majority_agreement.value is None
    assert figures.left_share.value is None
    assert figures.median_dwell_ms is None
    assert figures.too_fast.count == 0

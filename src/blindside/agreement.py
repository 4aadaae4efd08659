"""Agreement between raters and per-rater quality figures: pure functions on vote codes.

No database: votes arrive as parallel arrays (one entry per vote), from
:mod:`blindside.rater_quality` or from a test.

Verdicts, not screen sides
    A vote is about which *answer* is better, not which side of the screen it was
    on: the same pair is shown left-right to one rater and mirrored to another. So
    a screen choice is turned into a verdict on the pair's answers before any
    agreement is counted (:func:`verdicts`): ``first`` (the answer with the lower
    response id won), ``second``, ``tie`` or ``both_bad``. Two raters who saw the
    pair mirrored and both preferred the same answer agree. The four verdicts are
    nominal categories: "tie" and "both bad" are different verdicts, and a tie is
    not half-way between the two wins.

Missing figures are ``None``, never 0 or NaN: a kappa on no shared items, an
alpha with no unit voted twice or a gold accuracy with no gold vote is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike

#: The verdicts on a pair's two answers, in code order (0, 1, 2, 3).
VERDICTS = ("first", "second", "tie", "both_bad")
#: A vote cast faster than this (dwell, in milliseconds) cannot have read both answers.
TOO_FAST_MS = 2000
#: Other raters a vote needs on its pair before it is compared with their majority.
MIN_OTHERS = 2


def verdicts(
    choice: ArrayLike, left_response_id: ArrayLike, right_response_id: ArrayLike
) -> np.ndarray:
    """Screen choices as verdict codes on the answers (indices into :data:`VERDICTS`).

    Parameters
    ----------
    choice : array of str
        ``left``, ``right``, ``tie`` or ``both_bad``, as stored on ``vote``.
    left_response_id, right_response_id : array of int
        The answers shown on the left and on the right.

    Returns
    -------
    ndarray of int
        0 when the answer with the lower id won, 1 when the higher one did, 2 for
        a tie, 3 for both bad: the same code whichever side each answer was on.
    """
    choice = np.asarray(choice, dtype=object)
    left_first = np.asarray(left_response_id) < np.asarray(right_response_id)
    codes = np.full(choice.shape, -1, dtype=np.int64)
    codes[choice == "left"] = np.where(left_first, 0, 1)[choice == "left"]
    codes[choice == "right"] = np.where(left_first, 1, 0)[choice == "right"]
    codes[choice == "tie"] = 2
    codes[choice == "both_bad"] = 3
    if (codes < 0).any():
        raise ValueError(f"unknown choice {choice[codes < 0][0]!r}")
    return codes


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa of two raters and the items it rests on.

    ``value`` is None when there is no shared item or when chance agreement is
    certain (both raters gave one and the same verdict to everything).
    """

    value: float | None
    items: int
    observed: float | None  # share of the shared items they gave the same verdict


def cohen_kappa(first: ArrayLike, second: ArrayLike, n_categories: int = len(VERDICTS)) -> Kappa:
    """Cohen's kappa between two raters' codes on the same items.

    ``kappa = (p_o - p_e) / (1 - p_e)``, with ``p_o`` the share of items given
    the same code and ``p_e`` the agreement expected from each rater's own
    marginal shares.

    Parameters
    ----------
    first, second : array of int
        Codes in ``range(n_categories)``; entry i of both is the same item.
    n_categories : int

    Returns
    -------
    Kappa

    References
    ----------
    J. Cohen, "A coefficient of agreement for nominal scales", *Educational and
    Psychological Measurement* 20(1), 37-46, 1960.
    """
    a = np.asarray(first, dtype=np.int64)
    b = np.asarray(second, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError("both raters need a code for every item")
    n = a.size
    if n == 0:
        return Kappa(None, 0, None)
    table = np.zeros((n_categories, n_categories), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    observed = np.trace(table) / n
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / n**2
    if expected >= 1.0:
        return Kappa(None, n, float(observed))
    return Kappa(float((observed - expected) / (1.0 - expected)), n, float(observed))


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of one pair of raters on the items both of them voted."""

    first_rater: int
    second_rater: int
    kappa: Kappa


def pairwise_kappa(item: ArrayLike, rater: ArrayLike, code: ArrayLike) -> list[PairKappa]:
    """Cohen's kappa for every pair of raters, each on the items both voted.

    Parameters
    ----------
    item, rater, code : array of int
        One entry per vote; a rater votes an item at most once.

    Returns
    -------
    list of PairKappa
        One per pair of distinct raters (lower id first), in id order, including
        pairs with no shared item (``kappa.items == 0``).
    """
    item = np.asarray(item, dtype=np.int64)
    rater = np.asarray(rater, dtype=np.int64)
    code = np.asarray(code, dtype=np.int64)
    by_rater = {}
    for r in np.unique(rater):
        mine = rater == r
        order = np.argsort(item[mine], kind="stable")
        by_rater[int(r)] = (item[mine][order], code[mine][order])
    result = []
    for r1, r2 in combinations(sorted(by_rater), 2):
        (items1, codes1), (items2, codes2) = by_rater[r1], by_rater[r2]
        _, i1, i2 = np.intersect1d(items1, items2, assume_unique=True, return_indices=True)
        result.append(PairKappa(r1, r2, cohen_kappa(codes1[i1], codes2[i2])))
    return result


def mean_kappa(pairs: list[PairKappa]) -> float | None:
    """Light's kappa: the plain mean of the defined pairwise kappas (None if none is).

    References
    ----------
    R. J. Light, "Measures of response agreement for qualitative data: some
    generalizations and alternatives", *Psychological Bulletin* 76(5), 365-377, 1971.
    """
    values = [p.kappa.value for p in pairs if p.kappa.value is not None]
    return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class Alpha:
    """Krippendorff's alpha and what it rests on.

    ``units`` are the items with two or more votes, ``pairable`` the votes on
    them (Krippendorff's *n*). ``value`` is None when there is no pairable vote
    or all of them are the same verdict (no disagreement is expected by chance).
    """

    value: float | None
    units: int
    pairable: int


def krippendorff_alpha_nominal(
    item: ArrayLike, code: ArrayLike, n_categories: int = len(VERDICTS)
) -> Alpha:
    """Krippendorff's alpha for nominal data, any number of raters, missing votes allowed.

    Items voted once are not pairable and drop out. With ``x_uc`` the votes of
    category c on unit u, ``m_u`` the votes on u, ``n = sum m_u`` and
    ``n_c = sum_u x_uc``::

        alpha = 1 - (n - 1) * sum_u (m_u^2 - sum_c x_uc^2) / (m_u - 1)
                              / (n^2 - sum_c n_c^2)

    which is ``1 - D_o / D_e`` over the coincidence matrix with the nominal
    difference (0 for the same category, 1 otherwise).

    Parameters
    ----------
    item, code : array of int
        One entry per vote: which item, and its code in ``range(n_categories)``.
        Who voted does not enter alpha.
    n_categories : int

    Returns
    -------
    Alpha

    References
    ----------
    K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", University of
    Pennsylvania, 2011 (https://repository.upenn.edu/asc_papers/43), section C
    (nominal data, several observers, missing values).
    """
    item = np.asarray(item, dtype=np.int64)
    code = np.asarray(code, dtype=np.int64)
    if item.size == 0:
        return Alpha(None, 0, 0)
    _, unit = np.unique(item, return_inverse=True)
    counts = np.zeros((int(unit.max()) + 1, n_categories), dtype=np.int64)
    np.add.at(counts, (unit.ravel(), code), 1)
    m = counts.sum(axis=1)
    counts = counts[m >= 2]
    m = m[m >= 2]
    n = int(m.sum())
    if n == 0:
        return Alpha(None, 0, 0)
    observed = float(np.sum((m**2 - (counts**2).sum(axis=1)) / (m - 1)))
    totals = counts.sum(axis=0)
    expected = float(n**2 - (totals**2).sum())
    if expected == 0:
        return Alpha(None, int(m.size), n)
    return Alpha(1.0 - (n - 1) * observed / expected, int(m.size), n)


@dataclass(frozen=True)
class Share:
    """``hits`` out of ``count``; ``value`` is their ratio, None when the count is 0."""

    hits: int
    count: int

    @property
    def value(self) -> float | None:
        return self.hits / self.count if self.count else None


def _share(hits: np.ndarray) -> Share:
    return Share(int(np.count_nonzero(hits)), int(hits.size))


def agrees_with_majority(
    item: ArrayLike,
    code: ArrayLike,
    *,
    counted: ArrayLike | None = None,
    min_others: int = MIN_OTHERS,
) -> np.ndarray:
    """Per vote: 1 if it matches the majority verdict of the other votes on its item.

    The majority is the single most common verdict among the *other* counted
    votes on the item (the vote itself never votes in its own reference). A vote
    is not compared (-1) when its item has fewer than ``min_others`` other
    counted votes or when their most common verdict is tied.

    Parameters
    ----------
    item, code : array of int
        One entry per vote.
    counted : array of bool, optional
        Which votes make up majorities (default: all). Votes of excluded raters
        are still compared, with the counted raters' majority.
    min_others : int

    Returns
    -------
    ndarray of int
        1 (agrees), 0 (disagrees) or -1 (not compared), one per vote.
    """
    item = np.asarray(item, dtype=np.int64)
    code = np.asarray(code, dtype=np.int64)
    if item.size == 0:
        return np.zeros(0, dtype=np.int64)
    counted_mask = np.ones(item.size, bool) if counted is None else np.asarray(counted, bool)
    _, unit = np.unique(item, return_inverse=True)
    unit = unit.ravel()
    counts = np.zeros((int(unit.max()) + 1, len(VERDICTS)), dtype=np.int64)
    np.add.at(counts, (unit[counted_mask], code[counted_mask]), 1)
    others = counts[unit]
    others[np.arange(item.size)[counted_mask], code[counted_mask]] -= 1
    top = others.max(axis=1)
    unique_top = (others == top[:, None]).sum(axis=1) == 1
    compared = (others.sum(axis=1) >= min_others) & unique_top
    agree = others[np.arange(item.size), code] == top
    return np.where(compared, agree.astype(np.int64), -1)


@dataclass(frozen=True)
class RaterFigures:
    """One rater's quality figures over their votes in a cut.

    Attributes
    ----------
    votes : int
    gold_accuracy : Share
        Verdicts matching the known better answer, over their votes on gold
        pairs that have one.
    majority_agreement : Share
        Votes matching the majority of the other raters (:func:`agrees_with_majority`).
    left_share : Share
        Share of their decisive votes (left or right) that chose the left side:
        about 0.5 for a rater who reads, since sides are drawn at random.
    median_dwell_ms : float or None
        Median time from showing the pair to the vote, over votes with a dwell.
    too_fast : Share
        Votes with a dwell under the threshold, as a share of votes with a dwell.
    flag_rate : Share
        Share of their votes flagged as a problem with the pair.
    """

    votes: int
    gold_accuracy: Share
    majority_agreement: Share
    left_share: Share
    median_dwell_ms: float | None
    too_fast: Share
    flag_rate: Share


def rater_figures(
    *,
    choice: ArrayLike,
    code: ArrayLike,
    majority: ArrayLike,
    gold_code: ArrayLike,
    dwell_ms: ArrayLike,
    flagged: ArrayLike,
    too_fast_ms: float = TOO_FAST_MS,
) -> RaterFigures:
    """The quality figures of one rater from their votes (one entry per vote).

    Parameters
    ----------
    choice : array of str
        Screen choices (``left``, ``right``, ``tie``, ``both_bad``).
    code : array of int
        Verdict codes (:func:`verdicts`).
    majority : array of int
        :func:`agrees_with_majority` for these votes.
    gold_code : array of int
        The known verdict code on gold pairs that have one (0 or 1: the better
        answer; 2: an admin judged the two a tie), -1 elsewhere.
    dwell_ms : array of float
        NaN where no dwell was recorded.
    flagged : array of bool
    too_fast_ms : float
        Dwell under which a vote is too fast (default :data:`TOO_FAST_MS`).

    Returns
    -------
    RaterFigures
    """
    choice = np.asarray(choice, dtype=object)
    code = np.asarray(code, dtype=np.int64)
    majority = np.asarray(majority, dtype=np.int64)
    gold_code = np.asarray(gold_code, dtype=np.int64)
    dwell = np.asarray(dwell_ms, dtype=float)
    dwell = dwell[~np.isnan(dwell)]
    decisive = choice[(choice == "left") | (choice == "right")]
    return RaterFigures(
        votes=int(code.size),
        gold_accuracy=_share(code[gold_code >= 0] == gold_code[gold_code >= 0]),
        majority_agreement=_share(majority[majority >= 0] == 1),
        left_share=_share(decisive == "left"),
        median_dwell_ms=float(np.median(dwell)) if dwell.size else None,
        too_fast=_share(dwell < too_fast_ms),
        flag_rate=_share(np.asarray(flagged, dtype=bool)),
    )

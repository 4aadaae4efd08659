"""blindside.cuts without a database: the Cut's normal form, its words, and time bounds.

Which votes and answers a cut selects is tested on real databases in
``tests/integration/test_cuts.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from blindside.cuts import Cut, normalise_rater_name, parse_time_bound


def test_equal_cuts_compare_equal_whatever_their_spelling():
    a = Cut(raters=("  Grace  Hopper", "ada"), since=date(2026, 11, 5))
    b = Cut(raters=("ada", "Grace Hopper", "ada"), since=datetime(2026, 11, 5, tzinfo=UTC))
    assert a == b and hash(a) == hash(b)  # the page caches fits on the cut
    assert a.raters == ("Grace Hopper", "ada")
    plus_one = timezone(timedelta(hours=1))
    assert Cut(until=datetime(2026, 11, 5, 1, tzinfo=plus_one)).until == datetime(
        2026, 11, 5, tzinfo=UTC
    )
    assert Cut(since=datetime(2026, 11, 5)).since.tzinfo is UTC  # naive means UTC
    assert normalise_rater_name(" a \t b ") == "a b"


def test_describe_says_the_cut_in_words():
    assert Cut().describe() == "all votes"
    cut = Cut(tier=2, suite="creative", raters=("ann",), exclude_gold=True, exclude_flagged=True)
    assert cut.describe() == (
        "tier 2; suite creative; raters ann; excluding flagged votes, gold items"
    )
    assert cut.with_tier(None).tier is None and cut.with_tier(3).describe().startswith("tier 3")


def test_time_bounds():
    assert parse_time_bound("2026-11-28") == datetime(2026, 11, 28)
    # "until the 28th" reads as "through the 28th".
    assert parse_time_bound("2026-11-28", end=True) == datetime(2026, 11, 29)
    assert parse_time_bound(" 2026-11-28T14:00 ", end=True) == datetime(2026, 11, 28, 14)
    with pytest.raises(ValueError, match="expected a date like 2026-11-28"):
        parse_time_bound("last tuesday")

"""The shared formatters of a share and a duration."""

from __future__ import annotations

from blindside.formatting import MISSING, milliseconds, percent


def test_percent_has_one_decimal_and_a_dash_when_missing() -> None:
    assert percent(0.912) == "91.2%"
    assert percent(1.0) == "100.0%"
    assert percent(None) == MISSING == "–"


def test_milliseconds_are_whole_and_thousands_separated() -> None:
    assert milliseconds(1234.5) == "1,234 ms"
    assert milliseconds(87.6) == "88 ms"
    assert milliseconds(None) == "–"

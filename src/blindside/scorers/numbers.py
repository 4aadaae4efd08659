"""Numbers: as models write them in answers, and as suites must write references."""

from __future__ import annotations

import math
import re

__all__ = ["answer_numbers", "parse_reference_number"]

# A number as models write it: optional sign and currency, thousands separators, decimals,
# exponent. "1,194.50" -> 1194.5, "$-3" -> -3, "1e3" -> 1000.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
# A reference is stricter: a plain decimal, no separators or currency.
_REFERENCE_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def answer_numbers(text: str) -> list[float]:
    """Every finite number written in ``text``, in order."""
    numbers = []
    for match in _NUMBER.finditer(text):
        raw = match.group().replace(",", "").replace("$", "")
        value = float(raw)
        if math.isfinite(value):
            numbers.append(value)
    return numbers


def parse_reference_number(text: str) -> float | None:
    """Parse a plain finite decimal number, or return None.

    Parameters
    ----------
    text : str
        A reference, e.g. ``"4000"``, ``"-12.5"`` or ``"1e3"``.

    Returns
    -------
    float or None
        The number, or None when ``text`` is not a plain finite decimal.
    """
    # float() alone would accept "nan", "inf" and "1_000", which no scorer can
    # compare sensibly; thousands separators are rejected for the same reason.
    if not _REFERENCE_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None

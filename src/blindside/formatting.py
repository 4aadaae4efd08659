"""How a share and a duration read in reports and pages, with ``–`` for a missing value.

Plain Python, so the CLI's reports and the Streamlit pages format them alike.
"""

from __future__ import annotations

__all__ = ["MISSING", "milliseconds", "percent"]

#: What a missing value reads as (an en dash).
MISSING = "–"


def percent(value: float | None) -> str:
    """A share as a percentage to one decimal.

    Parameters
    ----------
    value : float or None
        A share (0.5 is half).

    Returns
    -------
    str
        ``"91.2%"`` for 0.912; :data:`MISSING` for None.
    """
    return MISSING if value is None else f"{value:.1%}"


def milliseconds(value: float | None) -> str:
    """A duration in whole milliseconds, thousands separated.

    Parameters
    ----------
    value : float or None
        Milliseconds.

    Returns
    -------
    str
        ``"1,234 ms"`` for 1234.4; :data:`MISSING` for None.
    """
    return MISSING if value is None else f"{value:,.0f} ms"

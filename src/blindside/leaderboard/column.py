"""One column of a table: how a figure is read from a row, rounded and shown.

A :class:`Column` says what one figure is called in JSON and CSV (``key``), on
the pages (``label``, ``help``) and in the CLI's text table (``header``,
``width``), how to read it from a row (``value``) and how to show it
(``format``, ``places``; ``digits`` rounds it in JSON and CSV). The columns
themselves are defined once, in :mod:`blindside.leaderboard.columns`.

Nothing here imports pandas or streamlit: the pages turn columns into a frame
and its ``st.column_config`` in :mod:`blindside.ui.columns`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

#: How a figure is shown. ``rating``, ``ms`` and ``number`` are whole numbers by default,
#: ``percent`` a share shown times 100, ``usd`` dollars, ``flag`` a boolean.
Format = Literal["integer", "rating", "ms", "number", "percent", "usd", "text", "flag", "datetime"]

#: Decimals shown when a column does not choose (pages and text tables). Money has one
#: rule: an amount per task to the millionth of a dollar, so models that cost fractions
#: of a cent compare ($0.000014 against $0.000047); a total (``places=2``) to the cent.
DEFAULT_PLACES: dict[str, int] = {"rating": 0, "ms": 0, "number": 0, "percent": 0, "usd": 6}
#: Between the two ends of a range on the pages ("1–2", "86%–96%").
PAGE_JOINER = "–"
#: An empty cell on the pages: nothing was measured (never "None").
PAGE_EMPTY = "–"


@dataclass(frozen=True)
class Column:
    """One figure, as every table shows it.

    Attributes
    ----------
    key : str
        Its field in JSON and CSV output.
    label : str
        Its header on the pages.
    value : callable
        Reads it from a row; None when nothing was measured.
    format : Format
        How it is shown.
    help : str
        The page's tooltip.
    header, width : str, int
        The CLI text table's header and column width (text is left-aligned, numbers right).
    digits : int or None
        Decimals kept in JSON and CSV (None: as measured). The text table shows
        these rounded values too, so it agrees with the JSON.
    places : int or None
        Decimals shown on the pages and in the text table (None: the format's default).
    joiner : str
        Set for a range: ``value`` gives a (low, high) pair and the text table puts
        ``joiner`` between the two ends.
    """

    key: str
    label: str
    value: Callable[[Any], Any]
    format: Format
    help: str = ""
    header: str = ""
    width: int = 0
    digits: int | None = None
    places: int | None = None
    joiner: str = ""

    def rounded(self, digits: int | None) -> Column:
        """This column with ``digits`` decimals in JSON and CSV (a view's own precision)."""
        return replace(self, digits=digits)

    def shown(self, places: int) -> Column:
        """This column shown with ``places`` decimals (a view's own display precision)."""
        return replace(self, places=places)

    @property
    def left_aligned(self) -> bool:
        """Text reads from the left in the text table; numbers and ranges from the right."""
        return self.format in ("text", "datetime")

    def record(self, row: Any) -> Any:
        """Its JSON/CSV value for ``row``: :attr:`value` rounded to :attr:`digits`."""
        value = self.value(row)
        if value is None or self.digits is None:
            return value
        if self.joiner:
            return tuple(None if v is None else round(v, self.digits) for v in value)
        return round(value, self.digits)

    def cell(self, row: Any) -> str:
        """Its text-table cell for ``row`` (unaligned); "-" when nothing was measured."""
        value = self.record(row)
        if value is None or value == "":
            return "-"
        if self.joiner:
            return self.joiner.join(self._text(v) for v in value)
        return self._text(value)

    def page_value(self, row: Any) -> Any:
        """What the page's data frame holds: the measured value, or a range as text.

        None when nothing was measured: the page draws it as :data:`PAGE_EMPTY`.
        """
        value = self.value(row)
        if self.joiner and value is not None:
            return PAGE_JOINER.join(self._page_text(v) for v in value)
        return value

    def page_text(self, row: Any) -> str:
        """Its cell as the pages show it, as text ("$0.000047", "92%", "1,234"; "–": empty)."""
        value = self.value(row)
        if value is None or value == "":
            return PAGE_EMPTY
        if self.joiner:
            return PAGE_JOINER.join(self._page_text(v) for v in value)
        if self.format == "flag":
            return "yes" if value else "no"
        if self.format == "integer":
            return f"{value:,}"
        return self._page_text(value)

    def page_format(self) -> str | None:
        """The printf-style number format of a page column (None: the default)."""
        places = self._places()
        if self.format in ("rating", "ms", "number"):
            return f"%.{places}f"
        if self.format == "percent":
            return "percent"
        if self.format == "usd":
            return f"$%.{places}f"
        return None

    def _places(self) -> int:
        return self.places if self.places is not None else DEFAULT_PLACES.get(self.format, 0)

    def _text(self, value: Any) -> str:
        if self.format in ("rating", "ms", "number", "usd"):
            return f"{value:.{self._places()}f}"
        if self.format == "percent":
            return f"{100 * value:.{self._places()}f}"
        return str(value)

    def _page_text(self, value: Any) -> str:
        if self.format == "percent":
            return f"{value:.{self._places()}%}"
        if self.format == "usd":
            return f"${value:,.{self._places()}f}"
        if self.format in ("rating", "ms", "number"):
            return f"{value:,.{self._places()}f}"
        return self._text(value)

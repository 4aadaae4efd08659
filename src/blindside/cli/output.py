"""How commands print: a progress bar on stderr, numbers in tables, CSV on stdout."""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from blindside.engine.run import Progress


class ProgressBar:
    """A one-line progress bar on stderr: done/total, errors, spend, ETA."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self._last = ""
        self._drawn_at = 0.0

    def update(self, progress: Progress) -> None:
        now = time.monotonic()
        # Redraw at most ten times a second: a fast run must not flood the terminal.
        if now - self._drawn_at < 0.1 and progress.done < progress.total:
            return
        self._drawn_at = now
        done, total = progress.done, progress.total
        filled = int(self.width * done / total) if total else self.width
        eta = f"  ETA {progress.eta_s:.0f}s" if progress.eta_s is not None else ""
        line = (
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
            f"  errors {progress.errors}  retries {progress.retries}"
            f"  ${progress.cost_usd:.4f}{eta}"
        )
        if line != self._last:
            self.stream.write(line)
            self.stream.flush()
            self._last = line

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[Progress], None]]:
    """A :class:`ProgressBar` on stderr for a ``with`` block; gives its ``update``.

    The bar's line is ended however the block ends (a result, a ``return`` or an
    exception), after what the block itself printed.
    """
    bar = ProgressBar(label)
    try:
        yield bar.update
    finally:
        bar.close()


def rounded(value: float | None, digits: int) -> float | None:
    """``round(value, digits)``, keeping None (a figure nothing measured)."""
    return None if value is None else round(value, digits)


def print_csv(records: list[dict[str, Any]]) -> None:
    """Records as CSV on stdout, with the first record's keys as the header."""
    writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)

"""The clock of stored timestamps, shared by the table modules and the code that writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Aware UTC timestamp (sqlmodel stores datetimes as UTC on both backends)."""
    return datetime.now(UTC)

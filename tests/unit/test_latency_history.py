"""Latency and error rate grouped by model and UTC hour of the week, on hand-made samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from blindside.client.percentile import percentile
from blindside.latency_history import (
    LatencySample,
    by_hour_of_week,
    by_model,
    hour_of_week,
    summarise,
)

TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SUNDAY_02 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def sample(model: str, at: datetime, ms: float, *, failed: bool = False) -> LatencySample:
    return LatencySample(model, at, ms, failed, "generation")


def test_hour_of_week_runs_from_monday_midnight_utc() -> None:
    assert hour_of_week(datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == 0  # a Monday
    assert hour_of_week(TUESDAY_10 + timedelta(minutes=59)) == 34
    assert hour_of_week(datetime(2026, 12, 6, 23, 59, tzinfo=UTC)) == 167
    # Another offset is read in UTC; a naive time is taken as UTC (as SQLite returns it).
    assert hour_of_week(datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == 34
    assert hour_of_week(datetime(2026, 12, 1, 10, 0)) == 34


def test_percentiles_and_error_rates_by_model_and_hour() -> None:
    busy = [sample("a", TUESDAY_10 + timedelta(seconds=i), 100.0 + 10 * i) for i in range(20)]
    busy += [sample("a", TUESDAY_10, 5.0, failed=True) for _ in range(5)]
    quiet = [sample("a", SUNDAY_02 + timedelta(minutes=i), 50.0 + i) for i in range(10)]
    other = [sample("b", TUESDAY_10, 300.0), sample("b", TUESDAY_10, 0.0, failed=True)]
    rows = by_hour_of_week(quiet + other + busy)
    assert [(r.model, r.hour, r.label) for r in rows] == [
        ("a", 34, "Tue 10:00"),
        ("a", 146, "Sun 02:00"),
        ("b", 34, "Tue 10:00"),
    ]
    tuesday, sunday, b = (r.summary for r in rows)
    # Failed requests count in the error rate, never in the latency.
    assert (tuesday.requests, tuesday.errors, tuesday.error_rate) == (25, 5, 0.2)
    busy_ms = [100.0 + 10 * i for i in range(20)]
    assert tuesday.latency_p95_ms == percentile(busy_ms, 95)
    assert tuesday.latency_p50_ms == pytest.approx(195.0)
    assert (sunday.latency_p50_ms, sunday.error_rate) == (54.5, 0.0)
    assert (b.latency_p95_ms, b.error_rate) == (300.0, 0.5)
    models = by_model(quiet + other + busy)
    assert list(models) == ["a", "b"]
    assert models["a"].requests == 35 and models["a"].errors == 5
    assert models["a"].latency_p50_ms == percentile(busy_ms + [50.0 + i for i in range(10)], 50)


def test_a_group_with_only_failures_has_no_latency() -> None:
    only_failed = summarise([sample("a", TUESDAY_10, 9.0, failed=True)])
    assert only_failed.latency_p95_ms is None and only_failed.error_rate == 1.0
    assert summarise([]).error_rate == 0.0

"""Summaries and knee detection of load sweeps, on hand-made samples."""

from __future__ import annotations

import pytest

from blindside.stress import StressLevel, StressSample, find_knee, summarise_level


def level(concurrency: int, throughput: float, *, failed: int = 0, ttft_p95: float = 100.0):
    requests = 100
    return StressLevel(
        concurrency=concurrency,
        requests=requests,
        succeeded=requests - failed,
        errors_by_class={"rate_limit": failed} if failed else {},
        wall_s=(requests - failed) / throughput,
        latency_p50_ms=None,
        latency_p95_ms=None,
        ttft_p50_ms=None,
        ttft_p95_ms=ttft_p95,
        output_tokens=0,
    )


def test_summary_counts_only_successes_in_percentiles_and_throughput() -> None:
    samples = [StressSample(None, float(ms), ms / 10, 20) for ms in range(100, 200)]
    samples += [StressSample("rate_limit", 5.0), StressSample("timeout", 9000.0)]
    summary = summarise_level(8, samples, wall_s=2.0)
    assert (summary.requests, summary.succeeded) == (102, 100)
    assert summary.errors_by_class == {"rate_limit": 1, "timeout": 1}
    assert summary.latency_p50_ms == pytest.approx(149.5)
    assert summary.latency_p95_ms == pytest.approx(194.05)
    assert summary.ttft_p50_ms == pytest.approx(14.95)
    assert summary.throughput_rps == 50.0 and summary.tokens_per_s == 1000.0
    assert summary.error_rate == pytest.approx(2 / 102)
    empty = summarise_level(1, [StressSample("auth", 3.0)], wall_s=0.1)
    assert empty.latency_p95_ms is None and empty.throughput_rps == 0.0


def test_no_knee_while_throughput_follows_the_load() -> None:
    assert find_knee([level(1, 10), level(4, 38), level(16, 140)]) is None


def test_knee_where_more_load_stops_adding_throughput() -> None:
    knee = find_knee(
        [level(1, 10), level(4, 39), level(16, 45, ttft_p95=400), level(64, 44, ttft_p95=1600)]
    )
    assert knee is not None and (knee.best, knee.first_bad) == (4, 16)
    assert "1.15x the throughput of 4 for 4x the load" in knee.reason
    assert "time to first token p95 4.0x" in knee.reason


def test_knee_where_errors_pass_five_percent() -> None:
    knee = find_knee([level(1, 10), level(4, 40), level(16, 150, failed=20)])
    assert knee is not None and (knee.best, knee.first_bad) == (4, 16)
    assert "20% of requests failed at concurrency 16" in knee.reason
    first = find_knee([level(1, 10, failed=50), level(2, 20)])
    assert first is not None and (first.best, first.first_bad) == (0, 1)

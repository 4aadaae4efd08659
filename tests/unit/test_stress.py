"""Stress sweeps without a server: step summaries, the knee, the arrival schedule."""

from __future__ import annotations

import itertools
import statistics

import pytest

from blindside.client.percentile import percentile
from blindside.stress.knee import find_knee
from blindside.stress.results import Percentiles, StepResult, StressSample, summarise_step
from blindside.stress.schedule import arrival_offsets, requests_at


def step(load: float, throughput: float, p95: float = 100.0, *, failed: int = 0) -> StepResult:
    requests = 100
    return StepResult(
        load=load,
        requests=requests,
        succeeded=requests - failed,
        errors_by_class={"rate_limit": failed} if failed else {},
        wall_s=(requests - failed) / throughput,
        latency=Percentiles(p95=p95),
        ttft=Percentiles(),
        itl=Percentiles(),
        output_tokens=0,
    )


def test_summary_counts_only_successes_in_percentiles_and_throughput() -> None:
    samples = [
        StressSample(None, float(ms), ms / 10, 20, gaps_ms=(1.0, 3.0)) for ms in range(100, 200)
    ]
    samples += [StressSample("rate_limit", 5.0), StressSample("timeout", 9000.0)]
    summary = summarise_step(8, samples, wall_s=2.0, cancelled=3)
    assert (summary.requests, summary.succeeded, summary.cancelled) == (102, 100, 3)
    assert summary.errors_by_class == {"rate_limit": 1, "timeout": 1}
    latencies = [float(ms) for ms in range(100, 200)]
    assert summary.latency == Percentiles(*(percentile(latencies, q) for q in (50, 90, 95, 99)))
    assert summary.latency.p50 == pytest.approx(149.5)
    assert summary.latency.p95 == pytest.approx(194.05)
    assert summary.ttft.p50 == pytest.approx(14.95)
    assert (summary.itl.p50, summary.itl.p99) == (2.0, pytest.approx(3.0))
    assert summary.throughput_rps == 50.0 and summary.tokens_per_s == 1000.0
    assert summary.error_rate == pytest.approx(2 / 102)
    empty = summarise_step(1, [StressSample("auth", 3.0)], wall_s=0.1)
    assert empty.latency.p95 is None and empty.throughput_rps == 0.0 and empty.error_rate == 1.0


def test_no_knee_while_throughput_follows_the_load_at_a_steady_latency() -> None:
    assert find_knee([step(1, 10), step(4, 38, 110), step(16, 140, 140)]) is None


def test_knee_where_more_load_stops_adding_throughput() -> None:
    knee = find_knee([step(1, 10), step(4, 39), step(16, 45, 140), step(64, 44, 1600)])
    assert knee is not None and (knee.best, knee.first_bad) == (4, 16)
    assert "concurrency 16 gave 1.15x the throughput of 4 for 4x the load" in knee.reason


def test_knee_where_p95_passes_one_and_a_half_times_the_lowest_load() -> None:
    # Throughput still grows a little past the efficiency rule, but requests wait.
    knee = find_knee([step(1, 10, 100), step(2, 20, 120), step(4, 40, 151)])
    assert knee is not None and (knee.best, knee.first_bad) == (2, 4)
    assert "latency p95 at concurrency 4 was 1.5x that at concurrency 1" in knee.reason
    assert find_knee([step(1, 10, 100), step(2, 20, 150)]) is None  # 1.5x exactly is fine


def test_knee_where_errors_pass_five_percent_and_at_zero_when_the_first_step_fails() -> None:
    knee = find_knee([step(1, 10), step(4, 40), step(16, 150, failed=20)])
    assert knee is not None and (knee.best, knee.first_bad) == (4, 16)
    assert "20% of requests failed at concurrency 16" in knee.reason
    first = find_knee([step(1, 10, failed=50), step(2, 20)])
    assert first is not None and (first.best, first.first_bad) == (0, 1)
    assert find_knee([]) is None


def test_the_knee_of_an_open_loop_rate_where_the_achieved_rate_stops_following() -> None:
    knee = find_knee([step(2, 1.9), step(5, 4.8), step(10, 6.0), step(20, 6.1)], mode="rate")
    assert knee is not None and (knee.best, knee.first_bad) == (5, 10)
    assert knee.reason.startswith("rate 10 gave 1.25x the throughput of 5 for 2x the load")


def test_requests_per_step_default_by_mode_and_as_asked() -> None:
    assert [requests_at(c) for c in (1, 4, 16, 64)] == [16, 16, 64, 256]
    assert [requests_at(r, "rate") for r in (2, 5, 10.5)] == [16, 25, 53]
    assert requests_at(64, "rate", 7) == 7


def test_even_arrivals_are_spaced_one_over_the_rate() -> None:
    assert arrival_offsets(4, 5, poisson=False) == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="rate must be > 0"):
        arrival_offsets(0, 3, poisson=True)


def test_poisson_arrivals_have_exponential_gaps_of_mean_one_over_the_rate() -> None:
    rate, n = 8.0, 20_000
    offsets = arrival_offsets(rate, n, poisson=True, seed=3)
    assert offsets[0] == 0.0 and len(offsets) == n
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert all(g >= 0 for g in gaps)
    # An exponential distribution: mean 1/rate, standard deviation equal to the mean,
    # median ln 2 / rate (a fixed spacing would give a deviation of 0).
    mean = statistics.fmean(gaps)
    assert mean * rate == pytest.approx(1.0, rel=0.03)
    assert statistics.pstdev(gaps) / mean == pytest.approx(1.0, rel=0.05)
    assert statistics.median(gaps) * rate == pytest.approx(0.693, rel=0.05)
    # Seeded: the same seed repeats the schedule, another seed changes it.
    assert arrival_offsets(rate, 50, poisson=True, seed=3) == offsets[:50]
    assert arrival_offsets(rate, 50, poisson=True, seed=4) != offsets[:50]

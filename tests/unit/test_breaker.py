"""Tests for blindside.client.breaker with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from blindside.client.breaker import CircuitBreaker, breaker_for, reset_breakers


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    reset_breakers()
    yield
    reset_breakers()


def open_breaker(clock: FakeClock, threshold: int = 3, cooldown: float = 10.0) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=threshold, cooldown_s=cooldown, clock=clock)
    for _ in range(threshold):
        breaker.record_failure()
    return breaker


def test_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_success_resets_the_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"  # never 3 in a row
    assert breaker.consecutive_failures == 2


def test_stays_open_during_cooldown(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.now += 9.99
    assert not breaker.allow()
    assert breaker.state == "open"


def test_half_open_allows_exactly_one_trial(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.now += 10
    assert breaker.allow()
    assert breaker.state == "half_open"
    assert [breaker.allow() for _ in range(5)] == [False] * 5


def test_successful_trial_closes(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert all(breaker.allow() for _ in range(5))
    # and it takes a full threshold of new failures to open again
    breaker.record_failure()
    assert breaker.state == "closed"


def test_failed_trial_reopens_for_a_full_cooldown(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.now += 10
    assert breaker.allow()
    clock.now += 2
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()
    assert breaker.state == "half_open"


def test_lost_trial_does_not_wedge_half_open(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.now += 10
    assert breaker.allow()  # the trial's task is cancelled: no outcome is recorded
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()  # a new trial after another cooldown


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker(cooldown_s=-1)


def test_registry_returns_the_same_breaker(clock: FakeClock) -> None:
    a = breaker_for("gpt-x", failure_threshold=2, clock=clock)
    assert breaker_for("gpt-x", failure_threshold=2, clock=clock) is a
    assert breaker_for("other", failure_threshold=2, clock=clock) is not a
    a.record_failure()
    a.record_failure()
    assert breaker_for("gpt-x", failure_threshold=2, clock=clock).state == "open"
    # new settings give a fresh breaker
    assert breaker_for("gpt-x", failure_threshold=3, clock=clock).state == "closed"
    reset_breakers()
    assert breaker_for("gpt-x", failure_threshold=3, clock=clock) is not a

"""Thread safety of the per-endpoint limits and the circuit breakers, with real threads.

Every Streamlit session is a thread in one process, and every run in the process shares
one limiter and one breaker per endpoint: these tests hammer them from several threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from blindside.client.breaker import CircuitBreaker, breaker_for, reset_breakers
from blindside.client.limits import (
    EndpointLimitConfig,
    EndpointLimiter,
    limiter_for,
    reset_limiters,
)
from tests.unit.test_breaker import FakeClock, open_breaker


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    reset_breakers()
    yield
    reset_breakers()


def test_thread_safety_smoke() -> None:
    breaker = CircuitBreaker(failure_threshold=1_000_000, cooldown_s=0.0)
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(5000):
            breaker.record_failure()
            breaker.allow()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.consecutive_failures == 40_000  # no lost updates
    assert breaker.state == "closed"


def test_concurrent_trial_is_granted_once() -> None:
    clock = FakeClock()
    breaker = open_breaker(clock)
    clock.now += 10
    barrier = threading.Barrier(16)
    granted: list[bool] = []

    def try_allow() -> None:
        barrier.wait()
        granted.append(breaker.allow())

    threads = [threading.Thread(target=try_allow) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 1


def test_registry_thread_safe() -> None:
    seen: list[CircuitBreaker] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(breaker_for("shared"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in seen}) == 1


def test_one_limiter_shared_by_two_threads_with_their_own_loops() -> None:
    limiter = EndpointLimiter(EndpointLimitConfig(max_concurrency=3, rpm=60_000))
    lock = threading.Lock()
    active = 0
    peak = 0
    done = 0
    errors: list[BaseException] = []

    async def worker() -> None:
        nonlocal active, peak, done
        async with limiter.slot(100):
            with lock:
                active += 1
                peak = max(peak, active)
            await asyncio.sleep(0.003)
            with lock:
                active -= 1
                done += 1

    def run_loop() -> None:
        async def main() -> None:
            await asyncio.gather(*(worker() for _ in range(30)))

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run_loop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert done == 60
    assert peak == 3
    assert limiter.concurrency.in_use == 0


def test_registry_is_thread_safe() -> None:
    reset_limiters()
    config = EndpointLimitConfig(max_concurrency=2)
    seen: list[EndpointLimiter] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(limiter_for("shared", config))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in seen}) == 1
    reset_limiters()

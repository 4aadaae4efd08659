"""Tests for blindside.client.limits: token-bucket math, concurrency across loops, the registry."""

from __future__ import annotations

import asyncio
import time

import pytest

from blindside.client.limits import (
    ConcurrencyLimit,
    EndpointLimitConfig,
    EndpointLimiter,
    TokenBucket,
    limiter_for,
    reset_limiters,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- TokenBucket math (fake clock) ---------------------------------------------------


def test_burst_then_paced_at_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=3, clock=clock)  # 1 token per second
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    # the burst is spent: each next caller waits one more second (queued, in order)
    assert bucket.reserve() == pytest.approx(1.0)
    assert bucket.reserve() == pytest.approx(2.0)
    assert bucket.reserve() == pytest.approx(3.0)


def test_refill_is_continuous_and_capped_at_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(120, burst=4, clock=clock)  # 2 tokens per second
    for _ in range(4):
        bucket.reserve()
    clock.advance(0.5)
    assert bucket.level == pytest.approx(1.0)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.5)
    clock.advance(3600)  # long idle: never more than the burst
    assert bucket.level == pytest.approx(4.0)


def test_default_burst_is_one_second_but_at_least_one() -> None:
    assert TokenBucket(600).capacity == pytest.approx(10.0)
    assert TokenBucket(3).capacity == pytest.approx(1.0)
    assert TokenBucket(60_000).capacity == pytest.approx(1000.0)


def test_amount_larger_than_capacity_waits_for_full_bucket_then_leaves_debt() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, burst=10, clock=clock)  # 10 per second
    # a full bucket admits a 50-token request at once (no deadlock) ...
    assert bucket.reserve(50) == 0.0
    assert bucket.level == pytest.approx(-40.0)
    # ... and the next caller pays the debt: it needs 1 token, level -40 -> 4.1 s
    assert bucket.reserve(1) == pytest.approx(4.1)
    # an oversized request behind the debt waits until the bucket would be full
    assert bucket.reserve(50) == pytest.approx((10 - (-41)) / 10)


def test_refund_and_charge() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, burst=100, clock=clock)
    bucket.reserve(100)
    bucket.adjust(30)  # refund
    assert bucket.level == pytest.approx(30.0)
    bucket.adjust(-50)  # extra charge
    assert bucket.level == pytest.approx(-20.0)
    assert bucket.reserve(10) == pytest.approx(3.0)  # (10 - -20) / 10
    bucket.adjust(10_000)  # refunds never overfill
    assert bucket.level == pytest.approx(100.0)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_invalid_rate_rejected(bad: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(bad)


def test_negative_amount_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBucket(60).reserve(-1)


def test_cancelled_acquire_refunds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=1, clock=clock)
    bucket.reserve()

    async def main() -> None:
        task = asyncio.create_task(bucket.acquire(1))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert bucket.level == pytest.approx(0.0)  # the cancelled reservation was returned


# --- rpm in real time -----------------------------------------------------------------


def test_rpm_enforced_in_real_time() -> None:
    limiter = EndpointLimiter(EndpointLimitConfig(max_concurrency=50, rpm=6000))  # 100/s
    assert limiter.requests is not None
    burst = limiter.requests.capacity  # one second's worth: 100
    n = 130

    async def main() -> list[float]:
        async def one() -> float:
            async with limiter.slot(10) as waited:
                return waited

        return await asyncio.gather(*(one() for _ in range(n)))

    start = time.monotonic()
    waits = asyncio.run(main())
    elapsed = time.monotonic() - start
    floor = (n - burst) / 100  # the 30 requests past the burst take 0.3 s at 100/s
    assert floor == pytest.approx(0.3)
    # Never faster than the rate allows: the bound holds however slow the machine is.
    assert elapsed >= floor * 0.9
    assert max(waits) > 0  # some requests were held back...
    # ...and no more went straight through than the burst plus what refilled meanwhile
    # (a loaded machine refills more while it schedules, so the bound grows with it).
    assert sum(1 for w in waits if w < 0.005) <= burst + 100 * elapsed + 1


def test_tpm_paces_by_estimated_tokens_and_refund_helps() -> None:
    clock = FakeClock()
    limiter = EndpointLimiter(EndpointLimitConfig(max_concurrency=4, tpm=60_000))
    assert limiter.tokens is not None
    limiter.tokens = TokenBucket(60_000, burst=1000, clock=clock)  # 1000 tokens/s
    assert limiter.tokens.reserve(1000) == 0.0
    assert limiter.tokens.reserve(500) == pytest.approx(0.5)
    limiter.adjust_tokens(estimated=1000, actual=200)  # 800 refunded
    assert limiter.tokens.level == pytest.approx(300.0)
    limiter.adjust_tokens(estimated=100, actual=600)  # 500 charged
    assert limiter.tokens.level == pytest.approx(-200.0)


def test_no_rate_limits_means_no_wait() -> None:
    limiter = EndpointLimiter(EndpointLimitConfig(max_concurrency=2))
    assert limiter.requests is None and limiter.tokens is None
    limiter.adjust_tokens(10, 20)  # harmless without a tpm bucket

    async def main() -> float:
        async with limiter.slot(10**9) as waited:
            return waited

    assert asyncio.run(main()) < 0.05


# --- concurrency ----------------------------------------------------------------------


def test_concurrency_never_exceeds_limit_under_50_tasks() -> None:
    limit = ConcurrencyLimit(5)
    peak = 0
    active = 0

    async def worker() -> None:
        nonlocal peak, active
        async with limit:
            active += 1
            peak = max(peak, active, limit.in_use)
            await asyncio.sleep(0.002)
            active -= 1

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(50)))

    asyncio.run(main())
    assert peak == 5  # reached, never exceeded
    assert limit.in_use == 0
    assert limit.waiting == 0


def test_concurrency_is_fifo() -> None:
    limit = ConcurrencyLimit(1)
    order: list[int] = []

    async def worker(i: int) -> None:
        async with limit:
            order.append(i)
            await asyncio.sleep(0)

    async def main() -> None:
        tasks = []
        for i in range(10):
            tasks.append(asyncio.create_task(worker(i)))
            await asyncio.sleep(0)  # make arrival order deterministic
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == list(range(10))


def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limit = ConcurrencyLimit(1)

    async def main() -> None:
        async with limit:
            waiter = asyncio.create_task(limit.__aenter__())
            await asyncio.sleep(0.01)
            assert limit.waiting == 1
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        assert limit.in_use == 0
        async with limit:  # still usable
            assert limit.in_use == 1

    asyncio.run(main())
    assert limit.in_use == 0


def test_waiter_cancelled_right_after_grant_passes_slot_on() -> None:
    limit = ConcurrencyLimit(1)

    async def main() -> None:
        await limit.__aenter__()
        first = asyncio.create_task(limit.__aenter__())
        second = asyncio.create_task(limit.__aenter__())
        await asyncio.sleep(0.01)
        await limit.__aexit__(None, None, None)  # hands the slot to `first` ...
        first.cancel()  # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 1.0)  # the slot reached `second`
        assert limit.in_use == 1
        await limit.__aexit__(None, None, None)

    asyncio.run(main())
    assert limit.in_use == 0


@pytest.mark.parametrize("bad", [0, -2, True, 1.5])
def test_invalid_concurrency_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        ConcurrencyLimit(bad)  # type: ignore[arg-type]


# --- registry -------------------------------------------------------------------------


def test_registry_same_name_same_config_same_limiter() -> None:
    reset_limiters()
    config = EndpointLimitConfig(max_concurrency=4, rpm=100)
    a = limiter_for("openai", config)
    assert limiter_for("openai", EndpointLimitConfig(max_concurrency=4, rpm=100)) is a
    assert limiter_for("other", config) is not a
    changed = limiter_for("openai", EndpointLimitConfig(max_concurrency=8, rpm=100))
    assert changed is not a
    assert limiter_for("openai", EndpointLimitConfig(max_concurrency=8, rpm=100)) is changed
    reset_limiters()
    assert limiter_for("openai", config) is not a

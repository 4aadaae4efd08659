"""Per-endpoint rate limits, shared by every run in the process that uses the endpoint.

Providers cap concurrency, requests per minute (rpm) and tokens per minute
(tpm). In the Streamlit app two runs may execute at once, each in its own
thread with its own event loop, so asyncio primitives (bound to one loop) cannot
be shared between them. Everything here is guarded by a ``threading.Lock``
instead, and waiting happens with ``asyncio.sleep`` (token buckets) or with a
future of the waiter's own loop, woken through ``call_soon_threadsafe``
(concurrency). Nothing polls and nothing blocks a loop.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blindside.config import EndpointConfig

__all__ = [
    "DEFAULT_BURST_SECONDS",
    "ConcurrencyLimit",
    "EndpointLimitConfig",
    "EndpointLimiter",
    "TokenBucket",
    "limiter_for",
    "reset_limiters",
]

#: Seconds of capacity a fresh (or idle) bucket holds. Providers document that a
#: per-minute limit "may be enforced over shorter periods (e.g. 60,000 requests/minute
#: as 1,000 requests/second)", so a full minute of burst (600 requests in the first
#: second for rpm=600) invites 429s. One second's worth stays within such a quantum
#: and costs almost nothing: the long-run rate is the same, only the start of a run
#: is spread over a second instead of fired at once.
DEFAULT_BURST_SECONDS = 1.0


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


class TokenBucket:
    """Thread-safe token bucket with continuous refill, shared across event loops.

    Callers *reserve* tokens: the bucket subtracts them at once (it may go
    negative, i.e. into debt) and says how long the caller must wait. Later
    callers see the debt and wait longer, so waiters are served in arrival order
    and nothing busy-waits.

    Parameters
    ----------
    per_minute : float
        Tokens added per minute (the provider's rpm or tpm).
    burst : float, optional
        Capacity of the bucket, i.e. what may be spent at once after an idle
        period. Defaults to :data:`DEFAULT_BURST_SECONDS` of refill, at least 1.
    clock : callable, optional
        Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = _positive("per_minute", per_minute)
        self.rate = self.per_minute / 60.0  # tokens per second
        if burst is None:
            burst = max(1.0, self.rate * DEFAULT_BURST_SECONDS)
        self.capacity = _positive("burst", burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._level = self.capacity  # starts full
        self._updated = clock()

    def _refill(self) -> None:
        # Caller holds the lock.
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._level = min(self.capacity, self._level + elapsed * self.rate)
        self._updated = now

    @property
    def level(self) -> float:
        """Tokens available now (negative while reservations are outstanding)."""
        with self._lock:
            self._refill()
            return self._level

    def reserve(self, amount: float = 1.0) -> float:
        """Take ``amount`` tokens now and return how long to wait before using them.

        Parameters
        ----------
        amount : float
            Tokens to take; may exceed the capacity.

        Returns
        -------
        float
            Seconds the caller must wait before proceeding (0.0 if none).

        Notes
        -----
        A caller waits until the bucket would hold ``min(amount, capacity)``.
        An amount larger than the capacity therefore proceeds once the bucket is
        full and leaves the bucket in debt, which later callers pay off: the
        long-run rate holds and nothing can wait forever.
        """
        amount = float(amount)
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"amount must be a finite number >= 0, got {amount!r}")
        with self._lock:
            self._refill()
            need = min(amount, self.capacity)
            wait = max(0.0, (need - self._level) / self.rate)
            self._level -= amount
            return wait

    def adjust(self, delta: float) -> None:
        """Give tokens back (``delta > 0``) or take extra ones (``delta < 0``).

        Used to refund a cancelled reservation, or to correct an estimate once
        the real usage is known. The bucket never holds more than its capacity.
        """
        delta = float(delta)
        if not math.isfinite(delta):
            raise ValueError(f"delta must be finite, got {delta!r}")
        with self._lock:
            self._refill()
            self._level = min(self.capacity, self._level + delta)

    async def acquire(self, amount: float = 1.0) -> float:
        """Reserve ``amount`` tokens and sleep until they may be used.

        Returns
        -------
        float
            Seconds waited.
        """
        wait = self.reserve(amount)
        if wait > 0:
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:
                # The request will not be sent: its tokens belong to the next caller.
                self.adjust(amount)
                raise
        return wait


class _Waiter:
    __slots__ = ("future", "granted", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        self.loop = loop
        self.future = future
        self.granted = False  # set under the limit's lock when a slot is handed over


def _wake(future: asyncio.Future[None]) -> None:
    # Runs in the waiter's own loop. A cancelled waiter gives its slot back itself.
    if not future.done():
        future.set_result(None)


class ConcurrencyLimit:
    """Async semaphore usable from any thread and any event loop.

    A released slot is handed directly to the longest waiter (first come, first
    served), whose future is resolved in its own loop via
    ``loop.call_soon_threadsafe``.

    Parameters
    ----------
    limit : int
        Most holders at once.
    """

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
        self.limit = limit
        self._lock = threading.Lock()
        self._in_use = 0
        self._waiters: deque[_Waiter] = deque()

    @property
    def in_use(self) -> int:
        """Slots held right now (including slots handed to a waiter not yet resumed)."""
        with self._lock:
            return self._in_use

    @property
    def waiting(self) -> int:
        """Callers queued for a slot."""
        with self._lock:
            return len(self._waiters)

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            # Queue behind existing waiters even if a slot is free, to stay fair.
            if self._in_use < self.limit and not self._waiters:
                self._in_use += 1
                return
            waiter = _Waiter(loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except asyncio.CancelledError:
            with self._lock:
                granted = waiter.granted
                if not granted and waiter in self._waiters:
                    self._waiters.remove(waiter)
            if granted:
                # The slot arrived as we were cancelled: pass it on.
                self._release()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.future.done():
                    continue  # cancelled while queued: skip it
                try:
                    if waiter.loop is running:
                        # Same loop: no need to wake it through its self-pipe (a syscall).
                        waiter.loop.call_soon(_wake, waiter.future)
                    else:
                        waiter.loop.call_soon_threadsafe(_wake, waiter.future)
                except RuntimeError:
                    continue  # its loop is closed: that caller is gone
                waiter.granted = True  # the slot moves over; in_use is unchanged
                return
            if self._in_use <= 0:
                raise RuntimeError("ConcurrencyLimit released more often than acquired")
            self._in_use -= 1


@dataclass(frozen=True)
class EndpointLimitConfig:
    """The limits a provider sets on one endpoint.

    Attributes
    ----------
    max_concurrency : int
        Most requests in flight at once.
    rpm : float or None
        Requests per minute; None = unlimited.
    tpm : float or None
        Tokens (input + output) per minute; None = unlimited.
    """

    max_concurrency: int
    rpm: float | None = None
    tpm: float | None = None

    @classmethod
    def from_endpoint(cls, endpoint: EndpointConfig) -> EndpointLimitConfig:
        """The limits of a ``[[endpoints]]`` entry of models.toml."""
        return cls(max_concurrency=endpoint.max_concurrency, rpm=endpoint.rpm, tpm=endpoint.tpm)


class EndpointLimiter:
    """Concurrency, rpm and tpm limits of one endpoint, usable from any thread or loop.

    Parameters
    ----------
    config : EndpointLimitConfig
    """

    def __init__(self, config: EndpointLimitConfig) -> None:
        self.config = config
        self.concurrency = ConcurrencyLimit(config.max_concurrency)
        self.requests = TokenBucket(config.rpm) if config.rpm else None
        self.tokens = TokenBucket(config.tpm) if config.tpm else None

    @asynccontextmanager
    async def slot(self, estimated_tokens: int) -> AsyncIterator[float]:
        """Hold a concurrency slot, one request of rpm and ``estimated_tokens`` of tpm.

        The concurrency slot is taken first and the rate buckets are reserved
        just before the request goes out, so the pacing matches when requests
        are really sent. Correct the tpm charge with :meth:`adjust_tokens` once
        the usage is known.

        Yields
        ------
        float
            Seconds spent waiting for the limits.
        """
        start = time.monotonic()
        async with self.concurrency:
            wait_rpm = self.requests.reserve(1.0) if self.requests else 0.0
            wait_tpm = self.tokens.reserve(estimated_tokens) if self.tokens else 0.0
            wait = max(wait_rpm, wait_tpm)  # both buckets refill during the same sleep
            if wait > 0:
                try:
                    await asyncio.sleep(wait)
                except asyncio.CancelledError:
                    # Nothing was sent: refund so other callers are not held back.
                    if self.requests:
                        self.requests.adjust(1.0)
                    if self.tokens:
                        self.tokens.adjust(estimated_tokens)
                    raise
            yield time.monotonic() - start

    def adjust_tokens(self, estimated: int, actual: int) -> None:
        """Refund (or charge) the difference between estimated and actual tokens."""
        if self.tokens is not None and actual != estimated:
            self.tokens.adjust(estimated - actual)


_registry: dict[str, EndpointLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(endpoint_name: str, config: EndpointLimitConfig) -> EndpointLimiter:
    """The process-wide limiter of an endpoint, shared by every run using it.

    The same name and config give the same object. A changed config gives a new
    limiter that replaces the old one for later callers; runs already holding
    the old one keep it until they finish.
    """
    with _registry_lock:
        limiter = _registry.get(endpoint_name)
        if limiter is None or limiter.config != config:
            limiter = EndpointLimiter(config)
            _registry[endpoint_name] = limiter
        return limiter


def reset_limiters() -> None:
    """Forget every registered limiter (for tests)."""
    with _registry_lock:
        _registry.clear()

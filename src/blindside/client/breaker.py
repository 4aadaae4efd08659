"""Circuit breaker per model, so a failing model hands over to its fallbacks.

After ``failure_threshold`` answers in a row failed (each after its retries
were exhausted), the circuit opens: requests skip the model for ``cooldown_s``.
Then one trial request goes through (half-open); its success closes the
circuit, its failure opens it for another cooldown. State is guarded by a
``threading.Lock`` so runs in different threads and event loops can share it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["BreakerState", "CircuitBreaker", "breaker_for", "reset_breakers"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Thread-safe consecutive-failure circuit breaker.

    Parameters
    ----------
    failure_threshold : int
        Consecutive failures that open the circuit.
    cooldown_s : float
        Seconds the circuit stays open before a trial request is let through.
    clock : callable, optional
        Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(failure_threshold, bool) or failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold!r}")
        if not math.isfinite(cooldown_s) or cooldown_s < 0:
            raise ValueError(f"cooldown_s must be a finite number >= 0, got {cooldown_s!r}")
        self.failure_threshold = failure_threshold
        self.cooldown_s = float(cooldown_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started = 0.0

    @property
    def state(self) -> BreakerState:
        """``closed``, ``open``, or ``half_open`` (a trial is out).

        An open circuit whose cooldown has passed still reads ``open`` until the
        next :meth:`allow` lets the trial through.
        """
        with self._lock:
            return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures in a row since the last success."""
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        """Whether a request may go to this model now.

        Closed: always. Open: no, until the cooldown has passed; then exactly
        one caller gets True and the circuit turns half-open. Half-open: no
        while the trial is out.
        """
        with self._lock:
            if self._state == "closed":
                return True
            now = self._clock()
            if self._state == "open":
                if now - self._opened_at < self.cooldown_s:
                    return False
            # A trial whose outcome never came back (its task was cancelled)
            # must not keep the circuit half-open forever: after another
            # cooldown a new trial goes.
            elif now - self._trial_started < self.cooldown_s:
                return False
            self._state = "half_open"
            self._trial_started = now
            return True

    def record_success(self) -> None:
        """A request succeeded: close the circuit and forget past failures."""
        with self._lock:
            self._state = "closed"
            self._failures = 0

    def record_failure(self) -> None:
        """A request failed for good (its retries are exhausted).

        Counts consecutive failures and opens the circuit at the threshold; a
        failed half-open trial opens it again for a full cooldown. A late
        failure of a request sent before the circuit opened changes nothing.
        """
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or (
                self._state == "closed" and self._failures >= self.failure_threshold
            ):
                self._state = "open"
                self._opened_at = self._clock()


_registry: dict[str, CircuitBreaker] = {}
_settings: dict[str, tuple[Any, ...]] = {}
_registry_lock = threading.Lock()


def breaker_for(key: str, **kwargs: Any) -> CircuitBreaker:
    """The process-wide breaker for ``key`` (a model name), created on first use.

    Parameters
    ----------
    key : str
    **kwargs
        :class:`CircuitBreaker` arguments. The same arguments give the same
        breaker; different ones replace it with a fresh (closed) breaker.
    """
    settings = (
        kwargs.get("failure_threshold", 5),
        kwargs.get("cooldown_s", 30.0),
        kwargs.get("clock", time.monotonic),
    )
    with _registry_lock:
        breaker = _registry.get(key)
        if breaker is None or _settings[key] != settings:
            breaker = CircuitBreaker(**kwargs)
            _registry[key] = breaker
            _settings[key] = settings
        return breaker


def reset_breakers() -> None:
    """Forget every registered breaker (for tests)."""
    with _registry_lock:
        _registry.clear()
        _settings.clear()

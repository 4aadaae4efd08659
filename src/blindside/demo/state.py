"""What a running demo app keeps: its settings, request log and the requests a fault holds.

Both are shared between the server's event loop and other threads (a test, or
:class:`~blindside.demo.server.LoopbackServer` stopping), so both lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from blindside.config import FAULT_KINDS, FaultConfig
from blindside.config.drift import DemoOverride
from blindside.demo.knowledge import DemoKnowledge
from blindside.demo.prompt_cache import PromptCache


class DemoStats:
    """Thread-safe in-memory request log of one demo app (``GET /v1/_demo/stats``).

    Counts every chat completion request with a valid body, per request digest
    (:func:`~blindside.demo.planning.request_digest`) the attempts and the
    successful completions served, and the faults served by kind. Memory grows
    with the number of distinct requests (a few hundred bytes each).

    It also keeps, per model, the latency of each successful completion as the
    server saw it (from the request's arrival to its last content, capacity queue
    included), in completion order, the last :attr:`LATENCY_LOG` of them
    (``GET /v1/_demo/latencies``): what a stress test's own figures are checked against.
    """

    LATENCY_LOG = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._completions = 0
        self._attempts: dict[str, int] = {}
        self._completed: dict[str, int] = {}
        self._seedless_attempts: dict[str, int] = {}
        self._faults = dict.fromkeys(FAULT_KINDS, 0)
        self._latencies: dict[str, deque[float]] = {}

    def begin(self, digest: str) -> int:
        """Count one request; return its attempt number for this digest (0 first)."""
        with self._lock:
            self._requests += 1
            attempt = self._attempts.get(digest, 0)
            self._attempts[digest] = attempt + 1
            return attempt

    def seedless_attempt(self, digest: str) -> int:
        """Attempt number by seedless digest, for profiles that ignore ``seed``."""
        with self._lock:
            attempt = self._seedless_attempts.get(digest, 0)
            self._seedless_attempts[digest] = attempt + 1
            return attempt

    def complete(
        self, digest: str, model: str | None = None, latency_ms: float | None = None
    ) -> None:
        """Count one successful completion (all content and the finish reason were sent).

        ``latency_ms``, when given, is logged under ``model``.
        """
        with self._lock:
            self._completions += 1
            self._completed[digest] = self._completed.get(digest, 0) + 1
            if model is not None and latency_ms is not None:
                log = self._latencies.setdefault(model, deque(maxlen=self.LATENCY_LOG))
                log.append(latency_ms)

    def latencies(self) -> dict[str, list[float]]:
        """The body of ``GET /v1/_demo/latencies``: model to completion latencies (ms)."""
        with self._lock:
            return {model: list(log) for model, log in self._latencies.items()}

    def fault(self, kind: str) -> None:
        """Count one fault served (injected, or the profile's own 503)."""
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """The JSON body of ``GET /v1/_demo/stats``.

        Returns
        -------
        dict
            ``requests`` and ``completions`` totals, ``by_digest`` (digest to
            successful completions, digests with at least one),
            ``attempts_by_digest`` (digest to requests) and ``faults`` (kind to
            count, every kind of :data:`FAULT_KINDS` present).
        """
        with self._lock:
            return {
                "requests": self._requests,
                "completions": self._completions,
                "by_digest": dict(self._completed),
                "attempts_by_digest": dict(self._attempts),
                "faults": dict(self._faults),
            }


async def _disconnected(receive: Callable[[], Awaitable[Mapping[str, Any]]]) -> None:
    """Return once the client has gone (the server's ``http.disconnect`` message)."""
    while (await receive()).get("type") != "http.disconnect":
        await asyncio.sleep(0.01)  # a stray body message: keep listening, never spin


class HeldRequests:
    """Requests held by a ``timeout`` fault, so that a server stop can release them at once.

    uvicorn's graceful shutdown waits for open requests; a request asleep for an
    hour would hold it up, so :meth:`release_all` (thread-safe) wakes every one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    async def hold(
        self, receive: Callable[[], Awaitable[Mapping[str, Any]]], limit_s: float
    ) -> Literal["released", "disconnected", "elapsed"]:
        """Wait up to ``limit_s`` seconds, until the client disconnects, or until released."""
        released = asyncio.Event()
        entry = (asyncio.get_running_loop(), released)
        with self._lock:
            self._held.add(entry)
        release = asyncio.ensure_future(released.wait())
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            done, _ = await asyncio.wait(
                {release, gone}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            release.cancel()
            gone.cancel()
            with self._lock:
                self._held.discard(entry)
        if release in done:
            return "released"
        return "disconnected" if gone in done else "elapsed"

    def release_all(self) -> None:
        """Wake every held request (callable from any thread)."""
        with self._lock:
            held = list(self._held)
        for loop, event in held:
            with contextlib.suppress(RuntimeError):  # its loop is already closed
                loop.call_soon_threadsafe(event.set)


@dataclass
class DemoAppState:
    """Everything the routes of one demo app share (``app.state.demo``).

    Attributes
    ----------
    seed : int
        App seed.
    latency_scale : float
        Multiplier on every simulated delay.
    knowledge : mapping of str to DemoKnowledge
        Suite knowledge keyed by :func:`~blindside.demo.knowledge.knowledge_key`.
    faults : FaultConfig
        Faults for every model without its own config.
    model_faults : dict of str to FaultConfig
        Per model id, a config that replaces ``faults`` entirely.
    model_overrides : dict of str to DemoOverride
        Per model id, a change to its profile (models.toml's ``demo`` table).
    stats : DemoStats
        The request log.
    held : HeldRequests
        Requests held by ``timeout`` faults.
    prompt_cache : PromptCache
        The prefixes each model has seen: cache writes, then reads.
    """

    seed: int
    latency_scale: float
    knowledge: Mapping[str, DemoKnowledge]
    faults: FaultConfig
    model_faults: dict[str, FaultConfig]
    model_overrides: dict[str, DemoOverride] = field(default_factory=dict)
    stats: DemoStats = field(default_factory=DemoStats)
    held: HeldRequests = field(default_factory=HeldRequests)
    prompt_cache: PromptCache = field(default_factory=PromptCache)
    # Per model with a capacity: the requests it is serving. Made on first use, inside the
    # server's event loop.
    _capacity_slots: dict[str, asyncio.Semaphore] = field(
        default_factory=dict, init=False, repr=False
    )

    def faults_for(self, model: str) -> FaultConfig:
        """The fault config of one model: its own, else the app-wide one."""
        return self.model_faults.get(model, self.faults)

    def capacity_slot(self, model: str, capacity: int) -> asyncio.Semaphore:
        """The semaphore bounding how many requests ``model`` serves at once."""
        return self._capacity_slots.setdefault(model, asyncio.Semaphore(capacity))

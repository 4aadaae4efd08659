"""How many requests a stress step sends, and when (pure).

A closed-loop step (``--concurrency``) keeps ``load`` requests in flight; an open-loop
step (``--rate``) sends ``load`` requests per second whatever the endpoint does, evenly
spaced or with Poisson arrivals (exponential gaps, seeded).
"""

from __future__ import annotations

import math
import random

__all__ = ["MODES", "arrival_offsets", "requests_at"]

#: ``concurrency``: closed loop; ``rate``: open loop, requests per second.
MODES: tuple[str, ...] = ("concurrency", "rate")


def requests_at(load: float, mode: str = "concurrency", requests: int | None = None) -> int:
    """The requests a step sends: ``requests`` when given, else a default by mode.

    Closed loop: ``max(4 * load, 16)``, four rounds of the concurrency past the ramp-up.
    Open loop: ``max(5 * load, 16)``, five seconds of arrivals. At least 16, so a low
    load still gives a p95.

    Examples
    --------
    >>> requests_at(8), requests_at(2, "rate"), requests_at(8, requests=5)
    (32, 16, 5)
    """
    if requests is not None:
        return requests
    per_load = 4 if mode == "concurrency" else 5
    return max(math.ceil(per_load * load), 16)


def arrival_offsets(rate: float, n: int, *, poisson: bool, seed: int = 0) -> list[float]:
    """Seconds from a step's start at which each of its ``n`` requests is sent.

    Parameters
    ----------
    rate : float
        Requests per second, > 0.
    n : int
        Requests.
    poisson : bool
        Exponential gaps of mean ``1 / rate`` (a Poisson process, seeded) when True;
        evenly spaced at ``1 / rate`` otherwise. The first request leaves at 0 either way.
    seed : int

    Returns
    -------
    list of float
        Non-decreasing offsets, the first 0.

    Examples
    --------
    >>> arrival_offsets(4, 3, poisson=False)
    [0.0, 0.25, 0.5]
    """
    if rate <= 0:
        raise ValueError(f"rate must be > 0, got {rate!r}")
    if not poisson:
        return [i / rate for i in range(n)]
    rng = random.Random(seed)
    offsets, at = [], 0.0
    for i in range(n):
        if i:
            at += rng.expovariate(rate)
        offsets.append(at)
    return offsets

"""Faults the demo provider injects: :class:`FaultConfig`, the one fault dataclass.

A simulated model's ``faults`` table in ``models.toml``, the CLI's
``serve-demo --fault-rate/--faults/--latency-ms/--capacity`` and the demo app
all use this one class. It lives in configuration, and the demo imports it,
so that reading ``models.toml`` never imports the simulator; which attempt
suffers which fault is decided in :mod:`blindside.demo.faults`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Every fault the demo provider can inject.
FAULT_KINDS = ("429", "500", "503", "timeout", "malformed", "truncate")


def parse_fault_kinds(text: str) -> tuple[str, ...]:
    """Fault kinds from a comma-separated list, e.g. ``"429,503,timeout"``.

    Parameters
    ----------
    text : str
        Kinds from :data:`FAULT_KINDS`, separated by commas; spaces and empty
        items are ignored, ``all`` stands for every kind, duplicates are dropped.

    Returns
    -------
    tuple of str
        The kinds, in order of first mention.

    Raises
    ------
    ValueError
        Naming the first unknown kind.
    """
    kinds: list[str] = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item == "all":
            kinds.extend(FAULT_KINDS)
        elif item in FAULT_KINDS:
            kinds.append(item)
        else:
            raise ValueError(
                f"unknown fault kind {item!r}; choose from {', '.join(FAULT_KINDS)} or all"
            )
    return tuple(dict.fromkeys(kinds))


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"fault setting '{name}' must be a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class FaultConfig:
    """Injected faults and fixed latency for the demo app (app-wide or per model).

    Attributes
    ----------
    rate : float
        Probability, 0-1, that an attempt suffers one fault.
    kinds : tuple of str
        Which faults (from :data:`FAULT_KINDS`) to draw from, uniformly. Must be
        non-empty when ``rate > 0``.
    latency_ms : float or None
        When set, every request takes about this many milliseconds in total,
        whatever the profile (``latency_scale`` does not apply).
    retry_after_s : float
        Sent with a ``429`` as ``Retry-After`` (whole seconds, rounded up) and
        ``retry-after-ms``.
    capacity : int or None
        Requests a model serves at once, like a provider's fleet: more wait in
        a queue before their first token, so past this concurrency throughput
        stops growing and latency does. None: unlimited.

    Raises
    ------
    ValueError
        On a rate outside 0-1, an unknown kind, ``rate > 0`` with no kinds, a
        negative ``latency_ms`` or ``retry_after_s``, or a capacity below 1.
        (``models.toml`` is checked before, with file and line, by
        :mod:`blindside.config.entries`.)
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    latency_ms: float | None = None
    retry_after_s: float = 1.0
    capacity: int | None = None

    def __post_init__(self) -> None:
        kinds = (
            parse_fault_kinds(self.kinds)
            if isinstance(self.kinds, str)
            else parse_fault_kinds(",".join(self.kinds))
        )
        object.__setattr__(self, "kinds", kinds)
        if not 0.0 <= _number("rate", self.rate) <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        if self.rate > 0 and not kinds:
            raise ValueError("a fault rate above 0 needs at least one fault kind")
        if self.latency_ms is not None and _number("latency_ms", self.latency_ms) < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if _number("retry_after_s", self.retry_after_s) < 0:
            raise ValueError(f"retry_after_s must be >= 0, got {self.retry_after_s}")
        if self.capacity is not None and (
            isinstance(self.capacity, bool)
            or not isinstance(self.capacity, int)
            or self.capacity < 1
        ):
            raise ValueError(f"capacity must be a whole number >= 1, got {self.capacity!r}")

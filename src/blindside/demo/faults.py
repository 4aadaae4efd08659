"""Injected faults and fixed latency for the demo app: :class:`FaultConfig` and its parsing.

Which attempt suffers which fault is a pure function of the request digest and
the attempt number (:meth:`FaultConfig.draw`), so a fresh app replays the same
faults. The responses a fault produces are in :mod:`~blindside.demo.responses`.
Kept free of Starlette and uvicorn so that configuration can share it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# One list of fault kinds for models.toml, the CLI and the app.
from blindside.config import FAULT_KINDS

#: How long a ``timeout`` fault holds a request (far beyond any sane client timeout). It
#: ends early when the client disconnects or the server stops.
TIMEOUT_FAULT_S = 3600.0
_FAULT_FIELDS = ("rate", "kinds", "latency_ms", "retry_after_s", "capacity")


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
        On a rate outside 0-1, an unknown kind, ``rate > 0`` with no kinds, or a
        negative ``latency_ms`` or ``retry_after_s``.
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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from a config table, e.g. ``{rate = 0.1, kinds = ["429", "503"]}``.

        ``kinds`` may be a list of strings or one comma-separated string.

        Raises
        ------
        ValueError
            On an unknown key or a bad value; the message names the setting.
        """
        unknown = sorted(set(data) - set(_FAULT_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown fault setting '{unknown[0]}'; expected {', '.join(_FAULT_FIELDS)}"
            )
        kinds = data.get("kinds", ())
        if isinstance(kinds, list | tuple) and all(isinstance(k, str) for k in kinds):
            kinds = ",".join(kinds)
        if not isinstance(kinds, str):
            raise ValueError(f"fault setting 'kinds' must be a list of strings, got {kinds!r}")
        latency = data.get("latency_ms")
        return cls(
            rate=_number("rate", data.get("rate", 0.0)),
            kinds=parse_fault_kinds(kinds),
            latency_ms=None if latency is None else _number("latency_ms", latency),
            retry_after_s=_number("retry_after_s", data.get("retry_after_s", 1.0)),
            capacity=data.get("capacity"),
        )

    def draw(self, digest: str, attempt: int) -> str | None:
        """The fault of one attempt of a request, or None; a pure function of its inputs.

        Keyed on the attempt number so a retry of the same request is drawn
        afresh (and can succeed), while a fresh app replays the same faults.
        """
        if self.rate <= 0:
            return None
        rng = random.Random(f"{digest}:{attempt}:fault")
        if rng.random() >= self.rate:
            return None
        return self.kinds[rng.randrange(len(self.kinds))]

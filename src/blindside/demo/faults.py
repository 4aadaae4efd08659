"""Which attempt of a request suffers which injected fault.

The faults themselves are configured by :class:`blindside.config.FaultConfig`
(from ``models.toml``, the CLI or code); the draw is a pure function of the
request digest and the attempt number, so a fresh app replays the same
faults. The responses a fault produces are in :mod:`~blindside.demo.responses`.
"""

from __future__ import annotations

import random

from blindside.config import FaultConfig

#: How long a ``timeout`` fault holds a request (far beyond any sane client timeout). It
#: ends early when the client disconnects or the server stops.
TIMEOUT_FAULT_S = 3600.0


def draw_fault(faults: FaultConfig, digest: str, attempt: int) -> str | None:
    """The injected fault of one attempt of a request, or None.

    Parameters
    ----------
    faults : FaultConfig
        The faults of the model asked.
    digest : str
        Digest of the request (:func:`~blindside.demo.planning.request_digest`).
    attempt : int
        Attempt number; a retry of the same request is drawn afresh (and can
        succeed), while a fresh app replays the same faults.

    Returns
    -------
    str or None
        One of ``faults.kinds``, drawn uniformly, with probability ``faults.rate``.
    """
    if faults.rate <= 0:
        return None
    rng = random.Random(f"{digest}:{attempt}:fault")
    if rng.random() >= faults.rate:
        return None
    return faults.kinds[rng.randrange(len(faults.kinds))]

"""Compatibility probe: what one configured endpoint does differently from OpenAI.

Teams integrating a new endpoint trip over small differences: a system prompt
that is ignored, no usage in streams, a ``seed`` that does nothing, JSON mode
or tools rejected with a 400. :func:`probe_model` sends a handful of tiny
requests to one model and reports, per check, ``ok`` / ``differs`` / ``fails`` /
``skipped`` with a short detail. ``blindside probe MODEL`` prints
:func:`format_probe_table` of the result. See ``docs/probe.md``.

``report`` holds the results and the table, ``checks`` the checks, ``run``
the order they run in.
"""

from blindside.probe.checks import DEFAULT_CONTEXT_LADDER
from blindside.probe.report import CHECK_NAMES, ProbeResult, ProbeStatus, format_probe_table
from blindside.probe.run import probe_model, probe_model_async

__all__ = [
    "CHECK_NAMES",
    "DEFAULT_CONTEXT_LADDER",
    "ProbeResult",
    "ProbeStatus",
    "format_probe_table",
    "probe_model",
    "probe_model_async",
]

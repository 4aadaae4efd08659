"""Load sweeps, stored: ``blindside stress``.

- :mod:`~blindside.stress.schedule`: how many requests a step sends and when (Poisson
  arrivals for an open-loop rate), pure.
- :mod:`~blindside.stress.measure`: one request, one step (closed-loop concurrency or
  open-loop rate) and its summary with the latency percentiles.
- :mod:`~blindside.stress.knee`: where a sweep stopped scaling, pure.
- :mod:`~blindside.stress.sweep`: a sweep of one or more models with its bounds and early
  stop, each step stored as it ends.
- :mod:`~blindside.stress.store`: the ``stress_*`` tables, written and read.
- :mod:`~blindside.stress.report`: the text table and JSON document the command prints.

Nothing is re-exported: import the submodule that defines a name (the SDK loads only with
:mod:`~blindside.stress.measure`).
"""

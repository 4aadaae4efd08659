"""Living benchmarks: re-run a suite, compare with the baseline, alert on drift.

* :mod:`~blindside.drift.samples` -- what a run measured, as samples per (model, tier).
* :mod:`~blindside.drift.significance` -- the tests and Holm's correction (pure).
* :mod:`~blindside.drift.metrics` -- the metrics compared and the verdicts.
* :mod:`~blindside.drift.rebench` -- ``blindside rebench``: run, compare, store.
* :mod:`~blindside.drift.report` -- the JSON and markdown reports, the webhook summary.
* :mod:`~blindside.drift.webhook` -- posting it, keys from the environment.
* :mod:`~blindside.drift.history` -- the findings over time, for the Drift page.
"""

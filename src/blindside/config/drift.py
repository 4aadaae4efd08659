"""Drift thresholds (``[drift]`` in ``models.toml``) and what a model says of itself.

``[drift]`` sets how far a re-benchmark may move from its baseline before
``blindside rebench`` raises an alert; a model's own ``drift = {...}`` overrides
any of them for that model. :data:`DRIFT_THRESHOLDS` documents each key: the
docs are tested to name every one.

A model may also carry figures its vendor published (``published = {...}``)
and, on a demo endpoint, a change to its simulated profile (``demo = {...}``),
which is how tests and newcomers make drift happen on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from blindside.config.checker import Checker, toml_type


@dataclass(frozen=True)
class DriftThresholds:
    """When a change between a baseline and a re-benchmark is an alert.

    A metric drifts when its change is beyond the threshold (practically large)
    *and* significant after Holm's correction over every test of the re-benchmark
    (not noise). Only changes for the worse alert; better ones are reported.

    Attributes
    ----------
    alpha : float
        Family-wise error rate over all tests of one re-benchmark (Holm).
    accuracy_drop : float
        Absolute drop in the share of correct answers (0.05 = 5 points).
    consistency_drop : float
        Absolute drop in the mean consistency (modal share across samples).
    latency_p95_ratio : float
        p95 end-to-end latency now over the baseline's.
    ttft_p95_ratio : float
        p95 time to first token now over the baseline's.
    cost_ratio : float
        Mean cost per task now over the baseline's.
    error_rate_rise : float
        Absolute rise in the share of tasks that failed.
    judge_preference_drop : float
        Absolute drop in the share of judge verdicts the model wins.
    min_samples : int
        Fewer answers than this on either side: the metric is not tested.
    """

    alpha: float = 0.01
    accuracy_drop: float = 0.05
    consistency_drop: float = 0.10
    latency_p95_ratio: float = 1.5
    ttft_p95_ratio: float = 1.5
    cost_ratio: float = 1.25
    error_rate_rise: float = 0.05
    judge_preference_drop: float = 0.10
    min_samples: int = 20

    def with_overrides(self, overrides: Mapping[str, float]) -> DriftThresholds:
        """These thresholds with ``overrides`` (a model's ``drift`` table) applied."""
        return dataclasses.replace(self, **overrides) if overrides else self


#: Each ``[drift]`` key, with what it means (the docs must name every one).
DRIFT_THRESHOLDS: dict[str, str] = {
    "alpha": "family-wise false-alarm rate over all tests of one rebench (Holm's correction)",
    "accuracy_drop": "alert when accuracy falls by more than this many points (absolute share)",
    "consistency_drop": "alert when mean consistency falls by more than this (absolute share)",
    "latency_p95_ratio": "alert when p95 latency grows by more than this factor",
    "ttft_p95_ratio": "alert when p95 time to first token grows by more than this factor",
    "cost_ratio": "alert when mean cost per task grows by more than this factor",
    "error_rate_rise": "alert when the failed-task share rises by more than this (absolute)",
    "judge_preference_drop": "alert when the judge's win share falls by more than this",
    "min_samples": "answers needed on each side before a metric is tested",
}

_BOUNDS: dict[str, dict[str, Any]] = {
    "alpha": {"above": 0, "below": 1},
    "accuracy_drop": {"above": 0, "below": 1},
    "consistency_drop": {"above": 0, "below": 1},
    "latency_p95_ratio": {"above": 1},
    "ttft_p95_ratio": {"above": 1},
    "cost_ratio": {"above": 1},
    "error_rate_rise": {"above": 0, "below": 1},
    "judge_preference_drop": {"above": 0, "below": 1},
    "min_samples": {"minimum": 2, "integer": True},
}


def check_thresholds(
    ck: Checker, raw: Any, where: str, line_of: Callable[[str], int | None], prefix: str
) -> dict[str, float]:
    """Validate a table of drift thresholds; returns the keys it sets (checked)."""
    if not isinstance(raw, dict):
        ck.add(line_of(""), prefix.rstrip("."), f"{where}: must be a table, got {toml_type(raw)}")
        return {}
    ck.unknown_keys(raw, tuple(DRIFT_THRESHOLDS), where, line_of, prefix=prefix)
    values: dict[str, float] = {}
    for key, bounds in _BOUNDS.items():
        if key in raw:
            value = ck.number(raw, key, None, where, line_of(key), field_=prefix + key, **bounds)
            if value is not None:
                values[key] = value
    return values


@dataclass(frozen=True)
class PublishedFigures:
    """What a model's vendor published, to show beside what blindside measured.

    Attributes
    ----------
    benchmark : str or None
        The benchmark the score is on (e.g. ``"MMLU-Pro"``).
    score : float or None
        The published score as a share (0.72, not 72).
    latency_ms, ttft_ms : float or None
        Published end-to-end latency and time to first token.
    output_tokens_per_s : float or None
        Published decode speed.
    input_per_mtok, output_per_mtok : float or None
        List prices in USD per million tokens.
    source : str or None
        Where the figures come from (a URL or a document name).
    """

    benchmark: str | None = None
    score: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    output_tokens_per_s: float | None = None
    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    source: str | None = None


_PUBLISHED_TEXT = ("benchmark", "source")
_PUBLISHED_NUMBERS: dict[str, dict[str, Any]] = {
    "score": {"minimum": 0, "below": 1.000001},
    "latency_ms": {"above": 0},
    "ttft_ms": {"above": 0},
    "output_tokens_per_s": {"above": 0},
    "input_per_mtok": {"minimum": 0},
    "output_per_mtok": {"minimum": 0},
}
PUBLISHED_KEYS = tuple(f.name for f in dataclasses.fields(PublishedFigures))


def check_published(
    ck: Checker, raw: Any, where: str, at: Callable[..., int | None]
) -> PublishedFigures | None:
    """Validate a model's ``published`` table."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        ck.add(
            at("published"),
            "published",
            f"{where}: 'published' must be a table, got {toml_type(raw)}",
        )
        return None
    before = len(ck.problems)
    ck.unknown_keys(raw, PUBLISHED_KEYS, where, lambda k: at("published", k), prefix="published.")
    values: dict[str, Any] = {}
    for key in _PUBLISHED_TEXT:
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            ck.add(
                at("published", key),
                f"published.{key}",
                f"{where}: 'published.{key}' must be a non-empty string",
            )
        elif value is not None:
            values[key] = value
    for key, bounds in _PUBLISHED_NUMBERS.items():
        value = ck.number(
            raw, key, None, where, at("published", key), field_=f"published.{key}", **bounds
        )
        if value is not None:
            values[key] = float(value)
    if "score" in values and "benchmark" not in values:
        ck.add(
            at("published", "score"),
            "published.benchmark",
            f"{where}: 'published.score' needs 'published.benchmark' (which benchmark it is on)",
        )
    if len(ck.problems) > before:
        return None
    return PublishedFigures(**values)


@dataclass(frozen=True)
class DemoOverride:
    """A change to a simulated model's profile, from its ``demo`` table.

    Attributes
    ----------
    accuracy : float or None
        Replaces the profile's probability of a right answer.
    latency_scale : float
        Multiplies its time to first token and time per token.
    failure_rate : float or None
        Replaces the profile's probability of a 503 before any output.
    """

    accuracy: float | None = None
    latency_scale: float = 1.0
    failure_rate: float | None = None


DEMO_OVERRIDE_KEYS = tuple(f.name for f in dataclasses.fields(DemoOverride))


def check_demo_override(
    ck: Checker, raw: Any, where: str, at: Callable[..., int | None], simulated: bool | None
) -> DemoOverride | None:
    """Validate a model's ``demo`` table (demo endpoints only)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        ck.add(at("demo"), "demo", f"{where}: 'demo' must be a table, got {toml_type(raw)}")
        return None
    if simulated is False:
        ck.add(
            at("demo"),
            "demo",
            f"{where}: 'demo' only applies to models on a demo endpoint (it changes a simulated "
            "profile)",
        )
        return None
    before = len(ck.problems)
    ck.unknown_keys(raw, DEMO_OVERRIDE_KEYS, where, lambda k: at("demo", k), prefix="demo.")
    accuracy = ck.number(
        raw,
        "accuracy",
        None,
        where,
        at("demo", "accuracy"),
        minimum=0,
        below=1.000001,
        field_="demo.accuracy",
    )
    scale = ck.number(
        raw,
        "latency_scale",
        1.0,
        where,
        at("demo", "latency_scale"),
        above=0,
        field_="demo.latency_scale",
    )
    failure = ck.number(
        raw,
        "failure_rate",
        None,
        where,
        at("demo", "failure_rate"),
        minimum=0,
        below=1,
        field_="demo.failure_rate",
    )
    if len(ck.problems) > before:
        return None
    return DemoOverride(
        accuracy=None if accuracy is None else float(accuracy),
        latency_scale=float(scale),
        failure_rate=None if failure is None else float(failure),
    )

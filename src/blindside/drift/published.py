"""Published against measured: a model's vendor figures beside blindside's own, one table.

Rebench reports measure one run (:func:`measured_from_sample`); the leaderboard every answer
(:func:`measured_from_stats`). Both build the same rows with :func:`published_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.client.percentile import percentile
from blindside.config import ProjectConfig
from blindside.drift.samples import TierSample
from blindside.leaderboard.stats import ModelStats, model_stats
from blindside.tables import Model


@dataclass(frozen=True)
class Measured:
    """What blindside measured of a model, in the units vendors publish."""

    accuracy: float | None
    latency_p50_ms: float | None
    ttft_p50_ms: float | None
    tokens_per_s: float | None = None


def measured_from_sample(sample: TierSample) -> Measured:
    """From one run's samples (a rebench)."""
    return Measured(
        sample.correct / sample.scored if sample.scored else None,
        percentile(sample.latencies_ms, 50),
        percentile(sample.ttfts_ms, 50),
    )


def measured_from_stats(stats: ModelStats) -> Measured:
    """From the leaderboard's aggregates over every answer."""
    return Measured(stats.accuracy, stats.latency_p50_ms, stats.ttft_p50_ms, stats.tokens_per_s)


def measured_by_name(engine: Engine) -> dict[str, Measured]:
    """Every model with answers, by its models.toml name."""
    with Session(engine) as session:
        names = {m.id: m.name for m in session.exec(select(Model))}
    return {names[m_id]: measured_from_stats(s) for m_id, s in model_stats(engine).items()}


def published_rows(config: ProjectConfig, measured: Mapping[str, Measured]) -> list[dict[str, Any]]:
    """One row per model with a ``published`` table and a measurement, in file order."""
    rows = []
    for model in config.models:
        pub, got = model.published, measured.get(model.name)
        if pub is None or got is None:
            continue
        rows.append(
            {
                "model": model.name,
                "display_name": model.display_name,
                "benchmark": pub.benchmark,
                "published_score": pub.score,
                "measured_accuracy": got.accuracy,
                "published_latency_ms": pub.latency_ms,
                "measured_latency_p50_ms": got.latency_p50_ms,
                "published_ttft_ms": pub.ttft_ms,
                "measured_ttft_p50_ms": got.ttft_p50_ms,
                "published_tokens_per_s": pub.output_tokens_per_s,
                "measured_tokens_per_s": got.tokens_per_s,
                "published_input_per_mtok": pub.input_per_mtok,
                "configured_input_per_mtok": model.pricing.input_per_mtok,
                "published_output_per_mtok": pub.output_per_mtok,
                "configured_output_per_mtok": model.pricing.output_per_mtok,
                "source": pub.source,
            }
        )
    return rows

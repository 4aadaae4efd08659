"""What ``blindside stress`` prints: one line per step as it ends, and a JSON document."""

from __future__ import annotations

from typing import Any

from blindside.stress.knee import Knee, load_label
from blindside.stress.results import Percentiles, StepResult

__all__ = ["STEP_HEADER", "format_step", "knee_line", "sweep_report"]

STEP_HEADER = (
    f"{'load':>6} {'requests':>8} {'ok':>5} {'req/s':>7} {'tok/s':>8} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ttft p95':>8} {'itl p95':>7}  errors"
)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_step(step: StepResult) -> str:
    """One aligned line of :data:`STEP_HEADER` for a step."""
    errors = ", ".join(f"{k} {v}" for k, v in sorted(step.errors_by_class.items())) or "-"
    if step.cancelled:
        errors += f"; {step.cancelled} cut by the time bound"
    return (
        f"{load_label(step.load):>6} {step.requests:>8} {step.succeeded:>5} "
        f"{step.throughput_rps:>7.1f} {step.tokens_per_s:>8.0f} "
        f"{_ms(step.latency.p50):>7} {_ms(step.latency.p95):>7} {_ms(step.latency.p99):>7} "
        f"{_ms(step.ttft.p95):>8} {_ms(step.itl.p95):>7}  {errors}"
    )


def knee_line(mode: str, knee: Knee | None, loads: tuple[float, ...]) -> str:
    """The knee in words, or that every step scaled."""
    if knee is None:
        return f"scaled at every {mode} up to {load_label(loads[-1])}: no knee reached"
    return f"knee: best at {mode} {load_label(knee.best)}; {knee.reason}"


def _rounded(percentiles: Percentiles) -> dict[str, float | None]:
    return {
        name: None if value is None else round(value, 1)
        for name, value in vars(percentiles).items()
    }


def sweep_report(
    model: str,
    sweep_id: int,
    mode: str,
    steps: list[StepResult],
    stop_reason: str | None,
    knee: Knee | None,
) -> dict[str, Any]:
    """One sweep as the ``stress --format json`` document shows it."""
    return {
        "model": model,
        "sweep_id": sweep_id,
        "mode": mode,
        "steps": [
            {
                "load": step.load,
                "requests": step.requests,
                "succeeded": step.succeeded,
                "cancelled": step.cancelled,
                "errors_by_class": dict(step.errors_by_class),
                "wall_s": round(step.wall_s, 4),
                "throughput_rps": round(step.throughput_rps, 3),
                "tokens_per_s": round(step.tokens_per_s, 1),
                "latency_ms": _rounded(step.latency),
                "ttft_ms": _rounded(step.ttft),
                "itl_ms": _rounded(step.itl),
            }
            for step in steps
        ],
        "stop_reason": stop_reason,
        "knee": None
        if knee is None
        else {"best": knee.best, "first_bad": knee.first_bad, "reason": knee.reason},
    }

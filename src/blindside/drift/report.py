"""A rebench's report: JSON (stored, written, posted), markdown for people, Slack's payload.

The JSON is the one fact; the markdown and the webhook summary are written from it.
Published figures (a model's ``published`` table) are shown beside what this run
measured of the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blindside.config import ProjectConfig
from blindside.drift.metrics import METRICS_BY_NAME, Finding
from blindside.drift.published import measured_from_sample, published_rows
from blindside.drift.samples import TierSample
from blindside.formatting import milliseconds, percent

REPORT_VERSION = 1


def _finding_row(f: Finding) -> dict[str, Any]:
    c = f.comparison
    return {
        "model": c.model,
        "tier": c.tier,
        "metric": c.metric.name,
        "label": c.metric.label,
        "baseline_run_id": c.baseline_run_id,
        "baseline": c.change.baseline,
        "current": c.change.current,
        "effect": c.change.effect,
        "effect_kind": c.metric.effect,
        "threshold": f.threshold,
        "p_value": c.change.p_value,
        "p_adjusted": f.p_adjusted,
        "n_baseline": c.change.n_baseline,
        "n_current": c.change.n_current,
        "verdict": f.verdict,
    }


def build_report(
    *,
    suite: str,
    run_id: int,
    findings: list[Finding],
    baselines: Mapping[str, int | None],
    config: ProjectConfig,
    measured: Mapping[str, TierSample],
    display_names: Mapping[str, str],
    generation: Mapping[str, Any],
    judge: str | None = None,
    judging: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON report of one rebench (``rebench_id`` is added once it is stored)."""
    alerts = [f for f in findings if f.verdict == "drift"]
    return {
        "version": REPORT_VERSION,
        "suite": suite,
        "run_id": run_id,
        "drifted": bool(alerts),
        "alerts": len(alerts),
        "alpha": config.drift.alpha,
        "baselines": dict(baselines),
        "display_names": {name: display_names.get(name, name) for name in baselines},
        "generation": dict(generation),
        "judge": judge,
        "judging": dict(judging or {}),
        "findings": [_finding_row(f) for f in findings],
        "published": published_rows(
            config, {name: measured_from_sample(s) for name, s in measured.items()}
        ),
    }


def format_value(metric: str, value: float | None) -> str:
    """A metric's value as people read it (a share as %, ms, USD with enough digits)."""
    if value is None:
        return "–"
    unit = METRICS_BY_NAME[metric].unit
    if unit == "share":
        return percent(value)
    if unit == "ms":
        return milliseconds(value)
    return f"${value:.6f}"


def format_effect(row: Mapping[str, Any]) -> str:
    effect = row["effect"]
    if effect is None:
        return "–"
    if row["effect_kind"] == "ratio":
        return f"×{effect:.2f}"
    return f"{effect * 100:+.1f} pts"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.2g}"


def alert_lines(report: Mapping[str, Any]) -> list[str]:
    """One line per alert, e.g. ``careful (simulated), tier 1: Accuracy 91.0% → 60.0%``."""
    names = report.get("display_names", {})
    return [
        f"{names.get(r['model'], r['model'])}, tier {r['tier']}: {r['label']} "
        f"{format_value(r['metric'], r['baseline'])} → {format_value(r['metric'], r['current'])} "
        f"({format_effect(r)}, limit {r['threshold']:g}, p_adj {_p(r['p_adjusted'])})"
        for r in report["findings"]
        if r["verdict"] == "drift"
    ]


def to_markdown(report: Mapping[str, Any]) -> str:
    """The report for people: the verdict first, then every metric per model and tier."""
    names = report.get("display_names", {})
    head = [f"# Rebench of suite `{report['suite']}`, run {report['run_id']}", ""]
    if report["drifted"]:
        head += [f"**Drift: {report['alerts']} alert(s).**", ""]
        head += [f"- {line}" for line in alert_lines(report)]
    else:
        head += ["**No drift.**"]
    head += [
        "",
        f"Alerts need a change beyond the threshold *and* a Holm-adjusted p below "
        f"{report['alpha']:g} over all {len(report['findings'])} comparisons.",
        "",
    ]
    judge = report.get("judge")
    if judge:
        judging = report.get("judging") or {}
        done = (
            f"{judging['requested']} verdicts asked, {judging['already_done']} already stored"
            if "requested" in judging
            else judging.get("stop_reason", "no verdicts asked")
        )
        head += [f"Judge preference: verdicts of {names.get(judge, judge)} ({done}).", ""]
    else:
        head += ["Judge preference: not compared (no `[drift] judge` and no `--judge`).", ""]
    missing = [m for m, base in report["baselines"].items() if base is None]
    if missing:
        head += [
            "No earlier comparable run (same suite and sample count) for: "
            + ", ".join(names.get(m, m) for m in missing)
            + ". This run is their baseline from now on.",
            "",
        ]
    if report["findings"]:
        head += [
            "| model | tier | metric | baseline | now | change | limit | p (Holm) | n | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report["findings"]:
            head.append(
                f"| {names.get(r['model'], r['model'])} | {r['tier']} | {r['label']} "
                f"| {format_value(r['metric'], r['baseline'])} "
                f"| {format_value(r['metric'], r['current'])} | {format_effect(r)} "
                f"| {r['threshold']:g} | {_p(r['p_adjusted'])} "
                f"| {r['n_baseline']}/{r['n_current']} | {r['verdict']} |"
            )
        head.append("")
    if report["published"]:
        head += [
            "## Published against measured",
            "",
            "| model | benchmark | published score | measured accuracy (this suite) "
            "| published latency | measured p50 | published TTFT | measured TTFT p50 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for p in report["published"]:
            cells = [
                names.get(p["model"], p["model"]),
                p["benchmark"] or "–",
                percent(p["published_score"]),
                percent(p["measured_accuracy"]),
                milliseconds(p["published_latency_ms"]),
                milliseconds(p["measured_latency_p50_ms"]),
                milliseconds(p["published_ttft_ms"]),
                milliseconds(p["measured_ttft_p50_ms"]),
            ]
            head.append("| " + " | ".join(cells) + " |")
        head.append("")
    return "\n".join(head)


def slack_payload(report: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack-compatible webhook body (``text``, and ``blocks`` for richer clients)."""
    title = f"blindside rebench `{report['suite']}` run {report['run_id']}: " + (
        f"DRIFT, {report['alerts']} alert(s)" if report["drifted"] else "no drift"
    )
    lines = alert_lines(report)
    text = "\n".join([title, *(f"• {line}" for line in lines)])
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "blindside": {
            "suite": report["suite"],
            "run_id": report["run_id"],
            "rebench_id": report.get("rebench_id"),
            "drifted": report["drifted"],
            "alerts": report["alerts"],
        },
    }

"""What ``rank`` and ``scores`` print: their records, as JSON, CSV or a text table.

The output is pinned byte for byte by ``tests/integration/test_golden_outputs.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from blindside.cli.output import percent, print_csv, rounded

if TYPE_CHECKING:
    from blindside.leaderboard import Leaderboard, ModelStats


def score_record(stats: ModelStats) -> dict[str, Any]:
    """The automated-score fields of one model, for ``rank`` and ``scores`` output."""
    interval = stats.accuracy_interval
    return {
        "accuracy": rounded(stats.accuracy, 4),
        "accuracy_low": None if interval is None else round(interval[0], 4),
        "accuracy_high": None if interval is None else round(interval[1], 4),
        "scored": stats.scored,
        "consistency": rounded(stats.consistency, 4),
        "consistency_prompts": stats.consistency_prompts,
    }


def score_records(stats_by_name: dict[str, ModelStats]) -> list[dict[str, Any]]:
    """One ``scores`` record per model, most accurate first (unscored last), then by name."""
    records = (
        {
            "model": name,
            **score_record(s),
            "answers": s.answers,
            "error_rate": rounded(s.error_rate, 4),
            "mean_latency_ms": rounded(s.mean_latency_ms, 1),
            "mean_ttft_ms": rounded(s.mean_ttft_ms, 1),
            "cost_per_task_usd": s.cost_per_task_usd,
        }
        for name, s in stats_by_name.items()
    )
    return sorted(
        records, key=lambda r: (-(r["accuracy"] if r["accuracy"] is not None else -1), r["model"])
    )


def print_scores(records: list[dict[str, Any]], described: str, fmt: str) -> None:
    """Print ``scores`` records of the selection ``described`` as json, csv or table."""
    if fmt == "json":
        print(json.dumps({"selection": described, "models": records}, indent=2))
        return
    if fmt == "csv":
        print_csv(records)
        return
    print(
        f"{'model':<32} {'acc%':>5} {'95% CI':>9} {'scored':>7} {'consist%':>9} "
        f"{'answers':>8} {'err%':>5} {'latency ms':>11} {'$/task':>10}"
    )
    for rec in records:
        ci = (
            f"{percent(rec['accuracy_low'])}-{percent(rec['accuracy_high'])}"
            if rec["accuracy_low"] is not None
            else "-"
        )
        latency = f"{rec['mean_latency_ms']:.0f}" if rec["mean_latency_ms"] is not None else "-"
        cost = f"{rec['cost_per_task_usd']:.6f}" if rec["cost_per_task_usd"] is not None else "-"
        print(
            f"{rec['model']:<32} {percent(rec['accuracy']):>5} {ci:>9} {rec['scored']:>7} "
            f"{percent(rec['consistency']):>9} {rec['answers']:>8} "
            f"{percent(rec['error_rate']):>5} {latency:>11} {cost:>10}"
        )
    print(
        f"{described}; accuracy: answers passing their prompt's scorer (95% Wilson "
        "interval); consistency: mean share of a prompt's samples giving its most common "
        "answer (needs --samples 2+)"
    )


def rank_records(board: Leaderboard) -> list[dict[str, Any]]:
    """One ``rank`` record per model, in the leaderboard's order."""
    return [
        {
            "rank": r.rank,
            "rank_best": r.rank_best,
            "rank_worst": r.rank_worst,
            "model": r.display_name,
            "rating": rounded(r.rating, 1),
            "ci_low": rounded(r.rating_low, 1),
            "ci_high": rounded(r.rating_high, 1),
            "votes": r.votes,
            "few_votes": r.few_votes,
            "win_rate": rounded(r.win_rate, 3),
            **score_record(r.stats),
            "mean_latency_ms": r.stats.mean_latency_ms,
            "mean_ttft_ms": r.stats.mean_ttft_ms,
            "cost_per_task_usd": r.stats.cost_per_task_usd,
            "error_rate": r.stats.error_rate,
        }
        for r in board.rows
    ]


def rank_summary(
    board: Leaderboard, records: list[dict[str, Any]], source: str, cut: str
) -> dict[str, Any]:
    """The ``rank --format json`` document: the fit, its diagnostics and the records."""
    style = None
    if board.style_coef is not None:
        style = {
            name: {
                "coef": float(board.style_coef[i]),
                "low": None if board.style_low is None else float(board.style_low[i]),
                "high": None if board.style_high is None else float(board.style_high[i]),
            }
            for i, name in enumerate(board.style_names)
        }
    return {
        "source": source,
        "tier": board.tier,
        "cut": cut,
        "votes": board.total_votes,
        "intervals": board.interval_method,
        "tie_model": board.tie_model,
        "tie_param": board.tie_param,
        "left_advantage_elo": {
            "estimate": rounded(board.left_advantage_elo, 1),
            "low": rounded(board.left_advantage_low, 1),
            "high": rounded(board.left_advantage_high, 1),
        },
        "style": style,
        "rating_accuracy_spearman": {
            "rho": rounded(board.rating_accuracy_rho, 3),
            "models": board.rating_accuracy_models,
        },
        "models": records,
        "warnings": board.warnings,
    }


def print_rank(board: Leaderboard, source: str, cut: str, fmt: str) -> None:
    """Print a leaderboard as json, csv or table; ``cut`` describes the votes it covers."""
    records = rank_records(board)
    if fmt == "json":
        print(json.dumps(rank_summary(board, records, source, cut), indent=2))
        return
    if fmt == "csv":
        print_csv(records)
        return
    print(
        f"{'rank':>4} {'range':>7}  {'model':<32} {'rating':>7} {'95% CI':>15} "
        f"{'votes':>6} {'win%':>6} {'acc%':>5}"
    )
    for rec in records:
        ci = f"{rec['ci_low']:.0f}..{rec['ci_high']:.0f}" if rec["ci_low"] is not None else "-"
        rating = f"{rec['rating']:.0f}" if rec["rating"] is not None else "-"
        span = f"{rec['rank_best']}-{rec['rank_worst']}" if rec["rank_best"] else "-"
        print(
            f"{rec['rank'] or '-':>4} {span:>7}  {rec['model']:<32} {rating:>7} {ci:>15} "
            f"{rec['votes']:>6} {percent(rec['win_rate']):>6} {percent(rec['accuracy']):>5}"
        )
    print(f"{board.total_votes} votes ({cut}); intervals: {board.interval_method}")
    if board.left_advantage_elo is not None:
        low, high = board.left_advantage_low, board.left_advantage_high
        ci = f" (95% CI {low:+.0f} to {high:+.0f})" if low is not None and high is not None else ""
        print(f"left-side advantage: {board.left_advantage_elo:+.0f} Elo{ci}")
    if board.rating_accuracy_rho is not None:
        print(
            f"rating vs accuracy: Spearman's rho {board.rating_accuracy_rho:+.2f} over "
            f"{board.rating_accuracy_models} models"
        )

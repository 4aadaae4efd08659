"""What ``rank`` and ``scores`` print: their records, as JSON, CSV or a text table.

The output is pinned byte for byte by ``tests/integration/test_golden_outputs.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from blindside.cli.output import print_csv, rounded
from blindside.leaderboard import views

if TYPE_CHECKING:
    from blindside.leaderboard.board import Leaderboard
    from blindside.leaderboard.stats import MeasuredModel


def print_scores(models: list[MeasuredModel], described: str, fmt: str) -> None:
    """Print ``scores`` rows of the selection ``described`` as json, csv or table."""
    if fmt == "json":
        records = views.records(views.SCORES_RECORD, models)
        print(json.dumps({"selection": described, "models": records}, indent=2))
        return
    if fmt == "csv":
        print_csv(views.records(views.SCORES_RECORD, models))
        return
    print("\n".join(views.text_table(views.SCORES_TABLE, models)))
    print(
        f"{described}; accuracy: answers passing their prompt's scorer (95% Wilson "
        "interval); consistency: mean share of a prompt's samples giving its most common "
        "answer (needs --samples 2+)"
    )
    if (note := views.cost_source_note(models)) is not None:
        print(note)


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
        "tie_param_low": board.tie_param_low,
        "tie_param_high": board.tie_param_high,
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
        "recommendation": _recommendation(board),
        "models": records,
        "warnings": board.warnings,
    }


def _recommendation(board: Leaderboard) -> dict[str, Any] | None:
    """The tier's default rule, the model it chooses and why (None without a tier)."""
    from blindside.leaderboard.recommend import DEFAULT_RULES, describe_rule, recommend

    rule = DEFAULT_RULES.get(board.tier) if board.tier is not None else None
    if rule is None:
        return None
    chosen = recommend(board.rows, rule)
    return {"rule": describe_rule(rule), "model": chosen.model, "reason": chosen.reason}


def print_rank(board: Leaderboard, source: str, cut: str, fmt: str) -> None:
    """Print a leaderboard as json, csv or table; ``cut`` describes the votes it covers."""
    records = views.records(views.RANK_RECORD, board.rows)
    if fmt == "json":
        print(json.dumps(rank_summary(board, records, source, cut), indent=2))
        return
    if fmt == "csv":
        print_csv(records)
        return
    print("\n".join(views.text_table(views.RANK_TABLE, board.rows)))
    print(f"{board.total_votes} votes ({cut}); intervals: {board.interval_method}")
    if board.left_advantage_elo is not None:
        low, high = board.left_advantage_low, board.left_advantage_high
        ci = f" (95% CI {low:+.0f} to {high:+.0f})" if low is not None and high is not None else ""
        print(f"left-side advantage: {board.left_advantage_elo:+.0f} Elo{ci}")
    if board.tie_model == "davidson":
        print(tie_parameter_line(board))
    if board.rating_accuracy_rho is not None:
        print(
            f"rating vs accuracy: Spearman's rho {board.rating_accuracy_rho:+.2f} over "
            f"{board.rating_accuracy_models} models"
        )
    if (chosen := _recommendation(board)) is not None:
        print(f"recommendation for tier {board.tier} ({chosen['rule']}): {chosen['reason']}")
    if (note := views.cost_source_note(board.rows)) is not None:
        print(note)
    for warning in board.warnings:
        print(f"warning: {warning}")


def tie_parameter_line(board: Leaderboard) -> str:
    """Davidson's tie parameter with its interval, in words (the text table's footer)."""
    if board.tie_param is None:
        return "Davidson tie parameter: unknown (every vote is a tie)"
    low, high = board.tie_param_low, board.tie_param_high
    ci = f" (95% CI {low:.2f} to {high:.2f})" if low is not None and high is not None else ""
    return f"Davidson tie parameter nu: {board.tie_param:.2f}{ci}"

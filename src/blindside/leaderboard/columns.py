"""Every column a leaderboard, scores or runs table can show, defined once.

Each is a :class:`~blindside.leaderboard.column.Column`; :data:`COLUMNS` lists
them all. The tables themselves are *views*, tuples of these columns
(:mod:`blindside.leaderboard.views`): a new figure is one definition here and
one entry in each view that shows it.

A row is whatever a view lists: a :class:`~blindside.leaderboard.board.LeaderboardRow`,
a :class:`~blindside.leaderboard.stats.MeasuredModel` or a
:class:`~blindside.runs.RunModelSummary`. The measured columns read ``row.stats``
(a :class:`~blindside.leaderboard.stats.ModelStats`), which all three carry.
"""

from __future__ import annotations

from typing import Any

from blindside.leaderboard.column import Column


def _pair(low: Any, high: Any) -> tuple[Any, Any] | None:
    return None if low is None or high is None else (low, high)


def _with_interval(value: Any, interval: tuple[Any, Any] | None, text: Any) -> str | None:
    """``"1,114 (1,094–1,135)"``: a figure and its interval in one page cell."""
    if value is None:
        return None
    if interval is None or None in interval:
        return text(value)
    return f"{text(value)} ({text(interval[0])}–{text(interval[1])})"


def monthly_cost(row: Any) -> float | None:
    """Cost per task times the row's monthly volume (None without either)."""
    volume = getattr(row, "monthly_volume", None)
    cost = row.stats.cost_per_task_usd
    return None if volume is None or cost is None else volume * cost


# --------------------------------------------------------------------------- #
# Who and where
# --------------------------------------------------------------------------- #

MODEL = Column(
    "model",
    "Model",
    lambda r: r.display_name,
    "text",
    help="The model as leads know it; (simulated) marks the built-in demo provider.",
    header="model",
    width=32,
)
RUN = Column("run_id", "Run", lambda r: r.run.id, "integer", help="Generation run id.")
SUITE = Column("suite", "Suite", lambda r: r.suite, "text", help="The prompt suite it answered.")
STATUS = Column(
    "status",
    "Status",
    lambda r: f"{r.run.status}: {r.run.stop_reason}" if r.run.stop_reason else r.run.status,
    "text",
    help="How the run ended, and why it stopped early if it did.",
)
STARTED = Column(
    "started_at",
    "Started",
    lambda r: r.run.started_at,
    "datetime",
    help="When the run started (UTC).",
)

# --------------------------------------------------------------------------- #
# Preference (Bradley-Terry on the votes)
# --------------------------------------------------------------------------- #

RANK = Column(
    "rank",
    "Rank",
    lambda r: r.rank,
    "integer",
    help="Position by rating (ties share a rank); empty without votes in this selection.",
    header="rank",
    width=4,
)
RANK_BEST = Column(
    "rank_best", "Best rank", lambda r: r.rank_best, "integer", help="Best rank it could hold."
)
RANK_WORST = Column(
    "rank_worst", "Worst rank", lambda r: r.rank_worst, "integer", help="Worst rank it could hold."
)
RANK_RANGE = Column(
    "rank_range",
    "Rank range",
    lambda r: (r.rank_best, r.rank_worst) if r.rank_best else None,
    "integer",
    help="The ranks it could hold given the overlap of the 95% intervals.",
    header="range",
    width=7,
    joiner="-",
)
RATING = Column(
    "rating",
    "Rating",
    lambda r: r.rating,
    "rating",
    help="Bradley-Terry rating on the Elo scale (1000: average).",
    header="rating",
    width=7,
    digits=1,
)
RATING_LOW = Column(
    "ci_low",
    "95% CI low",
    lambda r: r.rating_low,
    "rating",
    help="Lower end of the rating's 95% interval.",
    digits=1,
)
RATING_HIGH = Column(
    "ci_high",
    "95% CI high",
    lambda r: r.rating_high,
    "rating",
    help="Upper end of the rating's 95% interval.",
    digits=1,
)
RATING_CI = Column(
    "rating_ci",
    "Rating 95% CI",
    lambda r: _pair(r.rating_low, r.rating_high),
    "rating",
    help="The rating's 95% interval.",
    header="95% CI",
    width=15,
    digits=1,
    joiner="..",
)
RATING_WITH_CI = Column(
    "rating_with_ci",
    "Rating (95% CI)",
    lambda r: _with_interval(r.rating, _pair(r.rating_low, r.rating_high), lambda v: f"{v:.0f}"),
    "text",
    help="Bradley-Terry rating on the Elo scale (1000: average), with its 95% interval.",
)
VOTES = Column(
    "votes",
    "Votes",
    lambda r: r.votes,
    "integer",
    help="Votes on its answers in this selection.",
    header="votes",
    width=6,
)
FEW_VOTES = Column(
    "few_votes",
    "Few votes",
    lambda r: r.few_votes,
    "flag",
    help="Rated on so few votes that its interval means little (under 10: not shown).",
)
NOTE = Column(
    "note",
    "Note",
    lambda r: r.note,
    "text",
    help="What to read with care.",
)
WIN_RATE = Column(
    "win_rate",
    "Win rate",
    lambda r: r.win_rate,
    "percent",
    help="Observed share of its battles won (a tie counts half).",
    header="win%",
    width=6,
    digits=3,
)

# --------------------------------------------------------------------------- #
# Automated scores
# --------------------------------------------------------------------------- #

ACCURACY = Column(
    "accuracy",
    "Accuracy",
    lambda r: r.stats.accuracy,
    "percent",
    help="Share of successful answers that pass the prompt's scorer "
    "(prompts with a reference and a scorer only).",
    header="acc%",
    width=5,
    digits=4,
)
ACCURACY_LOW = Column(
    "accuracy_low",
    "Accuracy 95% CI low",
    lambda r: None if r.stats.accuracy_interval is None else r.stats.accuracy_interval[0],
    "percent",
    help="Lower end of the accuracy's Wilson score interval.",
    digits=4,
)
ACCURACY_HIGH = Column(
    "accuracy_high",
    "Accuracy 95% CI high",
    lambda r: None if r.stats.accuracy_interval is None else r.stats.accuracy_interval[1],
    "percent",
    help="Upper end of the accuracy's Wilson score interval.",
    digits=4,
)
ACCURACY_CI = Column(
    "accuracy_ci",
    "Accuracy 95% CI",
    lambda r: r.stats.accuracy_interval,
    "percent",
    help="Wilson score interval.",
    header="95% CI",
    width=9,
    digits=4,
    joiner="-",
)
ACCURACY_WITH_CI = Column(
    "accuracy_with_ci",
    "Accuracy (95% CI)",
    lambda r: _with_interval(r.stats.accuracy, r.stats.accuracy_interval, lambda v: f"{v:.0%}"),
    "text",
    help="Share of scored answers that pass the prompt's scorer, with its 95% Wilson interval.",
)
SCORED = Column(
    "scored",
    "Scored answers",
    lambda r: r.stats.scored,
    "integer",
    help="Successful answers to prompts with a scorer.",
    header="scored",
    width=7,
)
CONSISTENCY = Column(
    "consistency",
    "Consistency",
    lambda r: r.stats.consistency,
    "percent",
    help="Mean share of a prompt's repeated samples that give its most common answer "
    "(runs with --samples 2 or more).",
    header="consist%",
    width=9,
    digits=4,
)
CONSISTENCY_PROMPTS = Column(
    "consistency_prompts",
    "Consistency prompts",
    lambda r: r.stats.consistency_prompts,
    "integer",
    help="Prompts with repeated samples that the consistency averages.",
)
PASS_K = Column(
    "pass_k",
    "pass^k",
    lambda r: r.stats.pass_k,
    "percent",
    help="Share of prompts whose every sample passed the scorer (runs with --samples 2 or "
    "more): the chance that all k tries are right, where accuracy is one try.",
    header="pass^k%",
    width=8,
    digits=4,
)
PASS_K_PROMPTS = Column(
    "pass_k_prompts",
    "pass^k prompts",
    lambda r: r.stats.pass_k_prompts,
    "integer",
    help="Prompts with repeated scored samples that pass^k counts.",
)

# --------------------------------------------------------------------------- #
# What generation measured
# --------------------------------------------------------------------------- #

ANSWERS = Column(
    "answers",
    "Answers",
    lambda r: r.stats.answers,
    "integer",
    help="Successful answers.",
    header="answers",
    width=8,
)
ERRORS = Column(
    "errors",
    "Failed",
    lambda r: r.stats.errors,
    "integer",
    help="Answers that failed after every retry and fallback.",
    header="failed",
    width=6,
)
ERROR_RATE = Column(
    "error_rate",
    "Error rate",
    lambda r: r.stats.error_rate,
    "percent",
    help="Share of answers that failed.",
    header="err%",
    width=5,
)
SUCCESS_RATE = Column(
    "success_rate",
    "Success rate",
    lambda r: r.stats.success_rate,
    "percent",
    help="Share of answers that succeeded.",
    header="success%",
    width=8,
)
ERRORS_BY_CLASS = Column(
    "errors_by_class",
    "Errors by class",
    lambda r: ", ".join(f"{k} {v}" for k, v in r.stats.error_classes),
    "text",
    help="Failed answers by cause (rate_limit, timeout, server_error, ...).",
    header="errors by class",
)
RETRIES = Column(
    "retries",
    "Retries",
    lambda r: r.stats.retries,
    "integer",
    help="Attempts beyond the first.",
    header="retries",
    width=8,
)
FALLBACKS = Column(
    "fallbacks",
    "Fallback-served",
    lambda r: r.stats.fallbacks,
    "integer",
    help="Answers a fallback model served in its place.",
    header="fallback",
    width=8,
)
LATENCY = Column(
    "mean_latency_ms",
    "Mean latency (ms)",
    lambda r: r.stats.mean_latency_ms,
    "ms",
    help="Mean time to the whole answer (successful answers).",
    header="latency ms",
    width=11,
)
TTFT = Column(
    "mean_ttft_ms",
    "Time to first token (ms)",
    lambda r: r.stats.mean_ttft_ms,
    "ms",
    help="Mean time to the first streamed token (successful answers).",
    header="ttft ms",
    width=8,
)


def _percentile_column(name: str, label: str, field: str, q: int, what: str) -> Column:
    return Column(
        f"{name}_p{q}_ms",
        f"{label} p{q} (ms)",
        lambda r: getattr(r.stats, f"{field}_p{q}_ms"),
        "ms",
        help=f"{q}th percentile of the {what} (successful answers).",
        header=f"{name} p{q}",
        width=len(name) + 5,
        digits=1,
    )


LATENCY_P50 = _percentile_column("latency", "Latency", "latency", 50, "time to the whole answer")
LATENCY_P95 = _percentile_column("latency", "Latency", "latency", 95, "time to the whole answer")
LATENCY_P99 = _percentile_column("latency", "Latency", "latency", 99, "time to the whole answer")
TTFT_P50 = _percentile_column("ttft", "TTFT", "ttft", 50, "time to the first streamed token")
TTFT_P95 = _percentile_column("ttft", "TTFT", "ttft", 95, "time to the first streamed token")
TTFT_P99 = _percentile_column("ttft", "TTFT", "ttft", 99, "time to the first streamed token")
TOKENS_PER_S = Column(
    "output_tokens_per_s",
    "Output tokens/s",
    lambda r: r.stats.tokens_per_s,
    "number",
    help="Mean decoding speed: output tokens per second after the first token.",
    header="tok/s",
    width=7,
    digits=1,
)
COST_PER_TASK = Column(
    "cost_per_task_usd",
    "Cost per task (USD)",
    lambda r: r.stats.cost_per_task_usd,
    "usd",
    help="Mean cost of a successful answer, at the model's listed prices.",
    header="$/task",
    width=10,
)


COST_SOURCE = Column(
    "cost_source",
    "Cost from",
    lambda r: r.stats.cost_source,
    "text",
    help=(
        "Whose token counts the cost rests on: provider (its own usage), router (a LiteLLM "
        "proxy's counts, which it makes up when the upstream sends none), estimated "
        "(blindside counted four characters a token) or imported (the figures of the file "
        "the answers were imported from), with the share of answers."
    ),
    header="cost from",
    width=16,
)
COST_PER_CORRECT = Column(
    "cost_per_correct_usd",
    "Cost per correct answer (USD)",
    lambda r: r.stats.cost_per_correct_usd,
    "usd",
    help="What the scored answers cost, over how many of them were right.",
    header="$/correct",
    width=10,
)
CACHED_SHARE = Column(
    "cached_token_share",
    "Cached input share",
    lambda r: r.stats.cached_share,
    "percent",
    help="Share of prompt tokens served from the provider's cache (at the cached price).",
    header="cached%",
    width=8,
    digits=4,
)
COST_PER_TASK_NO_CACHE = Column(
    "cost_per_task_no_cache_usd",
    "Cost per task, no cache (USD)",
    lambda r: r.stats.cost_per_task_no_cache_usd,
    "usd",
    help="The same answers' tokens with no prompt cache: every input token at the "
    "uncached input price (the model's listed prices). Beside cost per task, it shows "
    "what caching saves.",
    header="$/task nocache",
    width=14,
)
COST_PER_TASK_BATCH = Column(
    "cost_per_task_batch_usd",
    "Cost per task, batch (USD)",
    lambda r: r.stats.cost_per_task_batch_usd,
    "usd",
    help="Cost per task through the provider's batch API, projected: cost per task less "
    "pricing.batch_discount. blindside sends ordinary requests; it never calls a batch API.",
    header="$/task batch",
    width=12,
)
MONTHLY_VOLUME = Column(
    "monthly_volume",
    "Tasks per month",
    lambda r: getattr(r, "monthly_volume", None),
    "integer",
    help="Volume the monthly cost assumes (the page's input, or [volume] in models.toml).",
    header="tasks/month",
    width=12,
)
MONTHLY_COST = Column(
    "monthly_cost_usd",
    "Monthly cost (USD)",
    monthly_cost,
    "usd",
    help="Cost per task times the tasks per month.",
    header="$/month",
    width=12,
    digits=2,
    places=2,
)
SPENT = Column(
    "spent_usd",
    "Cost (USD)",
    lambda r: r.stats.spent_usd,
    "usd",
    help="Everything spent, failed attempts included.",
    header="cost $",
    width=9,
    places=4,
)

#: Every column defined above, in their order; keys and labels are unique across it. Read
#: from the module itself, so a new definition is listed without a second entry.
COLUMNS: tuple[Column, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Column))

"""What generation measured per model: one set of SQL aggregates, grouped two ways.

:func:`model_stats` groups the stored answers by model (the Leaderboard page and
the ``rank`` and ``scores`` commands); :func:`run_model_stats` groups them by
(run, model) (the Runs page and ``generate``'s closing summary). Both read the
same aggregate expressions (:func:`_aggregates`), so accuracy, latency, time to
first token, cost and errors mean the same thing on every page.

Latency and time-to-first-token percentiles are not SQL: SQLite has no percentile
function, so the successful answers' times are read per group and summarised by
:func:`blindside.client.percentile.percentile`, the package's one percentile.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Select, case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.client.percentile import percentile
from blindside.client.usage import batch_cost_usd, uncached_cost_usd
from blindside.config import Pricing, display_name
from blindside.cuts import Cut, answers_in_cut
from blindside.scorers import modal_share, wilson_interval
from blindside.tables import Model, Response

#: Which answers a query covers: it adds the joins and WHERE clauses.
Restriction = Callable[[Select], Select]


@dataclass(frozen=True)
class ModelStats:
    """What generation measured for one model (means over successful answers, errors counted).

    Attributes
    ----------
    answers, errors : int
        Successful and failed answers.
    mean_latency_ms, mean_ttft_ms, cost_per_task_usd : float or None
        Means over the successful answers (None: nothing measured).
    scored, correct : int
        Successful answers to prompts with a scorer, and how many of them passed.
    consistency : float or None
        Mean share of a prompt's samples that give its most common answer (scored
        prompts with two or more samples in one run); ``consistency_prompts`` says
        how many prompts that averages.
    retries : int
        Attempts beyond the first, over all answers.
    fallbacks : int
        Answers a fallback model served in place of this one.
    spent_usd : float or None
        Everything spent, failed answers included; None when every answer was imported
        without a cost.
    error_classes : tuple of (str, int)
        Failed answers per error class (``"other"`` when unclassified), by class name.
    latency_p50_ms, latency_p95_ms, latency_p99_ms : float or None
        Percentiles of the time to the whole answer (successful answers).
    ttft_p50_ms, ttft_p95_ms, ttft_p99_ms : float or None
        Percentiles of the time to the first streamed token (successful answers).
    tokens_per_s : float or None
        Mean output tokens per second of decoding (successful answers).
    scored_cost_usd : float
        What the scored answers cost: :attr:`cost_per_correct_usd` divides it by the
        correct answers that have a cost (``costed_correct``).
    input_tokens, cached_tokens : int
        Prompt tokens of the successful answers, and how many of them the provider's
        cache served (``input_tokens`` counts those too).
    cache_write_tokens : int
        Prompt tokens of the successful answers written into the provider's cache.
    cost_per_task_no_cache_usd : float or None
        What :attr:`cost_per_task_usd` would be with no prompt cache: the same answers'
        tokens, every input token at the uncached price
        (:func:`blindside.client.usage.uncached_cost_usd`, at the model's listed prices).
    batch_discount : float
        The provider's batch API discount (``pricing.batch_discount``): it projects
        :attr:`cost_per_task_batch_usd`.
    pass_k : float or None
        Share of prompts whose every sample was correct (pass^k), over the scored
        prompts with two or more samples in one run; ``pass_k_prompts`` counts them.
    router_usage, estimated_usage, imported_usage : int
        Successful answers whose cost rests on a router's token counts, on blindside's
        estimate (``usage_source``), or on an imported file (``imported_from``: whatever
        made the answer measured it), instead of the provider's own.
    """

    answers: int = 0
    errors: int = 0
    mean_latency_ms: float | None = None
    mean_ttft_ms: float | None = None
    cost_per_task_usd: float | None = None
    scored: int = 0
    correct: int = 0
    consistency: float | None = None
    consistency_prompts: int = 0
    retries: int = 0
    fallbacks: int = 0
    spent_usd: float | None = 0.0
    error_classes: tuple[tuple[str, int], ...] = ()
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    ttft_p99_ms: float | None = None
    tokens_per_s: float | None = None
    scored_cost_usd: float = 0.0
    input_tokens: int = 0
    cached_tokens: int = 0
    pass_k: float | None = None
    pass_k_prompts: int = 0
    costed_correct: int | None = None
    cache_write_tokens: int = 0
    cost_per_task_no_cache_usd: float | None = None
    batch_discount: float = 0.0
    router_usage: int = 0
    estimated_usage: int = 0
    imported_usage: int = 0

    @property
    def cost_source(self) -> str | None:
        """Whose token counts the cost rests on, when not only the provider's own.

        ``"provider"`` when every successful answer carried the provider's usage;
        else the shares that did not, e.g. ``"router 12/20, estimated 3/20"``.
        """
        if not self.answers:
            return None
        sources = ("router", "estimated", "imported")
        counts = (self.router_usage, self.estimated_usage, self.imported_usage)
        parts = [f"{name} {n}/{self.answers}" for name, n in zip(sources, counts, strict=True) if n]
        return ", ".join(parts) if parts else "provider"

    @property
    def cost_per_task_batch_usd(self) -> float | None:
        """Cost per task projected onto the provider's batch API (None: no cost measured)."""
        cost = self.cost_per_task_usd
        return None if cost is None else batch_cost_usd(cost, self.batch_discount)

    @property
    def cost_per_correct_usd(self) -> float | None:
        """What one correct answer costs: the scored answers' cost over the correct ones.

        Only answers with a cost count (``costed_correct``; None: all of them), so
        answers imported without a cost neither lower the figure nor make it zero.
        """
        correct = self.correct if self.costed_correct is None else self.costed_correct
        return self.scored_cost_usd / correct if correct else None

    @property
    def cached_share(self) -> float | None:
        """Share of prompt tokens served from the provider's cache."""
        return self.cached_tokens / self.input_tokens if self.input_tokens else None

    @property
    def error_rate(self) -> float | None:
        total = self.answers + self.errors
        return self.errors / total if total else None

    @property
    def success_rate(self) -> float | None:
        total = self.answers + self.errors
        return self.answers / total if total else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    @property
    def accuracy_interval(self) -> tuple[float, float] | None:
        """95% Wilson interval of :attr:`accuracy`."""
        return wilson_interval(self.correct, self.scored) if self.scored else None

    @property
    def errors_by_class(self) -> dict[str, int]:
        return dict(self.error_classes)


@dataclass(frozen=True)
class MeasuredModel:
    """One model's measured figures under the name leads see (a ``scores`` row).

    ``monthly_volume`` is the tasks per month its monthly cost assumes (None: not costed).
    """

    display_name: str
    stats: ModelStats
    monthly_volume: int | None = None


def _aggregates() -> tuple[Any, ...]:
    """The aggregate expressions over ``response``, labelled with :class:`ModelStats` fields."""
    ok = col(Response.error).is_(None)
    costed = ok & col(Response.cost_usd).is_not(None)
    return (
        func.sum(case((ok, 1), else_=0)).label("answers"),
        func.sum(case((ok, 0), else_=1)).label("errors"),
        func.avg(case((ok, Response.latency_ms))).label("mean_latency_ms"),
        func.avg(case((ok, Response.ttft_ms))).label("mean_ttft_ms"),
        func.avg(case((ok, Response.cost_usd))).label("cost_per_task_usd"),
        func.count(Response.correct).label("scored"),
        func.sum(case((col(Response.correct).is_(True), 1), else_=0)).label("correct"),
        # Attempts beyond each answer's first; an imported answer made no attempt here.
        (
            func.coalesce(func.sum(Response.attempts), 0)
            - func.sum(case((col(Response.attempts) > 0, 1), else_=0))
        ).label("retries"),
        func.sum(case((col(Response.is_fallback), 1), else_=0)).label("fallbacks"),
        # A generated answer without a cost cost nothing; an imported one was not measured:
        # a group of imported answers without costs spent an unknown amount (NULL), not $0.
        func.sum(
            case(
                (col(Response.imported_from).is_(None), func.coalesce(Response.cost_usd, 0.0)),
                else_=Response.cost_usd,
            )
        ).label("spent_usd"),
        func.avg(case((ok, Response.output_tokens_per_s))).label("tokens_per_s"),
        func.coalesce(
            func.sum(case((ok & col(Response.correct).is_not(None), Response.cost_usd))), 0.0
        ).label("scored_cost_usd"),
        # Correct answers with a cost: an answer imported without one is not a free one.
        func.sum(
            case((ok & col(Response.correct).is_(True) & col(Response.cost_usd).is_not(None), 1))
        ).label("costed_correct"),
        func.coalesce(func.sum(case((ok, Response.input_tokens))), 0).label("input_tokens"),
        func.coalesce(func.sum(case((ok, Response.cached_tokens))), 0).label("cached_tokens"),
        func.coalesce(func.sum(case((ok, Response.cache_write_tokens))), 0).label(
            "cache_write_tokens"
        ),
        # The answers cost_per_task_usd averages, and their tokens: the no-cache cost's base.
        func.count(case((costed, 1))).label("costed"),
        func.coalesce(func.sum(case((costed, Response.input_tokens))), 0).label("costed_input"),
        func.coalesce(func.sum(case((costed, Response.output_tokens))), 0).label("costed_output"),
        func.sum(case((ok & (col(Response.usage_source) == "router"), 1), else_=0)).label(
            "router_usage"
        ),
        func.sum(case((ok & (col(Response.usage_source) == "estimated"), 1), else_=0)).label(
            "estimated_usage"
        ),
        # An imported answer's figures are the file's: its usage_source stays NULL.
        func.sum(case((ok & col(Response.imported_from).is_not(None), 1), else_=0)).label(
            "imported_usage"
        ),
    )


#: The percentiles reported of latency and time to first token.
PERCENTILES = (50, 95, 99)


def _grouped_stats(
    engine: Engine, *, per_run: bool, restrict: Restriction
) -> dict[tuple[int, ...], ModelStats]:
    """:class:`ModelStats` keyed by ``(model_id,)``, or ``(run_id, model_id)`` when ``per_run``."""
    keys = (Response.run_id, Response.model_id) if per_run else (Response.model_id,)
    figures = restrict(select(*keys, *_aggregates()).group_by(*keys))
    classes = restrict(
        select(*keys, Response.error_class, func.count())
        .where(col(Response.error).is_not(None))
        .group_by(*keys, Response.error_class)
    )
    # Consistency: how often each answer recurs among one prompt's samples in one run.
    answer_keys = restrict(
        select(Response.run_id, Response.prompt_id, Response.model_id, func.count())
        .where(col(Response.error).is_(None), col(Response.answer_key).is_not(None))
        .group_by(Response.run_id, Response.prompt_id, Response.model_id, Response.answer_key)
        .order_by(Response.run_id, Response.prompt_id, Response.model_id)
    )
    # pass^k: per prompt and run, how many scored samples there are and how many passed.
    samples = restrict(
        select(
            Response.run_id,
            Response.prompt_id,
            Response.model_id,
            func.count(),
            func.sum(case((col(Response.correct).is_(True), 1), else_=0)),
        )
        .where(col(Response.error).is_(None), col(Response.correct).is_not(None))
        .group_by(Response.run_id, Response.prompt_id, Response.model_id)
    )
    times = restrict(
        select(*keys, Response.latency_ms, Response.ttft_ms).where(col(Response.error).is_(None))
    )
    with Session(engine) as session:
        rows = session.exec(figures).all()
        # Failed answers are rare: skip the scan for their classes when there are none.
        failed = any(row._mapping["errors"] for row in rows)
        class_rows = session.exec(classes).all() if failed else []
        key_rows = session.exec(answer_keys).all()
        sample_rows = session.exec(samples).all()
        time_rows = session.exec(times).all()
        model_ids = {row[len(keys) - 1] for row in rows}
        prices = {
            model_id: Pricing.from_record(record)
            for model_id, record in session.exec(
                select(Model.id, Model.pricing).where(col(Model.id).in_(model_ids))
            )
        }
    n = len(keys)
    error_classes: dict[tuple[int, ...], dict[str, int]] = {}
    for row in class_rows:
        error_classes.setdefault(tuple(row[:n]), {})[row[n] or "other"] = int(row[n + 1])
    consistency = _consistency(key_rows, per_run=per_run)
    passed = _pass_k(sample_rows, per_run=per_run)
    spread = _percentiles(time_rows, n)
    stats = {}
    for row in rows:
        key, m = tuple(row[:n]), row._mapping
        share, prompts = consistency.get(key, (None, 0))
        pass_k, pass_k_prompts = passed.get(key, (None, 0))
        stats[key] = ModelStats(
            answers=int(m["answers"] or 0),
            errors=int(m["errors"] or 0),
            mean_latency_ms=_float(m["mean_latency_ms"]),
            mean_ttft_ms=_float(m["mean_ttft_ms"]),
            cost_per_task_usd=_float(m["cost_per_task_usd"]),
            scored=int(m["scored"] or 0),
            correct=int(m["correct"] or 0),
            consistency=share,
            consistency_prompts=prompts,
            retries=max(0, int(m["retries"] or 0)),
            fallbacks=int(m["fallbacks"] or 0),
            spent_usd=_float(m["spent_usd"]),
            error_classes=tuple(sorted(error_classes.get(key, {}).items())),
            tokens_per_s=_float(m["tokens_per_s"]),
            scored_cost_usd=float(m["scored_cost_usd"] or 0.0),
            input_tokens=int(m["input_tokens"] or 0),
            cached_tokens=int(m["cached_tokens"] or 0),
            pass_k=pass_k,
            pass_k_prompts=pass_k_prompts,
            cache_write_tokens=int(m["cache_write_tokens"] or 0),
            **_cost_projections(prices.get(key[-1]), m),
            router_usage=int(m["router_usage"] or 0),
            estimated_usage=int(m["estimated_usage"] or 0),
            imported_usage=int(m["imported_usage"] or 0),
            costed_correct=int(m["costed_correct"] or 0),
            **spread.get(key, {}),
        )
    return stats


def _cost_projections(pricing: Pricing | None, m: Any) -> dict[str, Any]:
    """The no-cache cost per task and the batch discount, from the model's listed prices."""
    if pricing is None:
        return {}
    costed = int(m["costed"] or 0)
    no_cache = None
    if costed:
        total = uncached_cost_usd(
            pricing,
            prompt_tokens=int(m["costed_input"] or 0),
            completion_tokens=int(m["costed_output"] or 0),
        )
        no_cache = total / costed
    return {"cost_per_task_no_cache_usd": no_cache, "batch_discount": pricing.batch_discount}


def _percentiles(rows: Iterable[Any], n: int) -> dict[tuple[int, ...], dict[str, float | None]]:
    """Latency and TTFT :data:`PERCENTILES` per group from (key..., latency, ttft) rows."""
    values: dict[tuple[int, ...], tuple[list[float], list[float]]] = {}
    for row in rows:
        latency, ttft = values.setdefault(tuple(row[:n]), ([], []))
        if row[n] is not None:
            latency.append(float(row[n]))
        if row[n + 1] is not None:
            ttft.append(float(row[n + 1]))
    return {
        key: {
            f"{name}_p{q}_ms": percentile(sample, q)
            for name, sample in (("latency", latency), ("ttft", ttft))
            for q in PERCENTILES
        }
        for key, (latency, ttft) in values.items()
    }


def _pass_k(
    sample_rows: Iterable[tuple[int, int, int, int, int]], *, per_run: bool
) -> dict[tuple[int, ...], tuple[float, int]]:
    """pass^k per group from (run, prompt, model, scored samples, correct samples) rows.

    Only prompts with two or more scored samples in one run count: with one sample
    pass^k is plain accuracy.
    """
    tallies: dict[tuple[int, ...], list[int]] = {}
    for run_id, _, model_id, scored, correct in sample_rows:
        if int(scored) < 2:
            continue
        key = (run_id, model_id) if per_run else (model_id,)
        tally = tallies.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += int(correct) == int(scored)
    return {key: (every / prompts, prompts) for key, (prompts, every) in tallies.items()}


def _consistency(
    key_rows: Iterable[tuple[int, int, int, int]], *, per_run: bool
) -> dict[tuple[int, ...], tuple[float, int]]:
    """:func:`scorers.modal_share` per group from (run, prompt, model, count) rows.

    Rows come ordered by (run, prompt, model): one row per distinct answer key.
    """
    counts: dict[tuple[int, ...], list[list[int]]] = {}
    for (run_id, _, model_id), group in groupby(key_rows, key=lambda r: (r[0], r[1], r[2])):
        key = (run_id, model_id) if per_run else (model_id,)
        counts.setdefault(key, []).append([int(r[3]) for r in group])
    shares = {key: modal_share(groups) for key, groups in counts.items()}
    return {key: share for key, share in shares.items() if share is not None}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def model_stats(engine: Engine, cut: Cut | None = None) -> dict[int, ModelStats]:
    """Per-model latency, time to first token, cost per task, errors and scores.

    Only the prompt-side parts of the cut apply (tier, suite, category, run):
    raters, dates and vote exclusions say nothing about what generation measured.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    cut : Cut, optional
        Which answers count (``Cut()``: all).

    Returns
    -------
    dict of int to ModelStats
        By model id; models with no answer in the cut are missing.
    """
    cut = cut or Cut()
    stats = _grouped_stats(engine, per_run=False, restrict=lambda q: answers_in_cut(q, cut))
    return {key[0]: s for key, s in stats.items()}


def run_model_stats(engine: Engine, run_ids: Collection[int]) -> dict[tuple[int, int], ModelStats]:
    """:func:`model_stats` per (run, model) over the answers of ``run_ids``.

    Returns
    -------
    dict of (int, int) to ModelStats
        By (run id, model id); pairs with no answer are missing.
    """
    ids = list(run_ids)
    stats = _grouped_stats(
        engine, per_run=True, restrict=lambda q: q.where(col(Response.run_id).in_(ids))
    )
    return {(key[0], key[1]): s for key, s in stats.items()}


def measured_models(engine: Engine, cut: Cut | None = None) -> list[MeasuredModel]:
    """The ``scores`` rows: :func:`model_stats` named, most accurate first.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    cut : Cut, optional
        Only its prompt-side parts apply, as in :func:`model_stats`.

    Returns
    -------
    list of MeasuredModel
        Unscored models last, ties by display name; empty when the cut holds no answers.
    """
    stats = model_stats(engine, cut)
    with Session(engine) as session:
        models = session.exec(select(Model).where(col(Model.id).in_(list(stats)))).all()
    rows = [
        MeasuredModel(display_name(m.name, simulated=m.simulated), stats[m.id])  # type: ignore[index]
        for m in models
    ]
    return sorted(rows, key=_by_accuracy)


def _by_accuracy(row: MeasuredModel) -> tuple[float, str]:
    accuracy = row.stats.accuracy
    return (-(accuracy if accuracy is not None else -1), row.display_name)


def count_answers(engine: Engine) -> int:
    """Responses stored (successful or not): a cheap cache key for measured stats."""
    with Session(engine) as session:
        return int(session.exec(select(func.count(col(Response.id)))).one())

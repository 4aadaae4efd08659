"""Leaderboard filters, the tab of one cut, and the cached fit.

A tab shows the decision first (:mod:`blindside.ui.decision_view`: volume, rule,
recommendation, compact table), every column one click away, then the ranking,
diagnostics and charts (:mod:`blindside.ui.leaderboard_charts`).

The fit is cached with ``st.cache_data`` keyed on the cut, the fit options, the
newest vote id and the number of answers: a rerun with no new vote or answer
(switching tabs, toggling a chart) is served from the cache.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from blindside.cuts import Cut, CutChoices, cut_choices, excluded_rater_ids
from blindside.leaderboard import views
from blindside.leaderboard.board import (
    FEW_VOTES,
    MIN_VOTES,
    Leaderboard,
    RankOptions,
    build_leaderboard,
)
from blindside.leaderboard.columns import RATING
from blindside.policy import gold_answers, identity_policy
from blindside.ui.columns import column_config, view_frame
from blindside.ui.decision_view import render_decision, tier_controls
from blindside.ui.judge_view import render_judge
from blindside.ui.leaderboard_charts import (
    accuracy_scatter,
    cost_scatter,
    forest_plot,
    heatmap,
    latency_scatter,
)
from blindside.ui.state import get_engine, get_settings


@st.cache_data(show_spinner="Fitting Bradley-Terry…", max_entries=64)
def cached_leaderboard(
    database_url: str,
    cut: Cut,
    options: RankOptions,
    latest_vote_id: int,
    answers: int,
    excluded_raters: tuple[int, ...],
    gold_pairs: tuple[int, ...] = (),
) -> Leaderboard:
    # The URL, newest vote id, answer count, excluded raters and (for a cut without gold
    # items) the gold pairs are only cache keys: a new vote or answer, a rater excluded or
    # included again, or a pair marked gold changes them, so a cached board is never stale.
    del database_url, latest_vote_id, answers, excluded_raters, gold_pairs
    return build_leaderboard(get_engine(), cut, options)


def current_excluded_raters() -> tuple[int, ...]:
    """Ids of the raters whose votes are left out of every cut (a cache key)."""
    with get_engine().connect() as conn:
        return tuple(excluded_rater_ids(conn))


def current_leaderboard(cut: Cut, options: RankOptions | None = None) -> Leaderboard:
    """The leaderboard of a cut, fitted at most once per new vote, answer or exclusion."""
    from blindside.leaderboard.stats import count_answers
    from blindside.votes import latest_vote_id

    engine = get_engine()
    return cached_leaderboard(
        get_settings().database_url,
        cut,
        options or RankOptions(),
        latest_vote_id(engine),
        count_answers(engine),
        current_excluded_raters(),
        tuple(sorted(gold_answers(engine))) if cut.exclude_gold else (),
    )


# --------------------------------------------------------------------------- #
# Filters
# --------------------------------------------------------------------------- #

ALL = "All"


def cut_filters(choices: CutChoices) -> tuple[Cut, RankOptions]:
    """Cut and fit options from the widgets of an expander (tier comes from the tabs)."""
    with st.expander("Filters and options", expanded=False, icon=":material/tune:"):
        c1, c2, c3 = st.columns(3)
        suite = c1.selectbox("Suite", [ALL, *choices.suites], key="cut_suite")
        category = c2.selectbox("Category", [ALL, *choices.categories], key="cut_category")
        run_labels = {label: run_id for run_id, label in choices.runs}
        run = c3.selectbox("Run", [ALL, *run_labels], key="cut_run")
        raters = st.multiselect(
            "Raters (none selected: every rater)", choices.raters, key="cut_raters"
        )
        since = until = None
        if choices.first_vote is not None and choices.last_vote is not None:
            first, last = choices.first_vote.date(), choices.last_vote.date()
            window = st.date_input(
                "Votes cast between (UTC)",
                value=(first, last),
                min_value=first,
                max_value=last,
                key="cut_dates",
            )
            if isinstance(window, tuple) and len(window) == 2:
                # Only a narrowed window becomes a cut, so the default stays "every vote".
                if window[0] > first:
                    since = datetime.combine(window[0], time(), tzinfo=UTC)
                if window[1] < last:
                    until = datetime.combine(window[1] + timedelta(days=1), time(), tzinfo=UTC)
        e1, e2, e3, e4 = st.columns(4)
        exclude_flagged = e1.checkbox("Exclude flagged votes", key="cut_exclude_flagged")
        exclude_gold = e2.checkbox(
            "Exclude gold items",
            key="cut_exclude_gold",
            help="Rater QA items: pairs an admin marked gold on the Rating setup page, and "
            'gold prompts ("gold": true in the suite\'s meta).',
        )
        policy = identity_policy(get_engine())
        exclude_leaks = e3.checkbox(
            "Exclude identity leaks",
            # Under show-and-exclude these votes are left out unless a lead asks for them.
            value=policy.excludes_leaky_votes,
            key="cut_exclude_identity_leaks",
            help="Answers that say who wrote them ('I'm Claude', a model's own name) break "
            "blinding. " + policy.describe(),
        )
        exclude_fallbacks = e4.checkbox(
            "Exclude fallback answers",
            key="cut_exclude_fallbacks",
            help="When a model failed and a fallback answered in its place, the vote judged "
            "the fallback.",
        )
        o1, o2, o3 = st.columns(3)
        intervals = o1.radio(
            "Intervals",
            ["sandwich", "bootstrap"],
            horizontal=True,
            key="opt_intervals",
            help="Sandwich: robust Fisher-information interval, instant. Bootstrap: 1,000 "
            "refits on resampled counts.",
        )
        tie_model = o2.radio(
            "Ties",
            ["half", "davidson"],
            horizontal=True,
            key="opt_ties",
            help="Half a win each way (LMArena), or Davidson's tie model.",
        )
        style = o3.toggle(
            "Style control",
            key="opt_style",
            help="Fit answer length and markdown (headers, lists, bold) beside the ratings, so "
            "a model is not rewarded for style alone.",
        )
    cut = Cut(
        suite=None if suite == ALL else suite,
        category=None if category == ALL else category,
        run_id=None if run == ALL else run_labels[run],
        raters=tuple(raters),
        since=since,
        until=until,
        exclude_flagged=exclude_flagged,
        exclude_gold=exclude_gold,
        exclude_identity_leaks=exclude_leaks,
        exclude_fallbacks=exclude_fallbacks,
    )
    options = RankOptions(intervals=intervals, tie_model=tie_model, style=style)  # type: ignore[arg-type]
    st.caption(policy.describe())
    return cut, options


def current_choices() -> CutChoices:
    return cut_choices(get_engine())


# --------------------------------------------------------------------------- #
# Tables and charts
# --------------------------------------------------------------------------- #


def leaderboard_frame(board: Leaderboard) -> pd.DataFrame:
    """One row per model: rating, interval and rank range beside the measured columns."""
    return view_frame(views.LEADERBOARD_PAGE, board.rows)


def rating_accuracy_note(board: Leaderboard) -> str:
    """Whether raters prefer the models the scorers find correct, in one sentence."""
    n = board.rating_accuracy_models
    hint = " With this few models, read it as a hint." if n < 8 else ""
    return (
        f"**Preference and accuracy:** Spearman's ρ between rating and accuracy is "
        f"{board.rating_accuracy_rho:+.2f} over {n} models (+1: raters rank the models exactly "
        f"as the scorers do).{hint}"
    )


def ranking_summary(board: Leaderboard) -> str:
    """The ranking as a numbered markdown list, readable at a glance (and by screen readers)."""
    lines = []
    for position, row in enumerate((r for r in board.rows if r.rank is not None), start=1):
        interval = (
            f"(95% CI {row.rating_low:.0f} to {row.rating_high:.0f})"
            if row.rating_low is not None and row.rating_high is not None
            else "(no interval)"
        )
        few = f" — fewer than {FEW_VOTES} votes" if row.few_votes else ""
        group = f" in group {row.group}" if row.group is not None else ""
        lines.append(
            f"{position}. **{row.display_name}**: {row.rating:.0f} {interval}, rank {row.rank}"
            f"{group} (could be {row.rank_best} to {row.rank_worst}), {row.votes} votes{few}"
        )
    withheld = [f"{r.display_name} ({r.votes})" for r in board.rows if r.withheld]
    if withheld:
        lines.append("")
        lines.append(f"Not enough votes to rate (fewer than {MIN_VOTES}): " + ", ".join(withheld))
    unrated = [r.display_name for r in board.rows if r.rank is None and not r.withheld]
    if unrated:
        lines.append("")
        lines.append("No votes in this cut: " + ", ".join(unrated))
    return "\n".join(lines)


def _fit_note(board: Leaderboard) -> str:
    measured = (
        "Accuracy, consistency, pass^k, latency percentiles, time to first token, tokens/s, "
        "cost and error rate come from the generation runs."
    )
    if board.total_votes == 0:
        return f"No votes ({board.cut.describe()}), so no ratings. {measured}"
    low, high = board.tie_param_low, board.tie_param_high
    nu_ci = f", 95% CI {low:.2f} to {high:.2f}" if low is not None and high is not None else ""
    ties = (
        "a tie or 'both bad' counts half a win each way"
        if board.tie_model == "half"
        else f"ties follow Davidson's model (ν = {board.tie_param:.2f}{nu_ci})"
        if board.tie_param is not None
        else "ties follow Davidson's model (ν unknown: every vote is a tie)"
    )
    method = board.interval_method
    if method and method != board.options.intervals:
        method += f" ({board.options.intervals} was asked for; the votes cannot support it)"
    intervals = f"; 95% intervals: {method}" if method else ""
    return (
        f"{board.total_votes} votes ({board.cut.describe()}). Bradley-Terry fitted on aggregated "
        f"counts; {ties}{intervals}. Rank range: the ranks a model could hold given the overlap "
        f"of intervals. {measured}"
    )


def render_leaderboard(board: Leaderboard, *, key: str) -> None:
    """The decision (tier tabs), every column, the ranking, diagnostics and charts of one cut."""
    if board.total_votes == 0:
        st.info(
            "No votes in this selection yet. Rate some pairs on the Vote page, or widen the "
            "filters."
        )
    for warning in board.warnings:
        st.warning(warning, icon=":material/warning:")
    if not board.rows:
        return
    volume, rule = tier_controls(board.tier)
    board = board.at_volume(volume)
    render_decision(board, rule, key=key)
    frame = leaderboard_frame(board)
    with st.expander("All columns", icon=":material/table_view:"):
        st.dataframe(
            frame,
            key=f"leaderboard_{key}",
            hide_index=True,
            column_config=column_config(views.LEADERBOARD_PAGE),
            placeholder="–",
        )
    with st.container(key=f"ranking_summary_{key}"):
        st.markdown(ranking_summary(board))
    if board.rating_accuracy_rho is not None:
        with st.container(key=f"rating_accuracy_{key}"):
            st.markdown(rating_accuracy_note(board))
    if board.left_advantage_elo is not None:
        low, high = board.left_advantage_low, board.left_advantage_high
        interval = (
            f" (95% CI {low:+.0f} to {high:+.0f})" if low is not None and high is not None else ""
        )
        with st.container(key=f"position_bias_{key}"):
            st.markdown(
                f"**Position bias:** the answer on the left gains {board.left_advantage_elo:+.0f} "
                f"Elo points{interval}; ratings are corrected for it.",
            )
    if board.style_coef is not None and board.style_names:
        st.markdown(
            "**Style control** (log-odds per unit, left minus right): "
            + "; ".join(
                f"{name} {board.style_coef[i]:+.2f}"
                + (
                    f" ({board.style_low[i]:+.2f} to {board.style_high[i]:+.2f})"
                    if board.style_low is not None and board.style_high is not None
                    else ""
                )
                for i, name in enumerate(board.style_names)
            )
        )
    if frame[RATING.label].notna().any():
        st.altair_chart(forest_plot(frame), key=f"forest_{key}")
        if board.win_rate is not None and board.battles is not None:
            h1, h2 = st.columns(2)
            with h1:
                st.caption("Observed win rate of row against column (ties half)")
                st.altair_chart(
                    heatmap(board.matrix_names, board.win_rate, "Win rate", fmt=".0%"),
                    key=f"winrate_{key}",
                )
            with h2:
                st.caption("Battles between two models (both sides)")
                st.altair_chart(
                    heatmap(board.matrix_names, board.battles, "Battles", fmt=".0f"),
                    key=f"battles_{key}",
                )
            if board.win_prob is not None:
                st.caption(
                    "Predicted probability that the row model beats the column model "
                    "(fitted ratings, no side advantage, ties half)"
                )
                st.altair_chart(
                    heatmap(board.matrix_names, board.win_prob, "P(win)", fmt=".0%"),
                    key=f"winprob_{key}",
                )
        _trade_offs(board, frame, key=key)
    render_judge(board, key=key)
    st.caption(_fit_note(board))


def _trade_offs(board: Leaderboard, frame: pd.DataFrame, *, key: str) -> None:
    """Rating against cost per task, p95 latency and accuracy, side by side."""
    charts = [
        ("Cost per task against rating, with the Pareto frontier", cost_scatter(frame), "cost"),
        ("p95 latency against rating", latency_scatter(frame), "latency"),
    ]
    rho = board.rating_accuracy_rho
    accuracy_title = "Accuracy against rating" + (
        f" (Spearman's ρ {rho:+.2f} over {board.rating_accuracy_models} models)"
        if rho is not None
        else ""
    )
    charts.append((accuracy_title, accuracy_scatter(frame), "accuracy"))
    drawn = [(title, chart, name) for title, chart, name in charts if chart is not None]
    for column, (title, chart, name) in zip(st.columns(len(drawn) or 1), drawn, strict=False):
        with column:
            st.caption(title)
            st.altair_chart(chart, key=f"{name}_{key}")

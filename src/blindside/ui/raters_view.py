"""Raters page components: the cut, the per-rater table, exclusion buttons, and agreement."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from blindside.agreement import TOO_FAST_MS, Share
from blindside.cuts import Cut, CutChoices
from blindside.leaderboard.board import TIERS
from blindside.rater_quality import RaterReport, rater_quality, set_rater_excluded
from blindside.roles import Action, can
from blindside.ui.leaderboard_view import current_excluded_raters
from blindside.ui.session import current_rater
from blindside.ui.state import get_engine, get_settings

ALL = "All"

# Label -> help text of each column of the per-rater table, in order (short labels: eleven
# columns fit a 1280-pixel window).
RATER_COLUMNS = {
    "Rater": "The rater's name.",
    "Counted": "Whether this rater's votes count in rankings, exports and every other cut. "
    "Switch it with the Exclude and Include buttons below; the votes are kept either way.",
    "Votes": "Votes the rater cast in this selection.",
    "Gold accuracy": "Share of their votes on gold pairs that gave the known verdict. A gold "
    "pair is one an admin marked on the Rating setup page (the better answer, or a tie), or a "
    'pair on a gold prompt ("gold": true in the suite) whose better answer is the one the '
    "scorers marked correct when the other is wrong. Empty: no such vote.",
    "Gold votes": "Votes on gold pairs with a known verdict: what gold accuracy rests on.",
    "Majority": "Agreement with the majority: the share of their votes that match the most "
    "common verdict of the other counted raters on the same pair (where at least two others "
    "voted and their most common verdict is not tied). A vote is about which answer, not "
    "which side of the screen.",
    "Compared": "Votes compared with a majority of other raters: what Majority rests on.",
    "Left wins": "Left-win share: of their votes for one side, the share for the left. Sides "
    "are drawn at random, so a reading rater stays near 50%.",
    "Dwell (s)": "Median time from the pair appearing to the vote, in seconds.",
    "Too fast": "Votes cast sooner than the threshold above: too fast to have read both answers.",
    "Flag rate": "Share of their votes flagged as a problem with the pair.",
}
PAIR_COLUMNS = {
    "Rater": "One rater of the pair.",
    "Other rater": "The other rater.",
    "Shared pairs": "Pairs both raters voted in this selection: what kappa rests on.",
    "Same verdict": "Share of the shared pairs where both gave the same verdict.",
    "Cohen's kappa": "Agreement beyond chance: 1 is perfect, 0 is what chance alone gives, "
    "below 0 is worse than chance. Empty: no shared pair, or no variation to measure.",
}


def _percent(share: Share) -> float | None:
    return None if share.value is None else 100.0 * share.value


def rater_frame(report: RaterReport) -> pd.DataFrame:
    """One row per rater, headed by :data:`RATER_COLUMNS`."""
    rows = []
    for row in report.rows:
        f = row.figures
        rows.append(
            (
                row.name,
                not row.excluded,
                f.votes,
                _percent(f.gold_accuracy),
                f.gold_accuracy.count,
                _percent(f.majority_agreement),
                f.majority_agreement.count,
                _percent(f.left_share),
                None if f.median_dwell_ms is None else f.median_dwell_ms / 1000.0,
                f.too_fast.hits,
                _percent(f.flag_rate),
            )
        )
    return pd.DataFrame(rows, columns=list(RATER_COLUMNS))


def pair_frame(report: RaterReport) -> pd.DataFrame:
    """One row per pair of raters, headed by :data:`PAIR_COLUMNS`."""
    rows = [
        (
            p.first,
            p.second,
            p.kappa.items,
            None if p.kappa.observed is None else 100.0 * p.kappa.observed,
            p.kappa.value,
        )
        for p in report.pairs
    ]
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def _config(helps: dict[str, str], formats: dict[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for label, help_text in helps.items():
        if label in formats:
            config[label] = st.column_config.NumberColumn(format=formats[label], help=help_text)
        elif label == "Counted":
            config[label] = st.column_config.CheckboxColumn(help=help_text)
        else:
            config[label] = st.column_config.Column(help=help_text)
    return config


RATER_FORMATS = {
    "Votes": "%d",
    "Gold accuracy": "%.0f%%",
    "Gold votes": "%d",
    "Majority": "%.0f%%",
    "Compared": "%d",
    "Left wins": "%.0f%%",
    "Dwell (s)": "%.1f",
    "Too fast": "%d",
    "Flag rate": "%.1f%%",
}
PAIR_FORMATS = {"Shared pairs": "%d", "Same verdict": "%.0f%%", "Cohen's kappa": "%.3f"}


def cut_filters(choices: CutChoices) -> tuple[Cut, float]:
    """The cut (tier, suite) and the too-fast threshold from the page's widgets."""
    c1, c2, c3 = st.columns(3)
    tier_labels = {ALL: None, **{label: tier for tier, label in TIERS.items()}}
    tier = c1.selectbox("Tier", list(tier_labels), key="raters_tier")
    suite = c2.selectbox("Suite", [ALL, *choices.suites], key="raters_suite")
    seconds = c3.number_input(
        "Too fast below (seconds)",
        min_value=0.0,
        max_value=60.0,
        value=TOO_FAST_MS / 1000.0,
        step=0.5,
        key="raters_too_fast",
        help="A vote cast sooner than this after the pair appeared counts as too fast.",
    )
    cut = Cut(tier=tier_labels[tier], suite=None if suite == ALL else suite)
    return cut, float(seconds) * 1000.0


@st.cache_data(show_spinner="Measuring agreement…", max_entries=32)
def cached_report(
    database_url: str,
    cut: Cut,
    too_fast_ms: float,
    latest_vote_id: int,
    excluded_raters: tuple[int, ...],
) -> RaterReport:
    # The URL, newest vote id and excluded raters are only cache keys: a new vote, or a
    # rater excluded or included again, changes them.
    del database_url, latest_vote_id, excluded_raters
    return rater_quality(get_engine(), cut, too_fast_ms=too_fast_ms)


def current_report(cut: Cut, too_fast_ms: float) -> RaterReport:
    """The report of a cut, computed at most once per new vote or exclusion."""
    from blindside.votes import latest_vote_id

    return cached_report(
        get_settings().database_url,
        cut,
        too_fast_ms,
        latest_vote_id(get_engine()),
        current_excluded_raters(),
    )


def _set_excluded(rater_id: int, excluded: bool) -> None:
    # A button callback runs before the page's own check, so it checks the role itself.
    lead = current_rater()
    if lead is None or not can(lead.role, Action.VIEW_RATERS):
        return
    set_rater_excluded(get_engine(), rater_id, excluded)


def render_exclusion(report: RaterReport) -> None:
    """One Exclude or Include button per rater: their votes leave every ranking, or return."""
    st.markdown("**Count each rater's votes in rankings**")
    st.caption(
        "Excluding a rater leaves their votes out of the leaderboard, exports and every other "
        "cut, exactly as if they were deleted. The votes are kept: Include brings them back."
    )
    per_row = 4
    for start in range(0, len(report.rows), per_row):
        columns = st.columns(per_row)
        for column, row in zip(columns, report.rows[start : start + per_row], strict=False):
            # An excluded rater's button stands out: their votes are missing from rankings.
            action, icon, kind = (
                ("include", ":material/person_add:", "primary")
                if row.excluded
                else ("exclude", ":material/person_off:", "secondary")
            )
            column.button(
                f"{action.capitalize()} {row.name}",
                key=f"{action}_{row.rater_id}",
                icon=icon,
                on_click=_set_excluded,
                args=(row.rater_id, not row.excluded),
                type=kind,
                width="stretch",
            )


def _kappa_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render_agreement(report: RaterReport) -> None:
    """Overall kappa and alpha with the counts they rest on, then the pairwise table."""
    counted = sum(not r.excluded for r in report.rows)
    defined = [p for p in report.pairs if p.kappa.value is not None]
    m1, m2 = st.columns(2)
    m1.metric(
        "Mean pairwise Cohen's kappa",
        _kappa_text(report.mean_kappa),
        help="Light's kappa: the mean of Cohen's kappa over every pair of counted raters, each "
        "on the pairs both voted. 1 is perfect agreement, 0 what chance alone gives.",
    )
    m1.caption(f"{len(defined)} rater pairs with shared votes, {counted} counted raters")
    alpha = report.alpha
    m2.metric(
        "Krippendorff's alpha (nominal)",
        _kappa_text(alpha.value),
        help="Agreement of all counted raters at once, over every pair voted at least twice; "
        "verdicts are nominal (first answer, second answer, tie, both bad). 1 is perfect, 0 "
        "chance; 0.667 is the usual lowest bar for tentative conclusions (Krippendorff).",
    )
    m2.caption(f"{alpha.units} pairs voted twice or more, {alpha.pairable} pairable votes")
    if report.alpha_all != report.alpha:
        m2.caption(
            f"With excluded raters: {_kappa_text(report.alpha_all.value)} over "
            f"{report.alpha_all.units} pairs, {report.alpha_all.pairable} votes"
        )
    if report.pairs:
        st.markdown("**Cohen's kappa for each pair of raters**")
        st.dataframe(
            pair_frame(report),
            key="rater_pairs",
            hide_index=True,
            column_config=_config(PAIR_COLUMNS, PAIR_FORMATS),
        )


def render_report(report: RaterReport) -> None:
    """The per-rater table, then agreement (kappa and alpha) with their counts."""
    if not report.rows:
        st.info("No votes in this selection yet.")
        return
    st.dataframe(
        rater_frame(report),
        key="rater_table",
        hide_index=True,
        column_config=_config(RATER_COLUMNS, RATER_FORMATS),
    )
    gold = sum(r.figures.gold_accuracy.count for r in report.rows)
    st.caption(
        f"{sum(r.figures.votes for r in report.rows)} votes ({report.cut.describe()}). "
        f"Too fast: under {report.too_fast_ms / 1000:.1f} s. "
        + (
            f"{gold} votes on gold pairs with a known verdict."
            if gold
            else "No votes on gold pairs with a known verdict in this selection, so no "
            "gold accuracy."
        )
    )
    render_exclusion(report)
    render_agreement(report)

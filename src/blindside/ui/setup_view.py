"""Rating setup page components: what is open for rating, the identity policy, shares, gold.

Every change is saved through :mod:`blindside.policy`, which checks it again; the page
only offers valid values. The gold section shows model names: it is for admins only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from blindside.admin_pairs import (
    PairForReview,
    PromptChoice,
    gold_listing,
    open_pair_count,
    pair_counts,
    pairs_of_prompt,
    prompts_with_pairs,
    suite_names,
)
from blindside.answer_text import inert_markdown
from blindside.leaderboard.board import TIERS
from blindside.policy import (
    MAX_SHARE,
    IdentityPolicy,
    RatingPolicy,
    mark_gold,
    rating_policy,
    set_rating_policy,
    unmark_gold,
)
from blindside.ui.state import get_settings

SAVED = "setup_saved"
GOLD_NOTE = "setup_gold_note"
FOLLOW_SETTING = "setting"

IDENTITY_LABELS = {
    FOLLOW_SETTING: "Follow the server setting",
    IdentityPolicy.HIDE.value: "Hide",
    IdentityPolicy.SHOW_AND_EXCLUDE.value: "Show and exclude",
}


def _open_for_rating(
    policy: RatingPolicy, suites: list[str], counts: dict[tuple[str, int], int]
) -> tuple[tuple[str, ...] | None, tuple[int, ...] | None]:
    st.subheader("Open for rating")
    st.caption(
        "Raters are offered only pairs on prompts of the suites and tiers ticked here, "
        "and may narrow the tiers further on the Vote page."
    )
    every_suite = st.checkbox(
        "Every suite, including suites loaded later",
        value=policy.active_suites is None,
        key="setup_every_suite",
    )
    chosen_suites = st.multiselect(
        "Suites open for rating",
        suites,
        default=suites if policy.active_suites is None else list(policy.active_suites),
        disabled=every_suite,
        key="setup_suites",
        format_func=lambda s: f"{s} ({sum(n for (x, _t), n in counts.items() if x == s)} pairs)",
    )
    st.write("Tiers open for rating")
    tier_columns = st.columns(len(TIERS))
    chosen_tiers = [
        tier
        for column, (tier, label) in zip(tier_columns, TIERS.items(), strict=True)
        if column.checkbox(
            f"{label} ({sum(n for (_s, t), n in counts.items() if t == tier)} pairs)",
            value=policy.tier_is_active(tier),
            key=f"setup_tier_{tier}",
        )
    ]
    active_suites = None if every_suite else tuple(chosen_suites)
    active_tiers = None if len(chosen_tiers) == len(TIERS) else tuple(chosen_tiers)
    preview = RatingPolicy(active_suites=active_suites, active_tiers=active_tiers)
    opened, total = open_pair_count(counts, preview), sum(counts.values())
    if opened == 0:
        st.warning(f"No pair is open for rating (of {total}): raters will have nothing to vote.")
    else:
        st.caption(f"**{opened}** of {total} pairs open for rating (before the identity policy).")
    return active_suites, active_tiers


def _identity(policy: RatingPolicy) -> IdentityPolicy | None:
    st.subheader("Answers that reveal their model")
    setting = IdentityPolicy(get_settings().identity_policy)
    options = list(IDENTITY_LABELS)
    current = FOLLOW_SETTING if policy.identity_policy is None else policy.identity_policy.value
    choice = st.radio(
        "Identity policy",
        options,
        index=options.index(current),
        format_func=IDENTITY_LABELS.__getitem__,
        captions=[
            f"Whatever BLINDSIDE_IDENTITY_POLICY says on the server: now "
            f"**{setting.value}**. {setting.describe()}",
            "Pairs with an answer flagged as naming its model or vendor are never shown to "
            "raters; every vote counts in rankings.",
            "Such pairs are shown like any other, and rankings leave their votes out by "
            "default (the Leaderboard's Exclude identity leaks box starts ticked).",
        ],
        key="setup_identity",
    )
    return None if choice == FOLLOW_SETTING else IdentityPolicy(choice)


def _shares(policy: RatingPolicy) -> tuple[float, float]:
    st.subheader("Quality checks")
    st.caption(
        "Shares of the pairs the adaptive scheduler shows each rater that are set aside to "
        "measure raters: gold pairs (marked below) for accuracy, and pairs other raters "
        f"already voted, for agreement. At most {MAX_SHARE:.0%} each."
    )
    left, right = st.columns(2)
    top = int(MAX_SHARE * 100)
    gold = left.slider(
        "Gold pairs (%)", 0, top, round(policy.gold_share * 100), key="setup_gold_share"
    )
    repeat = right.slider(
        "Repeat pairs (%)", 0, top, round(policy.repeat_share * 100), key="setup_repeat_share"
    )
    return gold / 100, repeat / 100


def render_policy_form(engine: Engine, admin_id: int) -> None:
    """The policy sections and their Save button."""
    policy = rating_policy(engine)
    active_suites, active_tiers = _open_for_rating(policy, suite_names(engine), pair_counts(engine))
    identity = _identity(policy)
    gold, repeat = _shares(policy)
    chosen = RatingPolicy(active_suites, active_tiers, identity, gold, repeat)
    changed = chosen != policy
    if st.button("Save rating setup", type="primary", disabled=not changed, key="setup_save"):
        try:
            set_rating_policy(engine, chosen, admin_id=admin_id)
        except (ValueError, PermissionError) as exc:
            st.error(str(exc))
        else:
            st.session_state[SAVED] = True
            st.rerun()
    if st.session_state.pop(SAVED, False):
        st.success("Saved: raters get the new setup with their next pair.")
    elif changed:
        st.caption("Unsaved changes.")
    elif policy.updated_at is not None:
        st.caption(f"Last saved {policy.updated_at:%Y-%m-%d %H:%M} UTC.")
    else:
        st.caption("No setup saved yet: everything is open, as shown.")


def _prompt_label(p: PromptChoice) -> str:
    text = " ".join(p.text.split())
    short = text if len(text) <= 70 else text[:69] + "…"
    gold = f" · {p.gold} gold" if p.gold else ""
    return f"{p.suite} · tier {p.tier} · {p.external_id}{gold} — {short}"


def _pair_label(p: PairForReview) -> str:
    label = f"{p.first.model} vs {p.second.model}"
    if p.mark is None:
        return label
    if p.mark.is_tie:
        return f"{label} · gold: tie"
    better = p.first if p.mark.better_response_id == p.first.response_id else p.second
    return f"{label} · gold: {better.model} better"


def _review(pair: PairForReview) -> None:
    with st.container(border=True, height=160, key="setup_gold_prompt"):
        if pair.system:
            st.caption(f"**System instructions:** {inert_markdown(pair.system)}")
        st.markdown(inert_markdown(pair.prompt_text))
    for column, answer in zip(st.columns(2), (pair.first, pair.second), strict=True):
        with column:
            st.markdown(f"**{answer.model}**")
            with st.container(border=True, height=320, key=f"setup_gold_{answer.response_id}"):
                st.markdown(inert_markdown(answer.text))


def _mark(engine: Engine, pair: PairForReview, better: int | None, admin_id: int) -> None:
    mark_gold(engine, pair.pair_id, better, admin_id)
    st.session_state[GOLD_NOTE] = f"Marked pair {pair.pair_id} as a gold pair."


def _unmark(engine: Engine, pair: PairForReview, admin_id: int) -> None:
    unmark_gold(engine, pair.pair_id, admin_id)
    st.session_state[GOLD_NOTE] = f"Pair {pair.pair_id} is an ordinary pair again."


def render_gold(engine: Engine, admin_id: int) -> None:
    """Pick a pair from the suites open for rating, read it with model names, mark it."""
    st.subheader("Gold pairs")
    st.caption(
        "A gold pair is one whose better answer you mark (or call a tie). Raters' votes on "
        "it give their gold accuracy on the Raters page. Model names are shown here only."
    )
    prompts = prompts_with_pairs(engine, rating_policy(engine))
    if not prompts:
        st.info("No pairs are open for rating yet: generate answers, or open a suite above.")
    else:
        by_id = {p.prompt_id: p for p in prompts}
        prompt_id = st.selectbox(
            "Prompt", list(by_id), format_func=lambda i: _prompt_label(by_id[i]), key="gold_prompt"
        )
        pairs = {p.pair_id: p for p in pairs_of_prompt(engine, prompt_id)}
        pair_id = st.selectbox(
            "Pair", list(pairs), format_func=lambda i: _pair_label(pairs[i]), key="gold_pair"
        )
        pair = pairs[pair_id]
        _review(pair)
        buttons = st.columns(4)
        for column, answer in zip(buttons[:2], (pair.first, pair.second), strict=True):
            column.button(
                f"{answer.model} is better",
                key=f"gold_better_{answer.response_id}",
                on_click=_mark,
                args=(engine, pair, answer.response_id, admin_id),
                use_container_width=True,
            )
        buttons[2].button(
            "Tie",
            key="gold_tie",
            on_click=_mark,
            args=(engine, pair, None, admin_id),
            use_container_width=True,
        )
        buttons[3].button(
            "Not gold",
            key="gold_clear",
            on_click=_unmark,
            args=(engine, pair, admin_id),
            disabled=pair.mark is None,
            use_container_width=True,
        )
    if note := st.session_state.pop(GOLD_NOTE, None):
        st.success(note)
    listing = gold_listing(engine)
    if listing:
        st.dataframe(
            pd.DataFrame(
                [
                    (
                        g.suite,
                        g.prompt,
                        f"{g.better} vs {g.other}",
                        "tie" if g.tie else f"{g.better} better",
                        g.marked_by,
                        f"{g.marked_at:%Y-%m-%d %H:%M} UTC",
                    )
                    for g in listing
                ],
                columns=["Suite", "Prompt", "Models", "Verdict", "Marked by", "Marked at"],
            ),
            hide_index=True,
        )
        st.caption(f"{len(listing)} gold pairs, newest mark first.")

"""The rater's voting panel: one prompt, two anonymous answers, four buttons.

Blinding: only the prompt and the two answer texts are rendered. The
impression (pair and response ids) lives in server-side session state; no
widget key, label or element carries a model name or id.
"""

from __future__ import annotations

import time

import streamlit as st

from blindside.pairing import Impression, next_impression
from blindside.ui.state import get_engine
from blindside.votes import count_votes, record_vote

IMPRESSION = "impression"
SHOWN_AT = "impression_shown_at"
SKIPPED = "skipped_pairs"
VOTES_CAST = "votes_cast"
FLAG = "vote_flag"
COMMENT = "vote_comment"

BUTTONS = (
    ("left", "Left is better", "1"),
    ("right", "Right is better", "2"),
    ("tie", "Tie", "3"),
    ("both_bad", "Both are bad", "4"),
)


def as_plain_markdown(text: str) -> str:
    """Markdown that shows dollar amounts as typed instead of as LaTeX math."""
    return text.replace("$", "\\$")


def _load_next(rater_id: int) -> None:
    impression = next_impression(
        get_engine(), rater_id, exclude_pair_ids=st.session_state.get(SKIPPED, set())
    )
    st.session_state[IMPRESSION] = impression
    st.session_state[SHOWN_AT] = time.monotonic()


def _cast(rater_id: int, pair_id: int, choice: str) -> None:
    impression: Impression | None = st.session_state.get(IMPRESSION)
    # A second click on a pair already voted on (a double press) does nothing.
    if impression is None or impression.pair_id != pair_id:
        return
    dwell_ms = int((time.monotonic() - st.session_state.get(SHOWN_AT, time.monotonic())) * 1000)
    comment = str(st.session_state.get(COMMENT, "")).strip() or None
    record_vote(
        get_engine(),
        rater_id,
        impression,
        choice,
        dwell_ms=dwell_ms,
        flagged=bool(st.session_state.get(FLAG, False)),
        comment=comment,
    )
    # The flag and the note belong to this pair only.
    st.session_state[FLAG] = False
    st.session_state[COMMENT] = ""
    st.session_state[VOTES_CAST] = count_votes(get_engine(), rater_id)
    _load_next(rater_id)


def _skip(rater_id: int, pair_id: int) -> None:
    impression: Impression | None = st.session_state.get(IMPRESSION)
    if impression is None or impression.pair_id != pair_id:
        return
    st.session_state.setdefault(SKIPPED, set()).add(pair_id)
    _load_next(rater_id)


def render_vote_panel(rater_id: int) -> None:
    """Draw the current pair and the vote buttons (keyboard 1-4)."""
    if VOTES_CAST not in st.session_state:
        st.session_state[VOTES_CAST] = count_votes(get_engine(), rater_id)
    if IMPRESSION not in st.session_state:
        _load_next(rater_id)
    impression: Impression | None = st.session_state[IMPRESSION]

    with st.container(key="votes_cast_counter"):
        st.markdown(f"Votes cast: **{st.session_state[VOTES_CAST]}**")

    if impression is None:
        st.success(
            "You have rated every pair available. Thank you! New pairs appear after new runs."
        )
        if st.session_state.get(SKIPPED) and st.button("Show the pairs I skipped", key="unskip"):
            st.session_state[SKIPPED] = set()
            _load_next(rater_id)
            st.rerun()
        return

    with st.container(border=True, key="prompt_box"):
        st.caption("Prompt")
        if impression.system:
            st.markdown(f"*System instructions:* {as_plain_markdown(impression.system)}")
        st.markdown(as_plain_markdown(impression.prompt_text))

    left, right = st.columns(2)
    with left, st.container(border=True, key="answer_left"):
        st.subheader("Left answer")
        st.markdown(as_plain_markdown(impression.left_text))
    with right, st.container(border=True, key="answer_right"):
        st.subheader("Right answer")
        st.markdown(as_plain_markdown(impression.right_text))

    cols = st.columns(len(BUTTONS) + 1)
    for col, (choice, label, shortcut) in zip(cols, BUTTONS, strict=False):
        col.button(
            label,
            key=f"vote_{choice}",
            shortcut=shortcut,
            width="stretch",
            type="primary" if choice in ("left", "right") else "secondary",
            on_click=_cast,
            args=(rater_id, impression.pair_id, choice),
        )
    cols[-1].button(
        "Skip",
        key="vote_skip",
        width="stretch",
        on_click=_skip,
        args=(rater_id, impression.pair_id),
    )
    st.caption("Keyboard: 1 left, 2 right, 3 tie, 4 both bad.")
    with st.expander("Something wrong with this pair?"):
        st.checkbox(
            "Flag it (a broken prompt, an answer that gives away its source, ...)",
            key=FLAG,
            help="Flagged votes still count, and leads can leave them out of the leaderboard.",
        )
        st.text_input("Note for the eval team (optional)", key=COMMENT, max_chars=500)

"""The rater's voting panel: one prompt, two anonymous answers, four buttons.

Blinding: only the prompt and the two answer texts are rendered. The
impression (pair and response ids) lives in server-side session state; no
widget key, label or element carries a model name or id.

Rendering: every text goes through :func:`blindside.answer_text.inert_markdown`
with HTML off, so nothing in it makes the rater's browser fetch anything. The
prompt is drawn as its chat turns with the system instructions apart; the two
answers sit side by side in boxes of one fixed height that scroll, so the vote
buttons stay in the same place, in view, however long the answers are.
"""

from __future__ import annotations

import time

import streamlit as st

from blindside.answer_text import inert_markdown
from blindside.pairing import DrawnPair, next_impression
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

# Pixels. The prompt box takes what it needs up to PROMPT_MAX_HEIGHT, the answers the rest
# of PAIR_HEIGHT: the buttons never move, and sit inside a 1280x800 window
# (tests/e2e/test_rendering.py measures it).
PAIR_HEIGHT = 470
PROMPT_MAX_HEIGHT = 210
# About how many characters fit on a line of a chat message at 1280 pixels wide.
PROMPT_CHARS_PER_LINE = 105


def _load_next(rater_id: int) -> None:
    impression = next_impression(
        get_engine(), rater_id, exclude_pair_ids=st.session_state.get(SKIPPED, set())
    )
    st.session_state[IMPRESSION] = impression
    st.session_state[SHOWN_AT] = time.monotonic()


def _cast(rater_id: int, pair_id: int, choice: str) -> None:
    impression: DrawnPair | None = st.session_state.get(IMPRESSION)
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
    impression: DrawnPair | None = st.session_state.get(IMPRESSION)
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
    impression: DrawnPair | None = st.session_state[IMPRESSION]

    title, counter = st.columns([4, 1], vertical_alignment="bottom")
    # A small heading leaves the height of an 800-pixel window to the pair and its buttons.
    title.subheader("Which answer is better?")
    with counter, st.container(key="votes_cast_counter", horizontal_alignment="right"):
        st.markdown(f"Votes cast: **{st.session_state[VOTES_CAST]}**", width="content")

    if impression is None:
        st.success(
            "You have rated every pair available. Thank you! New pairs appear after new runs."
        )
        if st.session_state.get(SKIPPED) and st.button("Show the pairs I skipped", key="unskip"):
            st.session_state[SKIPPED] = set()
            _load_next(rater_id)
            st.rerun()
        return

    turns = impression.turns or (("user", impression.prompt_text),)
    prompt_height = _prompt_height(impression, turns)
    _render_prompt(impression, turns, prompt_height)
    _render_answers(impression, PAIR_HEIGHT - prompt_height)

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
    st.caption(
        "Keyboard: 1 left, 2 right, 3 tie, 4 both bad. Answers are shown without their source,"
        " in random order: judge the answer, not the length."
    )
    with st.expander("Something wrong with this pair?"):
        st.checkbox(
            "Flag it (a broken prompt, an answer that gives away its source, ...)",
            key=FLAG,
            help="Flagged votes still count, and leads can leave them out of the leaderboard.",
        )
        st.text_input("Note for the eval team (optional)", key=COMMENT, max_chars=500)


def _lines(text: str, chars_per_line: int) -> int:
    """Lines ``text`` takes when wrapped at about ``chars_per_line`` characters.

    A blank line (a paragraph break) counts as a line: it is about as tall.
    """
    return sum(-(-len(line) // chars_per_line) or 1 for line in text.splitlines() or [""])


def _prompt_height(impression: DrawnPair, turns: tuple[tuple[str, str], ...]) -> int:
    """The prompt box's height: about what it needs, at most PROMPT_MAX_HEIGHT."""
    # Pixels, measured at 1280x800 with the default theme: the box's padding, a chat
    # message (its avatar's height at least), a line of text, a line of caption, a gap.
    messages = [max(64, 20 + 26 * _lines(text, PROMPT_CHARS_PER_LINE)) for _, text in turns]
    needed = 42 + sum(messages) + 16 * (len(messages) - 1)
    if impression.system:
        needed += 22 * _lines(impression.system, PROMPT_CHARS_PER_LINE + 15) + 16
    return min(needed, PROMPT_MAX_HEIGHT)


def _render_prompt(impression: DrawnPair, turns: tuple[tuple[str, str], ...], height: int) -> None:
    """The prompt: system instructions apart, then each turn as a chat message.

    A prompt taller than its box starts scrolled to the end, where the turn the
    answers reply to is.
    """
    with st.container(border=True, key="prompt_box", height=height, autoscroll=True):
        if impression.system:
            with st.container(key="prompt_system"):
                st.caption(f"**System instructions:** {inert_markdown(impression.system)}")
        for role, content in turns:
            with st.chat_message("assistant" if role == "assistant" else "user"):
                st.markdown(inert_markdown(content))


def _render_answers(impression: DrawnPair, height: int) -> None:
    """The two answers side by side, each in a scrolling box of one fixed height."""
    left, right = st.columns(2)
    for column, side, text in (
        (left, "left", impression.left_text),
        (right, "right", impression.right_text),
    ):
        with column:
            st.caption(f"{side.capitalize()} answer")
            with st.container(border=True, key=f"answer_{side}", height=height, autoscroll=False):
                st.markdown(inert_markdown(text))

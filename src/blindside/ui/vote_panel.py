"""The rater's voting panel: one prompt, two anonymous answers, four buttons.

Blinding: only the prompt and the two answer texts are rendered. The session holds
a :class:`blindside.rating.ShownPair` only (the impression id and the texts); no
widget key, label or element carries a model name or id.

One vote, for the pair on screen: every button is keyed by the impression it was drawn
for, so a press names the pair the rater saw, even when it reaches the server after the
next pair was drawn. A press is queued (``PENDING``); the next run shows "Saving…" with
the buttons disabled, stores it and draws the next pair in one transaction
(:func:`blindside.rating.answer_and_next`). Any other press meanwhile, or on a pair
already answered (a double click, a stale tab), stores nothing and is answered "already
counted". A reload shows the rater's
open impression again.

Tiers: a rater picks among the tiers an admin opened (:func:`blindside.policy.active_tiers`),
all of them by default, remembered for the sitting. Changing the choice draws from the
chosen tiers; a pair on screen from a tier no longer chosen is closed as skipped.

Rendering: every text goes through :func:`blindside.answer_text.inert_markdown`
with HTML off, so nothing in it makes the rater's browser fetch anything. The
prompt is drawn as its chat turns with the system instructions apart; the two
answers sit side by side in boxes of one fixed height that scroll, so the vote
buttons stay in the same place, in view, however long the answers are.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st
from streamlit.errors import StreamlitAPIException

from blindside.answer_text import inert_markdown
from blindside.leaderboard.board import TIERS
from blindside.policy import active_tiers
from blindside.rating import (
    ShownPair,
    VoteOutcome,
    answer_and_next,
    current_or_next_impression,
)
from blindside.ui.state import get_engine
from blindside.votes import count_votes

IMPRESSION = "impression"  # the ShownPair on screen; None when every pair is rated
PENDING = "vote_pending"  # the Press being saved
NOTICE = "vote_notice"  # a message for the next run ("already counted")
VOTES_CAST = "votes_cast"
FLAG = "vote_flag"
COMMENT = "vote_comment"
TIER_PICKER = "vote_tiers"  # the picker's widget state
CHOSEN_TIERS = "vote_tiers_chosen"  # the rater's choice, kept when another page is opened

SKIP = "skip"
ALREADY_COUNTED = (
    "Already counted: that press was for a pair you had answered, so it stored nothing. "
    "One vote per pair."
)

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
# The tier picker's row (32 pixels of pills and a 16-pixel gap at 1280x800), taken from the
# answers' height.
TIER_PICKER_HEIGHT = 48
PROMPT_MAX_HEIGHT = 210
# About how many characters fit on a line of a chat message at 1280 pixels wide.
PROMPT_CHARS_PER_LINE = 105


class Press(NamedTuple):
    """A vote or a skip, as pressed: the impression it was drawn for and the page's inputs."""

    impression_id: int
    action: str  # a vote choice, or SKIP
    flagged: bool
    comment: str | None


def button_key(action: str, impression_id: int) -> str:
    """A button's key: its action and the impression it was drawn for."""
    return f"vote_{action}_{impression_id}"


def _press(impression_id: int, action: str) -> None:
    """A button's callback: queue the press if it is for the pair on screen, and the only one."""
    shown: ShownPair | None = st.session_state.get(IMPRESSION)
    if (
        st.session_state.get(PENDING) is not None
        or shown is None
        or shown.impression_id != impression_id
    ):
        st.session_state[NOTICE] = ALREADY_COUNTED
        return
    st.session_state[PENDING] = Press(
        impression_id,
        action,
        bool(st.session_state.get(FLAG, False)),
        str(st.session_state.get(COMMENT, "")).strip() or None,
    )


def _tiers_changed() -> None:
    """The picker's callback: remember the choice and draw the next pair from it."""
    st.session_state[CHOSEN_TIERS] = tuple(st.session_state.get(TIER_PICKER) or ())
    st.session_state.pop(IMPRESSION, None)


def _render_tier_picker(tiers: tuple[int, ...]) -> tuple[int, ...] | None:
    """The tiers to draw from: the rater's pick among the active ``tiers``.

    Returns None when nothing is open (every tier, so the rater's open pair still shows);
    an empty tuple when the rater unpicked every tier.
    """
    if not tiers:
        return None
    if len(tiers) == 1:
        st.caption(f"Rating **{TIERS[tiers[0]]}**", help="The tier open for rating.")
        return tiers
    # Widget state is dropped when another page is opened: restore it from the choice.
    wanted = st.session_state.get(TIER_PICKER)
    if wanted is None:
        wanted = st.session_state.get(CHOSEN_TIERS, tiers)
    chosen = [tier for tier in wanted if tier in tiers]
    if wanted and not chosen:
        chosen = list(tiers)  # an admin closed every tier the rater chose
    st.session_state[TIER_PICKER] = chosen
    st.pills(
        "Tiers to rate",
        tiers,
        selection_mode="multi",
        format_func=TIERS.__getitem__,
        key=TIER_PICKER,
        on_change=_tiers_changed,
        label_visibility="collapsed",
    )
    return tuple(st.session_state[TIER_PICKER])


def _save(rater_id: int, press: Press, tiers: tuple[int, ...] | None) -> None:
    """Store the press, then draw the next pair (before the flag and note widgets exist)."""
    engine = get_engine()
    outcome, shown = answer_and_next(
        engine,
        rater_id,
        press.impression_id,
        None if press.action == SKIP else press.action,
        flagged=press.flagged,
        comment=press.comment,
        tiers=tiers,
    )
    if outcome is VoteOutcome.ALREADY_COUNTED:
        st.session_state[NOTICE] = ALREADY_COUNTED
    # The flag and the note belong to that pair only.
    st.session_state[FLAG] = False
    st.session_state[COMMENT] = ""
    st.session_state[VOTES_CAST] = count_votes(engine, rater_id)
    st.session_state[IMPRESSION] = shown
    st.session_state[PENDING] = None


def render_vote_panel(rater_id: int) -> None:
    """Draw the pair on the rater's screen and the vote buttons (keyboard 1-4)."""
    engine = get_engine()
    if VOTES_CAST not in st.session_state:
        st.session_state[VOTES_CAST] = count_votes(engine, rater_id)

    title, counter = st.columns([4, 1], vertical_alignment="bottom")
    # A small heading leaves the height of an 800-pixel window to the pair and its buttons.
    title.subheader("Which answer is better?")
    with counter, st.container(key="votes_cast_counter", horizontal_alignment="right"):
        st.markdown(f"Votes cast: **{st.session_state[VOTES_CAST]}**", width="content")
    open_tiers = active_tiers(engine)
    with st.container(key="vote_tier_picker"):
        tiers = _render_tier_picker(open_tiers)

    if tiers == ():
        st.info("Pick a tier to rate.", icon=":material/filter_list:")
        return
    if IMPRESSION not in st.session_state:
        # The rater's open impression when there is one: a reload shows the same pair.
        st.session_state[IMPRESSION] = current_or_next_impression(engine, rater_id, tiers)
    shown: ShownPair | None = st.session_state[IMPRESSION]
    press: Press | None = st.session_state.get(PENDING)

    if press is None and (notice := st.session_state.pop(NOTICE, None)):
        st.info(notice, icon=":material/done_all:")

    if shown is None:
        st.success(
            "You have rated every pair available. Thank you! New pairs appear after new runs."
        )
        return

    turns = shown.turns or (("user", shown.prompt_text),)
    prompt_height = _prompt_height(shown, turns)
    _render_prompt(shown, turns, prompt_height)
    _render_answers(shown, PAIR_HEIGHT - TIER_PICKER_HEIGHT - prompt_height)
    _render_buttons(shown, saving=press is not None)

    if press is not None:
        # The buttons above are drawn disabled; the next pair replaces them once stored.
        _save(rater_id, press, tiers)
        try:
            st.rerun(scope="fragment")
        except StreamlitAPIException:
            st.rerun()  # this run is the whole app's, not the panel's alone

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


def _render_buttons(shown: ShownPair, *, saving: bool) -> None:
    """The four vote buttons and Skip, disabled with "Saving…" under them while saving.

    Each sits in a container keyed by its action alone (``st-key-vote_left``), so pages
    and tests find it whatever the impression.
    """
    cols = st.columns(len(BUTTONS) + 1)
    for col, (choice, label, shortcut) in zip(cols, BUTTONS, strict=False):
        with col, st.container(key=f"vote_{choice}"):
            st.button(
                label,
                key=button_key(choice, shown.impression_id),
                shortcut=shortcut,
                width="stretch",
                type="primary" if choice in ("left", "right") else "secondary",
                disabled=saving,
                on_click=_press,
                args=(shown.impression_id, choice),
            )
    with cols[-1], st.container(key="vote_skip"):
        st.button(
            "Skip",
            key=button_key(SKIP, shown.impression_id),
            width="stretch",
            disabled=saving,
            on_click=_press,
            args=(shown.impression_id, SKIP),
        )
    if saving:
        with st.container(key="vote_saving"):
            st.caption("Saving…")


def _lines(text: str, chars_per_line: int) -> int:
    """Lines ``text`` takes when wrapped at about ``chars_per_line`` characters.

    A blank line (a paragraph break) counts as a line: it is about as tall.
    """
    return sum(-(-len(line) // chars_per_line) or 1 for line in text.splitlines() or [""])


def _prompt_height(impression: ShownPair, turns: tuple[tuple[str, str], ...]) -> int:
    """The prompt box's height: about what it needs, at most PROMPT_MAX_HEIGHT."""
    # Pixels, measured at 1280x800 with the default theme: the box's padding, a chat
    # message (its avatar's height at least), a line of text, a line of caption, a gap.
    messages = [max(64, 20 + 26 * _lines(text, PROMPT_CHARS_PER_LINE)) for _, text in turns]
    needed = 42 + sum(messages) + 16 * (len(messages) - 1)
    if impression.system:
        needed += 22 * _lines(impression.system, PROMPT_CHARS_PER_LINE + 15) + 16
    return min(needed, PROMPT_MAX_HEIGHT)


def _render_prompt(impression: ShownPair, turns: tuple[tuple[str, str], ...], height: int) -> None:
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


def _render_answers(impression: ShownPair, height: int) -> None:
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

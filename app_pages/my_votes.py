"""My votes: how many a rater has cast, and what they chose (never which models)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from blindside.roles import Action
from blindside.ui.session import require
from blindside.ui.state import get_engine
from blindside.votes import count_votes, own_votes

CHOICE_LABELS = {"left": "Left", "right": "Right", "tie": "Tie", "both_bad": "Both bad"}
SHOWN = 200

rater = require(Action.MY_VOTES)
engine = get_engine()

st.title("My votes")
total = count_votes(engine, rater.id)
st.markdown(f"You have cast **{total}** votes.")
# Only the side each vote chose: which model wrote which answer stays hidden, so that
# the rater's next votes stay blind too.
st.caption("Models stay hidden here too. Results are for leads, over everyone's votes.")
votes = own_votes(engine, rater.id, limit=SHOWN)
if votes:
    frame = pd.DataFrame(
        {
            "When (UTC)": [v.cast_at.strftime("%Y-%m-%d %H:%M") for v in votes],
            "Prompt": [v.prompt_text for v in votes],
            "Your choice": [CHOICE_LABELS.get(v.choice, v.choice) for v in votes],
            "Flagged": [v.flagged for v in votes],
            "Note": [v.comment or "" for v in votes],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="my_votes_table")
    if total > SHOWN:
        st.caption(f"The latest {SHOWN} are shown.")

"""Process-wide resources and per-session state for the Streamlit pages."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from blindside.config import Settings, load_settings
from blindside.db import open_database

RATER_ID = "rater_id"
RATER_NAME = "rater_name"


def get_settings() -> Settings:
    """Settings from the environment (cheap; read on every rerun so tests can change them)."""
    return load_settings()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # One engine (and pool) per database URL for the whole server process;
    # sessions are opened per call, never cached.
    return open_database(url)


def get_engine() -> Engine:
    """The engine of the configured database, migrated to the newest schema."""
    return _engine_for(get_settings().database_url)


def signed_in_rater() -> tuple[int, str] | None:
    """(rater id, name) of this browser session, or None before sign-in."""
    if RATER_ID in st.session_state:
        return int(st.session_state[RATER_ID]), str(st.session_state[RATER_NAME])
    return None

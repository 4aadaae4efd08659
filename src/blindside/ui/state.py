"""Process-wide resources and per-session state for the Streamlit pages."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from blindside.config import Settings, load_settings
from blindside.db import open_database


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

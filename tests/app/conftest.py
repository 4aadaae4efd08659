"""What the AppTest files share: the app pointed at a database, and opened from a sign-in link."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@contextmanager
def app_reading(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app reads ``db_url``, runs from the repository root, and starts with empty caches.

    Streamlit's caches are process-wide: they are emptied before and after, so no engine or
    cached figure of one test reaches the next.
    """
    monkeypatch.setenv("BLINDSIDE_DATABASE_URL", db_url)
    monkeypatch.chdir(Path(APP).parent)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        yield db_url
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.fixture
def app_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app over a fresh copy of the demo database (its URL)."""
    with app_reading(demo_db_url, monkeypatch):
        yield demo_db_url


def opened_by_link(token: str, *, timeout: float = 30, page: str | None = None) -> AppTest:
    """The app as a visitor sees it after opening the sign-in link of ``token``.

    It must run without an exception; with ``page`` (e.g. ``"app_pages/stress.py"``) the
    visitor then goes to that page, and the test checks what it shows.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["invite"] = token
    at.run()
    assert not at.exception
    if page is not None:
        at.switch_page(page).run()
    return at

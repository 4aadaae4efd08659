"""The app's pages, and which of them each role sees.

One table, :data:`PAGES`: a page file, its title, and the :class:`~blindside.roles.Action`
that opens it. A role sees the pages its actions allow; the others stay registered, hidden,
so that typing their address runs the page's own role check and shows a refusal rather
than Streamlit's "page not found". Signed out, every address is the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

import streamlit as st

from blindside.roles import Action, Role, allowed_actions


@dataclass(frozen=True)
class PageSpec:
    """One page of the app.

    Attributes
    ----------
    path : str
        The page file, relative to ``app.py``.
    title : str
    icon : str
    action : Action
        What opening it means; the role must allow it.
    section : str
        The sidebar heading it is listed under.
    """

    path: str
    title: str
    icon: str
    action: Action
    section: str

    @property
    def url_path(self) -> str:
        """Its address: the file's name without ``.py`` (Streamlit's own default)."""
        return PurePosixPath(self.path).stem


#: Every page, in sidebar order; the first is where a rater lands.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/vote.py", "Vote", ":material/how_to_vote:", Action.VOTE, "Rate"),
    PageSpec("app_pages/my_votes.py", "My votes", ":material/history:", Action.MY_VOTES, "Rate"),
    PageSpec(
        "app_pages/leaderboard.py",
        "Leaderboard",
        ":material/leaderboard:",
        Action.LEADERBOARD,
        "Results",
    ),
    PageSpec("app_pages/runs.py", "Runs", ":material/play_circle:", Action.VIEW_RUNS, "Results"),
    PageSpec("app_pages/drift.py", "Drift", ":material/monitoring:", Action.VIEW_RUNS, "Results"),
    PageSpec("app_pages/raters.py", "Raters", ":material/group:", Action.VIEW_RATERS, "Results"),
    PageSpec("app_pages/stress.py", "Stress", ":material/speed:", Action.VIEW_STRESS, "Results"),
    PageSpec("app_pages/export.py", "Export", ":material/download:", Action.EXPORT, "Results"),
    PageSpec(
        "app_pages/setup.py", "Rating setup", ":material/tune:", Action.MANAGE_POLICIES, "Admin"
    ),
)


def visible_pages(role: Role | str) -> list[PageSpec]:
    """The pages ``role`` sees listed, in order."""
    allowed = allowed_actions(role)
    return [spec for spec in PAGES if spec.action in allowed]


def role_navigation(role: Role | str) -> dict[str, list[st.Page]]:
    """``st.navigation``'s sections for a signed-in ``role``.

    Pages the role may not open are registered hidden (in their own, unnamed section, so
    no empty heading shows): their address leads to their refusal.
    """
    shown = visible_pages(role)
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        visible = spec in shown
        page = st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            default=spec is shown[0],
            visibility="visible" if visible else "hidden",
        )
        sections.setdefault(spec.section if visible else "", []).append(page)
    return sections


def signed_out_navigation(sign_in: Callable[[], None]) -> list[st.Page]:
    """Pages for a visitor who is not signed in: the sign-in page at every page's address."""
    return [
        st.Page(sign_in, title="Sign in", default=True),
        *(
            st.Page(sign_in, title="Sign in", url_path=spec.url_path, visibility="hidden")
            for spec in PAGES
        ),
    ]

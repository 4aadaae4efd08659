"""The rating policy an admin sets: today, what rating does with identity-leaking answers.

An answer that names its model or vendor (:mod:`blindside.identity`) breaks
blinding: a vote on it measures the brand. Two policies:

* ``hide`` (the default): :func:`blindside.pairing.next_impression` never offers
  a pair with a flagged answer, so no rater sees one;
* ``show-and-exclude``: such pairs are offered like any other, and rankings
  (the Leaderboard page, ``blindside rank``) leave their votes out by default
  (``Cut.exclude_identity_leaks``).

Every reader goes through :func:`identity_policy`. Today it reads the
``BLINDSIDE_IDENTITY_POLICY`` setting; when the admin's choice moves to the
database (the rating-policy table of migration 0008, set from an admin page),
only that function changes.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.engine import Engine

from blindside.config import load_settings


class IdentityPolicy(StrEnum):
    """What rating does with answers flagged as identity leaks."""

    HIDE = "hide"
    SHOW_AND_EXCLUDE = "show-and-exclude"

    @property
    def offers_leaks(self) -> bool:
        """Whether raters are shown pairs with a flagged answer."""
        return self is IdentityPolicy.SHOW_AND_EXCLUDE

    @property
    def excludes_leaky_votes(self) -> bool:
        """Whether rankings leave out votes on flagged answers unless asked not to."""
        return self is IdentityPolicy.SHOW_AND_EXCLUDE

    def describe(self) -> str:
        """The policy in a sentence, for the pages and the CLI."""
        if self is IdentityPolicy.HIDE:
            return "Answers that reveal their model are kept out of rating (identity policy: hide)."
        return (
            "Answers that reveal their model are shown to raters, and their votes are left "
            "out of rankings (identity policy: show-and-exclude)."
        )


def identity_policy(engine: Engine | None = None) -> IdentityPolicy:
    """The identity-leak policy in force.

    Parameters
    ----------
    engine : Engine, optional
        The database the policy applies to. Unused while the policy is a setting
        (``BLINDSIDE_IDENTITY_POLICY``); the admin's choice will be stored there.

    Returns
    -------
    IdentityPolicy

    Raises
    ------
    blindside.errors.InputError
        When a setting is invalid (the CLI reports it in one line and exits 2).
    """
    # The admin's stored choice (migration 0008) will be read from ``engine`` here.
    return IdentityPolicy(load_settings().identity_policy)

"""Roles and what each may do: ``rater`` < ``lead`` < ``admin``, as data.

A role includes every role below it: a lead can do all a rater can, an admin all a lead
can. Pages and commands ask :func:`can` with an :class:`Action`; the minimum role of each
action is :data:`MINIMUM_ROLE`, one table.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from types import MappingProxyType


class Role(IntEnum):
    """A rater's role; the integer order is the order of privilege."""

    RATER = 1
    LEAD = 2
    ADMIN = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """The role named ``value`` (``"rater"``, ``"lead"`` or ``"admin"``, any case).

        Raises
        ------
        ValueError
            For any other name.
        """
        if isinstance(value, Role):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown role {value!r}: choose one of {', '.join(ROLE_NAMES)}"
            ) from None


#: The role names, lowest first (for help texts and choices).
ROLE_NAMES: tuple[str, ...] = tuple(str(role) for role in Role)


class Action(StrEnum):
    """Something a page or command lets a signed-in rater do."""

    VOTE = "vote"
    MY_VOTES = "my_votes"
    LEADERBOARD = "leaderboard"
    VIEW_RUNS = "view_runs"
    VIEW_RATERS = "view_raters"
    VIEW_STRESS = "view_stress"
    EXPORT = "export"
    LAUNCH_RUNS = "launch_runs"
    MANAGE_RATERS = "manage_raters"
    MANAGE_POLICIES = "manage_policies"


#: The lowest role allowed each action (issue 9: raters vote; leads also read results,
#: runs, raters and exports; admins also spend money and change who may do what).
MINIMUM_ROLE: MappingProxyType[Action, Role] = MappingProxyType(
    {
        Action.VOTE: Role.RATER,
        Action.MY_VOTES: Role.RATER,
        Action.LEADERBOARD: Role.LEAD,
        Action.VIEW_RUNS: Role.LEAD,
        Action.VIEW_RATERS: Role.LEAD,
        Action.VIEW_STRESS: Role.LEAD,
        Action.EXPORT: Role.LEAD,
        Action.LAUNCH_RUNS: Role.ADMIN,
        Action.MANAGE_RATERS: Role.ADMIN,
        Action.MANAGE_POLICIES: Role.ADMIN,
    }
)


def can(role: Role | str, action: Action | str) -> bool:
    """Whether ``role`` may do ``action``.

    Parameters
    ----------
    role : Role or str
        The rater's role, or its name.
    action : Action or str
        What they ask to do, or its name.

    Returns
    -------
    bool
        True when the role is at least the action's :data:`MINIMUM_ROLE`.

    Raises
    ------
    ValueError
        For an unknown role or action: a typo must not grant or hide a page silently.
    """
    return Role.parse(role) >= MINIMUM_ROLE[Action(action)]


def allowed_actions(role: Role | str) -> frozenset[Action]:
    """Every action ``role`` may do (e.g. to build a page list)."""
    rank = Role.parse(role)
    return frozenset(action for action, minimum in MINIMUM_ROLE.items() if rank >= minimum)

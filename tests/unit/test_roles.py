"""Roles are ordered rater < lead < admin, and what each may do is one table."""

from __future__ import annotations

import pytest

from blindside.roles import MINIMUM_ROLE, ROLE_NAMES, Action, Role, allowed_actions, can


def test_roles_are_ordered_by_privilege() -> None:
    assert Role.RATER < Role.LEAD < Role.ADMIN
    assert ROLE_NAMES == ("rater", "lead", "admin")
    assert [str(role) for role in sorted(Role)] == list(ROLE_NAMES)


@pytest.mark.parametrize("name", ["lead", "LEAD", " Lead "])
def test_role_names_parse_in_any_case(name: str) -> None:
    assert Role.parse(name) is Role.LEAD
    assert Role.parse(Role.LEAD) is Role.LEAD


@pytest.mark.parametrize("name", ["", "boss", "raters", "1"])
def test_unknown_roles_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="rater, lead, admin"):
        Role.parse(name)


def test_raters_vote_and_see_their_votes_only() -> None:
    assert allowed_actions("rater") == {Action.VOTE, Action.MY_VOTES}
    assert not can("rater", "leaderboard")
    assert not can(Role.RATER, Action.VIEW_RUNS)


def test_leads_read_results_but_do_not_spend_or_manage() -> None:
    assert can("lead", Action.LEADERBOARD)
    assert can("lead", Action.VIEW_RUNS)
    assert can("lead", Action.VIEW_RATERS)
    assert can("lead", Action.EXPORT)
    assert can("lead", Action.VOTE)
    for action in (Action.LAUNCH_RUNS, Action.MANAGE_RATERS, Action.MANAGE_POLICIES):
        assert not can("lead", action)


def test_admins_may_do_everything() -> None:
    assert allowed_actions("admin") == set(Action)


def test_each_role_includes_the_roles_below_it() -> None:
    for lower, higher in zip(Role, list(Role)[1:], strict=False):
        assert allowed_actions(lower) < allowed_actions(higher)


def test_every_action_has_a_minimum_role() -> None:
    assert set(MINIMUM_ROLE) == set(Action)


def test_a_typo_in_an_action_fails_loudly() -> None:
    with pytest.raises(ValueError):
        can("admin", "leaderbord")

"""The rating policy an admin sets: what is open for rating, the identity policy, gold checks.

Stored in one ``rating_policy`` row (migration 0008), written from the Rating setup
page; with no row, today's behaviour holds. The policy says:

* **which suites and tiers are open for rating**: :func:`blindside.pairing.next_impression`
  offers only pairs on their prompts, and :func:`active_tiers` is what a rater may pick
  from. None means all of them, suites loaded later included (the default);
* **the identity policy**, what rating does with identity-leaking answers. An answer
  that names its model or vendor (:mod:`blindside.identity`) breaks blinding: a vote
  on it measures the brand. ``hide`` (the default): no rater is offered a pair with
  a flagged answer. ``show-and-exclude``: such pairs are offered like any other, and
  rankings (the Leaderboard page, ``blindside rank``) leave their votes out by
  default (``Cut.exclude_identity_leaks``). Unset, it is the
  ``BLINDSIDE_IDENTITY_POLICY`` setting. Every reader goes through
  :func:`identity_policy`;
* **the gold and repeat shares** of the adaptive scheduler's draws
  (:meth:`RatingPolicy.scheduler_policy`), each at most :data:`MAX_SHARE`.

Gold pairs are pairs whose better answer an admin marked (:func:`mark_gold`, or a tie);
:func:`gold_answers` reads the marks, which rater quality scores votes against.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.config import load_settings
from blindside.db import session_scope
from blindside.roles import Action, can
from blindside.suites import TIERS
from blindside.tables import (
    GoldPair,
    Pair,
    Prompt,
    Rater,
    RatingPolicyRow,
    Response,
    Suite,
    utc_now,
)

if TYPE_CHECKING:
    from blindside.scheduler import Policy as SchedulerPolicy

#: The largest gold or repeat share an admin may set: most votes must still rank models.
MAX_SHARE = 0.5


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


def _scheduler_default(name: str) -> Any:
    # Read lazily: the scheduler loads numpy, which importing this module must not.
    from blindside.scheduler import Policy

    return getattr(Policy(), name)


def _check_share(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"the {name} must be a number in [0, {MAX_SHARE}], got {value!r}")
    if not 0.0 <= value <= MAX_SHARE:
        raise ValueError(f"the {name} must lie in [0, {MAX_SHARE}], got {value!r}")
    return float(value)


def _check_tiers(tiers: Iterable[int]) -> tuple[int, ...]:
    tiers = tuple(tiers)
    bad = [t for t in tiers if isinstance(t, bool) or t not in TIERS]
    if bad:
        raise ValueError(
            f"{bad[0]!r} is not a tier: choose among {', '.join(str(t) for t in TIERS)}"
        )
    return tuple(sorted(set(tiers)))


@dataclass(frozen=True)
class RatingPolicy:
    """What an admin opened for rating, and how rating treats leaks and quality checks.

    Attributes
    ----------
    active_suites : tuple of str or None
        Names of the suites open for rating; None: every suite, suites loaded later
        included. An empty tuple closes rating.
    active_tiers : tuple of int or None
        Tiers open for rating (of :data:`blindside.suites.TIERS`); None: every tier.
    identity_policy : IdentityPolicy or None
        The admin's choice; None: the ``BLINDSIDE_IDENTITY_POLICY`` setting.
    gold_share, repeat_share : float
        Shares of the scheduler's draws that show a gold pair, or a pair other raters
        voted, in ``[0, MAX_SHARE]`` (default: the scheduler's).
    updated_by : int or None
        The admin who saved it last (not compared).
    updated_at : datetime or None
        When (not compared); None while no admin has saved a policy.

    Raises
    ------
    ValueError
        On a tier outside :data:`~blindside.suites.TIERS`, an unknown identity policy or
        a share outside ``[0, MAX_SHARE]``.
    """

    active_suites: tuple[str, ...] | None = None
    active_tiers: tuple[int, ...] | None = None
    identity_policy: IdentityPolicy | None = None
    gold_share: float = field(default_factory=lambda: _scheduler_default("gold_share"))
    repeat_share: float = field(default_factory=lambda: _scheduler_default("repeat_share"))
    updated_by: int | None = field(default=None, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Normalised once (sorted, no duplicates), so equal choices compare equal.
        if self.active_suites is not None:
            if isinstance(self.active_suites, str):
                raise ValueError("active_suites is a collection of suite names, not one name")
            object.__setattr__(self, "active_suites", tuple(sorted(set(self.active_suites))))
        if self.active_tiers is not None:
            object.__setattr__(self, "active_tiers", _check_tiers(self.active_tiers))
        if self.identity_policy is not None:
            try:
                identity = IdentityPolicy(self.identity_policy)
            except ValueError:
                choices = ", ".join(p.value for p in IdentityPolicy)
                raise ValueError(
                    f"unknown identity policy {self.identity_policy!r}: choose one of {choices}"
                ) from None
            object.__setattr__(self, "identity_policy", identity)
        object.__setattr__(self, "gold_share", _check_share("gold share", self.gold_share))
        object.__setattr__(self, "repeat_share", _check_share("repeat share", self.repeat_share))

    def suite_is_active(self, name: str) -> bool:
        """Whether the suite with this name is open for rating."""
        return self.active_suites is None or name in self.active_suites

    def tier_is_active(self, tier: int) -> bool:
        """Whether this tier is open for rating."""
        return self.active_tiers is None or tier in self.active_tiers

    def opens(self, suite: str, tier: int) -> bool:
        """Whether prompts of this suite and tier are open for rating."""
        return self.suite_is_active(suite) and self.tier_is_active(tier)

    def scheduler_policy(self, **overrides: Any) -> SchedulerPolicy:
        """The adaptive scheduler's :class:`~blindside.scheduler.Policy` with these shares.

        ``overrides`` set the scheduler's other fields (``explore``, ``repeat_raters``, ...).
        """
        from blindside.scheduler import Policy

        return Policy(gold_share=self.gold_share, repeat_share=self.repeat_share, **overrides)


def _from_row(row: RatingPolicyRow | None) -> RatingPolicy:
    if row is None:
        return RatingPolicy()
    return RatingPolicy(
        active_suites=None if row.active_suites is None else tuple(row.active_suites),
        active_tiers=None if row.active_tiers is None else tuple(row.active_tiers),
        identity_policy=row.identity_policy,  # type: ignore[arg-type]  # made an enum on init
        gold_share=row.gold_share,
        repeat_share=row.repeat_share,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def rating_policy(engine: Engine) -> RatingPolicy:
    """The rating policy in force: the admin's, or the defaults while none is saved.

    Parameters
    ----------
    engine : Engine

    Returns
    -------
    RatingPolicy
        ``identity_policy`` None means the setting; :func:`identity_policy` resolves it.
    """
    with Session(engine) as session:
        return _from_row(session.get(RatingPolicyRow, 1))


def _require_admin(session: Session, admin_id: int) -> Rater:
    rater = session.get(Rater, admin_id)
    if rater is None:
        raise ValueError(f"no rater with id {admin_id}")
    if rater.revoked_at is not None or not can(rater.role, Action.MANAGE_POLICIES):
        raise PermissionError(f"{rater.name} may not change the rating policy: admins only")
    return rater


def set_rating_policy(
    engine: Engine, policy: RatingPolicy, *, admin_id: int | None = None
) -> RatingPolicy:
    """Store the rating policy (build it with ``dataclasses.replace(rating_policy(e), ...)``).

    Parameters
    ----------
    engine : Engine
    policy : RatingPolicy
        Its tiers, identity policy and shares are checked when it is made.
    admin_id : int, optional
        The admin making the change, recorded with it (the pages always pass it; the
        library and tests may leave it out).

    Returns
    -------
    RatingPolicy
        The policy as stored, with who and when.

    Raises
    ------
    ValueError
        When an active suite is not a loaded suite, or ``admin_id`` names no rater.
    PermissionError
        When ``admin_id`` is not an admin (or is revoked).
    """
    with session_scope(engine) as session:
        if admin_id is not None:
            _require_admin(session, admin_id)
        if policy.active_suites is not None:
            known = set(session.exec(select(Suite.name)).all())
            unknown = [name for name in policy.active_suites if name not in known]
            if unknown:
                raise ValueError(
                    f"unknown suite {unknown[0]!r}: choose among {', '.join(sorted(known))}"
                )
        row = session.get(RatingPolicyRow, 1) or RatingPolicyRow(gold_share=0, repeat_share=0)
        row.active_suites = None if policy.active_suites is None else list(policy.active_suites)
        row.active_tiers = None if policy.active_tiers is None else list(policy.active_tiers)
        identity = policy.identity_policy
        row.identity_policy = None if identity is None else identity.value
        row.gold_share = policy.gold_share
        row.repeat_share = policy.repeat_share
        row.updated_by = admin_id
        row.updated_at = utc_now()
        session.add(row)
        session.flush()
        return _from_row(row)


def identity_policy(engine: Engine | None = None) -> IdentityPolicy:
    """The identity-leak policy in force: the admin's choice, else the setting.

    Parameters
    ----------
    engine : Engine, optional
        The database the admin's choice is stored in; None reads only the setting
        (``BLINDSIDE_IDENTITY_POLICY``).

    Returns
    -------
    IdentityPolicy

    Raises
    ------
    blindside.errors.InputError
        When the setting is needed and invalid (the CLI reports it in one line and exits 2).
    """
    if engine is not None and (chosen := rating_policy(engine).identity_policy) is not None:
        return chosen
    return IdentityPolicy(load_settings().identity_policy)


def _open_prompts(policy: RatingPolicy) -> Select | None:
    """``SELECT prompt.id`` of the prompts open for rating; None when every prompt is."""
    if policy.active_suites is None and policy.active_tiers is None:
        return None
    prompts = select(Prompt.id)
    if policy.active_suites is not None:
        suites = select(Suite.id).where(col(Suite.name).in_(policy.active_suites))
        prompts = prompts.where(col(Prompt.suite_id).in_(suites))
    if policy.active_tiers is not None:
        prompts = prompts.where(col(Prompt.tier).in_(policy.active_tiers))
    return prompts


def open_pair_conditions(
    policy: RatingPolicy, identity: IdentityPolicy
) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``pair``: the pairs a rater may be offered under these policies.

    Pairs on prompts of active suites and tiers, and under ``hide`` no pair with an
    answer flagged as an identity leak. Empty when everything is open and leaks are shown.
    """
    where: list[ColumnElement[bool]] = []
    if (prompts := _open_prompts(policy)) is not None:
        where.append(col(Pair.prompt_id).in_(prompts))
    if not identity.offers_leaks:
        leaky = select(Response.id).where(col(Response.identity_leak).is_(True))
        where += [col(Pair.response_a_id).not_in(leaky), col(Pair.response_b_id).not_in(leaky)]
    return where


def active_tiers(engine: Engine) -> tuple[int, ...]:
    """The tiers a rater may pick from: open for rating, with pairs in an open suite.

    Returns
    -------
    tuple of int
        Ascending; empty when nothing is open for rating.
    """
    query = select(Prompt.tier).distinct().where(col(Prompt.id).in_(select(Pair.prompt_id)))
    if (prompts := _open_prompts(rating_policy(engine))) is not None:
        query = query.where(col(Prompt.id).in_(prompts))
    with Session(engine) as session:
        return tuple(sorted(session.exec(query).all()))


@dataclass(frozen=True)
class GoldMark:
    """An admin's verdict on a gold pair.

    Attributes
    ----------
    pair_id : int
    better_response_id : int or None
        The better answer; None when the admin judged the two a tie.
    marked_by : int
        The admin's rater id.
    marked_at : datetime
    """

    pair_id: int
    better_response_id: int | None
    marked_by: int
    marked_at: datetime

    @property
    def is_tie(self) -> bool:
        """Whether the admin judged the two answers equally good."""
        return self.better_response_id is None


def _mark(row: GoldPair) -> GoldMark:
    return GoldMark(row.pair_id, row.better_response_id, row.marked_by, row.marked_at)


def mark_gold(
    engine: Engine, pair_id: int, better_response_id: int | None, admin_id: int
) -> GoldMark:
    """Make a pair a gold pair, or change its mark: which answer is better, or a tie.

    Parameters
    ----------
    engine : Engine
    pair_id : int
    better_response_id : int or None
        One of the pair's two answers; None for a tie.
    admin_id : int
        The admin marking it.

    Returns
    -------
    GoldMark

    Raises
    ------
    ValueError
        When there is no such pair, the answer is not one of the pair's, or ``admin_id``
        names no rater.
    PermissionError
        When ``admin_id`` is not an admin.
    """
    with session_scope(engine) as session:
        _require_admin(session, admin_id)
        pair = session.get(Pair, pair_id)
        if pair is None:
            raise ValueError(f"no pair with id {pair_id}")
        answers = (pair.response_a_id, pair.response_b_id)
        if better_response_id is not None and better_response_id not in answers:
            raise ValueError(
                f"response {better_response_id} is not an answer of pair {pair_id} "
                f"(its answers are {answers[0]} and {answers[1]})"
            )
        row = session.get(GoldPair, pair_id) or GoldPair(pair_id=pair_id, marked_by=admin_id)
        row.better_response_id = better_response_id
        row.marked_by = admin_id
        row.marked_at = utc_now()
        session.add(row)
        session.flush()
        return _mark(row)


def unmark_gold(engine: Engine, pair_id: int, admin_id: int) -> bool:
    """Make a gold pair an ordinary pair again.

    Returns
    -------
    bool
        Whether the pair was gold.

    Raises
    ------
    ValueError, PermissionError
        As :func:`mark_gold`, for ``admin_id``.
    """
    with session_scope(engine) as session:
        _require_admin(session, admin_id)
        result = session.execute(delete(GoldPair).where(col(GoldPair.pair_id) == pair_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def gold_answers(engine: Engine) -> dict[int, GoldMark]:
    """Every gold pair's mark, by pair id."""
    with Session(engine) as session:
        rows = session.exec(select(GoldPair)).all()
        return {row.pair_id: _mark(row) for row in rows}

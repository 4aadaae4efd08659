"""Cuts: which votes a ranking counts and which answers its statistics cover.

A :class:`Cut` names a selection (tier, suite, category, run, raters, a time
window, exclusions). :func:`vote_conditions` turns it into WHERE clauses on
``vote``, and always leaves out the votes of raters a lead excluded
(``rater.excluded``: their votes are kept, and no ranking, export or other cut
counts them until they are included again); :func:`answers_in_cut` restricts
a query on ``response`` to the prompt-side parts of it, :func:`cut_choices`
lists what a filter can offer, and :func:`parse_time_bound` reads a
``--since`` / ``--until`` value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from blindside.tables import GoldPair, Prompt, Rater, Response, Run, Suite, Vote


def normalise_rater_name(name: str) -> str:
    """Names are compared trimmed and with inner whitespace collapsed."""
    return " ".join(name.split())


def _utc(moment: datetime | date | None) -> datetime | None:
    """An aware UTC timestamp, as the tables store them (a naive value is taken as UTC)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Cut:
    """Which votes a ranking counts. Every field is optional: ``Cut()`` is every vote.

    Attributes
    ----------
    tier : int, optional
        Only prompts of this tier (1, 2 or 3).
    suite : str, optional
        Only prompts of the suite with this name.
    category : str, optional
        Only prompts of this category.
    run_id : int, optional
        Only pairs of answers from this generation run.
    raters : tuple of str
        Only votes by raters with these names; empty means every rater.
    since, until : datetime, optional
        Votes cast at or after ``since`` and strictly before ``until`` (naive
        values are taken as UTC; a ``date`` means its midnight UTC).
    exclude_flagged : bool
        Drop votes the rater flagged as a problem with the pair.
    exclude_gold : bool
        Drop votes on gold items (rater QA): pairs an admin marked
        (:func:`blindside.policy.mark_gold`) and gold prompts
        (``"meta": {"gold": true}`` in the suite file).
    exclude_identity_leaks : bool
        Drop votes where either answer reveals its author (``Response.identity_leak``).
    exclude_fallbacks : bool
        Drop votes where a fallback model served either answer: such a vote
        judged the fallback, not the model being ranked.
    """

    tier: int | None = None
    suite: str | None = None
    category: str | None = None
    run_id: int | None = None
    raters: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    exclude_flagged: bool = False
    exclude_gold: bool = False
    exclude_identity_leaks: bool = False
    exclude_fallbacks: bool = False

    def __post_init__(self) -> None:
        # Normalised once, so equal cuts compare (and cache) equal.
        object.__setattr__(
            self, "raters", tuple(sorted({normalise_rater_name(r) for r in self.raters}))
        )
        object.__setattr__(self, "since", _utc(self.since))
        object.__setattr__(self, "until", _utc(self.until))

    def with_tier(self, tier: int | None) -> Cut:
        """The same cut on another tier (None: every tier)."""
        return replace(self, tier=tier)

    def describe(self) -> str:
        """The cut in words, e.g. for a caption or the CLI's JSON output."""
        parts = []
        if self.tier is not None:
            parts.append(f"tier {self.tier}")
        if self.suite:
            parts.append(f"suite {self.suite}")
        if self.category:
            parts.append(f"category {self.category}")
        if self.run_id is not None:
            parts.append(f"run {self.run_id}")
        if self.raters:
            parts.append("raters " + ", ".join(self.raters))
        if self.since:
            parts.append(f"since {self.since:%Y-%m-%d %H:%M} UTC")
        if self.until:
            parts.append(f"before {self.until:%Y-%m-%d %H:%M} UTC")
        excluded = [
            name
            for name, on in (
                ("flagged votes", self.exclude_flagged),
                ("gold items", self.exclude_gold),
                ("identity-leaking answers", self.exclude_identity_leaks),
                ("fallback-served answers", self.exclude_fallbacks),
            )
            if on
        ]
        if excluded:
            parts.append("excluding " + ", ".join(excluded))
        return "; ".join(parts) if parts else "all votes"


def gold_prompt_ids(conn: Connection | Session) -> list[int]:
    """Prompts marked ``"gold": true`` in their metadata.

    Read in Python (prompts are few): JSON operators differ between SQLite and
    PostgreSQL, and a truthy value other than ``true`` would break a SQL cast.
    """
    rows = conn.execute(select(Prompt.id, Prompt.meta)).all()  # type: ignore[call-overload]
    return [pid for pid, meta in rows if isinstance(meta, dict) and meta.get("gold")]


def excluded_rater_ids(conn: Connection | Session) -> list[int]:
    """Raters whose votes a lead left out of rankings (``rater.excluded``), by id."""
    rows = conn.execute(select(Rater.id).where(col(Rater.excluded).is_(True)))  # type: ignore[call-overload]
    return sorted(rater_id for (rater_id,) in rows)


def vote_conditions(
    conn: Connection | Session, cut: Cut, *, include_excluded_raters: bool = False
) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``vote`` alone (plus small subqueries on prompt, suite and rater).

    Votes of excluded raters are always left out, exactly as if they had been
    deleted; only the Raters page passes ``include_excluded_raters=True``, to show
    an excluded rater's figures. The excluded ids are read here (raters are few),
    so with nobody excluded the query is the same as before exclusion existed.
    """
    where: list[ColumnElement[bool]] = []
    if not include_excluded_raters and (excluded := excluded_rater_ids(conn)):
        where.append(col(Vote.rater_id).not_in(excluded))
    if cut.tier is not None:
        where.append(col(Vote.tier) == cut.tier)
    if cut.suite is not None:
        suite_prompts = (
            select(Prompt.id)
            .join(Suite, col(Suite.id) == col(Prompt.suite_id))
            .where(Suite.name == cut.suite)
        )
        where.append(col(Vote.prompt_id).in_(suite_prompts))
    if cut.category is not None:
        where.append(
            col(Vote.prompt_id).in_(select(Prompt.id).where(Prompt.category == cut.category))
        )
    if cut.run_id is not None:
        where.append(col(Vote.run_id) == cut.run_id)
    if cut.raters:
        where.append(
            col(Vote.rater_id).in_(select(Rater.id).where(col(Rater.name).in_(cut.raters)))
        )
    if cut.since is not None:
        where.append(col(Vote.created_at) >= cut.since)
    if cut.until is not None:
        where.append(col(Vote.created_at) < cut.until)
    if cut.exclude_flagged:
        where.append(col(Vote.flagged).is_(False))
    if cut.exclude_identity_leaks:
        where.append(col(Vote.identity_leak).is_(False))
    if cut.exclude_fallbacks:
        where.append(col(Vote.fallback).is_(False))
    if cut.exclude_gold:
        if gold := gold_prompt_ids(conn):
            where.append(col(Vote.prompt_id).not_in(gold))
        # Marked by hand, so few: read here, and the query is unchanged while there are none.
        if marked := conn.execute(select(GoldPair.pair_id)).scalars().all():  # type: ignore[call-overload]
            where.append(col(Vote.pair_id).not_in(marked))
    return where


def answers_in_cut(query: Select, cut: Cut) -> Select:
    """``query`` on ``response`` restricted to the prompt-side parts of ``cut``."""
    if cut.run_id is not None:
        query = query.where(Response.run_id == cut.run_id)
    if cut.tier is not None or cut.category is not None or cut.suite is not None:
        query = query.join(Prompt, col(Prompt.id) == col(Response.prompt_id))
        if cut.tier is not None:
            query = query.where(Prompt.tier == cut.tier)
        if cut.category is not None:
            query = query.where(Prompt.category == cut.category)
        if cut.suite is not None:
            query = query.join(Suite, col(Suite.id) == col(Prompt.suite_id)).where(
                Suite.name == cut.suite
            )
    return query


@dataclass(frozen=True)
class CutChoices:
    """Values the filters can offer: what exists in the database."""

    suites: list[str]
    categories: list[str]
    runs: list[tuple[int, str]]
    raters: list[str]
    first_vote: datetime | None
    last_vote: datetime | None


def cut_choices(engine: Engine) -> CutChoices:
    """Suites, categories, runs, raters and the vote date range (small queries)."""
    with Session(engine) as session:
        suites = list(session.exec(select(Suite.name).order_by(Suite.name)))
        categories = list(
            session.exec(select(Prompt.category).distinct().order_by(Prompt.category))
        )
        runs = [
            (run_id, f"run {run_id} · {suite} · {started:%Y-%m-%d %H:%M}")
            for run_id, suite, started in session.exec(
                select(Run.id, Suite.name, Run.started_at)
                .join(Suite, col(Suite.id) == col(Run.suite_id))
                .order_by(col(Run.id).desc())
            )
        ]
        raters = list(session.exec(select(Rater.name).order_by(Rater.name)))
        first, last = session.exec(
            select(func.min(col(Vote.created_at)), func.max(col(Vote.created_at)))
        ).one()
    return CutChoices(suites, categories, runs, raters, first, last)


def parse_time_bound(value: str, *, end: bool = False) -> datetime:
    """A ``--since`` / ``--until`` value: ISO date or date-time, UTC when it has no offset.

    With ``end=True`` a bare date means the end of that day (the next midnight),
    since "until 2026-11-28" reads as "through the 28th".

    Raises
    ------
    ValueError
        When the value is not an ISO date or date-time.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time())
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected a date like 2026-11-28 or a time like 2026-11-28T14:00, got {value!r}"
        ) from None

"""Raters and their votes: stored exactly once, aggregated by the database.

A vote is unique per (pair, rater): a double click, a resent form or two
browser tabs can never count it twice, and a stored vote is never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import ColumnElement, Select, func
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blindside.db import session_scope
from blindside.identity import STYLE_NAMES, style_difference_array, style_features
from blindside.pairing import Impression
from blindside.tables import VOTE_CHOICES, Pair, Prompt, Rater, Response, Suite, Vote


def normalise_rater_name(name: str) -> str:
    """Names are compared trimmed and with inner whitespace collapsed."""
    return " ".join(name.split())


def sign_in(engine: Engine, name: str) -> Rater:
    """Find or create the rater with this name.

    Raises
    ------
    ValueError
        For an empty name.
    """
    clean = normalise_rater_name(name)
    if not clean:
        raise ValueError("enter your name to sign in")
    if len(clean) > 80:
        raise ValueError("names are at most 80 characters")
    for _ in range(2):
        try:
            with session_scope(engine) as session:
                rater = session.exec(select(Rater).where(Rater.name == clean)).first()
                if rater is None:
                    rater = Rater(name=clean)
                    session.add(rater)
                    session.flush()
                return rater
        except IntegrityError:
            continue  # created concurrently by another session: read it back
    raise RuntimeError(f"could not sign in {clean!r}")


def record_vote(
    engine: Engine,
    rater_id: int,
    impression: Impression,
    choice: str,
    *,
    dwell_ms: int | None = None,
    flagged: bool = False,
    comment: str | None = None,
) -> bool:
    """Store a vote once.

    Returns
    -------
    bool
        True when stored now, False when this rater had already voted on the pair.
    """
    if choice not in VOTE_CHOICES:
        raise ValueError(f"choice must be one of {VOTE_CHOICES}, got {choice!r}")
    try:
        with session_scope(engine) as session:
            pair = session.get(Pair, impression.pair_id)
            if pair is None:
                raise ValueError(f"no pair {impression.pair_id}")
            sides = {pair.response_a_id, pair.response_b_id}
            if impression.left_response_id not in sides:
                raise ValueError(f"response {impression.left_response_id} is not in this pair")
            # The right answer is the pair's other one: taken from the pair, not the page.
            (right_id,) = sides - {impression.left_response_id}
            left = session.get(Response, impression.left_response_id)
            right = session.get(Response, right_id)
            prompt = session.get(Prompt, pair.prompt_id)
            assert left is not None and right is not None and prompt is not None
            session.add(
                Vote(
                    pair_id=impression.pair_id,
                    rater_id=rater_id,
                    left_response_id=impression.left_response_id,
                    choice=choice,
                    dwell_ms=dwell_ms,
                    flagged=flagged,
                    comment=comment,
                    # Denormalised so the leaderboard's GROUP BY needs no join.
                    right_response_id=right_id,
                    left_model_id=left.model_id,
                    right_model_id=right.model_id,
                    prompt_id=pair.prompt_id,
                    tier=prompt.tier,
                    run_id=left.run_id,
                    fallback=left.is_fallback or right.is_fallback,
                    identity_leak=left.identity_leak or right.identity_leak,
                )
            )
        return True
    except IntegrityError:
        return False


def count_votes(engine: Engine, rater_id: int | None = None) -> int:
    """Votes in the database, or cast by one rater."""
    with Session(engine) as session:
        query = select(func.count(col(Vote.id)))
        if rater_id is not None:
            query = query.where(Vote.rater_id == rater_id)
        return int(session.exec(query).one())


def latest_vote_id(engine: Engine) -> int:
    """Id of the newest vote (0 when none): a cheap cache key for rankings."""
    with Session(engine) as session:
        return int(session.exec(select(func.coalesce(func.max(col(Vote.id)), 0))).one())


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
        Drop votes on gold prompts (rater QA items, ``"meta": {"gold": true}``
        in the suite file).
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


def cut_conditions(conn: Connection | Session, cut: Cut) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``vote`` alone (plus small subqueries on prompt, suite and rater)."""
    where: list[ColumnElement[bool]] = []
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
    if cut.exclude_gold and (gold := gold_prompt_ids(conn)):
        where.append(col(Vote.prompt_id).not_in(gold))
    return where


@dataclass(frozen=True, eq=False)
class PositionCounts:
    """Outcome counts per (left model, right model), oriented by screen position.

    ``left[k]`` and ``right[k]`` index ``model_ids``: the models whose answers
    were shown on the left and on the right. Keeping the orientation lets a fit
    estimate position bias. When built per answer pair (``by_response=True``),
    there is one row per (left answer, right answer) cell and ``style`` holds
    the left-minus-right style covariates of that cell.
    """

    model_ids: np.ndarray
    left: np.ndarray
    right: np.ndarray
    left_wins: np.ndarray
    right_wins: np.ndarray
    ties: np.ndarray
    both_bad: np.ndarray
    style: np.ndarray | None = None
    style_names: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return int(
            self.left_wins.sum() + self.right_wins.sum() + self.ties.sum() + self.both_bad.sum()
        )

    @property
    def n_models(self) -> int:
        return int(self.model_ids.size)

    def games_matrix(self) -> np.ndarray:
        """(n, n) battles between models, both orientations added (symmetric)."""
        n = self.n_models
        g = np.zeros((n, n))
        np.add.at(
            g, (self.left, self.right), self.left_wins + self.right_wins + self.ties + self.both_bad
        )
        return g + g.T

    def wins_matrix(self) -> np.ndarray:
        """(n, n) wins of row over column, a tie or both-bad counting half each way."""
        n = self.n_models
        w = np.zeros((n, n))
        half = 0.5 * (self.ties + self.both_bad)
        np.add.at(w, (self.left, self.right), self.left_wins + half)
        np.add.at(w, (self.right, self.left), self.right_wins + half)
        return w


_CHOICE_COLUMN = {"left": 0, "right": 1, "tie": 2, "both_bad": 3}


def _pivot(
    left: np.ndarray, right: np.ndarray, choices: list[str], counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of (left, right, choice, count) into unique (left, right) and a (k, 4) table."""
    # One int64 key per (left, right): a 1-D unique is several times faster than axis=0.
    width = int(max(left.max(), right.max())) + 1
    unique, inverse = np.unique(left * width + right, return_inverse=True)
    table = np.zeros((unique.size, 4), dtype=np.int64)
    column = np.array([_CHOICE_COLUMN[c] for c in choices], dtype=np.int64)
    np.add.at(table, (inverse.ravel(), column), counts)
    return unique // width, unique % width, table


def _empty(by_response: bool) -> PositionCounts:
    z = np.zeros(0, dtype=np.int64)
    return PositionCounts(
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        style=np.zeros((0, len(STYLE_NAMES))) if by_response else None,
        style_names=STYLE_NAMES if by_response else (),
    )


def aggregation_query(conn: Connection, cut: Cut, *, by_response: bool = False) -> Select:
    """The GROUP BY of :func:`aggregate`: (left key, right key, choice, count) per cell.

    Its filters are columns of the covering indexes ``ix_vote_agg`` and
    ``ix_vote_tier_agg``, so the database reads no table row.
    """
    if by_response:
        keys = (col(Vote.left_response_id), col(Vote.right_response_id))
    else:
        keys = (col(Vote.left_model_id), col(Vote.right_model_id))
    return (
        select(*keys, col(Vote.choice), func.count())
        .where(*cut_conditions(conn, cut))
        .group_by(*keys, col(Vote.choice))
    )


def aggregate(engine: Engine, cut: Cut = Cut(), *, by_response: bool = False) -> PositionCounts:
    """Win / loss / tie / both-bad counts of the votes in a cut, computed by a GROUP BY.

    The database groups ``vote`` on its own denormalised columns (no join), so
    a million votes become at most ``models² × 4`` rows before Python sees them;
    the GROUP BY reads a covering index in key order.

    Parameters
    ----------
    engine : Engine
    cut : Cut
        Which votes count.
    by_response : bool
        Group per (left answer, right answer) instead of per (left model, right
        model), and attach the left-minus-right style covariates of each cell
        (for style control). More rows, still far fewer than votes when answers
        get several votes each.

    Returns
    -------
    PositionCounts
    """
    # Core, not ORM: tens of thousands of plain tuples need no identity map.
    with engine.connect() as conn:
        rows = conn.execute(aggregation_query(conn, cut, by_response=by_response)).all()
        if not rows:
            return _empty(by_response)
        left_key, right_key, choices, counts = zip(*rows, strict=True)
        left, right, table = _pivot(
            np.array(left_key, dtype=np.int64),
            np.array(right_key, dtype=np.int64),
            list(choices),
            np.array(counts, dtype=np.int64),
        )
        style = None
        if by_response:
            model_of, features = _response_features(conn, np.union1d(left, right))
            style = style_difference_array(features(left), features(right))
            left, right = model_of(left), model_of(right)
    model_ids, index = np.unique(np.concatenate([left, right]), return_inverse=True)
    n = left.size
    return PositionCounts(
        model_ids=model_ids,
        left=index[:n].astype(np.int64),
        right=index[n:].astype(np.int64),
        left_wins=table[:, 0],
        right_wins=table[:, 1],
        ties=table[:, 2],
        both_bad=table[:, 3],
        style=style,
        style_names=STYLE_NAMES if by_response else (),
    )


def _response_features(
    conn: Connection, response_ids: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """Lookups from answer ids to model ids and to (k, 4) style feature rows.

    Features come from the columns post-processing fills; an answer not yet
    analysed is measured here from its text.
    """
    ids = response_ids.astype(np.int64)
    model = np.zeros(ids.size, dtype=np.int64)
    feats = np.zeros((ids.size, 4), dtype=np.int64)
    missing: list[int] = []
    # Chunks keep the IN lists under every driver's bound-parameter limit.
    for start in range(0, ids.size, 5000):
        chunk = ids[start : start + 5000].tolist()
        rows = conn.execute(
            select(
                Response.id,
                Response.model_id,
                Response.text_chars,
                Response.md_headers,
                Response.md_list_items,
                Response.md_bold,
            ).where(col(Response.id).in_(chunk))
        ).all()
        for rid, model_id, chars, headers, items, bold in rows:
            i = int(np.searchsorted(ids, rid))
            model[i] = model_id
            if chars is None:
                missing.append(rid)
            else:
                feats[i] = (chars, headers or 0, items or 0, bold or 0)
        if missing:
            for rid, text in conn.execute(
                select(Response.id, Response.text).where(col(Response.id).in_(missing))
            ):
                f = style_features(text)
                feats[int(np.searchsorted(ids, rid))] = (f.chars, f.headers, f.list_items, f.bold)
            missing = []

    def model_of(x: np.ndarray) -> np.ndarray:
        return model[np.searchsorted(ids, x)]

    def features(x: np.ndarray) -> np.ndarray:
        return feats[np.searchsorted(ids, x)]

    return model_of, features


@dataclass(frozen=True)
class PairOutcomes:
    """Aggregated outcomes per unordered model pair (a < b by model id).

    Both-bad votes are kept apart from ties; rankings count them as ties.
    """

    model_a: np.ndarray
    model_b: np.ndarray
    a_wins: np.ndarray
    b_wins: np.ndarray
    ties: np.ndarray
    both_bad: np.ndarray

    @property
    def total(self) -> int:
        return int(self.a_wins.sum() + self.b_wins.sum() + self.ties.sum() + self.both_bad.sum())


def fold_unordered(counts: PositionCounts) -> PairOutcomes:
    """Forget screen position: one row per unordered model pair, in model ids (a < b)."""
    a = counts.model_ids[np.minimum(counts.left, counts.right)]
    b = counts.model_ids[np.maximum(counts.left, counts.right)]
    swapped = counts.left > counts.right
    a_wins = np.where(swapped, counts.right_wins, counts.left_wins)
    b_wins = np.where(swapped, counts.left_wins, counts.right_wins)
    keys = np.stack([a, b], axis=1) if a.size else np.zeros((0, 2), np.int64)
    if keys.shape[0] == 0:
        z = np.zeros(0, np.int64)
        return PairOutcomes(z, z, z, z, z, z)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    table = np.zeros((unique.shape[0], 4), dtype=np.int64)
    for j, values in enumerate((a_wins, b_wins, counts.ties, counts.both_bad)):
        np.add.at(table[:, j], inverse.ravel(), values)
    return PairOutcomes(
        model_a=unique[:, 0],
        model_b=unique[:, 1],
        a_wins=table[:, 0],
        b_wins=table[:, 1],
        ties=table[:, 2],
        both_bad=table[:, 3],
    )


def aggregate_outcomes(
    engine: Engine, *, tier: int | None = None, include_fallbacks: bool = True
) -> PairOutcomes:
    """Counts per unordered model pair (kept for callers that ignore position).

    Parameters
    ----------
    engine : Engine
    tier : int, optional
        Only votes on prompts of this tier.
    include_fallbacks : bool
        False drops votes where a fallback model served either answer.
    """
    return fold_unordered(
        aggregate(engine, Cut(tier=tier, exclude_fallbacks=not include_fallbacks))
    )


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

"""The adaptive scheduler kept live over the store: one state per process and database.

:mod:`blindside.scheduler` is pure: it chooses from counts it is given. This module keeps
those counts for a running app, so that drawing a pair reads no vote: a draw costs
``O(models²)`` in memory, plus one indexed query per rater the first time this process draws
for them (what they have seen).

What is kept, per tier (each tier is ranked on its own, so each has its own state): the
stored pairs open for rating as scheduler items (model ids mapped to indices 0..n-1), the
votes of counted raters (an excluded rater's votes count for nothing, as in every cut), what
each rater has been shown, and the current fit (refitted from the counts every
``refit_votes`` votes, never from the database).

Consistency model
-----------------
The database is the only truth; these counts only steer which pair comes next.

- **Start**: built from one aggregated query over the votes (``GROUP BY`` pair, sides and
  choice, up to a vote id ``W`` read first), not from vote rows.
- **Votes cast here** are counted as they are stored (:meth:`LiveScheduler.voted`).
- **Refresh**: at most every ``sync_seconds`` (1 s), one thread reads the votes with an id
  above ``W`` (an index range on the primary key: only the new ones, from every replica) and
  records them. Ids skipped over are re-checked for a while, because on PostgreSQL a vote
  can commit after a vote with a higher id. The read runs on a thread of its own, started by
  the draw that found it due; draws go on meanwhile on the counts as they are.
- **Rebuild** from the database when pairs were added (``max(pair.id)`` moved), a rater was
  excluded or included, the admin changed the rating policy (suites, tiers, identity policy,
  shares) or the gold marks, a drawn pair turned out to be closed
  (e.g. an answer flagged as an identity leak since), or every ``rebuild_seconds``.
- **Several replicas** each keep their own counts and catch up with each other's votes
  within ``sync_seconds``. What a rater has seen is read from the database per rater; if
  another replica showed them a pair meanwhile, the unique (rater, pair) index on
  impressions refuses the second showing and :meth:`LiveScheduler.forget_rater` re-reads it.

Reads and the draw are apart: :meth:`LiveScheduler.prepare` does the reads a rater's draw may
need (new votes, a rebuild, what the rater has seen) on connections of its own, and
:meth:`LiveScheduler.draw_prepared` draws from memory, so the vote path can draw inside its
write transaction without holding one pooled connection while waiting for another.

So a draw never repeats a pair for a rater and never offers a closed pair, whatever the
replica; the balance of votes across pairs and sides is as good as counts at most one
refresh old.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import weakref
from collections.abc import Collection

import numpy as np
from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.cuts import excluded_rater_ids
from blindside.live_snapshot import (
    PairFacts,
    Rules,
    Snapshot,
    TierState,
    fit_theta,
    take_snapshot,
    tier_states,
)
from blindside.scheduler import Policy, VoteRecord, next_pair
from blindside.scheduler.counts import CHOICE_COLUMN
from blindside.tables import Impression, Pair, Vote


class NotPrepared(enum.Enum):
    """What :meth:`LiveScheduler.draw_prepared` returns when it must be prepared again."""

    NOT_PREPARED = "not prepared"


NOT_PREPARED = NotPrepared.NOT_PREPARED

_LOG = logging.getLogger(__name__)

#: Seconds a skipped-over vote id is looked for again (a PostgreSQL transaction that took a
#: vote id and had not committed when the newer ids were read).
GAP_SECONDS = 30.0


class LiveScheduler:
    """The scheduler's counts for one database, kept current; safe to share between threads.

    Parameters
    ----------
    engine : Engine
    policy : Policy, optional
        The scheduler's policy; None: its defaults with the admin's gold and repeat shares
        (:meth:`blindside.policy.RatingPolicy.scheduler_policy`).
    sync_seconds : float
        Longest time between two reads of new votes (0: before every draw).
    rebuild_seconds : float
        Longest time between two rebuilds from the database.
    refit_votes : int
        Votes on a tier between two refits of its ratings.
    seed : int, optional
        Seed of the draws (tests); None draws from the OS.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        policy: Policy | None = None,
        sync_seconds: float = 1.0,
        rebuild_seconds: float = 600.0,
        refit_votes: int = 50,
        seed: int | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.sync_seconds = sync_seconds
        self.rebuild_seconds = rebuild_seconds
        self.refit_votes = refit_votes
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()  # guards everything below
        self._sync_lock = threading.Lock()  # one thread reads the database at a time
        self._tiers: dict[int, TierState] = {}
        self._pairs: dict[int, PairFacts] = {}
        self._loaded_raters: set[int] = set()
        self._generation = 0
        self._snapshot: Snapshot | None = None
        self._watermark = 0
        self._gaps: dict[int, float] = {}  # vote id -> when first skipped over
        self._local: set[int] = set()  # votes above the watermark counted as they were cast
        self._synced_at = 0.0
        self._stale = True
        self._background = False  # a read of the store runs on its own thread

    # ----------------------------------------------------------------- reading the store

    def rebuild(self) -> None:
        """Rebuild every count from the database (one aggregated read)."""
        snapshot = take_snapshot(self.engine)
        tiers = tier_states(snapshot, self.policy or snapshot.rules.rating.scheduler_policy())
        with self._lock:
            self._tiers = tiers
            self._pairs = {p.pair_id: p for p in snapshot.pairs}
            self._loaded_raters = set()
            self._generation += 1
            self._snapshot = snapshot
            self._watermark = snapshot.watermark
            self._gaps = {}
            self._local = set()
            self._synced_at = time.monotonic()
            self._stale = False
        for tier_state in tiers.values():
            self._refit(tier_state)

    def invalidate(self) -> None:
        """Rebuild before the next draw (e.g. a drawn pair was found closed)."""
        self._stale = True

    def sync(self, *, force: bool = False, wait: bool = True) -> None:
        """Catch up with the database: new votes, or a rebuild when the pairs or rules moved.

        At most one thread reads at a time; the others return at once and draw on the counts
        as they are (unless a rebuild is needed: then they wait for it). With ``wait`` False,
        a read that is only due by time runs on a thread of its own and this call returns at
        once, so that no press waits for it (a rebuild the counts need is still waited for).
        """
        now = time.monotonic()
        due = force or self._stale or now - self._synced_at >= self.sync_seconds
        if not due:
            return
        blocking = self._stale or self._snapshot is None
        if not (wait or force or blocking):
            self._sync_in_background()
            return
        synced_at = self._synced_at
        if not self._sync_lock.acquire(blocking=blocking):
            return
        try:
            if self._synced_at != synced_at and not self._stale:
                return  # another thread read the database while this one waited
            if self._stale or self._snapshot is None or self._needs_rebuild(now):
                self.rebuild()
            else:
                self._read_new_votes()
        finally:
            self._sync_lock.release()

    def _sync_in_background(self) -> None:
        with self._lock:
            if self._background:
                return
            self._background = True

        def run() -> None:
            try:
                self.sync()
            except Exception:  # the next due read tries again
                _LOG.warning("live scheduler: reading the store failed", exc_info=True)
            finally:
                self._background = False

        threading.Thread(target=run, name="live-scheduler-sync", daemon=True).start()

    def _needs_rebuild(self, now: float) -> bool:
        snapshot = self._snapshot
        assert snapshot is not None
        if now - snapshot.taken_at >= self.rebuild_seconds:
            return True
        with Session(self.engine) as session:
            max_pair_id = session.exec(select(func.coalesce(func.max(Pair.id), 0))).one()
            excluded = frozenset(excluded_rater_ids(session))
        return (
            max_pair_id != snapshot.max_pair_id
            or excluded != snapshot.excluded
            or Rules.read(self.engine) != snapshot.rules
        )

    def _read_new_votes(self) -> None:
        """Record the votes stored since the last read (an index range on vote ids)."""
        snapshot = self._snapshot
        assert snapshot is not None
        now = time.monotonic()
        gaps = [vote_id for vote_id, since in self._gaps.items() if now - since < GAP_SECONDS]
        newer = col(Vote.id) > self._watermark
        query = select(
            Vote.id, Vote.rater_id, Vote.pair_id, Vote.left_model_id, Vote.right_model_id
        ).add_columns(Vote.choice)
        query = query.where(or_(newer, col(Vote.id).in_(gaps)) if gaps else newer)
        with Session(self.engine) as session:
            rows = session.exec(query.order_by(col(Vote.id))).all()
        with self._lock:
            if self._snapshot is not snapshot:
                return  # rebuilt meanwhile: these votes are in the new counts
            found = {row[0] for row in rows}
            self._gaps = {vote_id: self._gaps[vote_id] for vote_id in gaps if vote_id not in found}
            top = max((vote_id for vote_id in found if vote_id > self._watermark), default=None)
            if top is not None:
                for vote_id in range(self._watermark + 1, top):
                    if vote_id not in found:
                        self._gaps[vote_id] = now
                self._watermark = top
            due: dict[int, TierState] = {}
            for vote_id, rater_id, pair_id, left_model, right_model, choice in rows:
                if vote_id in self._local:
                    self._local.discard(vote_id)  # counted when it was cast here
                    continue
                if rater_id in snapshot.excluded:
                    continue
                tier_state = self._record(rater_id, pair_id, left_model, right_model, choice)
                if tier_state is not None:
                    due[id(tier_state)] = tier_state
            self._synced_at = now
        for tier_state in due.values():
            self._refit(tier_state)

    def voted(
        self,
        vote_id: int,
        rater_id: int,
        pair_id: int,
        left_model_id: int,
        right_model_id: int,
        choice: str,
    ) -> None:
        """Count a vote this process has just stored (the next read of new votes skips it).

        Counting at once keeps the side balance and the gains current between reads.
        """
        due = None
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or rater_id in snapshot.excluded:
                return
            if vote_id in self._gaps:
                del self._gaps[vote_id]
            elif vote_id > self._watermark:
                self._local.add(vote_id)
            else:
                return  # already read from the database
            due = self._record(rater_id, pair_id, left_model_id, right_model_id, choice)
        if due is not None:
            self._refit(due)

    def _record(
        self, rater_id: int, pair_id: int, left_model: int, right_model: int, choice: str
    ) -> TierState | None:
        """Count one vote (lock held); the tier state when it is due for a refit."""
        facts = self._pairs.get(pair_id)
        if facts is None or choice not in CHOICE_COLUMN:
            return None  # a pair closed for rating: its votes steer nothing
        tier_state = self._tiers[facts.tier]
        index = tier_state.model_index
        tier_state.state.record(
            VoteRecord(rater_id, pair_id, index[left_model], index[right_model], choice)
        )
        tier_state.votes_since_fit += 1
        return tier_state if tier_state.votes_since_fit >= self.refit_votes else None

    def _refit(self, tier_state: TierState) -> None:
        with self._lock:
            if tier_state.state.counts.total_votes == 0:
                return
            tier_state.votes_since_fit = 0
            theta = fit_theta(tier_state.state)
            tier_state.state.set_fit(theta)

    def _load_rater(self, rater_id: int) -> None:
        """Mark what the rater has been shown or voted, once per rater and rebuild."""
        if rater_id in self._loaded_raters:
            return  # the common case, read without the lock (a set lookup is atomic)
        with self._lock:
            if rater_id in self._loaded_raters:
                return
            generation = self._generation
        with Session(self.engine) as session:
            shown = session.exec(select(Impression.pair_id).where(Impression.rater_id == rater_id))
            voted = session.exec(select(Vote.pair_id).where(Vote.rater_id == rater_id))
            seen = set(shown.all()) | set(voted.all())
        with self._lock:
            if generation != self._generation:
                return  # rebuilt meanwhile: the next draw loads again
            for pair_id in seen:
                self._mark_seen(rater_id, pair_id)
            self._loaded_raters.add(rater_id)

    def _mark_seen(self, rater_id: int, pair_id: int) -> None:
        facts = self._pairs.get(pair_id)
        if facts is not None:
            self._tiers[facts.tier].state.mark_seen(rater_id, pair_id)

    def forget_rater(self, rater_id: int) -> None:
        """Read what the rater has seen again at their next draw (another replica showed
        them a pair). Pairs already marked stay marked: a rater's seen set only grows."""
        with self._lock:
            self._loaded_raters.discard(rater_id)

    def counted_votes(self) -> dict[int, int]:
        """Votes in the counts, per tier."""
        with self._lock:
            return {tier: t.state.counts.total_votes for tier, t in sorted(self._tiers.items())}

    def theta(self, tier: int) -> np.ndarray | None:
        """The ratings of the tier's last fit, by model id order; None before the first."""
        with self._lock:
            tier_state = self._tiers.get(tier)
            return None if tier_state is None else tier_state.state.theta

    # ----------------------------------------------------------------- drawing

    def prepare(self, rater_id: int, *, force: bool = False) -> None:
        """Do the reads a draw for this rater may need: a rebuild when the counts need one,
        new votes when due (:meth:`sync`; in the background unless ``force``), and what the
        rater has been shown (once per rater and rebuild).

        Reads the database on connections of its own: call it holding none, so that threads
        never wait for the pool while holding a connection of it.
        """
        self.sync(force=force, wait=False)
        self._load_rater(rater_id)

    def draw_prepared(
        self,
        rater_id: int,
        tiers: Collection[int] | None = None,
        *,
        pending: tuple[int, int] | None = None,
    ) -> tuple[int, int] | NotPrepared | None:
        """The next pair from the counts as they are, reading nothing: see :meth:`draw`.

        ``pending`` is ``(pair id, left response id)`` of the rater's vote being stored in
        the same statement as the pair drawn now: the sides are placed as if it were counted
        (:meth:`voted` counts it once stored). Returns :data:`NOT_PREPARED` when what the
        rater has seen is not loaded (a rebuild since :meth:`prepare`): then :meth:`prepare`
        again.
        """
        with self._lock:
            if rater_id not in self._loaded_raters:
                return NOT_PREPARED
            return self._draw_locked(rater_id, tiers, pending)

    def unsee(self, rater_id: int, pair_id: int) -> None:
        """A pair drawn for the rater was not shown to them after all (the vote it was drawn
        with was refused): it may be drawn for them again."""
        with self._lock:
            facts = self._pairs.get(pair_id)
            if facts is not None and facts.tier in self._tiers:
                self._tiers[facts.tier].state.unmark_seen(rater_id, pair_id)

    @property
    def leaks_offered(self) -> bool:
        """Whether the identity policy in force at the last rebuild shows flagged answers."""
        snapshot = self._snapshot
        return snapshot is not None and snapshot.rules.identity.offers_leaks

    def draw(self, rater_id: int, tiers: Collection[int] | None = None) -> tuple[int, int] | None:
        """The next pair for a rater, marked as shown to them: ``(pair id, left response id)``.

        Parameters
        ----------
        rater_id : int
        tiers : collection of int, optional
            The tiers the rater chose; None for every tier.

        Returns
        -------
        tuple of (int, int) or None
            None when the rater has been shown every open pair of those tiers.
        """
        for attempt in range(4):
            # Nothing left in these counts: new pairs may have been built since the last read.
            self.prepare(rater_id, force=attempt > 0)
            drawn = self.draw_prepared(rater_id, tiers)
            if drawn is None and attempt:
                return None
            if drawn is not None and drawn is not NOT_PREPARED:
                return drawn  # type: ignore[return-value]
        return None

    def _draw_locked(
        self,
        rater_id: int,
        tiers: Collection[int] | None,
        pending: tuple[int, int] | None = None,
    ) -> tuple[int, int] | None:
        candidates = [
            (tier, tier_state)
            for tier, tier_state in self._tiers.items()
            if tiers is None or tier in tiers
        ]
        pending_facts, pending_left = None, None
        if pending is not None:
            pending_facts, pending_left = self._pairs.get(pending[0]), pending[1]
        while candidates:
            # Tiers in proportion to the pairs the rater has left in each, as a draw over
            # all their pairs would.
            left = [
                len(t.state.counts.items) - len(t.state.counts.seen_by(rater_id))
                for _, t in candidates
            ]
            total = sum(left)
            if total <= 0:
                return None
            k = 0
            if len(candidates) > 1:
                point = self._rng.random() * total
                while k < len(left) - 1 and point >= left[k]:
                    point -= left[k]
                    k += 1
            tier, tier_state = candidates[k]
            sides = None
            if pending_facts is not None and pending_facts.tier == tier:
                a = tier_state.model_index[pending_facts.model_a_id]
                b = tier_state.model_index[pending_facts.model_b_id]
                sides = (a, b) if pending_left == pending_facts.response_a_id else (b, a)
            draw = next_pair(tier_state.state, rater_id, self._rng, pending=sides)
            if draw is None:
                candidates.pop(k)
                continue
            tier_state.state.mark_seen(rater_id, draw.item_id)
            facts = self._pairs[draw.item_id]
            left_is_a = tier_state.model_index[facts.model_a_id] == draw.left
            return draw.item_id, facts.response_a_id if left_is_a else facts.response_b_id
        return None


_LIVE: weakref.WeakKeyDictionary[Engine, LiveScheduler] = weakref.WeakKeyDictionary()
_LIVE_LOCK = threading.Lock()


def live_scheduler(engine: Engine) -> LiveScheduler:
    """This process's scheduler for ``engine``'s database, built on first use."""
    scheduler = _LIVE.get(engine)
    if scheduler is not None:
        return scheduler
    with _LIVE_LOCK:
        scheduler = _LIVE.get(engine)
        if scheduler is None:
            scheduler = _LIVE[engine] = LiveScheduler(engine)
    return scheduler

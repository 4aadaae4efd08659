"""SQLModel tables: the schema of the design, under Alembic migrations.

Display names of models live in ``model``; raters only ever see response ids
through the vote page's server-side state, never model rows. The monitoring tables
(re-benchmarks, drift findings, stress sweeps) are defined in
:mod:`blindside.tables_monitoring` and re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from blindside.clock import utc_now as utc_now

# The monitoring tables live in their own module; importing them here registers them on
# SQLModel.metadata with the rest and keeps `from blindside.tables import Rebench` working.
from blindside.tables_monitoring import DriftFinding as DriftFinding
from blindside.tables_monitoring import Rebench as Rebench
from blindside.tables_monitoring import StressRequest as StressRequest
from blindside.tables_monitoring import StressStep as StressStep
from blindside.tables_monitoring import StressSweep as StressSweep


class Suite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    description: str = ""
    source_path: str = ""
    content_hash: str = ""
    loaded_at: datetime = Field(default_factory=utc_now)


class Prompt(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("suite_id", "external_id", name="uq_prompt_suite_external"),)

    id: int | None = Field(default=None, primary_key=True)
    suite_id: int = Field(foreign_key="suite.id", index=True)
    external_id: str
    tier: int = Field(index=True)
    category: str
    system: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What a rater reads: the text, or the conversation rendered as lines.
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Exactly what is sent to chat.completions (system + turns).
    messages: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reference: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    scorer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    tools: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Model(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    endpoint: str
    model_id: str
    simulated: bool = False
    active: bool = True
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Pricing.record(): USD per million tokens ("input", "cached_input", "output",
    # "cache_write") and the provider's "batch_discount" (a fraction).
    pricing: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fallbacks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    registered_at: datetime = Field(default_factory=utc_now)


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    suite_id: int = Field(foreign_key="suite.id", index=True)
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    status: str = "running"  # running | finished | incomplete | stopped
    # Why a run stopped early (e.g. "budget: spend would pass $5.00"); None otherwise.
    stop_reason: str | None = None
    max_cost_usd: float | None = None
    samples_per_prompt: int = 1
    config_hash: str = Field(index=True)
    model_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class AnswerColumns(SQLModel):
    """What one request produced for a task: the answer's text and what was measured.

    The engine's :class:`~blindside.engine.tasks.Answer` carries exactly these
    fields and :class:`Response` stores them, so the list is written here once.
    """

    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    finish_reason: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    # Inter-token latency between streamed content chunks, and decode speed.
    itl_mean_ms: float | None = None
    itl_p95_ms: float | None = None
    output_tokens_per_s: float | None = None
    # input_tokens counts every prompt token, cached and cache-written ones included.
    input_tokens: int | None = None
    cached_tokens: int | None = None
    # Prompt tokens written into the provider's cache (migration 0009).
    cache_write_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    # True when the provider sent no usage and the counts are estimated from text.
    tokens_estimated: bool = False
    cost_usd: float | None = None
    # Whose token counts the cost rests on: provider | router | estimated (None: failed).
    # blindside.client.provenance; "estimated" exactly when tokens_estimated.
    usage_source: str | None = None
    # What a router said the answer cost (LiteLLM's x-litellm-response-cost, OpenRouter's
    # usage.cost), USD; None when it said nothing.
    router_cost_usd: float | None = None
    # The response's request id (x-request-id, or what a router forwards), for support tickets.
    request_id: str | None = None
    # Requests sent for this answer in all (all calls, every model of the chain).
    attempts: int = 0
    retry_wait_ms: float = 0.0
    served_by: str | None = None
    # True when a fallback model of the chain served the answer, not the model itself.
    is_fallback: bool = False
    # rate_limit | timeout | server_error | bad_response | auth | context_length |
    # content_filter | other; None when the answer succeeded.
    error_class: str | None = Field(default=None, index=True)
    # None when the answer succeeded; otherwise a short class + message (never a key).
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Response(AnswerColumns, table=True):
    __table_args__ = (
        UniqueConstraint("run_id", "prompt_id", "model_id", "sample", name="uq_response_key"),
        Index("ix_response_prompt_model", "prompt_id", "model_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id")
    model_id: int = Field(foreign_key="model.id", index=True)
    sample: int = 0
    created_at: datetime = Field(default_factory=utc_now)
    # Post-processing (blindside.identity.flag_identity_leaks), computed once per answer so a
    # leaderboard never parses texts. True when the text says who wrote it ("I'm Claude"),
    # which breaks blinding: cuts can drop votes on such answers.
    identity_leak: bool = False
    # Style features for style control; None until the answer has been analysed.
    text_chars: int | None = None
    md_headers: int | None = None
    md_list_items: int | None = None
    md_bold: int | None = None
    # Automated score against the prompt's reference (blindside.scorers), set when the answer
    # is stored and again when the prompt's reference or scorer changes. None: no scorer, or
    # the answer failed. answer_key is the normalised answer, for consistency across samples.
    correct: bool | None = None
    answer_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Where an imported answer was read from ("<format>:<file name>", blindside.imports);
    # None for answers blindside generated (migration 0014).
    imported_from: str | None = None


class Pair(SQLModel, table=True):
    """Two successful responses to the same prompt by different models (a < b by id)."""

    __table_args__ = (UniqueConstraint("response_a_id", "response_b_id", name="uq_pair_responses"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    response_a_id: int = Field(foreign_key="response.id")
    response_b_id: int = Field(foreign_key="response.id")
    created_at: datetime = Field(default_factory=utc_now)


class Rater(SQLModel, table=True):
    """A person who votes; blindside.raters manages them (roles, links, sessions)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    # The name case-folded (blindside.raters.rater_name_key): "Ada" and "ada" are one rater.
    name_key: str = Field(unique=True, index=True)
    role: str = "rater"  # rater | lead | admin (blindside.roles.Role)
    created_at: datetime = Field(default_factory=utc_now)
    # SHA-256 of the unused one-time sign-in token, never the token (migration 0006).
    invite_hash: str | None = Field(default=None, unique=True, index=True)
    invite_expires_at: datetime | None = None
    # SHA-256 of the token the rater's browser presents after a reload; one live session.
    session_hash: str | None = Field(default=None, unique=True, index=True)
    session_expires_at: datetime | None = None
    signed_in_at: datetime | None = None
    # Revoked raters cannot sign in; their votes stay.
    revoked_at: datetime | None = None
    # A lead left this rater's votes out of rankings (kept, and it can be undone).
    excluded: bool = False


class Impression(SQLModel, table=True):
    """One pair as shown to one rater: its sides, when it was shown, and how it was answered.

    An impression is open until a vote or a skip answers it. A rater has at most one open
    impression (a partial unique index): it is the pair on their screen, shown again after a
    reload, and the only one a vote is accepted for (:mod:`blindside.rating`).
    """

    __table_args__ = (
        Index(
            "uq_impression_open_rater",
            "rater_id",
            unique=True,
            sqlite_where=text("answered_at IS NULL"),
            postgresql_where=text("answered_at IS NULL"),
        ),
        # A rater is shown a pair once at most; the draw leaves out the pairs they were shown.
        Index("uq_impression_rater_pair", "rater_id", "pair_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    rater_id: int = Field(foreign_key="rater.id")
    # Which answer was on the left; the right one is the pair's other answer.
    left_response_id: int = Field(foreign_key="response.id")
    # Server time: dwell is answered_at - shown_at, never the browser's clock.
    shown_at: datetime = Field(default_factory=utc_now)
    # When a vote or a skip answered it; None while it is on the rater's screen.
    answered_at: datetime | None = None
    skipped: bool = False


_AGGREGATION_COLUMNS = (
    "left_model_id",
    "right_model_id",
    "choice",
    "flagged",
    "fallback",
    "identity_leak",
    "prompt_id",
    "rater_id",
    "created_at",
)


class Vote(SQLModel, table=True):
    """One rater's verdict on one pair; unique per (pair, rater) so a vote never counts twice."""

    __table_args__ = (
        UniqueConstraint("pair_id", "rater_id", name="uq_vote_pair_rater"),
        # Covering indexes of the leaderboard's GROUP BY: the database answers the
        # aggregation, the exclusions and the rater and date cuts from the index
        # alone, in key order (the cut columns trail: migration 0004).
        Index("ix_vote_agg", *_AGGREGATION_COLUMNS),
        Index("ix_vote_tier_agg", "tier", *_AGGREGATION_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    rater_id: int = Field(foreign_key="rater.id", index=True)
    # Which response was shown on the left: sides are randomised per impression.
    left_response_id: int = Field(foreign_key="response.id")
    choice: str  # left | right | tie | both_bad
    dwell_ms: int | None = None
    flagged: bool = False
    comment: str | None = None
    created_at: datetime = Field(default_factory=utc_now, index=True)
    # Copies of facts about the pair and its answers, written by record_vote (and backfilled
    # by migration 0003), so that aggregating a million votes needs no join. They never
    # change after the vote, except identity_leak, which flag_identity_leaks refreshes.
    # No Python defaults: a vote written without them fails loudly instead of ranking nobody.
    right_response_id: int
    left_model_id: int
    right_model_id: int
    prompt_id: int = Field(index=True)
    tier: int
    run_id: int = Field(index=True)
    # Either answer was served by a fallback model rather than the model itself.
    fallback: bool = False
    # Either answer reveals who wrote it (Response.identity_leak).
    identity_leak: bool = False
    # The impression the vote answered (unique: one vote per impression); None for votes
    # stored before impressions existed (migration 0007) or without one.
    impression_id: int | None = Field(
        default=None, foreign_key="impression.id", unique=True, index=True
    )
    # Where an imported vote was read from ("<format>:<file name>", blindside.imports); None
    # for votes cast in blindside (migration 0014). An imported vote has no impression.
    imported_from: str | None = None


class RatingPolicyRow(SQLModel, table=True):
    """The admin's rating policy (:mod:`blindside.policy`): one row, id 1, once an admin saves.

    With no row, everything is open, the identity policy is the setting and the shares are the
    scheduler's defaults.
    """

    __tablename__ = "rating_policy"
    __table_args__ = (CheckConstraint("id = 1", name="ck_rating_policy_one_row"),)

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    # Suite names and tiers open for rating; NULL: all of them, including suites loaded later.
    active_suites: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    active_tiers: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # hide | show-and-exclude; NULL: the BLINDSIDE_IDENTITY_POLICY setting.
    identity_policy: str | None = None
    gold_share: float
    repeat_share: float
    updated_by: int | None = Field(default=None, foreign_key="rater.id")
    updated_at: datetime = Field(default_factory=utc_now)


class GoldPair(SQLModel, table=True):
    """A pair whose better answer an admin marked: a check of raters' accuracy."""

    __tablename__ = "gold_pair"

    pair_id: int = Field(foreign_key="pair.id", primary_key=True)
    # The better answer (one of the pair's two); NULL: the admin judged them a tie.
    better_response_id: int | None = Field(default=None, foreign_key="response.id")
    marked_by: int = Field(foreign_key="rater.id")
    marked_at: datetime = Field(default_factory=utc_now)


class ExportKey(SQLModel, table=True):
    """The key of raters' pseudonyms in exports (:mod:`blindside.export.pseudonyms`).

    One row, id 1, made at the first export: random, and never shown or exported.
    """

    __tablename__ = "export_key"
    __table_args__ = (CheckConstraint("id = 1", name="ck_export_key_one_row"),)

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    # 32 random bytes as hex: the HMAC-SHA256 key.
    key: str
    created_at: datetime = Field(default_factory=utc_now)


VOTE_CHOICES = ("left", "right", "tie", "both_bad")


class JudgeRun(SQLModel, table=True):
    """One judge model judging one suite's pairs under one rubric (:mod:`blindside.judge`).

    Keyed like a generation run: the same suite, judge and rubric find the same run, so a
    rerun asks only for the verdicts still missing. A changed rubric starts a new run.
    """

    __tablename__ = "judge_run"
    __table_args__ = (
        UniqueConstraint("suite_id", "judge_model_id", "rubric_hash", name="uq_judge_run_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suite_id: int = Field(foreign_key="suite.id", index=True)
    judge_model_id: int = Field(foreign_key="model.id", index=True)
    # sha256 of the rubrics of the suite's tiers, as sent.
    rubric_hash: str
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    status: str = "running"  # running | finished | incomplete | stopped
    stop_reason: str | None = None
    max_cost_usd: float | None = None


class JudgeVerdict(SQLModel, table=True):
    """A judge model's verdict on one pair in one order, stored apart from human votes.

    Each pair is judged twice: ``position`` 0 shows the pair's first answer as "A" (on the
    left), 1 the second. ``choice`` is in the votes' vocabulary (``left`` is answer A);
    None when the reply did not parse (``parse_error`` says why) or the request failed
    (``error``). The raw reply is kept for audit. Raters never see this table.
    """

    __tablename__ = "judge_verdict"
    __table_args__ = (
        UniqueConstraint("judge_run_id", "pair_id", "position", name="uq_judge_verdict_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    judge_run_id: int = Field(foreign_key="judge_run.id", index=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    judge_model_id: int = Field(foreign_key="model.id")
    position: int
    left_response_id: int = Field(foreign_key="response.id")
    right_response_id: int = Field(foreign_key="response.id")
    choice: str | None = None  # left | right | tie | both_bad
    parse_error: str | None = None
    raw_reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Request failure (class: message, redacted); the next run asks again.
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utc_now)

"""Labelled pairs: one record per vote, with both answers, their models and screen sides.

A record says which model wrote which answer, so an export is for leads and eval
engineers, never for raters' browsers (blinding). ``model_a`` is the answer shown on
the **left**, ``model_b`` the one on the right, and ``left_model`` says so in the file
itself; ``winner`` uses LMArena's values (``model_a``, ``model_b``, ``tie``,
``tie (bothbad)``), so ``blindside rank --votes`` ranks an export directly, with the
position term fitted. A rater is a pseudonym (:mod:`blindside.export.pseudonyms`).

Records stream from one query in vote order, fetched ``BATCH_ROWS`` at a time (a
server-side cursor on PostgreSQL): a million votes never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased
from sqlmodel import col

from blindside.config import display_name
from blindside.cuts import Cut, vote_conditions
from blindside.export.pseudonyms import rater_pseudonyms
from blindside.tables import Model, Prompt, Response, Suite, Vote

__all__ = [
    "BATCH_ROWS",
    "EXPORT_FIELDS",
    "WINNER_OF_CHOICE",
    "labelled_batches",
    "labelled_pairs",
    "model_names",
]

#: The arena ``winner`` of each vote choice, with ``model_a`` the left answer.
WINNER_OF_CHOICE = {
    "left": "model_a",
    "right": "model_b",
    "tie": "tie",
    "both_bad": "tie (bothbad)",
}

#: Every field of a labelled pair, in CSV and Parquet column order.
EXPORT_FIELDS: tuple[str, ...] = (
    "vote_id",
    "impression_id",
    "created_at",
    "rater",
    "choice",
    "winner",
    "model_a",
    "model_b",
    "left_model",
    "tier",
    "suite",
    "category",
    "prompt_id",
    "system",
    "prompt",
    "reference",
    "answer_a",
    "answer_b",
    "correct_a",
    "correct_b",
    "served_by_a",
    "served_by_b",
    "latency_ms_a",
    "latency_ms_b",
    "cost_usd_a",
    "cost_usd_b",
    "run_id",
    "fallback",
    "identity_leak",
    "flagged",
    "comment",
    "dwell_ms",
)

#: Rows fetched per round trip and written per Parquet row group.
BATCH_ROWS = 20_000


def _query(conn: Connection, cut: Cut, choices: tuple[str, ...] | None, messages: bool) -> Select:
    left, right = aliased(Response), aliased(Response)
    columns = [
        Vote.id,
        Vote.impression_id,
        Vote.created_at,
        Vote.rater_id,
        Vote.choice,
        Vote.left_model_id,
        Vote.right_model_id,
        Vote.tier,
        Suite.name,
        Prompt.category,
        Prompt.external_id,
        Prompt.system,
        Prompt.text,
        Prompt.reference,
        left.text,
        right.text,
        left.correct,
        right.correct,
        left.served_by,
        right.served_by,
        left.latency_ms,
        right.latency_ms,
        left.cost_usd,
        right.cost_usd,
        Vote.run_id,
        Vote.fallback,
        Vote.identity_leak,
        Vote.flagged,
        Vote.comment,
        Vote.dwell_ms,
    ]
    if messages:
        columns.append(Prompt.messages)
    query = (
        select(*columns)
        .join(left, left.id == Vote.left_response_id)
        .join(right, right.id == Vote.right_response_id)
        .join(Prompt, Prompt.id == Vote.prompt_id)
        .join(Suite, Suite.id == Prompt.suite_id)
        .where(*vote_conditions(conn, cut))
        .order_by(Vote.id)
    )
    if choices is not None:
        query = query.where(col(Vote.choice).in_(choices))
    return query


def model_names(conn: Connection) -> dict[int, str]:
    """Every model's id → the name exports show (demo models carry "(simulated)")."""
    rows = conn.execute(select(Model.id, Model.name, Model.simulated)).all()
    return {model_id: display_name(name, simulated=sim) for model_id, name, sim in rows}


def labelled_batches(
    engine: Engine,
    cut: Cut | None = None,
    *,
    choices: tuple[str, ...] | None = None,
    messages: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[list[tuple[Any, ...]]]:
    """The votes of a cut as batches of labelled-pair tuples, oldest first.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes (every vote by default), as for a leaderboard.
    choices : tuple of str, optional
        Only votes with these choices (e.g. ``("left", "right")``).
    messages : bool
        Append the prompt's chat messages (what was sent to the models) to each tuple.
    batch_rows : int
        Rows per batch (and per database fetch).

    Yields
    ------
    list of tuple
        Tuples in :data:`EXPORT_FIELDS` order (``created_at`` a ``datetime``), with the
        messages last when asked.
    """
    with engine.connect() as conn:
        names = model_names(conn)
        raters = rater_pseudonyms(engine, conn)
        query = _query(conn, cut or Cut(), choices, messages)
        result = conn.execution_options(yield_per=batch_rows).execute(query)
        for rows in result.partitions():
            batch = []
            for vote_id, impression, created, rater, choice, left, right, *rest in rows:
                name_a = names[left]
                batch.append(
                    (
                        vote_id,
                        impression,
                        created,
                        raters[rater],
                        choice,
                        WINNER_OF_CHOICE[choice],
                        name_a,
                        names[right],
                        name_a,  # left_model: model_a is the left answer
                        *rest,
                    )
                )
            yield batch


def iso_time(value: datetime) -> str:
    """A stored time as the text exports write (UTC, milliseconds)."""
    return value.isoformat(timespec="milliseconds")


def labelled_pairs(engine: Engine, cut: Cut | None = None) -> Iterator[dict[str, Any]]:
    """The votes of a cut as labelled-pair records (dicts keyed by :data:`EXPORT_FIELDS`).

    ``created_at`` is ISO 8601 text; see :func:`labelled_batches`.
    """
    for batch in labelled_batches(engine, cut):
        for row in batch:
            record = dict(zip(EXPORT_FIELDS, row, strict=True))
            record["created_at"] = iso_time(record["created_at"])
            yield record

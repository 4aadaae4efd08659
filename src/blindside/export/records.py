"""Labelled pairs: one record per vote, with both answers, their models and screen sides.

A record says which model wrote which answer, so an export is for leads and eval
engineers, never for raters' browsers (blinding). ``model_a`` is the answer shown on
the **left**, ``model_b`` the one on the right, and ``left_model`` says so in the file
itself; ``winner`` uses LMArena's values (``model_a``, ``model_b``, ``tie``,
``tie (bothbad)``), so ``blindside rank --votes`` ranks an export directly, with the
position term fitted. A rater is a pseudonym (:mod:`blindside.export.pseudonyms`).

How it streams: one query reads ``vote`` alone, in vote order, ``BATCH_ROWS`` rows per
fetch (a server-side cursor on PostgreSQL). For each batch, the batch's distinct prompts
and answers are read by id (one query each) and joined in memory as Arrow columns
(``take``): a text read once per batch, not once per vote. Each batch becomes one
:class:`pyarrow.Table`: a Parquet row group as it is, or rows for the text formats.
Memory depends on the batch size, never on the number of votes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, String, Text, cast, select, type_coerce
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from blindside.config import display_name
from blindside.cuts import Cut, vote_conditions
from blindside.export.pseudonyms import rater_pseudonyms
from blindside.tables import Model, Prompt, Response, Suite, Vote

__all__ = [
    "BATCH_ROWS",
    "EXPORT_FIELDS",
    "MESSAGES_FIELD",
    "WINNER_OF_CHOICE",
    "export_schema",
    "iso_time",
    "labelled_batches",
    "labelled_pairs",
    "labelled_tables",
    "model_names",
]

#: The arena ``winner`` of each vote choice, with ``model_a`` the left answer.
WINNER_OF_CHOICE = {
    "left": "model_a",
    "right": "model_b",
    "tie": "tie",
    "both_bad": "tie (bothbad)",
}

# Every field of a labelled pair with its Arrow type, in CSV and Parquet column order.
_FIELD_TYPES: tuple[tuple[str, str], ...] = (
    ("vote_id", "int64"),
    ("impression_id", "int64"),
    ("created_at", "timestamp"),
    ("rater", "string"),
    ("choice", "string"),
    ("winner", "string"),
    ("model_a", "string"),
    ("model_b", "string"),
    ("left_model", "string"),
    ("tier", "int64"),
    ("suite", "string"),
    ("category", "string"),
    ("prompt_id", "string"),
    ("system", "string"),
    ("prompt", "string"),
    ("reference", "string"),
    ("answer_a", "string"),
    ("answer_b", "string"),
    ("correct_a", "bool_"),
    ("correct_b", "bool_"),
    ("served_by_a", "string"),
    ("served_by_b", "string"),
    ("latency_ms_a", "float64"),
    ("latency_ms_b", "float64"),
    ("cost_usd_a", "float64"),
    ("cost_usd_b", "float64"),
    ("run_id", "int64"),
    ("fallback", "bool_"),
    ("identity_leak", "bool_"),
    ("flagged", "bool_"),
    ("comment", "string"),
    ("dwell_ms", "int64"),
)

#: Every field of a labelled pair, in CSV and Parquet column order.
EXPORT_FIELDS: tuple[str, ...] = tuple(name for name, _ in _FIELD_TYPES)

#: The extra column of :func:`labelled_tables` with ``messages=True``: the prompt's chat
#: messages as JSON text (what the arena format's conversations start with).
MESSAGES_FIELD = "messages"

#: Rows fetched per round trip, and rows per Parquet row group.
BATCH_ROWS = 20_000
# Ids per IN list: under every driver's bound-parameter limit.
_IDS_PER_QUERY = 5_000


def export_schema(*, messages: bool = False) -> Any:
    """The Arrow schema of a labelled pair (``created_at`` in UTC microseconds)."""
    import pyarrow as pa

    fields = [
        (name, pa.timestamp("us", tz="UTC") if kind == "timestamp" else getattr(pa, kind)())
        for name, kind in _FIELD_TYPES
    ]
    if messages:
        fields.append((MESSAGES_FIELD, pa.string()))
    return pa.schema(fields)


def _vote_query(conn: Connection, cut: Cut, choices: tuple[str, ...] | None) -> Select:
    query = (
        select(
            Vote.id,
            Vote.impression_id,
            # The stored value as the driver gives it: text on SQLite, which Arrow parses
            # far faster than a datetime per row; an aware datetime on PostgreSQL.
            type_coerce(Vote.created_at, String),
            Vote.rater_id,
            Vote.choice,
            Vote.left_model_id,
            Vote.right_model_id,
            Vote.tier,
            Vote.prompt_id,
            Vote.left_response_id,
            Vote.right_response_id,
            Vote.run_id,
            # Flags as the driver gives them (Arrow casts), not a Python bool made per value.
            type_coerce(Vote.fallback, Integer),
            type_coerce(Vote.identity_leak, Integer),
            type_coerce(Vote.flagged, Integer),
            Vote.comment,
            Vote.dwell_ms,
        )
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


class _Lookup:
    """Rows read by id, as Arrow columns, and each batch row's position in them."""

    def __init__(self, conn: Connection, key: Any, columns: Sequence[Any], ids: Iterable[int]):
        import pyarrow as pa

        unique = sorted(set(ids))
        rows: list[Any] = []
        query = select(key, *columns)
        if Suite.name in columns:
            query = query.join(Suite, Suite.id == Prompt.suite_id)
        for start in range(0, len(unique), _IDS_PER_QUERY):
            chunk = unique[start : start + _IDS_PER_QUERY]
            rows += conn.execute(query.where(key.in_(chunk))).all()
        self._position = {row[0]: i for i, row in enumerate(rows)}
        values = list(zip(*rows, strict=True)) if rows else [()] * (len(columns) + 1)
        self.columns = [pa.array(v) for v in values[1:]]

    def index(self, ids: Sequence[int]) -> Any:
        import pyarrow as pa

        position = self._position
        return pa.array([position[i] for i in ids], type=pa.int32())


def _created(values: Sequence[Any]) -> Any:
    import pyarrow as pa

    kind = pa.timestamp("us", tz="UTC")
    if values and isinstance(values[0], str):  # SQLite: UTC text without an offset
        return pa.array(values).cast(pa.timestamp("us")).cast(kind)
    return pa.array(values, type=kind)


def _mapped(mapping: dict[Any, str], keys: Sequence[Any]) -> Any:
    import pyarrow as pa

    return pa.array([mapping[k] for k in keys], type=pa.string())


def labelled_tables(
    engine: Engine,
    cut: Cut | None = None,
    *,
    choices: tuple[str, ...] | None = None,
    messages: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[Any]:
    """The votes of a cut as Arrow tables of labelled pairs, oldest first.

    Parameters
    ----------
    engine : Engine
    cut : Cut, optional
        Which votes (every vote by default), as for a leaderboard.
    choices : tuple of str, optional
        Only votes with these choices (e.g. ``("left", "right")``).
    messages : bool
        Add the prompt's chat messages as JSON text (:data:`MESSAGES_FIELD`).
    batch_rows : int
        Votes per table (and per database fetch).

    Yields
    ------
    pyarrow.Table
        :func:`export_schema` columns, ``batch_rows`` rows at most.
    """
    import pyarrow as pa

    schema = export_schema(messages=messages)
    prompt_columns = [
        Suite.name,
        Prompt.category,
        Prompt.external_id,
        Prompt.system,
        Prompt.text,
        Prompt.reference,
    ]
    if messages:
        prompt_columns.append(cast(Prompt.messages, Text))
    answer_columns = [
        Response.text,
        Response.correct,
        Response.served_by,
        Response.latency_ms,
        Response.cost_usd,
    ]
    with engine.connect() as conn:
        names = model_names(conn)
        raters = rater_pseudonyms(engine, conn)
        query = _vote_query(conn, cut or Cut(), choices)
        # yield_per on the statement, not the connection: the lookups run unbuffered.
        result = conn.execute(query.execution_options(yield_per=batch_rows))
        for rows in result.partitions():
            (
                vote_id,
                impression,
                created,
                rater,
                choice,
                left_model,
                right_model,
                tier,
                prompt_id,
                left,
                right,
                run_id,
                fallback,
                leak,
                flagged,
                comment,
                dwell,
            ) = zip(*rows, strict=True)
            prompts = _Lookup(conn, Prompt.id, prompt_columns, prompt_id)
            answers = _Lookup(conn, Response.id, answer_columns, (*left, *right))
            at_prompt = prompts.index(prompt_id)
            at_left, at_right = answers.index(left), answers.index(right)
            prompt_fields = [c.take(at_prompt) for c in prompts.columns]
            left_fields = [c.take(at_left) for c in answers.columns]
            right_fields = [c.take(at_right) for c in answers.columns]
            model_a = _mapped(names, left_model)
            arrays = [
                pa.array(vote_id, type=pa.int64()),
                pa.array(impression, type=pa.int64()),
                _created(created),
                _mapped(raters, rater),
                pa.array(choice, type=pa.string()),
                _mapped(WINNER_OF_CHOICE, choice),
                model_a,
                _mapped(names, right_model),
                model_a,  # left_model: model_a is the left answer
                pa.array(tier, type=pa.int64()),
                *prompt_fields[:6],
                left_fields[0],
                right_fields[0],
                left_fields[1],
                right_fields[1],
                left_fields[2],
                right_fields[2],
                left_fields[3],
                right_fields[3],
                left_fields[4],
                right_fields[4],
                pa.array(run_id, type=pa.int64()),
                pa.array(fallback),  # 0/1 on SQLite, booleans on PostgreSQL
                pa.array(leak),
                pa.array(flagged),
                pa.array(comment, type=pa.string()),
                pa.array(dwell, type=pa.int64()),
            ]
            if messages:
                arrays.append(prompt_fields[6])
            arrays = [
                a if a.type == f.type else a.cast(f.type)
                for a, f in zip(arrays, schema, strict=True)
            ]
            yield pa.Table.from_arrays(arrays, schema=schema)


def labelled_batches(
    engine: Engine,
    cut: Cut | None = None,
    *,
    choices: tuple[str, ...] | None = None,
    messages: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[list[tuple[Any, ...]]]:
    """:func:`labelled_tables` as lists of tuples in :data:`EXPORT_FIELDS` order.

    ``created_at`` is an aware ``datetime``; with ``messages``, the messages' JSON text
    comes last.
    """
    for table in labelled_tables(
        engine, cut, choices=choices, messages=messages, batch_rows=batch_rows
    ):
        yield list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def iso_time(value: datetime) -> str:
    """A stored time as the text exports write (UTC, milliseconds)."""
    return value.isoformat(timespec="milliseconds")


def labelled_pairs(engine: Engine, cut: Cut | None = None) -> Iterator[dict[str, Any]]:
    """The votes of a cut as labelled-pair records (dicts keyed by :data:`EXPORT_FIELDS`).

    ``created_at`` is ISO 8601 text; see :func:`labelled_tables`.
    """
    for batch in labelled_batches(engine, cut):
        for row in batch:
            record = dict(zip(EXPORT_FIELDS, row, strict=True))
            record["created_at"] = iso_time(record["created_at"])
            yield record

"""Labelled pairs: one record per vote, with both answers, their models and screen sides.

A record says which model wrote which answer, so an export is for leads and eval
engineers, never for raters' browsers (blinding). ``model_a`` is the answer shown on
the **left**, ``model_b`` the one on the right, and ``left_model`` says so in the file
itself; ``winner`` uses LMArena's values (``model_a``, ``model_b``, ``tie``,
``tie (bothbad)``), so ``blindside rank --votes`` ranks an export directly, with the
position term fitted. A rater is a pseudonym (:mod:`blindside.export.pseudonyms`).

How it streams: one query reads ``vote`` alone, in vote order, ``BATCH_ROWS`` rows per
fetch (a server-side cursor on PostgreSQL). The prompts and answers a batch needs are read
by id, only those the previous batch did not already hold, and joined in memory as Arrow
dictionary columns: each text is read once while votes keep coming back to it, and held
once per batch, not once per vote. Each batch becomes one :class:`pyarrow.Table`: a Parquet
row group as it is, or rows for the text formats. Memory depends on the batch size, never
on the number of votes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    "CODED_FIELDS",
    "EXPORT_FIELDS",
    "MESSAGES_FIELD",
    "WINNER_OF_CHOICE",
    "batch_schema",
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

#: Text fields that repeat from vote to vote (names, prompts, answers): each batch of
#: :func:`labelled_tables` holds every distinct value once (see :func:`batch_schema`).
CODED_FIELDS: frozenset[str] = frozenset(
    {
        "rater",
        "winner",
        "model_a",
        "model_b",
        "left_model",
        "suite",
        "category",
        "prompt_id",
        "system",
        "prompt",
        "reference",
        "answer_a",
        "answer_b",
        "served_by_a",
        "served_by_b",
        MESSAGES_FIELD,
    }
)

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


def batch_schema(*, messages: bool = False) -> Any:
    """The schema of :func:`labelled_tables`' tables: :func:`export_schema` with the texts
    that repeat from vote to vote (:data:`CODED_FIELDS`) dictionary-coded.

    A batch then holds each distinct prompt, answer or name once, and Parquet writes the
    dictionary as it is; a reader of the file sees plain strings (:func:`export_schema`).
    """
    import pyarrow as pa

    coded = pa.dictionary(pa.int32(), pa.string())
    fields = export_schema(messages=messages)
    return pa.schema([f.with_type(coded) if f.name in CODED_FIELDS else f for f in fields])


def _codes(ids: Any, keys: Any, what: str) -> Any:
    """Each of ``ids``' position in ``keys`` (int32), refusing an id that is not there."""
    import pyarrow.compute as pc

    codes = pc.index_in(ids, value_set=keys)
    if codes.null_count:
        missing = ids.filter(codes.is_null()).to_pylist()[:5]
        raise LookupError(f"votes name {what} that do not exist: {missing}")
    return codes


class _Names:
    """A small mapping (model id → name, rater id → pseudonym, ...) as Arrow arrays."""

    def __init__(self, mapping: dict[Any, str], what: str) -> None:
        import pyarrow as pa

        self._keys = pa.array(list(mapping))
        self._values = pa.array(list(mapping.values()), type=pa.string())
        self._what = what

    def coded(self, keys: Sequence[Any]) -> Any:
        """The names of ``keys``, dictionary-coded."""
        import pyarrow as pa

        ids = pa.array(keys, type=self._keys.type)
        return pa.DictionaryArray.from_arrays(_codes(ids, self._keys, self._what), self._values)


class _Lookup:
    """Rows read by id as Arrow columns, held from one batch to the next while still used.

    Votes in id order come back to the same prompts and answers, so each batch reads only
    the rows the previous batch did not hold, and lets go of those it does not use: at most
    one batch's distinct rows are held.
    """

    def __init__(self, key: Any, columns: Sequence[tuple[Any, Any]], what: str) -> None:
        import pyarrow as pa

        self._key, self._what = key, what
        self._query = select(key, *(column for column, _ in columns))
        if any(column is Suite.name for column, _ in columns):
            self._query = self._query.join(Suite, Suite.id == Prompt.suite_id)
        self._types = [kind for _, kind in columns]
        self._keys = pa.array([], type=pa.int64())
        self.columns = [pa.array([], type=kind) for kind in self._types]

    def hold(self, conn: Connection, ids: Any) -> Any:
        """Hold the rows of ``ids`` (int64, repeats allowed); returns each id's position."""
        import pyarrow as pa
        import pyarrow.compute as pc

        needed = pc.unique(ids)
        kept = pc.is_in(self._keys, value_set=needed)
        missing = needed.filter(pc.invert(pc.is_in(needed, value_set=self._keys)))
        if len(missing) or not pc.all(kept).as_py():
            wanted = sorted(missing.to_pylist())
            rows: list[Any] = []
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start : start + _IDS_PER_QUERY]
                rows += conn.execute(self._query.where(self._key.in_(chunk))).all()
            read = list(zip(*rows, strict=True)) if rows else [()] * (len(self._types) + 1)
            self._keys = pa.concat_arrays(
                [self._keys.filter(kept), pa.array(read[0], type=pa.int64())]
            )
            self.columns = [
                pa.concat_arrays([column.filter(kept), pa.array(values, type=kind)])
                for column, values, kind in zip(self.columns, read[1:], self._types, strict=True)
            ]
        return _codes(ids, self._keys, self._what)

    def coded(self, at: int, codes: Any) -> Any:
        """Column ``at`` for rows ``codes``, dictionary-coded (a text column)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        column = self.columns[at]
        if column.null_count:  # Parquet takes a missing text as a null code, not a null value
            codes = pc.if_else(column.is_valid().take(codes), codes, None)
            column = column.fill_null("")
        return pa.DictionaryArray.from_arrays(codes, column)

    def taken(self, at: int, codes: Any) -> Any:
        """Column ``at`` for rows ``codes``, as plain values."""
        return self.columns[at].take(codes)


def _created(values: Sequence[Any]) -> Any:
    import pyarrow as pa

    kind = pa.timestamp("us", tz="UTC")
    if values and isinstance(values[0], str):  # SQLite: UTC text without an offset
        return pa.array(values).cast(pa.timestamp("us")).cast(kind)
    return pa.array(values, type=kind)


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
        :func:`batch_schema` columns, ``batch_rows`` rows at most.
    """
    import pyarrow as pa

    schema = batch_schema(messages=messages)
    text, number, flag = pa.string(), pa.float64(), pa.bool_()
    prompt_columns = [
        (Suite.name, text),
        (Prompt.category, text),
        (Prompt.external_id, text),
        (Prompt.system, text),
        (Prompt.text, text),
        (Prompt.reference, text),
    ]
    if messages:
        prompt_columns.append((cast(Prompt.messages, Text), text))
    prompts = _Lookup(Prompt.id, prompt_columns, "prompts")
    answers = _Lookup(
        Response.id,
        [
            (Response.text, text),
            (Response.correct, flag),
            (Response.served_by, text),
            (Response.latency_ms, number),
            (Response.cost_usd, number),
        ],
        "answers",
    )
    winners = _Names(WINNER_OF_CHOICE, "choices")
    with engine.connect() as conn:
        names = _Names(model_names(conn), "models")
        raters = _Names(rater_pseudonyms(engine, conn), "raters")
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
            at_prompt = prompts.hold(conn, pa.array(prompt_id, type=pa.int64()))
            at_answers = answers.hold(conn, pa.array(left + right, type=pa.int64()))
            at_left, at_right = at_answers[: len(left)], at_answers[len(left) :]
            model_a = names.coded(left_model)
            arrays = [
                pa.array(vote_id, type=pa.int64()),
                pa.array(impression, type=pa.int64()),
                _created(created),
                raters.coded(rater),
                pa.array(choice, type=pa.string()),
                winners.coded(choice),
                model_a,
                names.coded(right_model),
                model_a,  # left_model: model_a is the left answer
                pa.array(tier, type=pa.int64()),
                *(prompts.coded(at, at_prompt) for at in range(6)),
                answers.coded(0, at_left),
                answers.coded(0, at_right),
                answers.taken(1, at_left),
                answers.taken(1, at_right),
                answers.coded(2, at_left),
                answers.coded(2, at_right),
                answers.taken(3, at_left),
                answers.taken(3, at_right),
                answers.taken(4, at_left),
                answers.taken(4, at_right),
                pa.array(run_id, type=pa.int64()),
                pa.array(fallback),  # 0/1 on SQLite, booleans on PostgreSQL
                pa.array(leak),
                pa.array(flagged),
                pa.array(comment, type=pa.string()),
                pa.array(dwell, type=pa.int64()),
            ]
            if messages:
                arrays.append(prompts.coded(6, at_prompt))
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
        for batch in table.to_batches():
            yield list(zip(*(_pylist(column) for column in batch.columns), strict=True))


def _pylist(column: Any) -> list[Any]:
    """An Arrow array as Python values; a dictionary-coded text becomes one ``str`` per
    distinct value, shared by the rows that repeat it."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        return column.to_pylist()
    values = [*column.dictionary.to_pylist(), None]
    codes = column.indices.fill_null(len(values) - 1).to_pylist()
    return [values[code] for code in codes]


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

"""Stored automated scores: each answer's ``correct`` and ``answer_key`` columns.

:mod:`blindside.scorers` decides; this module reads prompts' scorers and
writes the verdicts. The engine's writer scores each answer as it stores it
(:func:`score_columns`); :func:`rescore_answers` scores stored answers again
when a prompt's reference or scorer changed, and scores answers stored before
the columns existed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from blindside.scorers import score_answer
from blindside.tables import Prompt, Response

__all__ = ["PromptScorer", "prompt_scorers", "rescore_answers", "score_columns"]


@dataclass(frozen=True)
class PromptScorer:
    """A prompt's reference and scorer, both present."""

    reference: str
    scorer: Mapping[str, Any]


def prompt_scorers(
    session: Session, prompt_ids: Collection[int] | None = None
) -> dict[int, PromptScorer]:
    """The scorers of the given prompts (all prompts when None), by prompt id.

    Prompts without a scorer are left out. The filter runs here, not in SQL: a
    JSON column holds an absent scorer as JSON ``null``, not SQL NULL.
    """
    query = select(Prompt.id, Prompt.reference, Prompt.scorer)
    if prompt_ids is not None:
        query = query.where(col(Prompt.id).in_(list(prompt_ids)))
    return {
        prompt_id: PromptScorer(reference, scorer)
        for prompt_id, reference, scorer in session.exec(query)
        if scorer and reference is not None and prompt_id is not None
    }


def score_columns(text: str | None, scorer: PromptScorer | None) -> dict[str, Any]:
    """The ``correct`` and ``answer_key`` values of one ``response`` row.

    Both are None for a failed answer (no text) or a prompt without a scorer.
    """
    if text is None or scorer is None:
        return {"correct": None, "answer_key": None}
    score = score_answer(text, scorer.reference, scorer.scorer)
    return {"correct": score.correct, "answer_key": score.answer_key}


def rescore_answers(
    session: Session, prompt_ids: Collection[int] | None = None, *, unscored_only: bool = False
) -> int:
    """Score stored successful answers again, in the caller's transaction.

    Parameters
    ----------
    session : Session
    prompt_ids : collection of int, optional
        Only answers to these prompts; all answers when None.
    unscored_only : bool
        Only answers to scored prompts that have no score yet (answers stored
        before migration 0005). With nothing to do this is one small query.

    Returns
    -------
    int
        Answers written.
    """
    scorers = prompt_scorers(session, prompt_ids)
    query = select(Response.id, Response.prompt_id, Response.text).where(
        col(Response.error).is_(None), col(Response.text).is_not(None)
    )
    if prompt_ids is not None:
        query = query.where(col(Response.prompt_id).in_(list(prompt_ids)))
    if unscored_only:
        if not scorers:
            return 0
        query = query.where(
            col(Response.correct).is_(None), col(Response.prompt_id).in_(list(scorers))
        )
    rows = [
        {"row_id": row_id, **score_columns(text, scorers.get(prompt_id))}
        for row_id, prompt_id, text in session.exec(query)
    ]
    if rows:
        table = Response.__table__  # type: ignore[attr-defined]
        # The SET clause comes from the parameter keys (correct, answer_key): one executemany.
        session.execute(update(table).where(table.c.id == bindparam("row_id")), rows)
    return len(rows)

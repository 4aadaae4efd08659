"""Answers that say who wrote them, and the style features of every answer.

Blinding breaks when an answer names its author: "As an AI model developed by
OpenAI…", "I'm Claude", or a configured model's own name. A vote on such an
answer measures brand preference, not quality, so each answer is checked once,
as the generation engine stores it, and ``Response.identity_leak`` lets a
leaderboard cut drop the votes on it.

The same check computes the style features that style control needs (length and
markdown counts), so a leaderboard never parses answer texts.

What counts as a leak
---------------------
* the answer ties itself to a vendor or an assistant, by name or through a
  product ("As an AI model developed by OpenAI", "I'm Claude", "my developers
  at Anthropic", "I was trained by the makers of Gemini"): the rules are
  :mod:`blindside.identity_patterns`, which also says what is *not* a leak
  (answers that only discuss vendors and products);
* any configured model name or model id (e.g. ``gpt-4o-mini``) as a whole word,
  anywhere. Configured names shorter than three characters are ignored (they
  would match ordinary words).

The rules change over time: :func:`flag_identity_leaks` re-checks stored
answers, and ``blindside init`` runs it, so a database picks up new rules (and
new model names) on its next init.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from blindside.db import session_scope
from blindside.identity_patterns import LEAK_PATTERNS, MENTIONS, NAME_STEMS, SENTENCE_BREAK
from blindside.tables import Model, Response, Vote

_MIN_NAME_CHARS = 3


@lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    # Whole-word matches only: "o1" must not fire on "o100", "gpt-4o" not on "gpt-4o-mini"
    # (which has its own entry when configured). Hyphens and dots count as word characters.
    usable = sorted({n.strip() for n in names if len(n.strip()) >= _MIN_NAME_CHARS}, key=len)
    if not usable:
        return None
    alternatives = "|".join(re.escape(n) for n in reversed(usable))
    return re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)


def leaks_identity(text: str, names: Iterable[str] = ()) -> bool:
    """True when an answer reveals which model or vendor wrote it.

    Parameters
    ----------
    text : str
        The answer text.
    names : iterable of str
        Configured model names and model ids (e.g. ``"Demo careful"``,
        ``"gpt-4o-mini"``); any of them appearing as a whole word is a leak.

    Returns
    -------
    bool
    """
    if not text:
        return False
    if _self_reference(text):
        return True
    pattern = _names_pattern(tuple(names))
    return bool(pattern and pattern.search(text))


def _self_reference(text: str) -> bool:
    # Most answers name no vendor or assistant at all: substring tests rule every pattern out.
    # The rest are checked sentence by sentence, only where a name occurs: no pattern spans two
    # sentences, and short strings keep the long alternations cheap.
    lowered = text.lower()
    if not any(stem in lowered for stem in NAME_STEMS):
        return False
    return any(
        MENTIONS.search(sentence) and any(p.search(sentence) for p in LEAK_PATTERNS)
        for sentence in SENTENCE_BREAK.split(text)
    )


@dataclass(frozen=True)
class StyleFeatures:
    """Per-answer style counts used by style control."""

    chars: int
    headers: int
    list_items: int
    bold: int


_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)


def style_features(text: str | None) -> StyleFeatures:
    """Length and markdown structure of an answer (headers, list items, bold spans)."""
    text = text or ""
    return StyleFeatures(
        chars=len(text),
        headers=len(_HEADER.findall(text)),
        list_items=len(_LIST_ITEM.findall(text)),
        bold=len(_BOLD.findall(text)),
    )


#: Names of the left-minus-right covariates of :func:`style_differences`.
STYLE_NAMES = ("log length ratio", "headers", "list items", "bold")


def style_differences(left: StyleFeatures, right: StyleFeatures) -> tuple[float, ...]:
    """Left-minus-right style covariates of one pair of answers.

    Length enters as ``log((1 + left chars) / (1 + right chars))``; each markdown
    count as the normalised difference ``(l - r) / (l + r + 1)``, so that 12
    against 10 list items weighs less than 2 against 0 (as in LMArena's style
    control), and every covariate lies on a comparable scale.
    """

    def norm(a: int, b: int) -> float:
        return (a - b) / (a + b + 1)

    return (
        math.log1p(left.chars) - math.log1p(right.chars),
        norm(left.headers, right.headers),
        norm(left.list_items, right.list_items),
        norm(left.bold, right.bold),
    )


def style_difference_array(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`style_differences` for many cells at once.

    Parameters
    ----------
    left, right : numpy.ndarray, shape (k, 4)
        Feature rows (chars, headers, list items, bold) of the left and right answers.

    Returns
    -------
    numpy.ndarray, shape (k, 4)
        Columns named by :data:`STYLE_NAMES`.
    """
    lf = np.asarray(left, dtype=float).reshape(-1, 4)
    rf = np.asarray(right, dtype=float).reshape(-1, 4)
    out = np.empty_like(lf)
    out[:, 0] = np.log1p(lf[:, 0]) - np.log1p(rf[:, 0])
    out[:, 1:] = (lf[:, 1:] - rf[:, 1:]) / (lf[:, 1:] + rf[:, 1:] + 1)
    return out


def model_names(engine: Engine) -> list[str]:
    """Every configured model name and model id: what an answer must not mention."""
    with session_scope(engine) as session:
        rows = session.exec(select(Model.name, Model.model_id)).all()
    return [s for row in rows for s in row if s]


def answer_checks(text: str | None, names: Iterable[str]) -> dict[str, Any]:
    """The post-processing columns of one ``response`` row: leak flag and style counts.

    Parameters
    ----------
    text : str or None
        The answer.
    names : iterable of str
        What the answer must not mention (:func:`model_names`).

    Returns
    -------
    dict
        ``identity_leak``, ``text_chars``, ``md_headers``, ``md_list_items``, ``md_bold``.
    """
    features = style_features(text)
    return {
        "identity_leak": leaks_identity(text or "", names),
        "text_chars": features.chars,
        "md_headers": features.headers,
        "md_list_items": features.list_items,
        "md_bold": features.bold,
    }


def refresh_vote_leaks(session: Session, run_id: int | None = None) -> int:
    """Copy the answers' leak flags onto their votes (``Vote.identity_leak`` feeds the GROUP BY).

    A vote leaks when either of its answers does. Only votes whose copy is stale are written.

    Returns
    -------
    int
        Votes whose flag changed.
    """
    leaky = select(Response.id).where(col(Response.identity_leak).is_(True))
    leaks = or_(col(Vote.left_response_id).in_(leaky), col(Vote.right_response_id).in_(leaky))
    votes = update(Vote).where(col(Vote.identity_leak) != leaks)
    if run_id is not None:
        votes = votes.where(Vote.run_id == run_id)
    result = session.exec(votes.values(identity_leak=leaks))  # type: ignore[call-overload]
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class LeakRefresh:
    """What :func:`flag_identity_leaks` found and changed."""

    flagged: int
    """Answers (of the run, or of the database) flagged as leaking."""
    answers_changed: int
    """Answers whose leak flag or style counts were rewritten."""
    votes_changed: int
    """Votes whose ``identity_leak`` copy was rewritten."""


_CHECKED = ("identity_leak", "text_chars", "md_headers", "md_list_items", "md_bold")


def flag_identity_leaks(engine: Engine, run_id: int | None = None) -> LeakRefresh:
    """Check stored answers again for identity leaks, and measure their style.

    The generation engine checks every answer as it stores it
    (:func:`answer_checks`); this re-checks a run (or all runs) with today's
    rules and model names: ``blindside init`` calls it, so a database picks up
    new patterns and new models' names. Idempotent, and it writes only the
    answers and votes whose values change (votes already cast get the new flag).

    Parameters
    ----------
    engine : Engine
    run_id : int, optional
        Only this run's answers; all answers when None.

    Returns
    -------
    LeakRefresh
    """
    names = model_names(engine)
    stored = [col(getattr(Response, name)) for name in _CHECKED]
    flagged = 0
    changed: list[dict[str, Any]] = []
    with session_scope(engine) as session:
        query = select(Response.id, Response.text, *stored).where(col(Response.text).is_not(None))
        if run_id is not None:
            query = query.where(Response.run_id == run_id)
        # Plain tuples, streamed: a database holds many thousands of answers.
        for row_id, text, *old in session.execute(query.execution_options(yield_per=2000)):
            checks = answer_checks(text, names)
            flagged += checks["identity_leak"]
            if tuple(checks[name] for name in _CHECKED) != tuple(old):
                changed.append({"id": row_id, **checks})
        if changed:
            session.execute(update(Response), changed)
            session.flush()
        votes_changed = refresh_vote_leaks(session, run_id)
    return LeakRefresh(flagged, len(changed), votes_changed)

"""Consistency: answer keys that group equal answers, and the modal share of samples.

Besides pass or fail, every scored answer gets an *answer key*: what the model
answered, reduced to what its scorer compares, so repeated samples can be
compared. For free-text scorers (``contains``, ``regex``) the key is the outcome
itself, since two right summaries need not share a word.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["json_key", "modal_share", "number_key"]


def number_key(value: float) -> str:
    """The answer key of a number: equal for 1194, 1194.0 and 1,194."""
    return format(value, ".12g")


def json_key(value: Any) -> str:
    """The answer key of a JSON value: equal whatever the key order and spacing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def modal_share(key_counts: Iterable[Sequence[int]]) -> tuple[float, int] | None:
    """Consistency: the mean share of samples that give a prompt's most common answer.

    Parameters
    ----------
    key_counts : iterable of sequence of int
        One entry per (prompt, model, run) with repeated samples: how many
        samples gave each distinct answer key. Entries with fewer than two
        samples say nothing about consistency and are skipped.

    Returns
    -------
    (float, int) or None
        The mean modal share (1.0: every sample agrees; 1/k: all k differ) and
        the number of prompts it averages, or None when no prompt had two samples.
    """
    shares = []
    for counts in key_counts:
        total = sum(counts)
        if total >= 2:
            shares.append(max(counts) / total)
    if not shares:
        return None
    return sum(shares) / len(shares), len(shares)

"""Reading an answer's text: normalising it and finding its final answer."""

from __future__ import annotations

import re

__all__ = ["bare", "final_answer", "normalise"]

_WHITESPACE = re.compile(r"\s+")
# Wrapping that models add around a one-word answer: quotes, markdown emphasis, code ticks,
# and a closing full stop. Stripped from both ends before exact and label comparisons.
_WRAPPING = " \t\n\"'`*_.!:;,()[]"
_FINAL_MARKER = re.compile(r"final answer\s*(?:is)?\s*[:\-]?", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower-case, trim and collapse whitespace."""
    return _WHITESPACE.sub(" ", text).strip().lower()


def bare(text: str) -> str:
    """Normalised, without the quotes, emphasis and punctuation wrapped around it."""
    return normalise(text).strip(_WRAPPING)


def final_answer(text: str) -> str:
    """The part of an answer that states the result.

    Reasoning models often explain first and answer last: the text after the
    last "Final answer:" marker when there is one, otherwise the last
    non-empty line.

    Parameters
    ----------
    text : str
        The whole answer.

    Returns
    -------
    str
        The final answer, unnormalised ("" for an empty answer).
    """
    markers = list(_FINAL_MARKER.finditer(text))
    if markers:
        tail = text[markers[-1].end() :].strip()
        if tail:
            return tail
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""

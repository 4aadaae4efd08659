"""Identity leaks and style features of answers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from blindside.identity import (
    leaks_identity,
    style_difference_array,
    style_differences,
    style_features,
)
from blindside.identity_patterns import ASSISTANTS, NAME_STEMS, VENDORS
from tests.unit.identity_corpus import KNOWN_FALSE_ALARMS, KNOWN_MISSES, LEAKS, ORDINARY

NAMES = ["Demo careful", "demo-careful", "gpt-4o-mini", "o1"]


def _misjudged() -> tuple[list[str], list[str]]:
    """Leaks the rules miss, and ordinary sentences they flag, over the whole corpus."""
    misses = [text for text in LEAKS if not leaks_identity(text)]
    false_alarms = [text for text in ORDINARY if leaks_identity(text)]
    return misses, false_alarms


def test_precision_and_recall_on_the_labelled_corpus() -> None:
    assert len(LEAKS) >= 40 and len(ORDINARY) >= 40
    misses, false_alarms = _misjudged()
    caught = len(LEAKS) - len(misses)
    precision = caught / (caught + len(false_alarms))
    recall = caught / len(LEAKS)
    print(f"identity leaks: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95 and recall >= 0.95
    # Exactly the known mistakes: a change that fixes one moves it out of the list, and a new
    # mistake fails here with its sentence.
    assert misses == list(KNOWN_MISSES)
    assert false_alarms == list(KNOWN_FALSE_ALARMS)


@pytest.mark.parametrize(
    "text",
    [
        "Sure! (answered by Demo careful)",
        "model: gpt-4o-mini",
        "Powered by DEMO-CAREFUL.",
    ],
)
def test_a_configured_name_anywhere_leaks(text: str) -> None:
    assert not leaks_identity(text)
    assert leaks_identity(text, NAMES)


@pytest.mark.parametrize(
    "text",
    [
        "Use gpt-4o-mini-2 for this",  # a different model id
        "Be careful with the demo: it is a demonstration.",
        "The o100 series of trains.",
        "",
    ],
)
def test_configured_names_match_whole_words_only(text: str) -> None:
    assert not leaks_identity(text, NAMES)


def test_every_name_has_a_stem_for_the_quick_check() -> None:
    # The substring pre-check must not rule out a name the patterns know.
    for name in (*VENDORS, *ASSISTANTS):
        # The literal start of the name, with a leading digit class spelt out ("o[134]").
        start = re.match(r"([A-Za-z][A-Za-z0-9 ]*)(?:\[([0-9]+)\])?", name.removeprefix("(?-i:"))
        assert start is not None, name
        literals = [start[1] + digit for digit in start[2]] if start[2] else [start[1]]
        for literal in literals:
            assert any(literal.lower().startswith(stem) for stem in NAME_STEMS), name


def test_a_leak_is_found_in_a_long_answer_among_many_mentions() -> None:
    filler = "ChatGPT and Claude both offer a free tier. " * 200
    assert not leaks_identity(filler)
    assert leaks_identity(filler + "\n\nAs a Llama model, I cannot browse. " + filler)


def test_style_features_and_differences() -> None:
    text = "# Title\n\nSome **bold** and __more__.\n\n- one\n- two\n1. three\n"
    f = style_features(text)
    assert (f.chars, f.headers, f.list_items, f.bold) == (len(text), 1, 3, 2)
    g = style_features("plain")
    diff = style_differences(f, g)
    assert diff[0] == pytest.approx(np.log1p(len(text)) - np.log1p(5))
    assert diff[1:] == pytest.approx((1 / 2, 3 / 4, 2 / 3))
    as_array = style_difference_array(
        np.array([[f.chars, f.headers, f.list_items, f.bold]]),
        np.array([[g.chars, g.headers, g.list_items, g.bold]]),
    )
    assert as_array[0] == pytest.approx(diff)
    assert style_differences(g, f) == pytest.approx(tuple(-d for d in diff))

"""Identity leaks and style features of answers."""

from __future__ import annotations

import numpy as np
import pytest

from blindside.identity import (
    leaks_identity,
    style_difference_array,
    style_differences,
    style_features,
)

NAMES = ["Demo careful", "demo-careful", "gpt-4o-mini", "o1"]


@pytest.mark.parametrize(
    "text",
    [
        "As an AI model developed by OpenAI, I cannot browse.",
        "I'm Claude, an AI assistant made by Anthropic.",
        "I am ChatGPT.",
        "My name is Gemini and I can help.",
        "As Llama, I must say this is tricky.",
        "I'm an OpenAI language model.",
        "This model was trained by Google DeepMind.",
        "an AI assistant from Mistral AI",
        "Sure! (answered by Demo careful)",
        "model: gpt-4o-mini",
    ],
)
def test_self_references_leak(text: str) -> None:
    assert leaks_identity(text, NAMES)


@pytest.mark.parametrize(
    "text",
    [
        "OpenAI released a new model last year, and Anthropic followed.",
        "Be careful with the demo: it is a demonstration.",
        "Use gpt-4o-mini-2 for this",  # a different model id
        "I am an AI assistant and cannot give legal advice.",
        "Claude Monet painted water lilies.",
        "The o100 series of trains.",
        "",
    ],
)
def test_ordinary_text_does_not_leak(text: str) -> None:
    assert not leaks_identity(text, NAMES)


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

"""Tests for blindside.client.tokens, the one token estimate."""

from __future__ import annotations

from blindside.client.tokens import (
    CHARS_PER_TOKEN,
    DEFAULT_MAX_OUTPUT_TOKENS,
    estimate_tokens,
    max_output_tokens,
    text_tokens,
)


def test_estimate_tokens() -> None:
    messages = [
        {"role": "system", "content": "x" * 40},  # 10 tokens
        {"role": "user", "content": [{"type": "text", "text": "y" * 80}]},  # 20 tokens
    ]
    # 30 content tokens + 4 per message + output budget
    assert estimate_tokens(messages, 100) == 30 + 8 + 100
    assert estimate_tokens(messages, None) == 30 + 8 + DEFAULT_MAX_OUTPUT_TOKENS
    with_tools = estimate_tokens(messages, 100, tools=[{"type": "function", "name": "f" * 400}])
    assert with_tools > 30 + 8 + 100 + 100
    assert estimate_tokens([{"role": "assistant", "content": None}], 0) == 4


def test_text_tokens_round_up_and_an_empty_text_is_none() -> None:
    assert CHARS_PER_TOKEN == 4
    assert text_tokens("") == 0
    assert text_tokens("y") == 1
    assert text_tokens("y" * 41) == 11


def test_max_output_tokens_prefers_the_reasoning_name() -> None:
    assert max_output_tokens({}) is None
    assert max_output_tokens({"max_tokens": 64}) == 64
    assert max_output_tokens({"max_tokens": 64, "max_completion_tokens": 900}) == 900
    assert max_output_tokens({"max_tokens": "many"}) is None

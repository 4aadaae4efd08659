"""Token counts and cost from a provider's usage, under each endpoint convention."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from blindside.client.usage import account_usage
from blindside.config import EndpointConfig, ModelConfig, Pricing

ENDPOINT = EndpointConfig(name="e", kind="openai", base_url="http://x/v1", api_key_env=None)
MODEL = ModelConfig(
    name="m", endpoint=ENDPOINT, model_id="m", pricing=Pricing.of(3.0, 15.0, cached_input=0.3)
)
MESSAGES = [{"role": "user", "content": "x" * 400}]


def usage(
    prompt: int, cached: int, completion: int, reasoning: int | None = None
) -> dict[str, Any]:
    """A usage object as a stream's last chunk carries it."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def test_cached_tokens_inside_prompt_tokens() -> None:
    answer = account_usage(
        usage(1000, 800, 500, reasoning=120), MODEL, messages=MESSAGES, text="ok"
    )
    assert (answer.input_tokens, answer.cached_tokens, answer.output_tokens) == (1000, 800, 500)
    assert answer.reasoning_tokens == 120
    # (200 x 3 + 800 x 0.3 + 500 x 15) / 1e6
    assert answer.cost_usd == pytest.approx(0.00834)
    assert not answer.estimated


def test_cached_tokens_beside_prompt_tokens() -> None:
    beside = replace(MODEL, endpoint=replace(ENDPOINT, cached_tokens_in_prompt=False))
    # This provider reports 200 uncached prompt tokens and 800 cached ones separately.
    answer = account_usage(usage(200, 800, 500), beside, messages=MESSAGES, text="ok")
    assert answer.input_tokens == 1000
    assert answer.cost_usd == pytest.approx(0.00834)


def test_batch_discount_is_not_taken_off_a_measured_cost() -> None:
    # blindside sends ordinary requests: the batch discount only projects a batch cost.
    batch = replace(MODEL, pricing=replace(MODEL.pricing, batch_discount=0.5))
    answer = account_usage(usage(1000, 800, 500), batch, messages=MESSAGES, text="ok")
    assert answer.cost_usd == pytest.approx(0.00834)


WRITES = replace(MODEL, pricing=Pricing.of(3.0, 15.0, cached_input=0.3, cache_write=3.75))


@pytest.mark.parametrize(
    "reported",
    [
        # OpenRouter: prompt_tokens_details.cache_write_tokens
        {
            "prompt_tokens": 1000,
            "completion_tokens": 500,
            "prompt_tokens_details": {"cached_tokens": 300, "cache_write_tokens": 600},
        },
        # Anthropic's name, as LiteLLM passes it on
        {
            "prompt_tokens": 1000,
            "completion_tokens": 500,
            "prompt_tokens_details": {"cached_tokens": 300},
            "cache_creation_input_tokens": 600,
        },
    ],
)
def test_cache_writes_read_and_priced(reported: dict[str, Any]) -> None:
    answer = account_usage(reported, WRITES, messages=MESSAGES, text="ok")
    counts = (answer.input_tokens, answer.cached_tokens, answer.cache_write_tokens)
    assert counts == (1000, 300, 600)
    # (100 x 3 + 300 x 0.3 + 600 x 3.75 + 500 x 15) / 1e6
    assert answer.cost_usd == pytest.approx(0.01014)


def test_cache_writes_beside_prompt_tokens() -> None:
    beside = replace(WRITES, endpoint=replace(ENDPOINT, cached_tokens_in_prompt=False))
    reported = {
        "prompt_tokens": 100,
        "completion_tokens": 500,
        "prompt_tokens_details": {"cached_tokens": 300, "cache_write_tokens": 600},
    }
    answer = account_usage(reported, beside, messages=MESSAGES, text="ok")
    assert answer.input_tokens == 1000
    assert answer.cost_usd == pytest.approx(0.01014)


def test_missing_usage_is_estimated_and_marked() -> None:
    answer = account_usage(None, MODEL, messages=MESSAGES, text="y" * 41)
    assert answer.estimated
    assert answer.output_tokens == 11  # ceil(41 / 4)
    assert answer.input_tokens >= 100  # 400 characters of prompt
    assert answer.cost_usd == pytest.approx(
        (answer.input_tokens * 3 + answer.output_tokens * 15) / 1e6
    )

"""Tests for blindside.client.usage.cost_usd (hand-computed examples)."""

from __future__ import annotations

import pytest

from blindside.client.usage import batch_cost_usd, cost_usd, uncached_cost_usd
from blindside.config import Pricing

# $3 / $0.30 / $15 per million input / cached input / output tokens
CAREFUL = Pricing(input_per_mtok=3.0, cached_input_per_mtok=0.3, output_per_mtok=15.0)


def test_no_cache() -> None:
    # 1000 * 3 + 500 * 15 = 3000 + 7500 = 10500 micro-USD = $0.0105
    got = cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=0, completion_tokens=500)
    assert got == pytest.approx(0.0105)


def test_cached_tokens_are_part_of_prompt_and_priced_at_cached_rate() -> None:
    # 1000 prompt tokens of which 800 cached:
    # 200 * 3 + 800 * 0.3 + 500 * 15 = 600 + 240 + 7500 = 8340 micro-USD
    got = cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=800, completion_tokens=500)
    assert got == pytest.approx(0.00834)
    # and caching makes it cheaper than the uncached request
    assert got < cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=0, completion_tokens=500)


def test_cached_tokens_clamped_to_prompt_tokens() -> None:
    # 5000 cached reported for 1000 prompt tokens: treated as 1000 cached
    # 0 * 3 + 1000 * 0.3 + 0 * 15 = 300 micro-USD
    got = cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=5000, completion_tokens=0)
    assert got == pytest.approx(0.0003)


def test_batch_discount_scales_total() -> None:
    # 10500 micro-USD (see test_no_cache) * (1 - 0.5) = 5250 micro-USD
    measured = cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=0, completion_tokens=500)
    assert batch_cost_usd(measured, 0.5) == pytest.approx(0.00525)
    assert batch_cost_usd(measured, 0.0) == measured


ANTHROPIC_STYLE = Pricing.of(input=3.0, output=15.0, cached_input=0.3, cache_write=3.75)


def test_cache_writes_priced_at_cache_write() -> None:
    # 1000 prompt tokens: 600 written, 300 read, 100 plain; 500 output
    # 100 * 3 + 300 * 0.3 + 600 * 3.75 + 500 * 15 = 300 + 90 + 2250 + 7500 = 10140 micro-USD
    got = cost_usd(
        ANTHROPIC_STYLE,
        prompt_tokens=1000,
        cached_tokens=300,
        completion_tokens=500,
        cache_write_tokens=600,
    )
    assert got == pytest.approx(0.01014)
    # A write costs more than plain input here: the first request pays for the cache.
    plain = cost_usd(ANTHROPIC_STYLE, prompt_tokens=1000, cached_tokens=300, completion_tokens=500)
    assert got > plain


def test_cache_write_defaults_to_input_price() -> None:
    assert CAREFUL.cache_write_per_mtok == 3.0
    assert Pricing.of(input=2.0, output=8.0).cache_write_per_mtok == 2.0
    written = cost_usd(
        CAREFUL, prompt_tokens=1000, cached_tokens=0, completion_tokens=0, cache_write_tokens=1000
    )
    assert written == cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=0, completion_tokens=0)


def test_cache_writes_clamped_to_uncached_prompt_tokens() -> None:
    # 900 read + 600 written reported for 1000 prompt tokens: only 100 can be writes.
    # 900 * 0.3 + 100 * 3.75 = 270 + 375 = 645 micro-USD
    got = cost_usd(
        ANTHROPIC_STYLE,
        prompt_tokens=1000,
        cached_tokens=900,
        completion_tokens=0,
        cache_write_tokens=600,
    )
    assert got == pytest.approx(0.000645)


def test_uncached_cost_prices_every_input_token_at_input() -> None:
    # 1000 * 3 + 500 * 15 = 10500 micro-USD, whatever was cached or written
    assert uncached_cost_usd(
        ANTHROPIC_STYLE, prompt_tokens=1000, completion_tokens=500
    ) == pytest.approx(0.0105)
    # Savings of a read: (input - cached_input) per token.
    cached = cost_usd(CAREFUL, prompt_tokens=1000, cached_tokens=800, completion_tokens=500)
    saved = uncached_cost_usd(CAREFUL, prompt_tokens=1000, completion_tokens=500) - cached
    assert saved == pytest.approx(800 * (3.0 - 0.3) / 1e6)


def test_pricing_record_round_trips() -> None:
    assert Pricing.from_record(ANTHROPIC_STYLE.record()) == ANTHROPIC_STYLE
    # A model stored before cache_write and batch_discount existed.
    old = Pricing.from_record({"input": 3.0, "cached_input": 0.3, "output": 15.0})
    assert (old.cache_write_per_mtok, old.batch_discount) == (3.0, 0.0)


def test_million_tokens_cost_the_listed_price() -> None:
    p = Pricing.of(input=0.15, output=0.6)  # cached_input defaults to input
    assert p.cached_input_per_mtok == 0.15
    assert cost_usd(p, prompt_tokens=1_000_000, cached_tokens=0, completion_tokens=0) == (
        pytest.approx(0.15)
    )
    assert cost_usd(p, prompt_tokens=0, cached_tokens=0, completion_tokens=1_000_000) == (
        pytest.approx(0.6)
    )
    # cached at the same price as uncached when no cached price is given
    assert cost_usd(
        p, prompt_tokens=1_000_000, cached_tokens=1_000_000, completion_tokens=0
    ) == pytest.approx(0.15)


def test_zero_tokens_cost_nothing() -> None:
    assert cost_usd(CAREFUL, prompt_tokens=0, cached_tokens=0, completion_tokens=0) == 0.0


@pytest.mark.parametrize(
    "counts",
    [
        {"prompt_tokens": -1, "cached_tokens": 0, "completion_tokens": 0},
        {"prompt_tokens": 10, "cached_tokens": -1, "completion_tokens": 0},
        {"prompt_tokens": 10, "cached_tokens": 0, "completion_tokens": -5},
    ],
)
def test_negative_counts_rejected(counts: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        cost_usd(CAREFUL, **counts)


@pytest.mark.parametrize("discount", [-0.1, 1.0, 1.5, float("nan")])
def test_batch_discount_out_of_range_rejected(discount: float) -> None:
    with pytest.raises(ValueError, match="batch_discount"):
        batch_cost_usd(0.01, discount)


@pytest.mark.parametrize("bad", [1.5, "10", True, None])
def test_non_integer_counts_rejected(bad: object) -> None:
    with pytest.raises(TypeError, match="prompt_tokens"):
        cost_usd(CAREFUL, prompt_tokens=bad, cached_tokens=0, completion_tokens=0)  # type: ignore[arg-type]

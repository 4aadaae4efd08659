"""Where an answer's usage came from, a router's cost, and the request id (client.provenance)."""

from __future__ import annotations

import pytest

from blindside.client.provenance import USAGE_SOURCES, provenance, request_id

USAGE = {"prompt_tokens": 9, "completion_tokens": 19}


def test_a_provider_s_own_usage() -> None:
    found = provenance(USAGE, {"x-request-id": "req_1", "content-type": "application/json"})
    assert (found.usage_source, found.router_cost_usd, found.request_id) == (
        "provider",
        None,
        "req_1",
    )


def test_no_usage_is_estimated_even_through_a_router() -> None:
    assert provenance(None, {"x-litellm-call-id": "c"}).usage_source == "estimated"
    assert provenance(None, None).usage_source == "estimated"


def test_usage_through_litellm_is_the_router_s_with_its_cost() -> None:
    headers = {
        "X-LiteLLM-Call-Id": "call-9",
        "x-litellm-response-cost": "0.000176",
        "llm_provider-x-request-id": "req_up",
    }
    found = provenance(USAGE, headers)
    assert found.usage_source == "router"
    assert found.router_cost_usd == pytest.approx(0.000176)
    assert found.request_id == "req_up"  # the upstream's id beats the proxy's call id
    assert request_id({"x-litellm-call-id": "call-9"}) == "call-9"


def test_openrouter_s_usage_cost_is_kept_as_the_router_s_cost() -> None:
    found = provenance({**USAGE, "cost": 0.0021}, {"x-request-id": "gen-1"})
    assert (found.usage_source, found.router_cost_usd) == ("provider", 0.0021)


@pytest.mark.parametrize("bad", ["", "free", "nan", "-1", "inf"])
def test_an_unusable_cost_header_is_ignored(bad: str) -> None:
    assert provenance(USAGE, {"x-litellm-response-cost": bad}).router_cost_usd is None


def test_sources_are_the_column_s_values() -> None:
    assert USAGE_SOURCES == ("provider", "router", "estimated")
    assert request_id({"x-request-id": "x" * 500}) == "x" * 200

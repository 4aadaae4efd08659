"""Tests for blindside.config.faults: the one fault dataclass of config, CLI and demo."""

from __future__ import annotations

import pytest

from blindside.config import FAULT_KINDS, FaultConfig, parse_fault_kinds
from blindside.demo.faults import draw_fault


def test_parse_fault_kinds() -> None:
    assert parse_fault_kinds("429, 503,,timeout,429") == ("429", "503", "timeout")
    assert parse_fault_kinds("") == ()
    assert parse_fault_kinds("all") == FAULT_KINDS
    assert parse_fault_kinds("TRUNCATE") == ("truncate",)
    with pytest.raises(ValueError, match="'404'"):
        parse_fault_kinds("429,404")


def test_fault_config_is_validated() -> None:
    assert FaultConfig() == FaultConfig(rate=0.0, kinds=(), latency_ms=None, retry_after_s=1.0)
    assert FaultConfig(rate=0.1, kinds=["503", "429"]).kinds == ("503", "429")  # type: ignore[arg-type]
    assert FaultConfig(rate=0.1, kinds="all").kinds == FAULT_KINDS  # type: ignore[arg-type]
    for bad in (
        {"rate": 1.5, "kinds": ("503",)},
        {"rate": -0.1},
        {"rate": 0.1},  # a rate with no kinds
        {"rate": 0.1, "kinds": ("502",)},
        {"rate": "high", "kinds": ("503",)},
        {"latency_ms": -1.0},
        {"retry_after_s": -1.0},
    ):
        with pytest.raises(ValueError):
            FaultConfig(**bad)


def test_capacity_is_validated() -> None:
    assert FaultConfig(capacity=4).capacity == 4
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="capacity"):
            FaultConfig(capacity=bad)  # type: ignore[arg-type]


def test_draw_fault_is_a_pure_function_of_digest_and_attempt() -> None:
    faults = FaultConfig(rate=0.5, kinds=("429", "503"))
    draws = [draw_fault(faults, f"d{i}", 1) for i in range(400)]
    assert draws == [draw_fault(faults, f"d{i}", 1) for i in range(400)]  # replayed
    assert set(draws) == {None, "429", "503"}
    assert 120 < draws.count(None) < 280  # about half
    assert draw_fault(FaultConfig(), "d0", 1) is None
    always = FaultConfig(rate=1.0, kinds=("timeout",))
    assert {draw_fault(always, "d0", attempt) for attempt in range(1, 20)} == {"timeout"}

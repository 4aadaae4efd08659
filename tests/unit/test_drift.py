"""Drift detection: the tests, Holm's correction, the verdicts, thresholds in models.toml."""

from __future__ import annotations

import random

import pytest

from blindside.config import parse_models_toml
from blindside.config.drift import DRIFT_THRESHOLDS, DriftThresholds
from blindside.drift.metrics import METRICS_BY_NAME, Comparison, assess, compare_samples
from blindside.drift.report import slack_payload, to_markdown
from blindside.drift.samples import TierSample
from blindside.drift.significance import (
    compare_means_ratio,
    compare_p95,
    compare_shares,
    holm,
)
from blindside.drift.webhook import WebhookError, host_of, resolve_url
from blindside.errors import InputError


def test_holm_matches_the_step_down_by_hand() -> None:
    # sorted: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06), 0.5 (x1 = 0.5)
    assert holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert holm([]) == []
    assert holm([0.9, 0.9]) == [1.0, 1.0]


def test_two_proportion_test_is_calibrated_under_no_change() -> None:
    rng = random.Random(7)
    rejections = 0
    trials = 2000
    for _ in range(trials):
        k0 = sum(rng.random() < 0.8 for _ in range(100))
        k1 = sum(rng.random() < 0.8 for _ in range(100))
        p = compare_shares(k0, 100, k1, 100).p_value
        assert p is not None
        rejections += p < 0.05
    # The nominal 5% within binomial noise (sd ~ 0.5 points at 2,000 trials).
    assert 0.03 < rejections / trials < 0.07


def test_two_proportion_test_sees_a_real_drop() -> None:
    change = compare_shares(55, 60, 36, 60)
    assert change.effect == pytest.approx(36 / 60 - 55 / 60)
    assert change.p_value is not None and change.p_value < 1e-3
    # Both sides all right: no variance, no evidence.
    assert compare_shares(20, 20, 20, 20).p_value == 1.0
    # Too few samples: not tested.
    assert not compare_shares(1, 1, 0, 1, min_samples=20).tested


def test_p95_ratio_and_mean_ratio() -> None:
    rng = random.Random(3)
    base = [rng.lognormvariate(5, 0.3) for _ in range(200)]
    slow = [2 * x for x in base[::-1]]
    change = compare_p95(base, slow)
    assert change.effect == pytest.approx(2.0)
    assert change.p_value is not None and change.p_value < 1e-6
    same = compare_p95(base, [rng.lognormvariate(5, 0.3) for _ in range(200)])
    assert same.effect is not None and 0.8 < same.effect < 1.25
    cost = compare_means_ratio([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    assert cost.effect == 1.0 and cost.p_value == 1.0


def test_directions_of_worse() -> None:
    accuracy = METRICS_BY_NAME["accuracy"]
    latency = METRICS_BY_NAME["latency_p95"]
    errors = METRICS_BY_NAME["error_rate"]
    assert accuracy.beyond(compare_shares(90, 100, 60, 100), 0.05) == (True, False)
    assert accuracy.beyond(compare_shares(60, 100, 90, 100), 0.05) == (False, True)
    assert errors.beyond(compare_shares(0, 100, 20, 100), 0.05) == (True, False)
    doubled = compare_p95([100.0] * 10 + [110.0] * 10, [200.0] * 10 + [220.0] * 10)
    assert latency.beyond(doubled, 1.5) == (True, False)
    halved = compare_p95([200.0] * 10 + [220.0] * 10, [100.0] * 10 + [110.0] * 10)
    assert latency.beyond(halved, 1.5) == (False, True)


def _sample(correct: int, scored: int, latency: float, rng: random.Random) -> TierSample:
    return TierSample(
        tasks=scored,
        scored=scored,
        correct=correct,
        latencies_ms=[latency * rng.uniform(0.9, 1.1) for _ in range(scored)],
        ttfts_ms=[latency / 4 * rng.uniform(0.9, 1.1) for _ in range(scored)],
        costs_usd=[0.001] * scored,
    )


def test_verdicts_need_both_significance_and_size() -> None:
    rng = random.Random(11)
    limits = DriftThresholds()
    base = _sample(90, 100, 500, rng)
    dropped = _sample(60, 100, 500, rng)
    small_drop = _sample(88, 100, 500, rng)  # 2 points: below the 5-point threshold
    findings = assess(
        compare_samples("a", 1, base, dropped, limits, 1)
        + compare_samples("b", 1, base, small_drop, limits, 1)
    )
    verdicts = {(f.comparison.model, f.comparison.metric.name): f.verdict for f in findings}
    assert verdicts[("a", "accuracy")] == "drift"
    assert verdicts[("b", "accuracy")] == "stable"
    assert verdicts[("a", "consistency")] == "untested"  # one sample per prompt
    # Holm: every adjusted p at least its raw one.
    for f in findings:
        if f.p_adjusted is not None:
            assert f.p_adjusted >= f.comparison.change.p_value  # type: ignore[operator]


def test_no_false_alarms_on_unchanged_models_across_seeds() -> None:
    limits = DriftThresholds()
    alarms = 0
    for seed in range(200):
        rng = random.Random(seed)
        comparisons: list[Comparison] = []
        for model in ("a", "b", "c"):
            for tier in (1, 2, 3):
                k0 = sum(rng.random() < 0.8 for _ in range(60))
                k1 = sum(rng.random() < 0.8 for _ in range(60))
                comparisons += compare_samples(
                    model,
                    tier,
                    _sample(k0, 60, 400, rng),
                    _sample(k1, 60, 400, rng),
                    limits,
                    1,
                )
        alarms += any(f.verdict == "drift" for f in assess(comparisons))
    # The family-wise rate is at most alpha (1%): 2 of 200 would already be unlucky.
    assert alarms <= 4


def test_drift_thresholds_from_models_toml() -> None:
    text = (
        '[[endpoints]]\nname = "demo"\nkind = "demo"\n\n'
        '[[models]]\nname = "A"\nendpoint = "demo"\nmodel_id = "careful"\n'
        "pricing = { input = 1, output = 2 }\n"
        "drift = { latency_p95_ratio = 3.0 }\n"
        'published = { benchmark = "MMLU-Pro", score = 0.72, ttft_ms = 300 }\n'
        "demo = { accuracy = 0.6, latency_scale = 2.0 }\n\n"
        '[[models]]\nname = "B"\nendpoint = "demo"\nmodel_id = "fast-cheap"\n'
        "pricing = { input = 1, output = 2 }\n\n"
        "[drift]\nalpha = 0.05\naccuracy_drop = 0.1\n"
    )
    config = parse_models_toml(text, file="models.toml")
    assert config.drift.alpha == 0.05 and config.drift.accuracy_drop == 0.1
    assert config.drift_thresholds("A").latency_p95_ratio == 3.0
    assert config.drift_thresholds("A").accuracy_drop == 0.1
    assert config.drift_thresholds("B").latency_p95_ratio == 1.5
    a = config.model("A")
    assert a.demo is not None and a.demo.accuracy == 0.6 and a.demo.latency_scale == 2.0
    assert a.published is not None and a.published.benchmark == "MMLU-Pro"


@pytest.mark.parametrize(
    ("snippet", "line", "field"),
    [
        ("[drift]\nalpha = 2\n", 11, "drift.alpha"),
        ("[drift]\nlatency_ratio = 2\n", 11, "drift.latency_ratio"),
        ("[drift]\nmin_samples = 1.5\n", 11, "drift.min_samples"),
        ('[drift]\njudge = "Nobody"\n', 11, "drift.judge"),
        ("[drift]\njudge = 3\n", 11, "drift.judge"),
    ],
)
def test_bad_drift_table_names_file_line_and_field(snippet: str, line: int, field: str) -> None:
    text = (
        '[[endpoints]]\nname = "demo"\nkind = "demo"\n\n'
        '[[models]]\nname = "A"\nendpoint = "demo"\nmodel_id = "careful"\n'
        "pricing = { input = 1, output = 2 }\n" + snippet
    )
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="models.toml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.field) == ("models.toml", line, field)


def test_drift_judge_names_a_configured_model() -> None:
    text = (
        '[[endpoints]]\nname = "demo"\nkind = "demo"\n\n'
        '[[models]]\nname = "A"\nendpoint = "demo"\nmodel_id = "careful"\n'
        "pricing = { input = 1, output = 2 }\n"
        '[drift]\njudge = "A"\naccuracy_drop = 0.1\n'
    )
    config = parse_models_toml(text, file="models.toml")
    assert config.drift_judge == "A" and config.drift.accuracy_drop == 0.1
    assert parse_models_toml(text.replace('judge = "A"\n', ""), file="m.toml").drift_judge is None


def _judged(share: float, pairs: int, rng: random.Random) -> TierSample:
    """A model's per-pair judge scores: each order a win with probability ``share``."""
    sample = TierSample()
    sample.judge_preference = [
        sum(rng.random() < share for _ in range(2)) / 2 for _ in range(pairs)
    ]
    return sample


def test_judge_preference_is_compared_only_with_a_judge() -> None:
    rng = random.Random(3)
    limits = DriftThresholds()
    base, fallen = _judged(0.6, 180, rng), _judged(0.35, 180, rng)
    unjudged = compare_samples("a", 1, base, fallen, limits, 1)
    assert "judge_preference" not in {c.metric.name for c in unjudged}
    judged = assess(compare_samples("a", 1, base, fallen, limits, 1, judged=True))
    (finding,) = [f for f in judged if f.comparison.metric.name == "judge_preference"]
    assert finding.verdict == "drift"
    assert finding.comparison.change.effect == pytest.approx(-0.25, abs=0.06)
    # A 5-point fall is below the 10-point threshold however many pairs rest on it.
    small = assess(
        compare_samples(
            "a", 1, _judged(0.6, 5000, rng), _judged(0.55, 5000, rng), limits, 1, judged=True
        )
    )
    assert {f.verdict for f in small if f.comparison.metric.name == "judge_preference"} == {
        "stable"
    }


def test_judge_preference_raises_no_false_alarms_across_seeds() -> None:
    limits = DriftThresholds()
    alarms = 0
    for seed in range(200):
        rng = random.Random(seed)
        comparisons: list[Comparison] = []
        for model, share in (("a", 0.7), ("b", 0.5), ("c", 0.3)):
            comparisons += compare_samples(
                model, 1, _judged(share, 60, rng), _judged(share, 60, rng), limits, 1, judged=True
            )
        alarms += any(f.verdict == "drift" for f in assess(comparisons))
    assert alarms <= 4


def test_demo_override_only_on_demo_endpoints() -> None:
    text = (
        '[[endpoints]]\nname = "real"\nbase_url = "https://api.example.com/v1"\n\n'
        '[[models]]\nname = "A"\nendpoint = "real"\nmodel_id = "x"\n'
        "pricing = { input = 1, output = 2 }\n"
        "demo = { accuracy = 0.5 }\n"
    )
    with pytest.raises(InputError) as info:
        parse_models_toml(text, file="models.toml")
    (problem,) = info.value.problems
    assert problem.field == "demo" and problem.line == 10


def test_every_threshold_is_a_field_and_is_documented() -> None:
    from pathlib import Path

    assert set(DRIFT_THRESHOLDS) == set(DriftThresholds.__dataclass_fields__)
    docs = (Path(__file__).parents[2] / "docs" / "drift.md").read_text()
    for key in DRIFT_THRESHOLDS:
        assert f"`{key}`" in docs, key


def test_report_markdown_and_slack_payload_name_the_alert() -> None:
    rng = random.Random(5)
    findings = assess(
        compare_samples(
            "Demo careful",
            1,
            _sample(90, 100, 500, rng),
            _sample(55, 100, 500, rng),
            DriftThresholds(),
            3,
        )
    )
    from blindside.drift.report import _finding_row

    report = {
        "suite": "s",
        "run_id": 4,
        "drifted": True,
        "alerts": 1,
        "alpha": 0.01,
        "baselines": {"Demo careful": 3},
        "display_names": {"Demo careful": "Demo careful (simulated)"},
        "findings": [_finding_row(f) for f in findings],
        "published": [],
    }
    markdown = to_markdown(report)
    assert "**Drift: 1 alert(s).**" in markdown
    assert "Demo careful (simulated), tier 1: Accuracy 90.0% → 55.0%" in markdown
    payload = slack_payload(report)
    assert payload["blindside"]["drifted"] is True
    assert "Accuracy" in payload["text"]


def test_webhook_address_from_the_environment_and_shown_by_host_only() -> None:
    env = {"HOOK": "https://hooks.example.com/services/T000/B000/SECRET"}
    url = resolve_url("env:HOOK", env)
    assert url == env["HOOK"] and resolve_url("$HOOK", env) == url
    assert host_of(url) == "https://hooks.example.com"
    with pytest.raises(WebhookError, match=r"\$MISSING"):
        resolve_url("env:MISSING", env)
    with pytest.raises(WebhookError):
        resolve_url("ftp://x", env)

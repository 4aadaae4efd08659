"""A suite sharing a 20k-token document: cost per task with caching against without it.

The shipped suite ``examples/shared_context`` (six questions on ``handbook.md``, shared as
a system message) is generated through the real engine against the demo provider over
HTTP, on SQLite and PostgreSQL. The demo caches the document after its first request;
the leaderboard's cost per task with caching and without it must stand in the ratio the
stored token counts and the configured prices give (within 1%), and the difference must
be what the cached price saves on the cached tokens, less what the cache writes cost.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from blindside.cli import main
from blindside.config import load_settings
from blindside.demo.server import LoopbackServer
from blindside.engine.run import generate
from blindside.leaderboard.stats import measured_models
from blindside.project import init_project
from blindside.suites import load_suite_dir
from blindside.tables import Model, Response
from tests.conftest import ROOT

SUITES = ROOT / "examples" / "shared_context"
# Anthropic-style prices: a cache read at a tenth of input, a cache write at 1.25 times.
PRICES = {"input": 3.0, "cached_input": 0.3, "cache_write": 3.75, "output": 15.0}
BATCH_DISCOUNT = 0.5

MODELS_TOML = f"""
[[endpoints]]
name = "demo"
kind = "demo"
max_concurrency = 1
batch_discount = {BATCH_DISCOUNT}

[[models]]
name = "Careful"
endpoint = "demo"
model_id = "careful"

[models.pricing]
{chr(10).join(f"{key} = {value}" for key, value in PRICES.items())}

# A run compares two models; verbose has no prompt cache, so nothing is saved.
[[models]]
name = "Verbose"
endpoint = "demo"
model_id = "verbose"
pricing = {{ input = 1, output = 4 }}
"""


def test_shipped_suite_shares_a_20k_token_document() -> None:
    (suite,) = load_suite_dir(SUITES)
    assert suite.shared is not None and suite.shared.placement == "system"
    assert len(suite.shared.text) // 4 >= 20_000
    first = [p.chat_messages()[0] for p in suite.prompts]
    # Placed first and byte-identical in every request.
    assert all(m == {"role": "system", "content": suite.shared.text} for m in first)


def test_cost_with_caching_below_cost_without_by_the_cached_price_ratio(
    db_url: str, demo_server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models_path = tmp_path / "models.toml"
    models_path.write_text(MODELS_TOML)
    settings = load_settings(
        database_url=db_url,
        models_path=models_path,
        suites_dir=SUITES,
        environ={"BLINDSIDE_DEMO_URL": demo_server.base_url},
    )
    engine, report = init_project(settings)
    result = generate(engine, report.config, settings, suite_name="handbook_qa")
    assert result.failed == 0

    with Session(engine) as session:
        careful = session.exec(select(Model).where(Model.name == "Careful")).one()
        rows = session.exec(
            select(Response).where(Response.model_id == careful.id).order_by(Response.id)  # type: ignore[arg-type]
        ).all()
    assert len(rows) == 6 and all(r.error is None for r in rows)
    document_tokens = len((SUITES / "handbook.md").read_text()) // 4
    # The demo caches the document: at most the first request writes it (a server that
    # served this suite before reads it at once), every other request reads it.
    reads = [r for r in rows if (r.cached_tokens or 0) >= document_tokens - 64]
    writes = [r for r in rows if (r.cache_write_tokens or 0) >= document_tokens - 64]
    assert len(reads) >= len(rows) - 1 and len(writes) <= 1
    assert len(reads) + len(writes) == len(rows)

    # Recomputed here from the stored token counts and the configured prices.
    def billed(r: Response) -> float:
        cached, written = r.cached_tokens or 0, r.cache_write_tokens or 0
        plain = r.input_tokens - cached - written  # type: ignore[operator]
        return (
            plain * PRICES["input"]
            + cached * PRICES["cached_input"]
            + written * PRICES["cache_write"]
            + r.output_tokens * PRICES["output"]  # type: ignore[operator]
        ) / 1e6

    def unbilled_cache(r: Response) -> float:
        return (r.input_tokens * PRICES["input"] + r.output_tokens * PRICES["output"]) / 1e6  # type: ignore[operator]

    n = len(rows)
    expected_with = sum(billed(r) for r in rows) / n
    expected_without = sum(unbilled_cache(r) for r in rows) / n
    assert sum(r.cost_usd for r in rows) / n == pytest.approx(expected_with, rel=1e-9)  # type: ignore[misc]

    measured = {m.display_name: m.stats for m in measured_models(engine)}
    stats = measured["Careful (simulated)"]
    # Without a prompt cache the two figures are the same.
    assert measured["Verbose (simulated)"].cost_per_task_no_cache_usd == pytest.approx(
        measured["Verbose (simulated)"].cost_per_task_usd
    )
    with_cache, without = stats.cost_per_task_usd, stats.cost_per_task_no_cache_usd
    assert with_cache is not None and without is not None
    assert with_cache < without
    assert with_cache / without == pytest.approx(expected_with / expected_without, rel=0.01)
    # The difference is the cached price's saving on the cached tokens, less the writes' premium.
    cached = sum(r.cached_tokens or 0 for r in rows)
    written = sum(r.cache_write_tokens or 0 for r in rows)
    saving = (
        cached * (PRICES["input"] - PRICES["cached_input"])
        - written * (PRICES["cache_write"] - PRICES["input"])
    ) / 1e6
    assert without - with_cache == pytest.approx(saving / n, rel=0.01)
    # The cached tokens themselves cost the configured ratio of their uncached price.
    ratio = PRICES["cached_input"] / PRICES["input"]
    assert stats.cached_share is not None and stats.cached_share > 0.8
    assert stats.cost_per_task_batch_usd == pytest.approx(with_cache * (1 - BATCH_DISCOUNT))
    print(f"cost/task with cache {with_cache:.6f}, without {without:.6f}, cached ratio {ratio}")

    # The same figures in `blindside scores --format json`.
    capsys.readouterr()
    argv = ["scores", "--format", "json", "--db", db_url, "--config", str(models_path)]
    assert main([*argv, "--suites", str(SUITES)]) == 0
    records = {r["model"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    record = records["Careful (simulated)"]
    assert record["cost_per_task_usd"] == pytest.approx(with_cache, rel=1e-6)
    assert record["cost_per_task_no_cache_usd"] == pytest.approx(without, rel=1e-6)
    assert record["cost_per_task_batch_usd"] == pytest.approx(
        with_cache * (1 - BATCH_DISCOUNT), rel=1e-6
    )
    engine.dispose()

"""A project whose rebenches can drift on purpose: a suite of sums, two demo models."""

from __future__ import annotations

import json
from pathlib import Path

PROMPTS = 60


def write_suite(suites: Path) -> None:
    """60 sums with numeric references, all tier 1."""
    suites.mkdir()
    lines = []
    for i in range(PROMPTS):
        a, b = 17 + 7 * i, 5 + 3 * i
        lines.append(
            json.dumps(
                {
                    "id": f"sum-{i:03d}",
                    "tier": 1,
                    "category": "arithmetic",
                    "text": f"What is {a} + {b}? Answer with the number only.",
                    "reference": str(a + b),
                    "scorer": {"type": "numeric", "tolerance": 0},
                }
            )
        )
    (suites / "sums.jsonl").write_text("\n".join(lines) + "\n")


#: The judge of ``write_models(..., judge=True)``: the verbose profile, so that a change to
#: Demo careful's profile leaves the judge as it was.
JUDGE = "Demo judge"


def write_models(
    path: Path, careful_extra: str = "", drift: str = "", *, judge: bool = False
) -> None:
    """Demo careful (with published figures, and ``careful_extra`` lines) and Demo verbose.

    Both answer in hundreds of milliseconds at full simulated latency, well above the jitter
    a busy machine adds to a loopback request, so latency comparisons measure the models.
    ``drift`` holds lines of the ``[drift]`` table; ``judge`` adds :data:`JUDGE` and names
    it there.
    """
    judge_model = (
        f'[[models]]\nname = "{JUDGE}"\nendpoint = "demo"\nmodel_id = "verbose"\n'
        "pricing = { input = 1.0, output = 4.0 }\n\n"
        if judge
        else ""
    )
    drift_lines = (f'judge = "{JUDGE}"\n' if judge else "") + drift
    path.write_text(
        '[[endpoints]]\nname = "demo"\nkind = "demo"\nmax_concurrency = 32\n\n'
        '[[models]]\nname = "Demo careful"\nendpoint = "demo"\nmodel_id = "careful"\n'
        "pricing = { input = 3.0, output = 15.0 }\n"
        'published = { benchmark = "MMLU-Pro", score = 0.8, ttft_ms = 300 }\n'
        f"{careful_extra}\n"
        '[[models]]\nname = "Demo verbose"\nendpoint = "demo"\nmodel_id = "verbose"\n'
        "pricing = { input = 1.0, output = 4.0 }\n\n"
        f"{judge_model}" + (f"[drift]\n{drift_lines}" if drift_lines else "")
    )


def drifted_database(root: Path, db_url: str, rebenches: int = 3) -> None:
    """``rebenches`` rebenches of the sums, the last with Demo careful's accuracy at 0.6."""
    from blindside.config import load_settings
    from blindside.drift.rebench import rebench
    from blindside.project import init_project

    write_suite(root / "suites")
    for i in range(rebenches):
        last = i == rebenches - 1
        write_models(root / "models.toml", "demo = { accuracy = 0.6 }" if last else "")
        settings = load_settings(
            database_url=db_url,
            models_path=root / "models.toml",
            suites_dir=root / "suites",
            environ={"BLINDSIDE_DEMO_SEED": str(i), "BLINDSIDE_DEMO_LATENCY_SCALE": "0.05"},
        )
        engine, project = init_project(settings)
        rebench(engine, project.config, settings, suite_name="sums", samples=3, concurrency=32)
        engine.dispose()

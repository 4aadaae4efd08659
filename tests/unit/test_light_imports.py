"""Light imports: the engine's result types and the client load no SDK; the scheduler only numpy."""

from __future__ import annotations

import subprocess
import sys

HEAVY = {"openai", "aiohttp", "starlette", "uvicorn", "streamlit", "scipy"}


def modules_after(statement: str) -> set[str]:
    """Top-level packages in ``sys.modules`` after ``statement``, in a fresh interpreter."""
    code = f"{statement}\nimport sys\nprint(' '.join({{m.split('.')[0] for m in sys.modules}}))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def test_engine_run_names_its_types_without_the_sdk() -> None:
    loaded = modules_after(
        "from blindside.engine.run import GenerationError, Progress, RunResult\n"
        "import blindside.client"
    )
    assert not loaded & HEAVY


def test_client_endpoints_loads_the_demo_only_for_a_demo_endpoint() -> None:
    loaded = modules_after("import blindside.client.endpoints")
    assert "openai" in loaded
    assert not loaded & {"starlette", "uvicorn"}


def test_the_scheduler_loads_numpy_only() -> None:
    loaded = modules_after("import blindside.scheduler")
    assert not loaded & (HEAVY | {"sqlalchemy", "sqlmodel"})

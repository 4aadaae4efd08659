"""``blindside.demo`` loads Starlette and uvicorn only when the app or the server is asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

WEB = ("starlette", "uvicorn", "openai")


def loaded_after(statement: str) -> list[str]:
    """Which of :data:`WEB` a fresh interpreter has loaded after ``statement``."""
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {WEB!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # The simulator itself, and the fault config that configuration shares: no web stack.
        (
            "import blindside.demo, blindside.demo.faults, blindside.demo.planning, "
            "blindside.demo.state",
            [],
        ),
        ("import blindside.demo.app", ["starlette"]),
        ("import blindside.demo.server", ["starlette", "uvicorn"]),
    ],
)
def test_demo_imports_only_what_is_asked_for(statement: str, expected: list[str]) -> None:
    assert loaded_after(statement) == expected

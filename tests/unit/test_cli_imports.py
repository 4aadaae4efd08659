"""``import blindside.cli`` stays light: every command, ``--help`` included, pays for it."""

from __future__ import annotations

import subprocess
import sys

# Imported inside the command that needs them, never when the command line is parsed.
HEAVY = (
    "openai",
    "streamlit",
    "scipy",
    "starlette",
    "uvicorn",
    "blindside.engine",
)


def test_importing_the_cli_leaves_heavy_modules_out() -> None:
    code = f"import sys, blindside.cli\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    # A fresh interpreter: this test process has imported everything already.
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == []

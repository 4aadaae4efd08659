"""Real processes for tests: the `blindside` command, free loopback ports, `serve-demo`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import MODELS_TOML, SEED_PROMPTS


def blindside(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `blindside` command as a user would, in a new process; output captured."""
    return subprocess.run(
        [sys.executable, "-m", "blindside.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:  # type: ignore[type-arg]
    """Poll ``url`` until it answers 200; fail early if ``proc`` dies."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout_s} s")
        time.sleep(0.1)


@contextlib.contextmanager
def serve_demo_process(*args: str) -> Iterator[str]:
    """`blindside serve-demo` on a free loopback port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "blindside.cli",
            "serve-demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--suites",
            str(SEED_PROMPTS),
            "--config",
            str(MODELS_TOML),
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for_http(f"{url}/models", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)

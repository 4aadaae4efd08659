"""A real `streamlit run` server and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import MODELS_TOML, ROOT, require_or_skip
from tests.processes import free_port, wait_for_http

CHROMIUM = os.environ.get("BLINDSIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps dialling Google's hosts, which this network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The app is idle: connected, no script running.
READY = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def wait_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(READY, timeout=30_000)


def sign_in_for_typed_addresses(page, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    """Open a sign-in link and wait until the session cookie is stored.

    A typed address is a new page load that only the cookie signs in: typed before the
    page's script has stored it, the address shows the sign-in page instead (a race a
    loaded machine loses; it once cost a 30 s timeout at /drift).
    """
    from blindside.raters import invite_link

    page.goto(invite_link(base, token))
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    page.wait_for_function("() => document.cookie.includes('blindside_session=')", timeout=30_000)
    wait_ready(page)


def identities() -> list[str]:
    """Every string that would tell a rater which model wrote an answer."""
    config = tomllib.loads(MODELS_TOML.read_text())
    names = [m["name"] for m in config["models"]] + [m["model_id"] for m in config["models"]]
    return [*names, "simulated"]


def assert_blind(page) -> None:  # type: ignore[no-untyped-def]
    dom = page.content().lower()
    leaks = [
        s for s in identities() if re.search(rf"(?<![\w-]){re.escape(s.lower())}(?![\w-])", dom)
    ]
    assert not leaks, f"the vote page reveals {leaks}"


class AppServer:
    """A real `streamlit run app.py` on a loopback port, which a test may kill and restart."""

    def __init__(self, db_url: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log_path = log_dir / f"streamlit-{self.port}.log"
        self._env = {**os.environ, "BLINDSIDE_DATABASE_URL": db_url, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        """Everything the server printed so far."""
        return self._log_path.read_text() if self._log_path.exists() else ""

    def start(self) -> None:
        """Start on the same port (and database) as before."""
        with self._log_path.open("a") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.address=127.0.0.1",
                    f"--server.port={self.port}",
                    "--server.headless=true",
                    "--server.fileWatcherType=none",
                ],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"{self.base}/_stcore/health", self._proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{self._log_path.read_text()}") from None

    def kill(self) -> None:
        """Kill the server at once, as a crash or a redeploy would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


@contextmanager
def serve_app(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The base URL of a `streamlit run app.py` server over ``db_url``, stopped on exit."""
    server = AppServer(db_url, tmp_path)
    server.start()
    try:
        yield server.base
    finally:
        server.stop()


@pytest.fixture
def app_server(demo_db_template: Path, tmp_path: Path) -> Iterator[AppServer]:
    """A fresh app server over a copy of the demo database."""
    db = tmp_path / "blindside.db"
    shutil.copyfile(demo_db_template, db)
    server = AppServer(f"sqlite:///{db}", tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def streamlit_server(app_server: AppServer) -> tuple[str, str]:
    """(base URL, database URL) of a fresh app server over a copy of the demo database."""
    return app_server.base, app_server.db_url


# Module scope: Playwright's sync API keeps an event loop running on the main
# thread while it is open, which would break asyncio.run() in later tests.
@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        require_or_skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def browser_page(chromium_browser: object) -> Iterator[object]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def loopback_page(chromium_browser: object) -> Iterator[tuple[object, list[str]]]:
    """(page at 1280x800, outside URLs it tried) with every non-loopback request aborted.

    No test traffic leaves the machine; a test asserts the list stays empty.
    """
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    outside: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page, outside
    context.close()

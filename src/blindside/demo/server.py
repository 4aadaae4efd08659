"""Serving an ASGI app with uvicorn: ``blindside serve-demo``, and a loopback server in a thread.

``httpx2.ASGITransport`` buffers whole responses, so time to first token can only
be measured over a real socket. :class:`LoopbackServer` binds the socket itself
(the port is known before start), serves any ASGI app from a background thread
and stops gracefully.

An app may hold requests open for a long time on purpose (the demo provider's
``timeout`` fault). uvicorn's graceful shutdown would wait for them, so both
servers call the app's ``state.on_server_stop`` (a thread-safe callable), if
it has one, when they stop.
"""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from blindside.config import FaultConfig
from blindside.config.drift import DemoOverride
from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import load_demo_knowledge

_HOST = "127.0.0.1"


class LoopbackServer:
    """An ASGI app served by uvicorn on ``127.0.0.1`` in a daemon thread.

    Parameters
    ----------
    app : ASGI application
        What to serve (e.g. :func:`blindside.demo.app.create_demo_app`).
    port : int
        Port to bind; 0 picks a free ephemeral port.
    startup_timeout : float
        Seconds :meth:`start` waits for the server to accept connections.
    shutdown_timeout : float
        Seconds in-flight requests get to finish on :meth:`stop` before they
        are cancelled. Requests an app releases through ``state.on_server_stop``
        end at once.

    Examples
    --------
    >>> with LoopbackServer(create_demo_app()) as server:  # doctest: +SKIP
    ...     client = AsyncOpenAI(base_url=server.base_url, api_key="unused")
    """

    def __init__(
        self,
        app: Any,
        *,
        port: int = 0,
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self._app = app
        self._startup_timeout = startup_timeout
        self._shutdown_timeout = shutdown_timeout
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every keep-alive response waits ~40 ms for a
        # delayed ACK (Nagle), which would swamp the latencies the demo simulates.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Lets a fixed port be reused right after a previous server released it.
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((_HOST, port))
        except OSError:
            self._sock.close()
            raise
        self._port: int = self._sock.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                # The openai client pools connections; don't drop them between calls.
                timeout_keep_alive=300,
                timeout_graceful_shutdown=max(1, round(shutdown_timeout)),
            )
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stopped = False

    @property
    def port(self) -> int:
        """The bound port (known before :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """Root URL, ``http://127.0.0.1:{port}``."""
        return f"http://{_HOST}:{self._port}"

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL, ``http://127.0.0.1:{port}/v1``."""
        return f"{self.url}/v1"

    @property
    def running(self) -> bool:
        """Whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # SystemExit from uvicorn on startup failure, too
            self._error = exc

    def start(self) -> LoopbackServer:
        """Start serving; return once the server accepts connections.

        Calling it again while running does nothing. A stopped server cannot be
        restarted.

        Returns
        -------
        LoopbackServer
            ``self``, for chaining.

        Raises
        ------
        RuntimeError
            If the server was stopped, failed to start, or did not start within
            ``startup_timeout`` seconds.
        """
        with self._lock:
            if self._stopped:
                raise RuntimeError("LoopbackServer cannot be restarted after stop()")
            if self._thread is not None:
                return self
            self._thread = threading.Thread(
                target=self._run, name=f"loopback-{self._port}", daemon=True
            )
            self._thread.start()
            deadline = time.monotonic() + self._startup_timeout
            while not self._server.started:
                if not self._thread.is_alive():
                    raise RuntimeError(f"loopback server failed to start: {self._error!r}")
                if time.monotonic() > deadline:
                    self._server.should_exit = True
                    raise RuntimeError(
                        f"loopback server did not start within {self._startup_timeout} s"
                    )
                time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop gracefully (in-flight requests get ``shutdown_timeout``) and join the thread.

        Safe to call more than once, or without :meth:`start`.
        """
        with self._lock:
            self._stopped = True
            thread = self._thread
            self._server.should_exit = True
            if thread is not None:
                deadline = time.monotonic() + self._shutdown_timeout + 2.0
                while thread.is_alive() and time.monotonic() < deadline:
                    # Repeated: a request that began holding just after a release is caught too.
                    self._release_held_requests()
                    thread.join(0.05)
                if thread.is_alive():
                    # Graceful shutdown overran: stop waiting on open connections.
                    self._server.force_exit = True
                    thread.join(5.0)
            # uvicorn closes the socket on shutdown; close it here when it never ran.
            self._sock.close()

    def _release_held_requests(self) -> None:
        hook = getattr(getattr(self._app, "state", None), "on_server_stop", None)
        if callable(hook):
            hook()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_demo(
    host: str = "127.0.0.1",
    port: int = 8800,
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge_paths: Sequence[Path] = (),
    faults: FaultConfig | None = None,
    model_faults: Mapping[str, FaultConfig] | None = None,
    model_overrides: Mapping[str, DemoOverride] | None = None,
    access_log: bool = True,
) -> None:
    """Serve the demo app with uvicorn until interrupted (``blindside serve-demo``).

    Parameters
    ----------
    host, port : str, int
        Where to listen; the OpenAI base URL is ``http://{host}:{port}/v1``.
    seed : int
        App seed (see :func:`~blindside.demo.app.create_demo_app`).
    latency_scale : float
        Multiplier on every simulated delay.
    knowledge_paths : sequence of Path
        Suite files or directories for :func:`~blindside.demo.knowledge.load_demo_knowledge`.
    faults : FaultConfig, optional
        Faults and fixed latency for every model.
    model_faults : mapping of str to FaultConfig, optional
        Per model id, a config replacing ``faults``.
    model_overrides : mapping of str to DemoOverride, optional
        Per model id, a change to its simulated profile.
    access_log : bool
        Log a line per request. Off for load tests: the line costs the server
        about 7% of its CPU per request (measured with py-spy under
        ``benchmarks/bench_generate.py``).
    """
    app = create_demo_app(
        seed=seed,
        latency_scale=latency_scale,
        knowledge=load_demo_knowledge(knowledge_paths),
        faults=faults,
        model_faults=model_faults,
        model_overrides=model_overrides,
    )

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            app.state.on_server_stop()  # requests held by a timeout fault must not block exit

    # A long-running server: keep the collector's full passes off everything loaded at
    # startup, which otherwise they walk again and again under load.
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        lifespan="off",
        timeout_keep_alive=75,
        timeout_graceful_shutdown=10,
    )
    _Server(config).run()

"""Run a compatibility probe: every check against one configured model, in order.

Every check catches its own exceptions, so one failed check never stops the
others; an unreachable endpoint or a rejected key stops the requests of the
checks after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from openai import AsyncOpenAI

from blindside.client.endpoints import endpoint_base_urls
from blindside.config import ModelConfig, Settings
from blindside.probe.checks import DEFAULT_CONTEXT_LADDER, Prober
from blindside.probe.report import (
    MAX_CONTEXT,
    ProbeResult,
    blocks_endpoint,
    describe_error,
    shorten,
)

__all__ = ["probe_model", "probe_model_async"]


async def probe_model_async(
    model: ModelConfig,
    base_url: str,
    *,
    max_context: bool | None = None,
    context_ladder: Sequence[int] = DEFAULT_CONTEXT_LADDER,
    client: AsyncOpenAI | None = None,
) -> list[ProbeResult]:
    """Run every check against one model, one request at a time.

    Parameters
    ----------
    model : ModelConfig
        The model to probe (its ``params`` are sent, except those a check sets).
    base_url : str
        The endpoint's base URL including the version path.
    max_context : bool, optional
        Run the max-context ladder. None (default): only for simulated models,
        since on a paid endpoint it sends up to ``sum(context_ladder)`` tokens.
    context_ladder : sequence of int
        Approximate prompt sizes in tokens (``4`` characters each), tried in
        increasing order until the first context-length error.
    client : AsyncOpenAI, optional
        Client to use (it is not closed); default: one made here and closed.

    Returns
    -------
    list of ProbeResult
        One per check, in :data:`CHECK_NAMES` order.

    Raises
    ------
    blindside.config.MissingApiKeyError
        When ``client`` is None and the endpoint's key variable is unset; raised
        before any request.
    """
    api_key = model.endpoint.api_key()  # raises MissingApiKeyError before any request
    secrets = model.endpoint.secret_values()
    own_client = client is None
    if client is None:
        # No SDK retries: the probe retries once itself and reports what it saw. The
        # SDK's default transport, not the engine's aiohttp one (make_client), which
        # reports a refused connection as a timeout: the probe must name it.
        client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=model.endpoint.timeout_s,
            max_retries=0,
            default_headers=model.endpoint.request_headers(),
        )
    prober = Prober(model, client, secrets)
    enabled = model.simulated if max_context is None else max_context
    results: list[ProbeResult] = []
    unreachable: str | None = None
    try:
        for name, check in prober.checks(enabled, context_ladder):
            if unreachable is not None and not (name == MAX_CONTEXT and not enabled):
                # Each would wait for the same timeout or get the same 401: don't repeat it.
                results.append(ProbeResult(name, "fails", f"not tried: {unreachable}"))
                continue
            start = time.perf_counter()
            try:
                results.append(await check())
            except Exception as exc:  # a check never stops the probe
                ms = (time.perf_counter() - start) * 1000
                results.append(ProbeResult(name, "fails", describe_error(exc, secrets), ms))
                if blocks_endpoint(exc) and name != MAX_CONTEXT:
                    unreachable = f"{name} got {describe_error(exc, secrets)}"
                    unreachable = shorten(unreachable, 120)
    finally:
        if own_client:
            await client.close()
    return results


def probe_model(
    model: ModelConfig,
    settings: Settings,
    *,
    max_context: bool | None = None,
    context_ladder: Sequence[int] = DEFAULT_CONTEXT_LADDER,
) -> list[ProbeResult]:
    """Probe one configured model (``blindside probe MODEL``).

    Parameters
    ----------
    model : ModelConfig
        The model to probe.
    settings : Settings
        Where the demo provider is (``BLINDSIDE_DEMO_URL``, or a loopback
        server started for the probe).
    max_context : bool, optional
        See :func:`probe_model_async`; None runs the ladder only for simulated models.
    context_ladder : sequence of int
        Approximate prompt sizes in tokens for the max-context check.

    Returns
    -------
    list of ProbeResult

    Raises
    ------
    blindside.config.MissingApiKeyError
        If the endpoint's key variable is unset, before any request (and before
        a demo server is started).
    """
    model.endpoint.secret_values()  # fail fast, before any server or request
    with endpoint_base_urls([model.endpoint], settings) as urls:
        return asyncio.run(
            probe_model_async(
                model,
                urls[model.endpoint.name],
                max_context=max_context,
                context_ladder=context_ladder,
            )
        )

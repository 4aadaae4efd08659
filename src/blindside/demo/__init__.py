"""Built-in demo provider: an OpenAI-compatible ASGI app serving simulated models.

The simulator lets the whole product run with no keys and no network, through
the real ``openai`` SDK over a real loopback socket. One job per module:

- :mod:`~blindside.demo.profiles`: the simulated models (:data:`DEMO_PROFILES`).
- :mod:`~blindside.demo.knowledge`: what the app knows about suite prompts, and
  reading chat messages.
- :mod:`~blindside.demo.compose`: the answer text of a model (right or wrong
  against a reference); :mod:`~blindside.demo.prose` composes open-ended
  answers from the prompt's words, with the phrase tables of
  :mod:`~blindside.demo.phrases`.
- :mod:`~blindside.demo.planning`: everything one request produces (answer or
  tool call, usage, latency), decided up front.
- :mod:`~blindside.demo.faults`: which attempt suffers which injected fault (the
  faults are configured by :class:`blindside.config.FaultConfig`).
- :mod:`~blindside.demo.state`: what a running app records (request log, held
  requests).
- :mod:`~blindside.demo.responses`: OpenAI-shaped bodies, SSE framing, paced,
  cut and faulted responses (Starlette).
- :mod:`~blindside.demo.chat_request`: a chat completion request, checked and
  planned; :mod:`~blindside.demo.responses_api`: the Responses API route.
- :mod:`~blindside.demo.app`: the ASGI app and its routes (Starlette).
- :mod:`~blindside.demo.server`: serving an app with uvicorn (uvicorn).

This ``__init__`` imports nothing: Starlette and uvicorn load only when the app
or the server module is imported. See ``docs/demo-provider.md``.

Blinding: answer text never names a model, a profile or the simulator.
"""

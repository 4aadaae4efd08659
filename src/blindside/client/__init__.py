"""The client side of every model request: one request function and what surrounds it.

``request`` builds and sends the one chat completion request (the engine, the
stress sweep and the probe all call it); ``streaming`` decodes its events;
``retry`` is the one retry policy; ``limits`` and ``breaker`` pace and guard
each endpoint; ``endpoints`` makes the SDK clients (and starts the demo
provider only for a ``demo`` endpoint); ``usage`` counts tokens and cost;
``tokens`` is the one token estimate; ``percentile`` the one percentile;
``redaction`` keeps keys out of every message.

Nothing here imports the store (``db``, ``tables``). Import the submodules
themselves: this package imports none of them, so naming it costs nothing.
"""

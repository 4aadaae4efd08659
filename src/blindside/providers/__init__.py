"""Model providers: the OpenAI-compatible client side and the built-in demo provider.

``demo`` is an OpenAI-compatible ASGI app serving simulated models (no keys, no
network); ``loopback`` runs any ASGI app on a real 127.0.0.1 socket in a thread
so the real ``openai`` SDK can stream from it.
"""

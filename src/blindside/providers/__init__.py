"""Model providers: the OpenAI-compatible client side (``endpoints``).

The built-in demo provider lives in :mod:`blindside.demo`.
"""

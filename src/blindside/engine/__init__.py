"""The generation engine: run a suite's prompts through models and store every answer.

``tasks`` says what to ask (tasks, answers, planning, fallback chains);
``budget`` stops before a spending limit; ``attempts`` asks, with retries and
the fallback walk; ``journal`` and ``writer`` make every answer durable and
store it in batches; ``run`` is ``generate`` itself. Import the submodules:
this package imports none of them.
"""

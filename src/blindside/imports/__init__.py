"""Bringing data made elsewhere in: prompts, answers (any pipeline, lm-eval) and votes.

Every import checks the whole file before it writes anything, names each problem by
file, line and field, and is idempotent. See ``docs/imports.md``.
"""

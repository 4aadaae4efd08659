"""The leaderboard: ratings beside what generation measured, and the columns that show them.

One job per module (import names from the module that defines them):

``column``   the :class:`~blindside.leaderboard.column.Column` type: read, round, show
``columns``  every column a table can show (key, label, value, format, help), once
``views``    which columns each table shows; records and text tables of a view
``stats``    per-model statistics: one set of SQL aggregates, by model or (run, model)
``board``    the fitted leaderboard of a cut, an arena file's leaderboard, their warnings

This file imports nothing, so ``blindside.leaderboard.views`` loads no numpy,
database or fit.
"""

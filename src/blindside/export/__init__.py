"""Exports: votes as labelled pairs, arena battles or preference pairs; leaderboards and scores.

Import the submodule that defines a name (this package re-exports nothing):

- :mod:`blindside.export.pseudonyms`: raters as keyed-hash pseudonyms, never names;
- :mod:`blindside.export.records`: the one streamed query, labelled pairs in vote order;
- :mod:`blindside.export.formats`: the record of each format (labelled, arena, preference);
- :mod:`blindside.export.writers`: JSON lines, CSV and Parquet (row groups), written atomically;
- :mod:`blindside.export.run`: ``export_votes`` (what ``blindside export`` and the Export page
  call), the row counts of a cut;
- :mod:`blindside.export.boards`: the leaderboard and scores of a cut as CSV or JSON, the cut
  written into the file.

Every field is described in ``docs/exports.md``.
"""

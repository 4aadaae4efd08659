"""The ``blindside`` command: a thin layer over the library.

One module per command group (:mod:`~blindside.cli.setup`, :mod:`~blindside.cli.generate`,
:mod:`~blindside.cli.providers`, :mod:`~blindside.cli.ranking`); :mod:`~blindside.cli.parser`
builds the parser and runs a command. Each command parses its arguments, calls the library
and prints the result; heavy modules (the engine, openai, scipy, uvicorn) are imported inside
the command that needs them, so ``blindside --help`` starts fast.

Exit codes: 0 success, 1 a run finished with failed answers or another
runtime failure, 2 bad input (suite, models.toml, arguments), with one
message naming file, line and field.
"""

from blindside.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]

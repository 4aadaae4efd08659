"""The command line: the parser of every command, and :func:`main`, which runs one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from blindside.cli import drift, generate, imports, judge, providers, ranking, raters, setup
from blindside.cli.common import EXIT_BAD_INPUT, common_options
from blindside.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    """The ``blindside`` parser; each command's defaults carry its function as ``func``."""
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="blindside", description="Blind side-by-side evaluation of LLMs on your own prompts."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    # The order of the help text: set up, import, generate, judge, check providers, report,
    # who rates.
    for group in (setup, imports, generate, judge, drift, providers, ranking, raters):
        group.register(sub, common)
    return parser


def _is_bad_input(exc: Exception) -> bool:
    """Whether ``exc`` is the user's to fix (exit 2, one message) rather than a crash."""
    if isinstance(exc, InputError):
        return True
    # The same for a rater command's refusal (unknown or taken name, bad role).
    rater_library = sys.modules.get("blindside.raters")
    if rater_library is not None and isinstance(exc, rater_library.RaterError):
        return True
    # Only a command that ran the engine can have raised its error: when the engine was
    # never imported, the answer is no, without paying for the import.
    engine = sys.modules.get("blindside.engine.run")
    return engine is not None and isinstance(exc, engine.GenerationError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``blindside`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        The exit code: 0 success, 1 a runtime failure, 2 bad input, 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_bad_input(exc):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

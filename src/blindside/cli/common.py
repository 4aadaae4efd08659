"""What every command shares: exit codes, the common options and the settings they name."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from blindside.config import Settings, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def common_options() -> argparse.ArgumentParser:
    """The parent parser of every command: where the database, models and suites are."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="database URL or SQLite file (default: $BLINDSIDE_DATABASE_URL or ./blindside.db)",
    )
    common.add_argument(
        "--config", help="models.toml path (default: $BLINDSIDE_MODELS or ./models.toml)"
    )
    common.add_argument("--suites", help="directory of prompt suites (default: ./seed_prompts)")
    return common


def add_choice(
    group: argparse._ActionsContainer, flag: str, choices: Sequence[str], help: str | None = None
) -> None:
    """Add an option that takes one of ``choices``; the first is the default."""
    group.add_argument(flag, choices=list(choices), default=choices[0], help=help)


def name_list(text: str | None) -> list[str] | None:
    """A comma-separated ``--models`` value as names (None when the option was not given)."""
    return [name.strip() for name in text.split(",")] if text else None


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with the command line's ``--db``, ``--config`` and ``--suites`` applied."""
    return load_settings(database_url=args.db, models_path=args.config, suites_dir=args.suites)

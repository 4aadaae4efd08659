"""``raters add|list|revoke|role|link|exclude|include``: who may sign in, with which role,
and whose votes count.

Each command parses, calls one function of :mod:`blindside.raters`, and prints. A sign-in
link is printed once, on the last line, and never stored: only its token's hash is.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from blindside.cli.common import EXIT_OK, settings_from
from blindside.errors import InputError
from blindside.roles import ROLE_NAMES

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from blindside.raters import Invite, RaterInfo

# Roles are checked by the library, so a bad one is one `error:` line like any other.
ROLE_METAVAR = "{" + ",".join(ROLE_NAMES) + "}"


def _engine(args: argparse.Namespace) -> Engine:
    from blindside.db import open_database

    return open_database(settings_from(args).database_url)


def _base_url(args: argparse.Namespace) -> str:
    """``--base-url``, else ``BLINDSIDE_BASE_URL``, else Streamlit's address and port."""
    from blindside.config.settings import is_http_url

    if args.base_url is None:
        return settings_from(args).base_url
    if not is_http_url(args.base_url):
        raise InputError.single(
            "--base-url", None, "", f"must be an http:// or https:// URL, got {args.base_url!r}"
        )
    return args.base_url.rstrip("/")


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _print_invite(invite: Invite, base_url: str, what: str) -> None:
    from blindside.raters import invite_link

    rater = invite.rater
    print(
        f"{what} {rater.name} ({rater.role}). Send them this link; it signs in once, "
        f"until {_when(invite.expires_at)} UTC:"
    )
    print(invite_link(base_url, invite.token))


def cmd_add(args: argparse.Namespace) -> int:
    from blindside.raters import add_rater

    base_url = _base_url(args)  # checked before anything is written
    _print_invite(add_rater(_engine(args), args.name, args.role), base_url, "added")
    return EXIT_OK


def cmd_link(args: argparse.Namespace) -> int:
    from blindside.raters import issue_invite

    base_url = _base_url(args)
    _print_invite(issue_invite(_engine(args), args.name), base_url, "new link for")
    return EXIT_OK


def cmd_admin_link(args: argparse.Namespace) -> int:
    from blindside.raters import admin_invite, invite_link

    base_url = _base_url(args)
    invite = admin_invite(_engine(args), args.name)
    print(
        f"Sign in as {invite.rater.name} (admin): open this link. It works once, until "
        f"{_when(invite.expires_at)} UTC; `make run` prints a new one at every start."
    )
    print(invite_link(base_url, invite.token))
    return EXIT_OK


def format_raters(raters: list[RaterInfo]) -> str:
    """The ``raters list`` table: name, role, created, signed in, revoked (never a token)."""
    header = ("name", "role", "created", "signed in", "revoked")
    rows = [
        (r.name, str(r.role), _when(r.created_at), _when(r.signed_in_at), _when(r.revoked_at))
        for r in raters
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def cmd_list(args: argparse.Namespace) -> int:
    from blindside.raters import list_raters

    raters = list_raters(_engine(args))
    if not raters:
        print("no raters yet: add one with `blindside raters add NAME --role admin`")
        return EXIT_OK
    print(format_raters(raters))
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    from blindside.raters import revoke_rater

    rater = revoke_rater(_engine(args), args.name)
    print(f"revoked {rater.name}: they cannot sign in, their session has ended; votes kept")
    return EXIT_OK


def cmd_role(args: argparse.Namespace) -> int:
    from blindside.raters import set_role

    rater = set_role(_engine(args), args.name, args.role)
    print(f"{rater.name} is now {rater.role}")
    return EXIT_OK


def cmd_exclude(args: argparse.Namespace) -> int:
    from blindside.rater_quality import set_rater_excluded_by_name

    rater = set_rater_excluded_by_name(_engine(args), args.name, True)
    print(
        f"excluded {rater.name}: their votes count in no ranking, cut or export; "
        f"votes kept (`blindside raters include {rater.name}` counts them again)"
    )
    return EXIT_OK


def cmd_include(args: argparse.Namespace) -> int:
    from blindside.rater_quality import set_rater_excluded_by_name

    rater = set_rater_excluded_by_name(_engine(args), args.name, False)
    print(f"included {rater.name}: their votes count again")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``raters`` and its subcommands to the command's subparsers."""
    group = sub.add_parser(
        "raters",
        help="add raters and their sign-in links, list, revoke, change roles, exclude votes",
    )
    commands = group.add_subparsers(dest="raters_command", required=True, metavar="COMMAND")

    links = argparse.ArgumentParser(add_help=False)
    links.add_argument(
        "--base-url",
        help="where raters reach the app (default: $BLINDSIDE_BASE_URL or http://127.0.0.1:8501)",
    )

    p = commands.add_parser(
        "add", parents=[common, links], help="add a rater; prints their one-time sign-in link"
    )
    p.add_argument("name", help="their name (unique, whatever the case)")
    p.add_argument("--role", default="rater", metavar=ROLE_METAVAR, help="default: rater")
    p.set_defaults(func=cmd_add)

    p = commands.add_parser(
        "link", parents=[common, links], help="a new one-time sign-in link for a rater"
    )
    p.add_argument("name")
    p.set_defaults(func=cmd_link)

    p = commands.add_parser(
        "admin-link",
        parents=[common, links],
        help="a sign-in link for the first admin, adding one when there is none (make run)",
    )
    p.add_argument("--name", default="admin", help="the admin to add if none exists")
    p.set_defaults(func=cmd_admin_link)

    p = commands.add_parser("list", parents=[common], help="every rater, revoked ones included")
    p.set_defaults(func=cmd_list)

    p = commands.add_parser(
        "revoke", parents=[common], help="stop a rater signing in (their votes stay)"
    )
    p.add_argument("name")
    p.set_defaults(func=cmd_revoke)

    p = commands.add_parser("role", parents=[common], help="change a rater's role")
    p.add_argument("name")
    p.add_argument("role", metavar=ROLE_METAVAR)
    p.set_defaults(func=cmd_role)

    p = commands.add_parser(
        "exclude", parents=[common], help="leave a rater's votes out of rankings (votes kept)"
    )
    p.add_argument("name")
    p.set_defaults(func=cmd_exclude)

    p = commands.add_parser(
        "include", parents=[common], help="count an excluded rater's votes again"
    )
    p.add_argument("name")
    p.set_defaults(func=cmd_include)

"""``python -m planner users …``: accounts from the shell.

``users add NAME --role ROLE [--display-name TEXT] [--password-stdin]``, ``users list``,
``users set-role NAME ROLE``, ``users disable NAME``, ``users enable NAME``,
``users reset-password NAME [--password-stdin]``. Without ``--password-stdin`` the
password is asked twice with :func:`getpass.getpass` (never echoed). Adding the first
account switches the installation from single-user local mode to accounts: the app then
asks for a login. Whoever runs these commands owns the database file, so they act as the
local admin.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from planner.accounts.roles import ROLE_LABEL, ROLES
from planner.i18n import PlannerError, t

__all__ = ["add_parser"]


def _store(args: argparse.Namespace):
    from planner.store import Store

    return Store(args.db) if args.db else Store()


def _password(args: argparse.Namespace) -> str:
    """The password from standard input (its first line) or asked twice."""
    lang = args.lang
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass(t("cli.users.password", lang))
    again = getpass.getpass(t("cli.users.password_again", lang))
    if first != again:
        raise PlannerError("cli.users.password_mismatch")
    return first


def _add(args: argparse.Namespace) -> int:
    store = _store(args)
    first = not store.has_accounts()
    user = store.add_user(args.name, args.role, _password(args), display_name=args.display_name)
    print(t("cli.users.added", args.lang, name=user.name, role=t(ROLE_LABEL[user.role], args.lang)))
    if first:
        print(t("cli.users.accounts_on", args.lang))
    return 0


def _list(args: argparse.Namespace) -> int:
    lang = args.lang
    users = _store(args).list_users()
    if not users:
        print(t("cli.users.none", lang))
        return 0
    print(t("cli.users.header", lang))
    for user in users:
        last = (user.last_login_at or "")[:19].replace("T", " ") or "-"
        state = t("cli.users.enabled" if user.enabled else "cli.users.disabled", lang)
        print(f"{user.name}\t{user.role}\t{state}\t{last}\t{user.display_name}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    user = _store(args).set_role(args.name, args.role)
    print(
        t("cli.users.role_set", args.lang, name=user.name, role=t(ROLE_LABEL[user.role], args.lang))
    )
    return 0


def _disable(args: argparse.Namespace) -> int:
    user = _store(args).set_enabled(args.name, False)
    print(t("cli.users.disabled_now", args.lang, name=user.name))
    return 0


def _enable(args: argparse.Namespace) -> int:
    user = _store(args).set_enabled(args.name, True)
    print(t("cli.users.enabled_now", args.lang, name=user.name))
    return 0


def _reset(args: argparse.Namespace) -> int:
    user = _store(args).reset_password(args.name, _password(args))
    print(t("cli.users.password_reset", args.lang, name=user.name))
    return 0


def add_parser(sub) -> None:
    """Add the ``users`` command and its subcommands to ``sub`` (the CLI's subparsers)."""
    u = sub.add_parser(
        "users", help="accounts: add, list, set-role, disable, enable, reset-password"
    )
    u.add_argument("--db", help="database file (default: $PLANNER_DB or $PLANNER_HOME's)")
    u.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    actions = u.add_subparsers(dest="users_command", required=True, parser_class=sub._parser_class)

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text)
        p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
        p.add_argument("--db", default=argparse.SUPPRESS, help="database file")
        p.set_defaults(func=func)
        return p

    p = command("add", _add, "add an account (the first one switches the app to logins)")
    p.add_argument("name", help="account name (no spaces)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--display-name", default="", help="name shown in the app and the trails")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command("list", _list, "list the accounts: name, role, enabled, last login")
    p = command("set-role", _set_role, "change an account's role")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    command("disable", _disable, "disable an account (ends its sessions)").add_argument("name")
    command("enable", _enable, "enable an account again").add_argument("name")
    p = command("reset-password", _reset, "give an account a new password")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

"""``python -m planner db …``: the database's schema from the shell.

``db upgrade [--db TARGET]`` applies the migrations the database lacks (in one
transaction) and says from which version to which; ``db check [--db TARGET]`` says
whether the database can be reached and whether its schema is this program's, without
changing anything. The target is an SQLite file or a ``postgresql://`` URL (default:
``$PLANNER_DB``, else ``$PLANNER_HOME``'s file). A shared deployment runs ``db upgrade``
once, before starting the new version's app processes.

Exit status: 0 fine, 1 the schema is older than this program's (``db check``), 2 an
error (cannot reach or read the database, or it is newer than this program).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.i18n import t

__all__ = ["add_parser"]


def _database(args: argparse.Namespace):
    from planner.store import Store

    return Store(args.db if args.db else None, upgrade=False)


def _upgrade(args: argparse.Namespace) -> int:
    database = _database(args)
    before, after = database.upgrade()
    key = "cli.db.up_to_date" if before == after else "cli.db.upgraded"
    print(t(key, args.lang, where=database.shown, before=before, after=after))
    return 0


def _check(args: argparse.Namespace) -> int:
    from planner.store import SCHEMA_VERSION

    database = _database(args)
    missing = database.backend == "sqlite" and not Path(database.path).exists()
    # a check creates no file; store.unreachable, store.too_new… end with status 2
    found = 0 if missing else database.schema_version()
    if found < SCHEMA_VERSION:
        print(
            t("cli.db.behind", args.lang, where=database.shown, found=found, known=SCHEMA_VERSION)
        )
        return 1
    print(t("cli.db.ok", args.lang, where=database.shown, found=found))
    return 0


def add_parser(sub) -> None:
    """Add the ``db`` command and its subcommands to ``sub`` (the CLI's subparsers)."""
    d = sub.add_parser("db", help="the database's schema: upgrade, check")
    d.add_argument("--db", help="SQLite file or postgresql:// URL (default: $PLANNER_DB)")
    d.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    actions = d.add_subparsers(dest="db_command", required=True, parser_class=sub._parser_class)
    for name, func, help_text in (
        ("upgrade", _upgrade, "apply the migrations the database lacks"),
        ("check", _check, "is the database reachable, and its schema this program's?"),
    ):
        p = actions.add_parser(name, help=help_text)
        p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
        p.add_argument("--db", default=argparse.SUPPRESS, help="SQLite file or postgresql:// URL")
        p.set_defaults(func=func)

"""The database file: where it is, its connections and transactions, its schema.

Every write runs in a ``BEGIN IMMEDIATE`` transaction on its own connection with a busy
timeout, and the file uses write-ahead logging, so several app sessions and run workers
can write at the same time without corrupting it. A :class:`Database` holds no open
connection and may be shared between threads. Opening an older file applies the
missing migrations (:data:`~planner.store.migrations.MIGRATIONS`) in one transaction; a
file written by a newer version of the planner is refused, not damaged.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planner.accounts.roles import LOCAL, Actor, check
from planner.i18n import PlannerError
from planner.paths import planner_home
from planner.store.migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = ["BUSY_TIMEOUT_S", "Database", "default_path"]

#: Seconds a connection waits for another writer before ``store.busy``.
BUSY_TIMEOUT_S = 30.0


def default_path() -> Path:
    """The database file: ``$PLANNER_DB``, else ``$PLANNER_HOME/planner.sqlite``."""
    explicit = os.environ.get("PLANNER_DB")
    if explicit:
        return Path(explicit).expanduser()
    return planner_home().expanduser() / "planner.sqlite"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Database:
    """One SQLite file with the planner's schema; the base of every table's methods.

    Parameters
    ----------
    path
        Database file; default :func:`default_path`. Created, with its folder and
        schema, on first use.
    actor
        Who acts through this object (:mod:`planner.accounts`): every write method
        checks the actor's role first and stores its name. Default: the single-user
        local actor (an admin), as before accounts existed.

    Raises
    ------
    PlannerError
        ``store.unreadable`` when the file is not a database, ``store.too_new`` when
        its schema is newer than this program's.
    """

    def __init__(self, path: str | Path | None = None, actor: Actor | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.actor = actor or LOCAL
        self._migrate()

    def as_actor(self, actor: Actor) -> Database:
        """The same database, acted on by ``actor`` (the file is not opened again)."""
        other = copy.copy(self)
        other.actor = actor
        return other

    def _authorise(self, action: str) -> None:
        """Refuse ``action`` (``auth.forbidden``) unless the actor's role may take it."""
        check(self.actor, action)

    def _acting(self, typed: str = "") -> tuple[str, str]:
        """``(user_name, user_role)`` stored with a write: the account's, or in local
        mode the name the person typed (reviewer, author) when there is one."""
        if self.actor == LOCAL and str(typed).strip():
            return str(typed).strip(), LOCAL.role
        return self.actor.name, self.actor.role

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            return conn
        except (OSError, sqlite3.DatabaseError) as err:
            raise PlannerError("store.unreadable", path=self.path, error=err) from err

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        except sqlite3.DatabaseError as err:
            raise self._error(err) from err
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together or not at all."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            raise  # the caller says which rule was broken (a name taken…)
        except sqlite3.DatabaseError as err:
            raise self._error(err) from err
        finally:
            conn.close()

    def _error(self, err: sqlite3.DatabaseError) -> PlannerError:
        """A database error in words: ``store.busy`` while another process writes,
        else ``store.unreadable``."""
        if isinstance(err, sqlite3.OperationalError) and (
            "locked" in str(err) or "busy" in str(err)
        ):
            return PlannerError("store.busy")
        return PlannerError("store.unreadable", path=self.path, error=err)

    def _migrate(self) -> None:
        with self._read() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as conn:
            found = _version(conn)  # again inside the lock: another process may have migrated
            if found > SCHEMA_VERSION:
                raise PlannerError(
                    "store.too_new", path=self.path, found=found, known=SCHEMA_VERSION
                )
            for version, statements in MIGRATIONS:
                if version > found:
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        (version, _now()),
                    )

    def schema_version(self) -> int:
        """Version of the schema in the file (0 for a new file)."""
        with self._read() as conn:
            found = _version(conn)
        if found > SCHEMA_VERSION:
            raise PlannerError("store.too_new", path=self.path, found=found, known=SCHEMA_VERSION)
        return found

    # --- small helpers of the tables' methods ------------------------------------------

    @staticmethod
    def _require(conn: sqlite3.Connection, table: str, row_id: Any, missing: str) -> None:
        """Raise ``missing`` (``store.no_scenario``…) unless ``table`` has row ``row_id``
        (checked inside the caller's transaction)."""
        if not conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone():
            raise PlannerError(missing, id=row_id)

    def _delete(self, table: str, row_id: Any, missing: str) -> None:
        """Delete row ``row_id`` of ``table`` (its dependent rows cascade); raise
        ``missing`` when there is none."""
        with self._write() as conn:
            cur = conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            if cur.rowcount == 0:
                raise PlannerError(missing, id=row_id)


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)

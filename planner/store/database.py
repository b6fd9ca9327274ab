"""The database: where it is, its connections and transactions, its schema.

The database is an SQLite file (the default, one machine) or a PostgreSQL server that
several app processes share (``PLANNER_DB=postgresql://user@host:port/db``); one store
implementation serves both, through SQLAlchemy Core, and whatever differs between them
lives in :mod:`~planner.store.dialect`. Every write runs in a transaction holding the
database's one write lock (SQLite's ``BEGIN IMMEDIATE`` with a busy timeout and
write-ahead logging; a PostgreSQL advisory lock), so several app sessions, app
processes and run workers can write at the same time without corrupting anything or
losing a write. A :class:`Database` holds no open connection (an SQLite file is
closed after every call; a server's connections are pooled per process) and may be
shared between threads. Opening an older database applies the missing migrations
(:data:`~planner.store.migrations.MIGRATIONS`) in one transaction; a database written
by a newer version of the planner is refused, not damaged.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from planner.accounts.roles import LOCAL, Actor, check
from planner.i18n import PlannerError
from planner.paths import planner_home
from planner.store import dialect
from planner.store.dialect import BUSY_TIMEOUT_S
from planner.store.migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = ["BUSY_TIMEOUT_S", "Connection", "Database", "IntegrityError", "Row", "default_path"]


def default_path() -> Path | str:
    """The database: ``$PLANNER_DB`` (a file, or a ``postgresql://`` server URL), else
    the file ``$PLANNER_HOME/planner.sqlite``."""
    explicit = os.environ.get("PLANNER_DB")
    if explicit and dialect.is_server(explicit):
        return explicit
    if explicit:
        return Path(explicit).expanduser()
    return planner_home().expanduser() / "planner.sqlite"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?")


@functools.cache
def _statement(sql: str) -> tuple[sa.TextClause, int]:
    """``sql`` with its ``?`` parameters named ``:p0``, ``:p1``…, and their number.
    Quoted literals are left as they are (a ``?`` or ``:word`` in one is text)."""
    count = 0

    def name(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0).replace(":", "\\:")  # not a bound parameter
        count += 1
        return f":p{count - 1}"

    return sa.text(_QUOTED_OR_MARK.sub(name, sql)), count


def _named(params: Sequence[Any] | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(params, Mapping):
        return params
    return {f"p{i}": value for i, value in enumerate(params)}


class Row:
    """One row of a result: by position (``row[0]``) or by column (``row["name"]``)."""

    __slots__ = ("_row",)

    def __init__(self, row: sa.Row[Any]) -> None:
        self._row = row

    def __getitem__(self, key: int | str) -> Any:
        return self._row[key] if isinstance(key, int) else self._row._mapping[key]

    def keys(self) -> list[str]:
        """The columns' names."""
        return list(self._row._mapping.keys())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


class Result:
    """What a statement returned: its rows, or how many rows it changed."""

    def __init__(self, result: sa.CursorResult[Any]) -> None:
        self._result = result

    @property
    def rowcount(self) -> int:
        """Rows an ``UPDATE`` or ``DELETE`` changed."""
        return int(self._result.rowcount)

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        row = self._result.fetchone()
        return Row(row) if row is not None else None

    def fetchall(self) -> list[Row]:
        """Every remaining row."""
        return [Row(row) for row in self._result.fetchall()]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class Connection:
    """One connection inside a read or a write transaction, as the tables' methods use
    it: SQL written once for both databases, with ``?`` parameters."""

    def __init__(self, conn: sa.Connection) -> None:
        self.sa = conn

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Result:
        """Run one statement with its parameters."""
        clause, _ = _statement(sql)
        return Result(self.sa.execute(clause, _named(params)))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        if rows:
            clause, _ = _statement(sql)
            self.sa.execute(clause, [_named(row) for row in rows])


class Database:
    """One database with the planner's schema; the base of every table's methods.

    Parameters
    ----------
    path
        The database: an SQLite file, or a ``postgresql://`` URL of a server; default
        :func:`default_path`. A file is created, with its folder, on first use; the
        schema is created or upgraded on opening.
    actor
        Who acts through this object (:mod:`planner.accounts`): every write method
        checks the actor's role first and stores its name. Default: the single-user
        local actor (an admin), as before accounts existed.
    upgrade
        Apply the migrations the database lacks on opening (default); ``False`` only
        looks (``python -m planner db check``).

    Raises
    ------
    PlannerError
        ``store.unreadable`` when the file is not a database, ``store.unreachable``
        when no server answers, ``store.too_new`` when its schema is newer than this
        program's.
    """

    def __init__(
        self, path: str | Path | None = None, actor: Actor | None = None, upgrade: bool = True
    ) -> None:
        target = path if path is not None else default_path()
        self.path: Path | str = target if dialect.is_server(target) else Path(target)
        self.actor = actor or LOCAL
        if upgrade:
            self.upgrade()

    @property
    def shown(self) -> str:
        """Where the database is, as messages show it (a server's password masked)."""
        return dialect.shown(self.path)

    def as_actor(self, actor: Actor) -> Database:
        """The same database, acted on by ``actor`` (it is not opened again)."""
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
        return f"{type(self).__name__}({self.shown!r})"

    def _engine(self) -> sa.Engine:
        try:
            if not dialect.is_server(self.path):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            return dialect.engine(str(self.path))
        except (OSError, sa.exc.ArgumentError) as err:
            raise PlannerError("store.unreadable", path=self.shown, error=err) from err

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        engine = self._engine()
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as err:
            raise self._error(err) from err
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._connect() as conn:
            try:
                yield Connection(conn)
            except IntegrityError:
                raise
            except sa.exc.DBAPIError as err:
                raise self._error(err) from err

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction: everything inside commits together or not at all."""
        with self._connect() as conn:
            try:
                dialect.begin_write(conn)
                try:
                    yield Connection(conn)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            except IntegrityError:
                raise  # the caller says which rule was broken (a name taken…)
            except sa.exc.DBAPIError as err:
                raise self._error(err) from err

    def _error(self, err: sa.exc.DBAPIError) -> PlannerError:
        """A database error in words: ``store.busy`` while another process writes,
        ``store.unreachable`` when no server answers, else ``store.unreadable``."""
        kind = dialect.error_kind(err, self.backend)
        if kind == "busy":
            return PlannerError("store.busy")
        if kind == "unreachable":
            host, port = dialect.server_address(self.path)
            return PlannerError(
                "store.unreachable", host=host, port=port, error=_first_line(err.orig)
            )
        return PlannerError("store.unreadable", path=self.shown, error=_first_line(err.orig))

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "postgresql" if dialect.is_server(self.path) else "sqlite"

    def upgrade(self) -> tuple[int, int]:
        """Apply the migrations the database lacks, in one transaction.

        Returns
        -------
        tuple of int
            The schema's version before and after.
        """
        with self._read() as conn:
            dialect.prepare(conn.sa)
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return found, found
        with self._write() as conn:
            conn.sa.exec_driver_sql(
                dialect.schema_statement(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
                    self.backend,
                )
            )
            found = _version(conn)  # again inside the lock: another process may have migrated
            if found > SCHEMA_VERSION:
                raise PlannerError(
                    "store.too_new", path=self.shown, found=found, known=SCHEMA_VERSION
                )
            for version, statements in MIGRATIONS:
                if version > found:
                    for statement in statements:
                        conn.sa.exec_driver_sql(dialect.schema_statement(statement, self.backend))
                    conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        (version, _now()),
                    )
        return found, SCHEMA_VERSION

    def schema_version(self) -> int:
        """Version of the schema in the database (0 for a new one)."""
        with self._read() as conn:
            found = _version(conn) if sa.inspect(conn.sa).has_table("schema_version") else 0
        if found > SCHEMA_VERSION:
            raise PlannerError("store.too_new", path=self.shown, found=found, known=SCHEMA_VERSION)
        return found

    # --- small helpers of the tables' methods ------------------------------------------

    @staticmethod
    def _require(conn: Connection, table: str, row_id: Any, missing: str) -> None:
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


def _returned_id(result: Result) -> int:
    """The id an ``INSERT … RETURNING id`` gave its new row."""
    row = result.fetchone()
    assert row is not None  # RETURNING always gives the inserted row
    return int(row[0])


def _version(conn: Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row is not None else 0


def _first_line(err: BaseException | None) -> str:
    """A driver's error without the statement and parameters SQLAlchemy appends."""
    return str(err).strip().splitlines()[0] if err is not None and str(err).strip() else ""

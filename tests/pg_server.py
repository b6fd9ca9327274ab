"""A throw-away PostgreSQL server for the store's tests (fixture ``pg_server`` in conftest).

Debian's ``postgresql`` package (``scripts/setup.sh --dev``) provides ``initdb`` and
``pg_ctl``; the server is initialised in a temporary folder, listens on a free local
port (its unix socket in that folder too), trusts local connections, and is stopped and
removed at the end of the session. PostgreSQL refuses to run as root, so as root the
programs run as the ``postgres`` system user. Without the binaries the tests that need a
server skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa


def bindir() -> Path | None:
    """Folder of ``initdb``/``pg_ctl``: ``pg_config --bindir``, else Debian's; None
    when PostgreSQL is not installed."""
    folders = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        folders.append(out.stdout.strip())
    folders += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in folders:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    """A free local TCP port (for a test server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server in a temporary folder, started by :meth:`start`.

    Parameters
    ----------
    bin_folder
        Folder of ``initdb`` and ``pg_ctl`` (:func:`bindir`).
    """

    def __init__(self, bin_folder: Path) -> None:
        self.bin = Path(bin_folder)
        self.folder = Path(tempfile.mkdtemp(prefix="planner-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "postgres"
        self._count = itertools.count(1)
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres", group="postgres")

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        out = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")

    def start(self) -> None:
        """``initdb`` and start the server; raises RuntimeError when it cannot."""
        self._run(
            self.bin / "initdb", "-D", self.data, "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        # Durability is not what the tests check: no fsync keeps the per-test
        # databases quick to create.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log",
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        """URL of ``database`` on this server."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """URL of a new, empty database."""
        name = f"test_{next(self._count)}"
        engine = sa.create_engine(
            self.url().replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0")
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def execute(target: str | Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Run one statement on a test database (a file or a server URL), outside the
    store; the rows it returned."""
    from planner.store import dialect

    with dialect.engine(str(target)).connect() as conn:
        result = conn.execute(sa.text(sql), params or {})
        rows = [tuple(row) for row in result] if result.returns_rows else []
        conn.commit()
    return rows

"""Persistence of scenarios and their plans in SQLite.

One database file holds every saved scenario and every plan computed from it, so both
survive an app restart. The file is ``$PLANNER_HOME/planner.sqlite`` (default
``~/.recycling-planner/planner.sqlite``); the environment variable ``PLANNER_DB`` names
another file.

Tables
------
``schema_version``
    One row per applied migration (:data:`MIGRATIONS`); the highest is the schema's
    version. Opening an older file applies the missing migrations in one transaction;
    a file written by a newer version of the planner is refused, not damaged.
``scenarios``
    ``id``, ``region``, ``name`` (unique within a region), ``data`` (the scenario as
    JSON), ``created_at``, ``updated_at``.
``plans``
    One row per stored run: the scenario snapshot it answered, status, city indicators
    and tier results (JSON) for listing without unpacking the files.
``plan_files``
    The plan's files (:meth:`planner.plan.Plan.write`) as BLOB rows, so a plan is read
    back exactly as it was written. Deleting a scenario deletes its plans and their
    files (foreign keys with ``ON DELETE CASCADE``).
``sweeps``, ``sweep_points``
    Scenario sweeps (:mod:`planner.sweep`): one row per sweep, keyed by a hash of its
    region and definition, and one row per point, keyed by ``(sweep_id, point_key)``
    (a hash of the point's scenario), so a point can never have two rows. A point is
    ``pending``, ``done`` (solved; its result and optionally its plan as a zip) or
    ``failed`` (its error in both languages); a ``done`` row is never overwritten.

Every write runs in a ``BEGIN IMMEDIATE`` transaction on its own connection with a busy
timeout, and the file uses write-ahead logging, so several app sessions and run workers
can write at the same time without corrupting it. A :class:`Store` holds no open
connection and may be shared between threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.i18n import PlannerError
from planner.paths import planner_home
from planner.plan import Plan
from planner.plan.review import Decision, MoveTarget, SiteReview, check_decision, next_state, replay
from planner.scenario import Scenario
from planner.spreadsheet import csv_bytes

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PlanRecord",
    "ReviewConflict",
    "ScenarioRecord",
    "Store",
    "SweepPointRecord",
    "SweepRecord",
    "default_path",
]


#: Schema migrations, applied in order: ``(version, statements)``. Never edit a released
#: migration; append a new one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE scenarios (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                data TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (region, name)
            )""",
            """CREATE TABLE plans (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
                region TEXT NOT NULL,
                scenario_name TEXT NOT NULL,
                scenario TEXT NOT NULL,
                status TEXT NOT NULL,
                kpis TEXT NOT NULL,
                results TEXT NOT NULL,
                seconds REAL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX plans_by_scenario ON plans (scenario_id)",
            "CREATE INDEX plans_by_region ON plans (region)",
            """CREATE TABLE plan_files (
                plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (plan_id, name)
            )""",
        ),
    ),
    (
        2,
        (
            # The plan a review re-run started from, and the review it honoured.
            "ALTER TABLE plans ADD COLUMN parent_id INTEGER "
            "REFERENCES plans(id) ON DELETE SET NULL",
            "ALTER TABLE plans ADD COLUMN review TEXT",
            # Append-only: a site's state is the replay of its rows; UNIQUE on the
            # version makes two concurrent writers of the same site collide.
            """CREATE TABLE review_decisions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
                plan_id INTEGER REFERENCES plans(id) ON DELETE SET NULL,
                tier TEXT NOT NULL,
                site_id TEXT NOT NULL,
                action TEXT NOT NULL,
                reviewer TEXT NOT NULL,
                reason TEXT NOT NULL,
                move_to TEXT,
                version INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (scenario_id, tier, site_id, version)
            )""",
            "CREATE INDEX review_by_scenario ON review_decisions (scenario_id, tier, site_id)",
        ),
    ),
    (
        3,
        (
            # Scenario sweeps. The ids are content hashes (planner.sweep), so running
            # the same sweep again finds its rows and resumes instead of starting over.
            """CREATE TABLE sweeps (
                id TEXT PRIMARY KEY,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                definition TEXT NOT NULL,
                total INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX sweeps_by_region ON sweeps (region)",
            # The primary key is what makes a point idempotent: one row per point,
            # whatever the number of attempts or of clients writing results.
            """CREATE TABLE sweep_points (
                sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                point_key TEXT NOT NULL,
                idx INTEGER NOT NULL,
                params TEXT NOT NULL,
                scenario TEXT,
                status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                seconds REAL,
                worker TEXT,
                error TEXT,
                result TEXT,
                plan BLOB,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (sweep_id, point_key)
            )""",
            "CREATE INDEX sweep_points_by_status ON sweep_points (sweep_id, status)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
BUSY_TIMEOUT_S = 30.0
_STATUS_ORDER = ["error", "infeasible", "unbounded", "time_limit_feasible", "optimal"]


def default_path() -> Path:
    """The database file: ``$PLANNER_DB``, else ``$PLANNER_HOME/planner.sqlite``."""
    explicit = os.environ.get("PLANNER_DB")
    if explicit:
        return Path(explicit).expanduser()
    return planner_home().expanduser() / "planner.sqlite"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ScenarioRecord:
    """A saved scenario.

    Attributes
    ----------
    id
        Database id.
    region, name
        Region id and display name (unique within the region).
    scenario
        The parameters; ``scenario.name`` equals :attr:`name`.
    created_at, updated_at
        ISO timestamps (UTC).
    plans
        Number of stored plans computed from it.
    """

    id: int
    region: str
    name: str
    scenario: Scenario
    created_at: str
    updated_at: str
    plans: int = 0


@dataclass(frozen=True)
class PlanRecord:
    """A stored plan, without its files (see :meth:`Store.load_plan`).

    Attributes
    ----------
    id, scenario_id
        Database ids.
    region
        Region id it was computed for.
    scenario_name
        Name of the scenario when the plan was stored.
    scenario
        The scenario it answers, as it was when run.
    status
        Worst tier status (``optimal`` only when every tier is).
    kpis
        City indicators (:func:`planner.plan.kpi.city_kpis`).
    results
        Tier results (:class:`planner.plan.TierResult` as dicts).
    seconds
        Wall-clock time of the run, when known.
    created_at
        When it was stored (ISO, UTC).
    parent_id
        For a re-run honouring a review: the plan that was reviewed.
    review
        For such a re-run, what it applied
        (:func:`planner.plan.review.review_summary`): ``{"mode": ..., "versions":
        {"tier/site": version}, "moves": [[tier, old, new], ...]}``.
    """

    id: int
    scenario_id: int
    region: str
    scenario_name: str
    scenario: Scenario
    status: str
    kpis: dict[str, Any]
    results: list[dict[str, Any]] = field(default_factory=list)
    seconds: float | None = None
    created_at: str = ""
    parent_id: int | None = None
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def stations(self) -> int:
        """Number of planned stations."""
        return int(self.kpis.get("stations") or 0)

    @property
    def centres(self) -> int:
        """Number of planned sorting centres."""
        return int(self.kpis.get("sorting_centres") or 0)

    @property
    def has_plan(self) -> bool:
        """Whether every tier produced a usable plan."""
        return self.status in ("optimal", "time_limit_feasible")


@dataclass(frozen=True)
class SweepRecord:
    """A stored scenario sweep (:mod:`planner.sweep`), with its progress.

    Attributes
    ----------
    id
        Hash of the region and the definition (:attr:`planner.sweep.SweepDefinition.id`).
    region, name
        Region id and display name.
    definition
        The definition as a dict (:meth:`planner.sweep.SweepDefinition.to_dict`).
    total, done, failed
        Number of points, of solved points and of failed points.
    created_at, updated_at
        ISO timestamps (UTC); ``updated_at`` moves with every stored result.
    """

    id: str
    region: str
    name: str
    definition: dict[str, Any]
    total: int
    done: int = 0
    failed: int = 0
    created_at: str = ""
    updated_at: str = ""

    @property
    def pending(self) -> int:
        """Points neither solved nor failed yet."""
        return self.total - self.done - self.failed

    @property
    def complete(self) -> bool:
        """Whether every point is solved."""
        return self.done == self.total


@dataclass(frozen=True)
class SweepPointRecord:
    """One point of a sweep, as stored.

    Attributes
    ----------
    sweep_id, key
        The sweep and the point's key (hash of its scenario).
    index
        Position in the sweep (cartesian product order).
    params
        The varied values, ``{dotted path: value}``.
    scenario
        The point's scenario as a dict (``None`` when its values are invalid).
    status
        ``pending``, ``done`` or ``failed``.
    attempts
        How many times a worker started it.
    seconds
        Wall-clock time of the attempt that finished it.
    worker
        Address of the worker that finished it.
    error
        For a failed point: ``{"key": ..., "zh": ..., "en": ...}``.
    result
        For a solved point: plan status, city and county indicators, tier results.
    has_plan
        Whether the plan's files are stored (:meth:`Store.sweep_plan`).
    updated_at
        When the row last changed (ISO, UTC).
    """

    sweep_id: str
    key: str
    index: int
    params: dict[str, Any]
    scenario: dict[str, Any] | None
    status: str
    attempts: int = 0
    seconds: float | None = None
    worker: str | None = None
    error: dict[str, str] | None = None
    result: dict[str, Any] | None = None
    has_plan: bool = False
    updated_at: str = ""

    def error_message(self, lang: str = "zh") -> str:
        """The error in ``lang`` (empty when the point did not fail)."""
        if not self.error:
            return ""
        return self.error.get(lang) or self.error.get("en") or self.error.get("key", "")


class Store:
    """Scenarios and plans in one SQLite file.

    Parameters
    ----------
    path
        Database file; default :func:`default_path`. Created, with its folder and
        schema, on first use.

    Raises
    ------
    PlannerError
        ``store.unreadable`` when the file is not a database, ``store.too_new`` when
        its schema is newer than this program's.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._migrate()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # --- connections and schema --------------------------------------------------------

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
        except sqlite3.OperationalError as err:
            raise _operational(err, self.path) from err
        except sqlite3.DatabaseError as err:
            raise PlannerError("store.unreadable", path=self.path, error=err) from err
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
            raise
        except sqlite3.OperationalError as err:
            raise _operational(err, self.path) from err
        except sqlite3.DatabaseError as err:
            raise PlannerError("store.unreadable", path=self.path, error=err) from err
        finally:
            conn.close()

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

    # --- scenarios -----------------------------------------------------------------------

    def list_scenarios(self, region: str | None = None) -> list[ScenarioRecord]:
        """Saved scenarios (of ``region``, or all), oldest first."""
        query = (
            "SELECT s.*, (SELECT COUNT(*) FROM plans p WHERE p.scenario_id = s.id) AS n "
            "FROM scenarios s"
        )
        args: tuple = ()
        if region is not None:
            query += " WHERE s.region = ?"
            args = (region,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY s.id", args).fetchall()
        return [_scenario_record(row) for row in rows]

    def get_scenario(self, scenario_id: int) -> ScenarioRecord:
        """The scenario with ``scenario_id``; ``store.no_scenario`` if there is none."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM plans p WHERE p.scenario_id = s.id) AS n "
                "FROM scenarios s WHERE s.id = ?",
                (int(scenario_id),),
            ).fetchone()
        if row is None:
            raise PlannerError("store.no_scenario", id=scenario_id)
        return _scenario_record(row)

    def find_scenario(self, region: str, name: str) -> ScenarioRecord | None:
        """The scenario of ``region`` named ``name``, if any."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM scenarios WHERE region = ? AND name = ?", (region, name.strip())
            ).fetchone()
        return self.get_scenario(row["id"]) if row else None

    def unique_name(self, region: str, base: str, exclude: int | None = None) -> str:
        """``base``, or ``base (2)``, ``base (3)``… — the first name free in ``region``."""
        base = base.strip() or "scenario"
        with self._read() as conn:
            taken = {
                row["name"]
                for row in conn.execute(
                    "SELECT name FROM scenarios WHERE region = ? AND id IS NOT ?",
                    (region, exclude),
                )
            }
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        return name

    def save_scenario(self, scenario: Scenario, scenario_id: int | None = None) -> ScenarioRecord:
        """Insert ``scenario`` (``scenario_id`` None) or overwrite the saved one.

        The scenario is validated first (:meth:`Scenario.check`); its ``name`` must be
        non-empty and not used by another scenario of the same region.

        Raises
        ------
        PlannerError
            ``scenario.invalid``, ``store.empty_name``, ``store.name_taken`` or
            ``store.no_scenario``.
        """
        scenario.check()
        name = scenario.name.strip()
        if not name:
            raise PlannerError("store.empty_name")
        scenario = replace(scenario, name=name)
        now = _now()
        try:
            with self._write() as conn:
                if scenario_id is None:
                    cur = conn.execute(
                        "INSERT INTO scenarios (region, name, data, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (scenario.region, name, scenario.to_json(), now, now),
                    )
                    scenario_id = int(cur.lastrowid)
                else:
                    cur = conn.execute(
                        "UPDATE scenarios SET region = ?, name = ?, data = ?, updated_at = ? "
                        "WHERE id = ?",
                        (scenario.region, name, scenario.to_json(), now, int(scenario_id)),
                    )
                    if cur.rowcount == 0:
                        raise PlannerError("store.no_scenario", id=scenario_id)
        except sqlite3.IntegrityError as err:
            raise PlannerError("store.name_taken", region=scenario.region, name=name) from err
        return self.get_scenario(scenario_id)

    def rename_scenario(self, scenario_id: int, name: str) -> ScenarioRecord:
        """Give the saved scenario a new name (its stored plans keep theirs)."""
        record = self.get_scenario(scenario_id)
        return self.save_scenario(replace(record.scenario, name=name), scenario_id)

    def clone_scenario(self, scenario_id: int, name: str | None = None) -> ScenarioRecord:
        """Save a copy of the scenario (not its plans) as a new scenario.

        ``name`` defaults to the original's name made unique (``name (2)``).
        """
        record = self.get_scenario(scenario_id)
        name = name if name is not None else self.unique_name(record.region, record.name)
        return self.save_scenario(replace(record.scenario, name=name))

    def delete_scenario(self, scenario_id: int) -> None:
        """Delete the scenario with its plans and their files."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM scenarios WHERE id = ?", (int(scenario_id),))
            if cur.rowcount == 0:
                raise PlannerError("store.no_scenario", id=scenario_id)

    # --- plans ---------------------------------------------------------------------------

    def save_plan(
        self,
        scenario_id: int,
        plan: Plan | str | Path,
        seconds: float | None = None,
        parent_id: int | None = None,
        review: Mapping[str, Any] | None = None,
    ) -> PlanRecord:
        """Store a plan (a :class:`Plan`, or a folder written by :meth:`Plan.write`).

        All its files are stored, in one transaction with the plan row. ``parent_id``
        and ``review`` record, for a re-run honouring a review, the reviewed plan and
        what was applied (see :attr:`PlanRecord.review`).

        Raises
        ------
        PlannerError
            ``store.no_scenario`` when the scenario does not exist (any more),
            ``plan.missing`` when the folder holds no plan.
        """
        if isinstance(plan, Plan):
            with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
                plan.write(tmp)
                return self.save_plan(scenario_id, tmp, seconds, parent_id, review)
        folder = Path(plan)
        kpis_file = folder / "kpis.json"
        if not kpis_file.exists() or not (folder / "plan.gpkg").exists():
            raise PlannerError("plan.missing", path=folder, file="kpis.json / plan.gpkg")
        meta = json.loads(kpis_file.read_text(encoding="utf-8"))
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        scenario = meta.get("scenario", {})
        results = meta.get("results", [])
        status = min(
            (r.get("status", "error") for r in results),
            key=lambda s: _STATUS_ORDER.index(s) if s in _STATUS_ORDER else 0,
            default="error",
        )
        with self._write() as conn:
            exists = conn.execute(
                "SELECT 1 FROM scenarios WHERE id = ?", (int(scenario_id),)
            ).fetchone()
            if not exists:  # deleted while the plan was being computed
                raise PlannerError("store.no_scenario", id=scenario_id)
            cur = conn.execute(
                "INSERT INTO plans (scenario_id, region, scenario_name, scenario, status, "
                "kpis, results, seconds, created_at, parent_id, review) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    int(scenario_id),
                    str(scenario.get("region", "")),
                    str(scenario.get("name", "")),
                    json.dumps(scenario, ensure_ascii=False),
                    status,
                    json.dumps(meta.get("kpis", {}), ensure_ascii=False),
                    json.dumps(results, ensure_ascii=False),
                    seconds,
                    _now(),
                    int(parent_id) if parent_id is not None else None,
                    json.dumps(dict(review), ensure_ascii=False) if review else None,
                ),
            )
            plan_id = int(cur.lastrowid)
            conn.executemany(
                "INSERT INTO plan_files (plan_id, name, data) VALUES (?, ?, ?)",
                [(plan_id, name, sqlite3.Binary(data)) for name, data in files.items()],
            )
        return self.get_plan(plan_id)

    def list_plans(
        self, scenario_id: int | None = None, region: str | None = None
    ) -> list[PlanRecord]:
        """Stored plans (of a scenario, of a region, or all), newest first."""
        query, args = "SELECT * FROM plans", []
        where = []
        if scenario_id is not None:
            where.append("scenario_id = ?")
            args.append(int(scenario_id))
        if region is not None:
            where.append("region = ?")
            args.append(region)
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id DESC", args).fetchall()
        return [_plan_record(row) for row in rows]

    def get_plan(self, plan_id: int) -> PlanRecord:
        """The stored plan's record; ``store.no_plan`` if there is none."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM plans WHERE id = ?", (int(plan_id),)).fetchone()
        if row is None:
            raise PlannerError("store.no_plan", id=plan_id)
        return _plan_record(row)

    def plan_files(self, plan_id: int) -> dict[str, bytes]:
        """The plan's files by name, byte for byte as written."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT name, data FROM plan_files WHERE plan_id = ? ORDER BY name",
                (int(plan_id),),
            ).fetchall()
        if not rows:
            self.get_plan(plan_id)  # raises store.no_plan when the plan is gone
        return {row["name"]: bytes(row["data"]) for row in rows}

    def load_plan(self, plan_id: int) -> Plan:
        """Read the stored plan back as a :class:`Plan`."""
        files = self.plan_files(plan_id)
        with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
            for name, data in files.items():
                (Path(tmp) / Path(name).name).write_bytes(data)
            return Plan.read(tmp)

    def plan_zip(self, plan_id: int) -> bytes:
        """The plan's files in one zip archive (for download).

        ``sites.csv`` and ``demand.csv`` are derived again from the stored layers, so a
        plan stored before their text cells were escaped against formula injection
        (:mod:`planner.spreadsheet`) downloads as safely as a new one.
        """
        files = self.plan_files(plan_id)
        tables = self.load_plan(plan_id).csv_tables()
        files.update({f"{name}.csv": csv_bytes(frame) for name, frame in tables.items()})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
        return buffer.getvalue()

    def delete_plan(self, plan_id: int) -> None:
        """Delete a stored plan and its files."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM plans WHERE id = ?", (int(plan_id),))
            if cur.rowcount == 0:
                raise PlannerError("store.no_plan", id=plan_id)

    # --- site review -----------------------------------------------------------------

    def record_review(
        self,
        scenario_id: int,
        plan_id: int | None,
        reviewer: str,
        action: str,
        sites: Sequence[tuple[str, str]],
        seen: Mapping[tuple[str, str], int],
        reason: str = "",
        move_to: MoveTarget | None = None,
    ) -> list[Decision]:
        """Store one reviewer's decision on one or more sites, all or nothing.

        Parameters
        ----------
        scenario_id, plan_id
            The scenario whose sites are reviewed and the plan shown to the reviewer.
        reviewer, action, reason, move_to
            See :mod:`planner.plan.review`.
        sites
            ``(tier, site_id)`` pairs.
        seen
            The version of each site the reviewer acted on (:attr:`SiteReview.version`;
            a missing site counts as 0, never reviewed).

        Returns
        -------
        list of Decision
            The stored events.

        Raises
        ------
        ReviewConflict
            When any site has events newer than the version seen (another reviewer got
            there first); nothing is stored and the error lists their decisions.
        PlannerError
            Invalid decision (:func:`planner.plan.review.check_decision`), a locked site,
            or ``store.no_scenario``.
        """
        sites = list(dict.fromkeys((str(t), str(s)) for t, s in sites))
        check_decision(action, reviewer, sites, reason, move_to)
        reviewer, reason = reviewer.strip(), str(reason or "").strip()
        now = _now()
        moved = json.dumps(move_to.to_dict()) if move_to is not None else None
        try:
            with self._write() as conn:
                if not conn.execute(
                    "SELECT 1 FROM scenarios WHERE id = ?", (int(scenario_id),)
                ).fetchone():
                    raise PlannerError("store.no_scenario", id=scenario_id)
                if (
                    plan_id is not None
                    and not conn.execute(
                        "SELECT 1 FROM plans WHERE id = ?", (int(plan_id),)
                    ).fetchone()
                ):
                    raise PlannerError("store.no_plan", id=plan_id)
                history = self._site_history(conn, int(scenario_id), sites)
                newer = [
                    d
                    for key in sites
                    for d in history.get(key, [])
                    if d.version > int(seen.get(key, 0))
                ]
                if newer:
                    raise ReviewConflict(newer)
                stored = []
                for tier, site_id in sites:
                    events = history.get((tier, site_id), [])
                    version = events[-1].version + 1 if events else 1
                    decision = Decision(
                        scenario_id=int(scenario_id),
                        plan_id=int(plan_id) if plan_id is not None else None,
                        tier=tier,
                        site_id=site_id,
                        action=action,
                        reviewer=reviewer,
                        reason=reason,
                        version=version,
                        created_at=now,
                        move_to=move_to,
                    )
                    state = replay(events).get((tier, site_id))
                    next_state(state, decision)  # refuses a locked site's status change
                    cur = conn.execute(
                        "INSERT INTO review_decisions (scenario_id, plan_id, tier, site_id, "
                        "action, reviewer, reason, move_to, version, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            decision.scenario_id, decision.plan_id, tier, site_id, action,
                            reviewer, reason, moved, version, now,
                        ),
                    )  # fmt: skip
                    stored.append(replace(decision, id=int(cur.lastrowid)))
        except sqlite3.IntegrityError as err:
            # Writers are serialised (BEGIN IMMEDIATE) and the scenario and plan were
            # checked inside the transaction, so this is not expected; either way it is
            # never a silent overwrite.
            raise PlannerError("store.busy") from err
        return stored

    def _site_history(
        self, conn: sqlite3.Connection, scenario_id: int, sites: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Decision]]:
        wanted = set(sites)
        rows = conn.execute(
            "SELECT * FROM review_decisions WHERE scenario_id = ? ORDER BY version",
            (scenario_id,),
        ).fetchall()
        out: dict[tuple[str, str], list[Decision]] = {}
        for row in rows:
            key = (row["tier"], row["site_id"])
            if key in wanted:
                out.setdefault(key, []).append(_decision(row))
        return out

    def review_history(
        self, scenario_id: int, tier: str | None = None, site_id: str | None = None
    ) -> list[Decision]:
        """Every review event of the scenario (or of one site), oldest first."""
        query = "SELECT * FROM review_decisions WHERE scenario_id = ?"
        args: list[Any] = [int(scenario_id)]
        if tier is not None:
            query += " AND tier = ?"
            args.append(tier)
        if site_id is not None:
            query += " AND site_id = ?"
            args.append(str(site_id))
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [_decision(row) for row in rows]

    def review_states(self, scenario_id: int) -> dict[tuple[str, str], SiteReview]:
        """Current review state of every reviewed site of the scenario."""
        return replay(self.review_history(scenario_id))

    # --- scenario sweeps -----------------------------------------------------------------

    def start_sweep(
        self,
        sweep_id: str,
        region: str,
        name: str,
        definition: Mapping[str, Any],
        points: Sequence[Mapping[str, Any]],
    ) -> SweepRecord:
        """Register a sweep and its points as ``pending``; keep what is already stored.

        Starting a sweep that exists (the same region and definition) changes none of
        its points, so a resumed sweep keeps every finished result.

        Parameters
        ----------
        sweep_id, region, name, definition
            See :class:`SweepRecord`.
        points
            ``{"key", "index", "params", "scenario"}`` per point (``scenario`` a dict
            or ``None``).
        """
        now = _now()
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sweeps (id, region, name, definition, total, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sweep_id, region, name, json.dumps(dict(definition), ensure_ascii=False),
                    len(points), now, now,
                ),
            )  # fmt: skip
            conn.executemany(
                "INSERT OR IGNORE INTO sweep_points (sweep_id, point_key, idx, params, "
                "scenario, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        sweep_id, p["key"], int(p["index"]),
                        json.dumps(p["params"], ensure_ascii=False),
                        json.dumps(p["scenario"], ensure_ascii=False)
                        if p.get("scenario") is not None else None,
                        now,
                    )
                    for p in points
                ],
            )  # fmt: skip
        return self.get_sweep(sweep_id)

    def record_sweep_point(
        self,
        sweep_id: str,
        key: str,
        status: str,
        *,
        attempts: int = 1,
        seconds: float | None = None,
        worker: str | None = None,
        error: Mapping[str, str] | None = None,
        result: Mapping[str, Any] | None = None,
        plan: bytes | None = None,
    ) -> bool:
        """Store the outcome of one point; never overwrite a ``done`` one.

        Parameters
        ----------
        sweep_id, key
            The point.
        status
            ``done`` or ``failed``.
        attempts
            Worker starts to add to the point's count.
        seconds, worker, error, result
            See :class:`SweepPointRecord`.
        plan
            The plan's files as a zip archive.

        Returns
        -------
        bool
            ``False`` when nothing was written: the point was already done (a
            duplicate result) or is unknown.
        """
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE sweep_points SET status = ?, attempts = attempts + ?, seconds = ?, "
                "worker = ?, error = ?, result = ?, plan = ?, updated_at = ? "
                "WHERE sweep_id = ? AND point_key = ? AND status != 'done'",
                (
                    status, int(attempts), seconds, worker,
                    json.dumps(dict(error), ensure_ascii=False) if error else None,
                    json.dumps(dict(result), ensure_ascii=False) if result else None,
                    plan, now, sweep_id, key,
                ),
            )  # fmt: skip
            if cur.rowcount:
                conn.execute("UPDATE sweeps SET updated_at = ? WHERE id = ?", (now, sweep_id))
        return bool(cur.rowcount)

    def get_sweep(self, sweep_id: str) -> SweepRecord:
        """The sweep with its progress; ``store.no_sweep`` when there is none."""
        with self._read() as conn:
            row = conn.execute(_SWEEP_QUERY + " WHERE s.id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise PlannerError("store.no_sweep", id=sweep_id)
        return _sweep_record(row)

    def list_sweeps(self, region: str | None = None) -> list[SweepRecord]:
        """Stored sweeps (of ``region``, or all), most recently updated first."""
        query, args = _SWEEP_QUERY, ()
        if region is not None:
            query, args = query + " WHERE s.region = ?", (region,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY s.updated_at DESC", args).fetchall()
        return [_sweep_record(row) for row in rows]

    def sweep_points(self, sweep_id: str, status: str | None = None) -> list[SweepPointRecord]:
        """The sweep's points (of one ``status``, or all) in sweep order, without plans."""
        query = _POINT_QUERY + " WHERE sweep_id = ?"
        args: list[Any] = [sweep_id]
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY idx", args).fetchall()
        return [_sweep_point(row) for row in rows]

    def sweep_point(self, sweep_id: str, key: str) -> SweepPointRecord | None:
        """One point of the sweep (without its plan), or ``None``."""
        with self._read() as conn:
            row = conn.execute(
                _POINT_QUERY + " WHERE sweep_id = ? AND point_key = ?", (sweep_id, key)
            ).fetchone()
        return _sweep_point(row) if row is not None else None

    def sweep_plan(self, sweep_id: str, key: str) -> Plan | None:
        """The stored plan of a solved point (``None`` when it was not kept)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT plan FROM sweep_points WHERE sweep_id = ? AND point_key = ?",
                (sweep_id, key),
            ).fetchone()
        if row is None or row["plan"] is None:
            return None
        with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
            with zipfile.ZipFile(io.BytesIO(bytes(row["plan"]))) as archive:
                for name in archive.namelist():
                    (Path(tmp) / Path(name).name).write_bytes(archive.read(name))
            return Plan.read(tmp)

    def delete_sweep(self, sweep_id: str) -> None:
        """Delete a sweep with all its points."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,))
            if cur.rowcount == 0:
                raise PlannerError("store.no_sweep", id=sweep_id)


_SWEEP_QUERY = (
    "SELECT s.*, "
    "(SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.id AND p.status = 'done') "
    "AS n_done, "
    "(SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.id AND p.status = 'failed') "
    "AS n_failed FROM sweeps s"
)

_POINT_QUERY = (
    "SELECT sweep_id, point_key, idx, params, scenario, status, attempts, seconds, worker, "
    "error, result, updated_at, plan IS NOT NULL AS has_plan FROM sweep_points"
)


def _sweep_record(row: sqlite3.Row) -> SweepRecord:
    return SweepRecord(
        id=row["id"],
        region=row["region"],
        name=row["name"],
        definition=json.loads(row["definition"]),
        total=int(row["total"]),
        done=int(row["n_done"]),
        failed=int(row["n_failed"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _sweep_point(row: sqlite3.Row) -> SweepPointRecord:
    def _json(name: str) -> Any:
        return json.loads(row[name]) if row[name] else None

    return SweepPointRecord(
        sweep_id=row["sweep_id"],
        key=row["point_key"],
        index=int(row["idx"]),
        params=json.loads(row["params"]),
        scenario=_json("scenario"),
        status=row["status"],
        attempts=int(row["attempts"]),
        seconds=row["seconds"],
        worker=row["worker"],
        error=_json("error"),
        result=_json("result"),
        has_plan=bool(row["has_plan"]),
        updated_at=row["updated_at"],
    )


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _operational(err: sqlite3.OperationalError, path: Path) -> PlannerError:
    if "locked" in str(err) or "busy" in str(err):
        return PlannerError("store.busy")
    return PlannerError("store.unreadable", path=path, error=err)


def _scenario_record(row: sqlite3.Row) -> ScenarioRecord:
    scenario = Scenario.from_dict(json.loads(row["data"]))
    return ScenarioRecord(
        id=int(row["id"]),
        region=row["region"],
        name=row["name"],
        scenario=replace(scenario, name=row["name"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        plans=int(row["n"]) if "n" in row.keys() else 0,  # noqa: SIM118 (sqlite3.Row)
    )


def _plan_record(row: sqlite3.Row) -> PlanRecord:
    return PlanRecord(
        id=int(row["id"]),
        scenario_id=int(row["scenario_id"]),
        region=row["region"],
        scenario_name=row["scenario_name"],
        scenario=Scenario.from_dict(json.loads(row["scenario"])),
        status=row["status"],
        kpis=json.loads(row["kpis"]),
        results=json.loads(row["results"]),
        seconds=row["seconds"],
        created_at=row["created_at"],
        parent_id=row["parent_id"],
        review=json.loads(row["review"]) if row["review"] else {},
    )


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        id=int(row["id"]),
        scenario_id=int(row["scenario_id"]),
        plan_id=row["plan_id"],
        tier=row["tier"],
        site_id=row["site_id"],
        action=row["action"],
        reviewer=row["reviewer"],
        reason=row["reason"],
        version=int(row["version"]),
        created_at=row["created_at"],
        move_to=MoveTarget.from_dict(json.loads(row["move_to"])) if row["move_to"] else None,
    )


class _ConflictLine:
    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def message(self, lang: str = "zh") -> str:
        from planner.i18n import t

        d = self.decision
        reason = f"（{d.reason}）" if lang == "zh" else f" ({d.reason})"
        return t(
            "store.review_conflict_line",
            lang,
            site=d.site_id,
            reviewer=d.reviewer,
            at=d.created_at[:19].replace("T", " ") + " UTC",
            action=t(f"review.action.{d.action}", lang),
            reason=reason if d.reason else "",
        )


class ReviewConflict(PlannerError):
    """Another reviewer changed some of the sites since they were shown.

    Attributes
    ----------
    decisions
        The other reviewers' events the caller had not seen.
    """

    def __init__(self, decisions: Sequence[Decision]) -> None:
        self.decisions = tuple(decisions)
        sites = {(d.tier, d.site_id) for d in self.decisions}
        super().__init__(
            "store.review_conflict",
            details=[_ConflictLine(d) for d in self.decisions],
            count=len(sites),
        )

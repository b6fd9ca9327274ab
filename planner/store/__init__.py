"""Persistence of scenarios, plans, review decisions and sweeps in SQLite or PostgreSQL.

One database holds every saved scenario and every plan computed from it, so both
survive an app restart. By default it is the SQLite file
``$PLANNER_HOME/planner.sqlite`` (default ``~/.recycling-planner/planner.sqlite``); the
environment variable ``PLANNER_DB`` names another file, or a PostgreSQL server that
several app processes share (``postgresql://user@host:port/db``).

Modules (one per group of tables)
---------------------------------
:mod:`~planner.store.database`
    The database, its connections and transactions, and table ``schema_version`` (one
    row per applied migration); :mod:`~planner.store.migrations` holds the schema and
    :mod:`~planner.store.dialect` what differs between SQLite and PostgreSQL.
:mod:`~planner.store.scenarios`
    Table ``scenarios``.
:mod:`~planner.store.plans`
    Tables ``plans`` and ``plan_files``.
:mod:`~planner.store.reviews`
    Table ``review_decisions``.
:mod:`~planner.store.overrides`
    Table ``site_overrides``: the audit trail of existing sites' actions.
:mod:`~planner.store.sweeps`
    Tables ``sweeps`` and ``sweep_points``.
:mod:`~planner.store.users`
    Tables ``users``, ``login_attempts`` and ``sessions`` (:mod:`planner.accounts`).

Every write runs in a transaction on its own connection holding the database's one
write lock (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so several app
sessions, app processes and run workers can write at the same time without corrupting
anything. A :class:`Store` holds no open connection (a server's are pooled per process)
and may be shared between threads.
"""

from __future__ import annotations

from planner.store.database import default_path
from planner.store.inventory import InventoryEditRecord, InventoryTables
from planner.store.migrations import MIGRATIONS, SCHEMA_VERSION
from planner.store.overrides import OverrideRecord, OverrideTables
from planner.store.plans import PlanRecord, PlanTables
from planner.store.preferences import PreferenceTables
from planner.store.reviews import ReviewConflict, ReviewTables
from planner.store.scenarios import ScenarioRecord, ScenarioTables
from planner.store.sweeps import SweepPointRecord, SweepRecord, SweepTables
from planner.store.users import LoginResult, UserRecord, UserTables

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "InventoryEditRecord",
    "LoginResult",
    "OverrideRecord",
    "PlanRecord",
    "ReviewConflict",
    "ScenarioRecord",
    "Store",
    "SweepPointRecord",
    "SweepRecord",
    "UserRecord",
    "default_path",
]


class Store(
    ScenarioTables,
    PlanTables,
    ReviewTables,
    OverrideTables,
    InventoryTables,
    SweepTables,
    PreferenceTables,
    UserTables,
):
    """Scenarios, plans, review decisions, overrides, inventory edits and sweeps in one
    database (an SQLite file or a PostgreSQL server).

    The class is assembled from one mixin per group of tables (each a subclass of
    :class:`~planner.store.database.Database`, which owns the file, its connections
    and its schema), rather than a facade delegating to per-table objects: callers
    keep one object with every method (``store.save_plan``, ``store.record_review``…),
    nothing repeats the methods' signatures, and each module holds the SQL of its own
    tables. The mixins share only the connection helpers of ``Database``.

    Parameters
    ----------
    path
        Database file, or ``postgresql://`` URL of a server; default
        :func:`default_path`. Created, with its folder and schema, on first use; an
        older database gains the migrations it lacks.

    Raises
    ------
    PlannerError
        ``store.unreadable`` when the file is not a database, ``store.unreachable``
        when no server answers, ``store.too_new`` when its schema is newer than this
        program's.
    """

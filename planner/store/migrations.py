"""The database schema, as the migrations that build it.

Opening a database applies the migrations it lacks (:meth:`planner.store.database.Database`,
``python -m planner db upgrade``); the highest applied is the schema's version. Never
edit a released migration: a database written by an earlier version of the planner must
still open. Append a new one.

The statements are written once, in SQLite's words; on PostgreSQL the few that differ
(``INTEGER PRIMARY KEY AUTOINCREMENT``, ``BLOB``, ``REAL``) are read as its own by
:func:`planner.store.dialect.schema_statement`, which a new migration may rely on: keep
to those words and to SQL both databases accept (``ALTER TABLE … ADD COLUMN``, ``CREATE
INDEX``; no ``PRAGMA``, no table rebuilds without a test on both).
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

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
    (
        4,
        (
            # Overrides of an existing site's action (planner.scenario.overrides), as
            # the review decisions: append-only, one row per change (who, when, the
            # action before and after, why); UNIQUE on the version makes two
            # concurrent writers of the same site collide.
            """CREATE TABLE site_overrides (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
                tier TEXT NOT NULL,
                site_id TEXT NOT NULL,
                old_action TEXT NOT NULL,
                new_action TEXT NOT NULL,
                author TEXT NOT NULL,
                reason TEXT NOT NULL,
                version INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (scenario_id, site_id, version)
            )""",
            "CREATE INDEX overrides_by_scenario ON site_overrides (scenario_id, site_id)",
        ),
    ),
    (
        5,
        (
            # Edits of the inventory of existing sites (planner.data.edit.inventory):
            # append-only, one row per field changed — who, when, the value before and
            # after, why. Keyed by the region's id: the inventory lives in its pack.
            """CREATE TABLE inventory_edits (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                region TEXT NOT NULL,
                site_id TEXT NOT NULL,
                field TEXT NOT NULL,
                old_value TEXT NOT NULL,
                new_value TEXT NOT NULL,
                author TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX inventory_edits_by_region ON inventory_edits (region, site_id)",
        ),
    ),
    (
        6,
        (
            # What the app remembers between visits (planner.store.preferences), e.g.
            # the region last worked on.
            """CREATE TABLE preferences (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
        ),
    ),
    (
        7,
        (
            # Accounts (planner.store.users, planner.accounts): no row means single-user
            # local mode. Only the argon2 hash of a password is stored.
            """CREATE TABLE users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL DEFAULT '',
                role TEXT NOT NULL,
                enabled INTEGER NOT NULL DEFAULT 1,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                last_login_at TEXT
            )""",
            # Every login attempt, kept for the rate limit on failures and as a trail.
            """CREATE TABLE login_attempts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                succeeded INTEGER NOT NULL,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX login_attempts_by_name ON login_attempts (name, at)",
            # A session's token is kept only as its SHA-256: the table alone logs no one in.
            """CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
            # Who did each write and in which role. Rows written before accounts have
            # "local", or for the append-only trails "" (read back as the name typed
            # then: reviewer, author — no code updates a trail's rows); their role is "".
            "ALTER TABLE scenarios ADD COLUMN user_name TEXT NOT NULL DEFAULT 'local'",
            "ALTER TABLE scenarios ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE plans ADD COLUMN user_name TEXT NOT NULL DEFAULT 'local'",
            "ALTER TABLE plans ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE review_decisions ADD COLUMN user_name TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE review_decisions ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE site_overrides ADD COLUMN user_name TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE site_overrides ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE inventory_edits ADD COLUMN user_name TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE inventory_edits ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE sweeps ADD COLUMN user_name TEXT NOT NULL DEFAULT 'local'",
            "ALTER TABLE sweeps ADD COLUMN user_role TEXT NOT NULL DEFAULT ''",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

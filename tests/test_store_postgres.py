"""The store on a PostgreSQL server: the same schema as SQLite, messages that name the
server and never its password, ``db upgrade``/``db check``, and two app processes
deciding on one plan's sites at the same time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.cli import main
from planner.i18n import PlannerError
from planner.scenario import default_scenario
from planner.store import SCHEMA_VERSION, Store, default_path, dialect
from tests.pg_server import execute

ROOT = Path(__file__).resolve().parents[1]


def _on_delete(target: str | Path, table: str, inspector: sa.Inspector) -> list[tuple]:
    """``(column, referred table, ON DELETE)`` of a table's foreign keys. SQLite's
    inspector does not report ON DELETE, so there it is SQLite's own pragma."""
    if inspector.dialect.name == "sqlite":
        rows = execute(target, f"PRAGMA foreign_key_list({table})")
        found = [(row[3], row[2], row[6]) for row in rows]
    else:
        found = [
            (fk["constrained_columns"][0], fk["referred_table"], fk["options"].get("ondelete"))
            for fk in inspector.get_foreign_keys(table)
        ]
    return sorted(
        (col, ref, None if rule in (None, "NO ACTION") else rule) for col, ref, rule in found
    )


def _schema(target: str | Path) -> dict[str, dict]:
    """Tables of a database as SQLAlchemy's inspector reads them, in words both
    databases share: columns (name, nullable), primary key, foreign keys, unique
    columns, indexes. (SQLite reports a primary key's column as nullable and
    PostgreSQL a unique constraint's index as an index: neither is compared.)"""
    inspector = sa.inspect(dialect.engine(str(target)))
    out = {}
    for table in sorted(inspector.get_table_names()):
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        out[table] = {
            "columns": [
                (c["name"], c["nullable"] or c["name"] in key) for c in inspector.get_columns(table)
            ],
            "primary_key": key,
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "on_delete": _on_delete(target, table, inspector),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]))
                for i in inspector.get_indexes(table)
                if not i["name"].startswith("sqlite_autoindex") and "duplicates_constraint" not in i
            ),
        }
    return out


def test_migrations_from_empty_give_the_same_schema_on_both(tmp_path, pg_server) -> None:
    url = pg_server.new_database()
    sqlite = Store(tmp_path / "planner.sqlite")
    server = Store(url)
    assert sqlite.schema_version() == server.schema_version() == SCHEMA_VERSION
    on_sqlite, on_server = _schema(sqlite.path), _schema(url)
    assert {"scenarios", "plans", "review_decisions", "users", "schema_version"} <= set(on_sqlite)
    assert on_server == on_sqlite
    # the types differ only where the dialect hook says: 8-byte floats, bytes, identity ids
    columns = {c["name"]: c for c in sa.inspect(dialect.engine(url)).get_columns("plans")}
    assert isinstance(columns["seconds"]["type"], sa.Float)
    assert columns["seconds"]["type"].precision in (None, 53)  # DOUBLE PRECISION, not REAL
    assert isinstance(columns["id"]["type"], sa.BigInteger)  # SQLite's 8-byte INTEGER
    assert isinstance(columns["scenario_id"]["type"], sa.BigInteger)
    files = sa.inspect(dialect.engine(url)).get_columns("plan_files")
    assert isinstance(next(c for c in files if c["name"] == "data")["type"], sa.LargeBinary)
    # each migration applied once, in one go
    assert [r[0] for r in execute(url, "SELECT version FROM schema_version ORDER BY version")] == (
        list(range(1, SCHEMA_VERSION + 1))
    )


def test_an_unreachable_server_is_named_and_its_password_never_shown(monkeypatch) -> None:
    from tests.pg_server import free_port

    port = free_port()  # nothing listens there
    url = f"postgresql://planner:s3cret-pw@127.0.0.1:{port}/planner"
    with pytest.raises(PlannerError) as err:
        Store(url)
    assert err.value.key == "store.unreachable"
    for lang in ("zh", "en"):
        message = err.value.message(lang)
        assert f"127.0.0.1:{port}" in message and "s3cret-pw" not in message
    assert "PostgreSQL" in err.value.message("en") and "服务器" in err.value.message("zh")
    # repr and the shown target mask the password too
    database = Store(url, upgrade=False)
    assert "s3cret-pw" not in repr(database) and "s3cret-pw" not in database.shown
    assert f"planner:***@127.0.0.1:{port}/planner" in database.shown
    monkeypatch.setenv("PLANNER_DB", url)
    assert default_path() == url  # a URL is not turned into a file path


def test_a_writer_waiting_too_long_is_busy(db_target, monkeypatch) -> None:
    """Another process holds the write lock longer than the busy timeout: the write is
    refused with ``store.busy`` and stores nothing; reads do not wait."""
    store = Store(db_target)
    monkeypatch.setattr(dialect, "BUSY_TIMEOUT_S", 0.3)
    holder = dialect.engine(str(db_target)).connect()  # another process, mid-write
    try:
        if store.backend == "sqlite":
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": dialect.WRITE_LOCK_KEY}
            )
        with pytest.raises(PlannerError) as err:
            store.save_scenario(default_scenario("jinjiang"))
        assert err.value.key == "store.busy"
        assert "稍后重试" in err.value.message("zh") and "try again" in err.value.message("en")
        assert store.list_scenarios() == []
    finally:
        holder.close()
    assert store.save_scenario(default_scenario("jinjiang")).id == 1


def _child_pool(url: str) -> tuple[int, int]:
    """In a forked child: idle connections inherited, then scenarios seen."""
    inherited = dialect.engine(url).pool.checkedin()
    return inherited, len(Store(url).list_scenarios())


def test_a_forked_process_opens_its_own_connections(pg_server) -> None:
    import multiprocessing as mp

    url = pg_server.new_database()
    store = Store(url)
    store.save_scenario(default_scenario("jinjiang"))
    assert dialect.engine(url).pool.checkedin() >= 1  # the parent keeps an idle one
    with mp.get_context("fork").Pool(1) as pool:
        assert pool.apply(_child_pool, (url,)) == (0, 1)  # none shared with the parent
    assert len(store.list_scenarios()) == 1  # the parent's connections still work
    dialect.forget(url)


def test_sweeps_preferences_and_inventory_edits_on_both(db_target) -> None:
    """The tables the review and store tests do not cover, on each backend: a sweep
    resumed keeps its results (ON CONFLICT DO NOTHING), a preference overwritten
    (ON CONFLICT DO UPDATE), an inventory edit's rows with their new ids."""
    from planner.data.edit.inventory import SiteEdit

    store = Store(db_target)
    points = [{"key": f"p{i}", "index": i, "params": {"n": i}, "scenario": None} for i in range(3)]
    assert store.start_sweep("sw", "jinjiang", "扫描", {"a": 1}, points).total == 3
    plan = bytes(range(256)) * 10  # a zip's bytes, not text
    assert store.record_sweep_point(
        "sw", "p1", "done", seconds=1.5, result={"cost": 2.0}, plan=plan
    )
    assert not store.record_sweep_point("sw", "p1", "failed")  # a done point is never overwritten
    store.start_sweep("sw", "jinjiang", "扫描", {"a": 1}, points)  # resumed: nothing changes
    done = store.sweep_point("sw", "p1")
    assert (done.status, done.attempts, done.seconds) == ("done", 1, 1.5)
    assert [p.key for p in store.sweep_points("sw", "pending")] == ["p0", "p2"]
    assert execute(db_target, "SELECT plan FROM sweep_points WHERE point_key = 'p1'") == [(plan,)]

    assert store.preference("last_region") is None
    store.set_preference("last_region", "wenzhou")
    store.set_preference("last_region", "jinjiang")
    assert store.preference("last_region") == "jinjiang"

    edits = [SiteEdit("E1", "name", "旧名", "新名"), SiteEdit("E1", "capacity_t", "", "3")]
    stored = store.record_inventory_edits("jinjiang", edits, "王工", "核实")
    assert [r.id for r in stored] == [1, 2]
    history = store.inventory_history("jinjiang", "E1")
    assert [(r.field, r.old_value, r.new_value) for r in history] == [
        ("name", "旧名", "新名"),
        ("capacity_t", "", "3"),
    ]


# --- python -m planner db upgrade / check --------------------------------------------------------


def test_db_upgrade_and_check(db_target, capsys) -> None:
    target = str(db_target)
    assert main(["db", "check", "--db", target, "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f"schema version 0, this program needs {SCHEMA_VERSION}" in out
    assert "db upgrade" in out
    if not str(target).startswith("postgresql"):
        assert not Path(target).exists()  # checking created nothing
    assert main(["db", "upgrade", "--db", target, "--lang", "en"]) == 0
    assert f"from schema version 0 to {SCHEMA_VERSION}" in capsys.readouterr().out
    assert Store(target, upgrade=False).schema_version() == SCHEMA_VERSION
    assert main(["db", "upgrade", "--db", target]) == 0
    assert f"已是最新（版本 {SCHEMA_VERSION}）" in capsys.readouterr().out
    assert main(["db", "check", "--db", target]) == 0
    assert f"结构版本 {SCHEMA_VERSION} 与本程序一致" in capsys.readouterr().out
    # a database of a newer program: check says so and fails, upgrade leaves it alone
    execute(
        target,
        "INSERT INTO schema_version (version, applied_at) VALUES (:v, 'future')",
        {"v": SCHEMA_VERSION + 1},
    )
    for command in ("check", "upgrade"):
        assert main(["db", command, "--db", target, "--lang", "en"]) == 2
        assert "newer version of the planner" in capsys.readouterr().err
    assert execute(target, "SELECT MAX(version) FROM schema_version") == [(SCHEMA_VERSION + 1,)]


def test_db_check_of_an_unreachable_server_fails_with_its_address(capsys) -> None:
    from tests.pg_server import free_port

    port = free_port()
    url = f"postgresql://planner:s3cret-pw@127.0.0.1:{port}/planner"
    assert main(["db", "check", "--db", url, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert f"Cannot reach the PostgreSQL database server 127.0.0.1:{port}" in err
    assert "s3cret-pw" not in err


# --- two app processes on one database -----------------------------------------------------------

# One app process's review page, deciding as fast as it can: it reads the sites' states
# (what the page shows), then stores a decision on a few of them with the versions it
# saw, as planner.ui.pages.review._submit does.
_APP_PROCESS = """
import json, random, sys
from planner.store import ReviewConflict, Store

db, scenario_id, who, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
store = Store(db)
rng = random.Random(who)
sites = [("station", f"s{i}") for i in range(5)]
accepted, conflicts = [], []
for k in range(rounds):
    seen = {key: s.version for key, s in store.review_states(scenario_id).items()}
    batch = rng.sample(sites, rng.randint(1, 3))
    action = ("approve", "comment", "reject")[k % 3]
    try:
        stored = store.record_review(scenario_id, None, who, action, batch, seen,
                                     reason=f"{who}-{k}")
        accepted += [[d.site_id, d.version, d.reason] for d in stored]
    except ReviewConflict as err:
        conflicts.append([[s for _, s in batch], {s: seen.get(("station", s), 0) for _, s in batch},
                          [[d.site_id, d.version] for d in err.decisions]])
print(json.dumps({"accepted": accepted, "conflicts": conflicts}))
"""


@pytest.mark.slow
def test_two_app_processes_decide_at_once_and_lose_nothing(db_target) -> None:
    """Two app server processes on one database decide on overlapping sites at once:
    every accepted decision is stored once with the next version of its site, and every
    refused one is a ReviewConflict naming the newer decisions it missed."""
    store = Store(db_target)
    scenario_id = store.save_scenario(default_scenario("jinjiang")).id
    rounds = 60
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _APP_PROCESS,
                str(db_target),
                str(scenario_id),
                who,
                str(rounds),
            ],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for who in ("app-a", "app-b")
    ]
    results = {}
    for who, proc in zip(("app-a", "app-b"), procs, strict=True):
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0  # any error other than a ReviewConflict fails here
        results[who] = json.loads(out)

    history = store.review_history(scenario_id)
    stored = sorted((d.site_id, d.version, d.reason) for d in history)
    accepted = sorted(tuple(a) for r in results.values() for a in r["accepted"])
    assert stored == accepted  # none lost, none written twice, nothing unaccounted
    for who, r in results.items():
        batches = {a[2] for a in r["accepted"]}
        assert len(batches) + len(r["conflicts"]) == rounds  # each round stored or refused
        assert all(d.user_name == who for d in history if d.reason.startswith(who))
    by_site: dict[str, list[int]] = {}
    for site, version, _ in stored:
        by_site.setdefault(site, []).append(version)
    for versions in by_site.values():
        assert sorted(versions) == list(range(1, len(versions) + 1))  # no gap, no duplicate
    # a conflict names decisions really stored, newer than what its process had seen
    versions = {(d.site_id, d.version) for d in history}
    for r in results.values():
        for sites, seen, newer in r["conflicts"]:
            assert newer and all((site, v) in versions for site, v in newer)
            assert all(site in sites and v > seen[site] for site, v in newer)


def test_sql_is_written_once_with_question_marks(db_target) -> None:
    """The tables' ``?`` parameters reach both drivers; a ``?`` or ``:word`` inside a
    quoted literal stays text."""
    from planner.store.database import _statement

    clause, count = _statement("SELECT ? AS a, 'why? ask :noon' AS b, ? AS c")
    assert count == 2 and set(clause.compile().params) == {"p0", "p1"}
    store = Store(db_target)
    with store._read() as conn:
        row = conn.execute("SELECT ? AS a, 'why? ask :noon' AS b, ? AS c", ("x", "y")).fetchone()
    assert (row["a"], row["b"], row["c"]) == ("x", "why? ask :noon", "y") == tuple(row)
    assert row.keys() == ["a", "b", "c"]

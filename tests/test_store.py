"""The scenario and plan database: CRUD, persistence, plan files, migrations, concurrency."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace
from pathlib import Path

import pytest

from planner.i18n import PlannerError
from planner.scenario import Scenario, default_scenario
from planner.store import MIGRATIONS, SCHEMA_VERSION, Store, default_path
from planner.store.database import IntegrityError
from tests.pg_server import execute


@pytest.fixture
def db(db_target) -> Path | str:
    """An empty database: an SQLite file, or one on the test PostgreSQL server."""
    return db_target


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory) -> Path:
    """A real Jinjiang plan written to a folder (solved once for the module)."""
    from planner.run import run_plan

    folder = tmp_path_factory.mktemp("plan")
    run_plan("jinjiang", default_scenario("jinjiang")).write(folder)
    return folder


def test_default_path_follows_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PLANNER_DB", raising=False)
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / "planner.sqlite"
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "elsewhere.db"))
    assert default_path() == tmp_path / "elsewhere.db"
    store = Store()
    assert store.path == tmp_path / "elsewhere.db" and store.path.exists()


def test_scenario_crud(db) -> None:
    store = Store(db)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.list_scenarios() == []

    jj = store.save_scenario(default_scenario("jinjiang"))
    assert jj.id > 0 and jj.region == "jinjiang" and jj.name == "晋江市 2027 年目标"
    assert jj.scenario == default_scenario("jinjiang")
    wz = store.save_scenario(default_scenario("wenzhou"))
    assert [r.id for r in store.list_scenarios()] == [jj.id, wz.id]
    assert [r.id for r in store.list_scenarios("wenzhou")] == [wz.id]

    # update in place
    changed = jj.scenario.with_changes(**{"stations.count": 90})
    updated = store.save_scenario(changed, jj.id)
    assert updated.id == jj.id and updated.scenario.stations.count == 90
    assert updated.updated_at >= jj.updated_at and updated.created_at == jj.created_at

    # clone: a new scenario with a free name; the original is untouched
    clone = store.clone_scenario(jj.id)
    assert clone.id != jj.id and clone.name == "晋江市 2027 年目标 (2)"
    assert clone.scenario.stations.count == 90
    named = store.clone_scenario(jj.id, "试点方案")
    assert named.name == "试点方案" and named.scenario.name == "试点方案"

    # rename, and names are unique within a region (not across regions)
    renamed = store.rename_scenario(clone.id, "方案 B")
    assert renamed.name == "方案 B" and store.get_scenario(clone.id).scenario.name == "方案 B"
    with pytest.raises(PlannerError) as err:
        store.rename_scenario(clone.id, "试点方案")
    assert err.value.key == "store.name_taken" and "试点方案" in err.value.message("zh")
    store.save_scenario(replace(default_scenario("wenzhou"), name="试点方案"))
    assert store.find_scenario("jinjiang", "方案 B").id == clone.id
    with pytest.raises(PlannerError) as err:
        store.save_scenario(replace(default_scenario("jinjiang"), name="  "))
    assert err.value.key == "store.empty_name"

    # delete
    store.delete_scenario(clone.id)
    with pytest.raises(PlannerError) as err:
        store.get_scenario(clone.id)
    assert err.value.key == "store.no_scenario"
    with pytest.raises(PlannerError):
        store.delete_scenario(clone.id)


def test_invalid_scenario_is_refused_with_its_reasons(db) -> None:
    store = Store(db)
    bad = replace(
        default_scenario("jinjiang"),
        stations=replace(default_scenario("jinjiang").stations, count=0),
    )
    with pytest.raises(PlannerError) as err:
        store.save_scenario(bad)
    assert err.value.key == "scenario.invalid"
    assert "必须大于 0" in err.value.message("zh")
    assert store.list_scenarios() == []


def test_scenarios_persist_across_store_objects(db) -> None:
    first = Store(db)
    saved = first.save_scenario(default_scenario("wenzhou"))
    del first
    again = Store(db)  # as after an app restart
    (loaded,) = again.list_scenarios()
    assert loaded.id == saved.id and loaded.scenario == default_scenario("wenzhou")
    assert loaded.scenario.stations.count == 1550
    versions = [row[0] for row in execute(db, "SELECT version FROM schema_version")]
    assert versions == [v for v, _ in MIGRATIONS]  # each migration applied once


def test_plan_storage_round_trip(db, plan_folder) -> None:
    from planner.plan import Plan

    store = Store(db)
    scenario = store.save_scenario(default_scenario("jinjiang"))
    record = store.save_plan(scenario.id, plan_folder, seconds=2.5)
    assert record.scenario_id == scenario.id and record.region == "jinjiang"
    assert record.status == "optimal" and record.has_plan
    assert (record.stations, record.centres) == (80, 2)
    assert record.seconds == 2.5 and record.scenario == default_scenario("jinjiang")
    assert [r["tier"] for r in record.results] == ["station", "sorting_centre"]

    # files come back byte for byte, also through a new Store object
    files = Store(db).plan_files(record.id)
    assert set(files) == {p.name for p in plan_folder.iterdir()}
    for name, data in files.items():
        assert data == (plan_folder / name).read_bytes(), name

    original = Plan.read(plan_folder)
    loaded = Store(db).load_plan(record.id)
    assert len(loaded.stations) == 80 and len(loaded.centres) == 2
    assert loaded.kpis == original.kpis
    assert sorted(loaded.sites["site_id"]) == sorted(original.sites["site_id"])
    assert loaded.results == original.results

    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(store.plan_zip(record.id))) as archive:
        assert set(archive.namelist()) == set(files)

    # a Plan object can be stored directly too
    direct = store.save_plan(scenario.id, original)
    assert direct.stations == 80
    assert [r.id for r in store.list_plans(scenario_id=scenario.id)] == [direct.id, record.id]
    assert [r.id for r in store.list_plans(region="wenzhou")] == []
    store.delete_plan(direct.id)
    with pytest.raises(PlannerError) as err:
        store.load_plan(direct.id)
    assert err.value.key == "store.no_plan"


def test_deleting_a_scenario_deletes_its_plans_and_files(db, plan_folder) -> None:
    store = Store(db)
    keep = store.save_scenario(default_scenario("wenzhou"))
    gone = store.save_scenario(default_scenario("jinjiang"))
    store.save_plan(gone.id, plan_folder)
    store.save_plan(gone.id, plan_folder)
    kept_plan = store.save_plan(keep.id, plan_folder)
    assert store.get_scenario(gone.id).plans == 2

    store.delete_scenario(gone.id)
    assert [r.id for r in store.list_plans()] == [kept_plan.id]
    plan_ids = {row[0] for row in execute(db, "SELECT DISTINCT plan_id FROM plan_files")}
    assert plan_ids == {kept_plan.id}

    with pytest.raises(PlannerError) as err:  # a run finishing after its scenario was deleted
        store.save_plan(gone.id, plan_folder)
    assert err.value.key == "store.no_scenario"
    assert [r.id for r in store.list_plans()] == [kept_plan.id]


def test_newer_schema_is_left_untouched(db) -> None:
    Store(db)
    execute(
        db,
        "INSERT INTO schema_version (version, applied_at) VALUES (:v, 'future')",
        {"v": SCHEMA_VERSION + 1},
    )
    with pytest.raises(PlannerError) as err:
        Store(db)
    assert err.value.key == "store.too_new"
    assert "升级" in err.value.message("zh") and "upgrade" in err.value.message("en")


def test_not_a_database_is_a_plain_message(tmp_path) -> None:
    path = tmp_path / "planner.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(PlannerError) as err:
        Store(path)
    assert err.value.key == "store.unreadable"
    assert str(path) in err.value.message("en")


def test_a_failed_write_changes_nothing(db, plan_folder) -> None:
    store = Store(db)
    scenario = store.save_scenario(default_scenario("jinjiang"))
    # the second statement of the transaction fails
    if store.backend == "sqlite":
        execute(
            db,
            "CREATE TRIGGER boom BEFORE INSERT ON plan_files "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END",
        )
    else:
        execute(db, "ALTER TABLE plan_files ADD CONSTRAINT boom CHECK (name = '')")
    with pytest.raises(IntegrityError):
        store.save_plan(scenario.id, plan_folder)
    assert store.list_plans() == []  # the plan row was rolled back with its files
    assert store.get_scenario(scenario.id).plans == 0


def _writer(args: tuple[str, int, int]) -> list[int]:
    path, worker, count = args
    store = Store(path)
    ids = []
    for i in range(count):
        scenario = Scenario(name=f"w{worker}-{i}", region="jinjiang")
        record = store.save_scenario(scenario)
        store.rename_scenario(record.id, f"w{worker}-{i}-renamed")
        ids.append(record.id)
    return ids


def test_concurrent_writers_do_not_corrupt(db) -> None:
    Store(db)
    workers, count = 4, 25
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        results = pool.map(_writer, [(str(db), w, count) for w in range(workers)])
    ids = [i for chunk in results for i in chunk]
    assert len(ids) == len(set(ids)) == workers * count
    store = Store(db)
    names = sorted(r.name for r in store.list_scenarios())
    assert names == sorted(f"w{w}-{i}-renamed" for w in range(workers) for i in range(count))
    if store.backend == "sqlite":
        assert execute(db, "PRAGMA integrity_check") == [("ok",)]


def test_concurrent_threads_share_one_store(db, plan_folder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = Store(db)
    scenario = store.save_scenario(default_scenario("jinjiang"))
    with ThreadPoolExecutor(4) as pool:
        records = list(pool.map(lambda _: store.save_plan(scenario.id, plan_folder), range(8)))
    assert len({r.id for r in records}) == 8
    assert all(store.plan_files(r.id) == store.plan_files(records[0].id) for r in records)


def test_a_file_written_before_sqlalchemy_opens_and_grows(tmp_path) -> None:
    """A file as the planner wrote it with the plain sqlite3 module (every migration,
    rows with AUTOINCREMENT ids, a BLOB) reads back and takes new rows after the old."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for version, statements in MIGRATIONS:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
        data = default_scenario("jinjiang").to_json()
        conn.execute(
            "INSERT INTO scenarios (id, region, name, data, created_at, updated_at) "
            "VALUES (41, 'jinjiang', '旧情景', ?, 'then', 'then')",
            (data,),
        )
        conn.execute(
            "INSERT INTO plans (id, scenario_id, region, scenario_name, scenario, status, "
            "kpis, results, created_at) VALUES (7, 41, 'jinjiang', '旧情景', ?, 'optimal', "
            "'{}', '[]', 'then')",
            (data,),
        )
        conn.execute(
            "INSERT INTO plan_files VALUES (7, 'a.bin', ?)", (sqlite3.Binary(b"\x00\xff" * 50),)
        )
    conn.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    (old,) = store.list_scenarios()
    assert (old.id, old.name, old.plans) == (41, "旧情景", 1)
    assert old.scenario.stations == default_scenario("jinjiang").stations
    assert store.plan_files(7) == {"a.bin": b"\x00\xff" * 50}
    assert store.save_scenario(Scenario(name="新", region="jinjiang")).id == 42

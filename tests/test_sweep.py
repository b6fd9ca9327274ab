"""Scenario sweeps (planner.sweep): definition, Dask execution, resume, failures, curves.

The Dask tests run small Jinjiang sweeps on LocalClusters of two worker processes.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.i18n import PlannerError
from planner.store import SCHEMA_VERSION, Store, SweepPointRecord
from planner.sweep import (
    EVENT_TOPIC,
    MAX_POINTS,
    SweepDefinition,
    SweepStop,
    dask_client,
    load_curve,
    run_sweep,
)
from planner.sweep.curve import knee_index, marginal_per_100, sweep_curve

pytestmark = pytest.mark.usefixtures("planner_home")

ROOT = Path(__file__).resolve().parents[1]
distributed = pytest.importorskip("distributed")


def _definition(parameters: dict, **extra) -> SweepDefinition:
    return SweepDefinition.from_dict({"parameters": parameters, **extra}, region="jinjiang")


def _problems(data: dict, region: str | None = "jinjiang") -> tuple[str, str]:
    with pytest.raises(PlannerError) as info:
        SweepDefinition.from_dict(data, region=region)
    return info.value.message("zh"), info.value.message("en")


# --- the definition ------------------------------------------------------------------------


def test_range_is_inclusive_and_keys_are_content_hashes() -> None:
    ranged = _definition({"stations.count": {"start": 40, "stop": 80, "step": 20}})
    listed = _definition({"stations.count": [40, 60, 80]}, name="another label")
    assert ranged.parameters[0].values == (40, 60, 80)
    assert [p.params for p in ranged.points()] == [
        {"stations.count": 40},
        {"stations.count": 60},
        {"stations.count": 80},
    ]
    # Same region, base and values: the same sweep and the same point keys.
    assert ranged.id == listed.id
    assert [p.key for p in ranged.points()] == [p.key for p in listed.points()]
    assert len({p.key for p in ranged.points()}) == 3
    assert [p.scenario.stations.count for p in ranged.points()] == [40, 60, 80]
    assert all(p.scenario.region == "jinjiang" for p in ranged.points())
    # Another base scenario is another sweep, with other point keys.
    other = _definition({"stations.count": [40, 60, 80]}, base={"stations.radius_urban_m": 300})
    assert other.id != ranged.id
    assert other.base.stations.radius_urban_m == 300
    assert not {p.key for p in other.points()} & {p.key for p in ranged.points()}


def test_float_range_reaches_its_stop_and_the_product_is_cartesian() -> None:
    definition = _definition(
        {
            "stations.radius_urban_m": {"start": 300, "stop": 500, "step": 100},
            "circuity": {"start": 1.1, "stop": 1.3, "step": 0.1},
        }
    )
    assert definition.parameters[1].values == (1.1, 1.2, 1.3)
    assert definition.size == 9
    points = definition.points()
    assert points[0].params == {"stations.radius_urban_m": 300, "circuity": 1.1}
    assert points[1].params == {"stations.radius_urban_m": 300, "circuity": 1.2}
    assert points[8].params == {"stations.radius_urban_m": 500, "circuity": 1.3}


def test_toml_definition_with_nested_parameter_tables(tmp_path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text(
        'region = "jinjiang"\n[parameters.stations]\ncount = { start = 40, stop = 60, step = 10 }\n'
        "radius_urban_m = [300, 500]\n",
        encoding="utf-8",
    )
    definition = SweepDefinition.load(path)
    assert [(p.path, p.values) for p in definition.parameters] == [
        ("stations.count", (40, 50, 60)),
        ("stations.radius_urban_m", (300, 500)),
    ]
    assert definition.size == 6


def test_base_from_a_scenario_file(tmp_path) -> None:
    from planner.scenario import default_scenario

    base = default_scenario("jinjiang").with_changes(**{"stations.objective": "mclp"})
    base.save(tmp_path / "base.yaml")
    (tmp_path / "sweep.yaml").write_text(
        "region: jinjiang\nbase: base.yaml\nparameters:\n  stations.count: [30, 50]\n",
        encoding="utf-8",
    )
    definition = SweepDefinition.load(tmp_path / "sweep.yaml")
    assert definition.base.stations.objective == "mclp"
    assert [p.scenario.stations.objective for p in definition.points()] == ["mclp", "mclp"]


def test_invalid_definitions_are_explained_in_both_languages() -> None:
    zh, en = _problems({"parameters": {"stations.cuont": [40]}})
    assert "stations.cuont" in zh and "did you mean “stations.count”" in en
    zh, en = _problems({"parameters": {"stations.count": []}})
    assert "没有取值" in zh and "has no values" in en
    _, en = _problems({"parameters": {"stations.count": {"start": 40, "stop": 80, "step": 0}}})
    assert "step of “stations.count” should be above 0" in en
    _, en = _problems({"parameters": {"stations.count": {"start": 80, "stop": 40, "step": 10}}})
    assert "stops at 40, below its start 80" in en
    _, en = _problems({"parameters": {"stations.count": {"start": 40, "stop": 80}}})
    assert "needs exactly start, stop and step" in en
    _, en = _problems({"parameters": {"stations.count": 40}})
    assert "should be a list" in en
    _, en = _problems({"parameters": {"stations.count": [40, 40]}})
    assert "listed twice" in en
    _, en = _problems({"parameters": {"region": ["wenzhou"]}})
    assert "cannot be varied" in en
    _, en = _problems({"parameters": {}})
    assert "Nothing to vary" in en
    zh, en = _problems({"parameters": {"stations.count": {"start": 1, "stop": 5000, "step": 1}}})
    assert f"{MAX_POINTS:,}" in en and "5,000 points" in en and "上限" in zh
    _, en = _problems({"region": "wenzhou", "parameters": {"stations.count": [40]}})
    assert "is for region “wenzhou” but “jinjiang” was asked for" in en
    _, en = _problems({"parameters": {"stations.count": [40]}}, region="atlantis")
    assert "no region “atlantis”" in en
    _, en = _problems({"parameters": {"stations.count": [40]}, "paramters": {}})
    assert "Unknown setting “paramters”" in en
    _, en = _problems({"parameters": {"stations.count": [40, 40.0]}})
    assert "Points 1 and 2 give the same scenario" in en
    zh, en = _problems({"base": {"circuity": -1}, "parameters": {"stations.count": [40]}})
    assert "base scenario is invalid" in en and "基准情景有误" in zh
    # Every problem is listed at once.
    _, en = _problems({"parameters": {"stations.cuont": [1], "stations.count": []}})
    assert "stations.cuont" in en and "has no values" in en


def test_an_invalid_value_makes_a_failed_point_not_a_bad_definition() -> None:
    definition = _definition({"stations.count": [40, 0]})
    ok, bad = definition.points()
    assert ok.scenario is not None and ok.error is None
    assert bad.scenario is None and bad.error.key == "scenario.invalid"
    assert "stations.count" in bad.error.message("en")
    assert ok.key != bad.key


def test_per_county_minimum_can_be_varied() -> None:
    definition = _definition({"stations.county_min.350582": [25, 30]})
    assert [p.scenario.stations.county_min for p in definition.points()] == [
        {"350582": 25},
        {"350582": 30},
    ]


# --- curves and knee -----------------------------------------------------------------------


def test_knee_and_marginal_coverage_on_a_hand_made_curve() -> None:
    x = [100, 200, 300, 400, 500]
    y = [0.0, 0.6, 0.8, 0.85, 0.9]
    # Scaled: x' = 0, .25, .5, .75, 1 and y' = 0, .667, .889, .944, 1; y' − x' peaks
    # (0.417) at the second point.
    assert knee_index(x, y) == 1
    np.testing.assert_allclose(
        marginal_per_100(x, y), [np.nan, 0.6, 0.2, 0.05, 0.05], equal_nan=True
    )
    assert knee_index([0, 1, 2, 3], [0, 1, 2, 3]) is None  # a straight line
    assert knee_index([0, 1], [0, 1]) is None  # too short
    assert knee_index([0, 1, 2], [3, 2, 1]) is None  # falling
    assert knee_index([0, 1, 2], [0, 0.1, 1]) is None  # convex: below its chord
    # Where the station count does not change the marginal value is undefined.
    assert np.isnan(marginal_per_100([10, 10], [0.1, 0.2])[1])


def _point(index: int, stations: int, coverage: float, counties: list[tuple]) -> SweepPointRecord:
    county_kpis = [
        {"county_code": code, "stations": n, "sorting_centres": 1, "coverage_share": c,
         "mean_distance_m": 1000.0 - n, "p95_distance_m": 3000.0 - n,
         "uncovered_population": int(1000 * (1 - c)), "population": 1000}
        for code, n, c in counties
    ]  # fmt: skip
    result = {
        "status": "optimal",
        "kpis": {
            "stations": stations, "sorting_centres": 2, "coverage_share": coverage,
            "mean_distance_m": 2000.0 - stations, "p95_distance_m": 5000.0 - stations,
            "uncovered_population": int(2000 * (1 - coverage)), "population": 2000,
        },
        "county_kpis": county_kpis,
        "results": [
            {"tier": "station", "status": "optimal", "gap": 0.001},
            {"tier": "sorting_centre", "status": "optimal", "gap": 0.0},
        ],
    }  # fmt: skip
    return SweepPointRecord(
        sweep_id="s", key=f"k{index}", index=index, params={"stations.count": stations},
        scenario={}, status="done", attempts=1, seconds=1.5, worker="w", result=result,
    )  # fmt: skip


def test_curve_table_marginals_knee_csv_and_png(tmp_path) -> None:
    points = [
        _point(0, 100, 0.0, [("A", 40, 0.0), ("B", 60, 0.0)]),
        _point(1, 200, 0.6, [("A", 90, 0.5), ("B", 110, 0.7)]),
        _point(2, 300, 0.8, [("A", 140, 0.7), ("B", 160, 0.9)]),
        _point(3, 400, 0.85, [("A", 190, 0.8), ("B", 210, 0.9)]),
        SweepPointRecord(
            sweep_id="s", key="k4", index=4, params={"stations.count": 0}, scenario=None,
            status="failed", attempts=0,
            error={"key": "scenario.invalid", "zh": "情景参数有误", "en": "invalid scenario"},
        ),
    ]  # fmt: skip
    curve = sweep_curve(points, ["stations.count"], county_names={"A": "甲区", "B": "乙县"})
    table = curve.table
    city = curve.city()
    assert list(city["point"]) == [1, 2, 3, 4, 5]
    assert list(city["status"]) == ["done"] * 4 + ["failed"]
    assert city.loc[4, "error"] == "invalid scenario"
    np.testing.assert_allclose(
        city["coverage_gain_per_100_stations"].iloc[:4], [np.nan, 0.6, 0.2, 0.05], equal_nan=True
    )
    assert city.loc[0, "gap_stations"] == pytest.approx(0.001)
    knee = curve.knees()
    assert list(knee["stations"]) == [200] and knee.loc[0, "coverage_share"] == 0.6
    # County rows: per-county marginal along the county's own station count.
    a = table[table["area"] == "A"].sort_values("point")
    assert list(a["area_name"]) == ["甲区"] * 4
    np.testing.assert_allclose(
        a["coverage_gain_per_100_stations"], [np.nan, 1.0, 0.4, 0.2], equal_nan=True
    )
    assert list(a["city_stations"]) == [100, 200, 300, 400]

    csv = curve.write_csv(tmp_path / "out" / "sweep.csv", lang="en")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype={"area": str})
    assert len(back) == 4 * 3 + 1
    assert back.loc[back["area"] == "city", "area_name"].unique().tolist() == ["City"]
    assert back["knee"].sum() == 3  # the city's, and one per county (90 and 110)
    assert set(back.loc[back["knee"], "stations"]) == {200, 90, 110}

    png = curve.write_png(tmp_path / "out" / "sweep.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000


# --- the store -----------------------------------------------------------------------------


def test_store_keeps_one_row_per_point_and_never_overwrites_done(tmp_path) -> None:
    store = Store(tmp_path / "db.sqlite")
    assert SCHEMA_VERSION >= 3 and store.schema_version() == SCHEMA_VERSION
    definition = _definition({"stations.count": [40, 60]})
    rows = [p.row() for p in definition.points()]
    store.start_sweep(definition.id, "jinjiang", definition.name, definition.to_dict(), rows)
    a, b = (p.key for p in definition.points())
    assert store.record_sweep_point(definition.id, a, "done", seconds=1.0, result={"x": 1})
    assert not store.record_sweep_point(definition.id, a, "done", seconds=9.0, result={"x": 2})
    assert not store.record_sweep_point(definition.id, a, "failed", error={"en": "late"})
    assert store.record_sweep_point(definition.id, b, "failed", error={"en": "e", "zh": "错"})
    assert store.record_sweep_point(definition.id, b, "done", attempts=2, result={"x": 3})
    # Starting the same sweep again keeps what is stored.
    store.start_sweep(definition.id, "jinjiang", "renamed", definition.to_dict(), rows)
    points = {p.key: p for p in store.sweep_points(definition.id)}
    assert len(points) == 2
    assert points[a].result == {"x": 1} and points[a].seconds == 1.0
    assert points[b].status == "done" and points[b].attempts == 3
    sweep = store.get_sweep(definition.id)
    assert (sweep.total, sweep.done, sweep.failed, sweep.complete) == (2, 2, 0, True)
    assert sweep.definition["parameters"] == {"stations.count": [40, 60]}
    store.delete_sweep(definition.id)
    assert store.list_sweeps() == [] and store.sweep_points(definition.id) == []


def test_version_2_database_gains_the_sweep_tables_and_keeps_its_rows(tmp_path) -> None:
    import sqlite3

    from planner.scenario import default_scenario
    from planner.store import MIGRATIONS

    path = tmp_path / "v2.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for version, statements in MIGRATIONS[:2]:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
        conn.execute(
            "INSERT INTO scenarios (region, name, data, created_at, updated_at) "
            "VALUES ('jinjiang', '旧情景', ?, 'then', 'then')",
            (default_scenario("jinjiang").to_json(),),
        )
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION >= 3
    assert [r.name for r in store.list_scenarios()] == ["旧情景"]
    assert store.list_sweeps() == []


# --- on Dask -------------------------------------------------------------------------------


def _done_rows(store: Store, sweep_id: str) -> list[SweepPointRecord]:
    return [p for p in store.sweep_points(sweep_id) if p.status == "done"]


def _assert_solved(points: list[SweepPointRecord]) -> None:
    """Each point's plan has the station count asked for, and more stations bring
    people closer (the p-median objective is proven within its gap)."""
    by_count = sorted(points, key=lambda p: p.params["stations.count"])
    for p in by_count:
        assert p.result["status"] == "optimal"
        assert p.result["kpis"]["stations"] == p.params["stations.count"]
        assert p.result["county_kpis"][0]["county_code"] == "350582"
    means = [p.result["kpis"]["mean_distance_m"] for p in by_count]
    assert all(a > b for a, b in itertools.pairwise(means)), means


@pytest.mark.slow
def test_sweep_survives_a_killed_worker(tmp_path) -> None:
    from distributed import Client, LocalCluster

    definition = _definition({"stations.count": {"start": 40, "stop": 80, "step": 10}})
    store = Store(tmp_path / "db.sqlite")
    killed: dict[str, object] = {}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)

        def executing(dask_worker) -> list[str]:
            return [ts.key for ts in dask_worker.state.tasks.values() if ts.state == "executing"]

        def kill_the_other_worker(event) -> None:
            if event.point is None or killed:
                return
            # The worker that did not deliver this result is still solving a point.
            victim = next(a for a in pids if a != event.point.worker)
            deadline = time.monotonic() + 30
            keys: list[str] = []
            while not keys and time.monotonic() < deadline:  # between two tasks
                keys = client.run(executing, workers=[victim])[victim]
            points = [k.rsplit("-", 1)[1] for k in keys]
            while time.monotonic() < deadline:  # its start event has reached the scheduler
                seen = {e[1]["point"] for e in client.get_events(EVENT_TOPIC)}
                if set(points) <= seen:
                    break
                time.sleep(0.05)
            os.kill(pids[victim], signal.SIGKILL)
            killed.update(address=victim, pid=pids[victim], points=points)

        run = run_sweep(
            definition, store, scheduler=cluster.scheduler_address,
            progress=kill_the_other_worker, keep_plans=False,
        )  # fmt: skip
        starts = [e for _, e in client.get_events(EVENT_TOPIC) if e["sweep"] == definition.id]

    assert killed["points"], "the killed worker was solving nothing"
    assert run.complete and not run.stopped
    assert (run.sweep.total, run.sweep.done, run.sweep.failed) == (5, 5, 0)
    rows = store.sweep_points(definition.id)
    assert len(rows) == 5 and len({r.key for r in rows}) == 5
    assert sorted(r.params["stations.count"] for r in _done_rows(store, definition.id)) == [
        40, 50, 60, 70, 80,
    ]  # fmt: skip
    _assert_solved(rows)
    by_key = {r.key: r for r in rows}
    for key in killed["points"]:
        # Solved again elsewhere (a second start), unless it finished just before
        # the kill on the killed worker itself.
        assert by_key[key].attempts >= 2 or by_key[key].worker == killed["address"]
    assert all(r.attempts >= 1 and r.worker and r.seconds > 0 for r in rows)
    # Attempts are the workers' start events, each counted once.
    assert sum(r.attempts for r in rows) == len(starts) >= 5
    # Warm starts: a worker loads the region once, so of five points at most one per
    # worker process (two, and the replacement of the killed one) started cold.
    assert sum(not r.result["warm"] for r in rows) <= 3
    assert sum(r.result["warm"] for r in rows) >= 2


def test_local_cluster_workers_do_not_trim_malloc_and_leave_this_process_as_it_was(
    monkeypatch,
) -> None:
    # Dask's default worker environment made HiGHS run far past its time limit
    # (see planner.sweep.cluster.WORKER_ENVIRON), and its nannies write it into os.environ here.
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    before = dict(os.environ)
    with dask_client(None, workers=2) as client:
        seen = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        omp = client.run(os.environ.get, "OMP_NUM_THREADS")
    assert len(seen) == 2 and set(seen.values()) == {None}
    # Values already set by the user are the workers' too.
    assert set(omp.values()) == {"7"}
    assert dict(os.environ) == before


@pytest.mark.slow
def test_interrupted_sweep_resumes_with_only_the_remaining_points(tmp_path) -> None:
    definition = _definition({"stations.count": [40, 50, 60, 70]})
    store = Store(tmp_path / "db.sqlite")
    events = []
    first = run_sweep(definition, store, workers=2, max_points=2, progress=events.append)
    assert first.stopped and not first.complete
    assert first.computed == 2 and first.sweep.done == 2
    assert [(e.finished, e.total) for e in events] == [(0, 4), (1, 4), (2, 4)]
    assert events[-1].fraction == 0.5 and events[-1].point.status == "done"
    before = {p.key: p for p in _done_rows(store, definition.id)}
    assert all(p.has_plan for p in before.values())

    second = run_sweep(definition, store, workers=2)
    assert second.complete and not second.stopped
    assert (second.computed, second.skipped) == (2, 2)
    after = {p.key: p for p in _done_rows(store, definition.id)}
    assert len(after) == 4
    for key, point in before.items():  # untouched: not computed again
        assert after[key].updated_at == point.updated_at
        assert after[key].attempts == 1
    _assert_solved(list(after.values()))

    # Nothing is left: a third run starts no cluster and computes nothing.
    third = run_sweep(definition, store, workers=2)
    assert (third.computed, third.skipped, third.complete) == (0, 4, True)

    # The stored plan of a point reads back with its indicators.
    point = next(p for p in after.values() if p.params["stations.count"] == 50)
    plan = store.sweep_plan(definition.id, point.key)
    assert len(plan.stations) == 50
    assert plan.kpis["coverage_share"] == pytest.approx(point.result["kpis"]["coverage_share"])


def test_failing_points_are_recorded_and_the_rest_completes(tmp_path) -> None:
    # network mode without a road network fails on the worker (pipeline.no_network);
    # a count of 0 makes an invalid scenario, failed before any worker sees it.
    definition = _definition({"distance_mode": ["straight", "network"], "stations.count": [40, 0]})
    store = Store(tmp_path / "db.sqlite")
    stop_after = []

    def progress(event) -> None:
        stop_after.append(event.finished)

    run = run_sweep(definition, store, workers=2, progress=progress, keep_plans=False)
    assert not run.complete and not run.stopped
    assert (run.sweep.done, run.sweep.failed, run.computed) == (1, 3, 4)
    rows = {(p.params["distance_mode"], p.params["stations.count"]): p for p in
            store.sweep_points(definition.id)}  # fmt: skip
    solved = rows[("straight", 40)]
    assert solved.status == "done" and solved.result["kpis"]["stations"] == 40
    on_network = rows[("network", 40)]
    assert on_network.status == "failed" and on_network.error["key"] == "pipeline.no_network"
    assert "has no road network yet" in on_network.error_message("en")
    assert "还没有路网" in on_network.error_message("zh")
    assert on_network.worker and on_network.attempts == 1
    for mode in ("straight", "network"):
        invalid = rows[(mode, 0)]
        assert invalid.status == "failed" and invalid.error["key"] == "scenario.invalid"
        assert "stations.count" in invalid.error_message("en")
        assert invalid.attempts == 0 and invalid.worker is None
    assert stop_after[-1] == 4

    # Without retrying failures nothing is left to run, and nothing changes.
    again = run_sweep(definition, store, workers=2, retry_failed=False)
    assert (again.computed, again.skipped) == (0, 1)
    assert len(store.sweep_points(definition.id)) == 4

    curve = load_curve(store, definition.id)
    city = curve.city()
    assert list(city["status"]) == ["done", "failed", "failed", "failed"]
    assert pd.isna(city.loc[0, "area_name"])
    assert curve.table["area"].tolist().count("350582") == 1  # the solved point only


def test_a_progress_callback_can_stop_the_sweep(tmp_path) -> None:
    definition = _definition({"stations.count": [40, 50]})
    store = Store(tmp_path / "db.sqlite")

    def stop(event) -> None:
        if event.point is None:
            raise SweepStop

    run = run_sweep(definition, store, workers=2, progress=stop)
    assert run.stopped and run.computed == 0 and run.sweep.pending == 2


# --- the command line ----------------------------------------------------------------------


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLANNER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "planner", "--lang", "en", "sweep", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip


def test_cli_bad_input_is_a_message_and_exit_code_2(tmp_path, planner_home) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters:\n  stations.cuont: [40, 60]\n", encoding="utf-8")
    result = _cli("--region", "jinjiang", "--sweep", str(bad), "--out", str(tmp_path / "o"),
                  home=planner_home)  # fmt: skip
    assert result.returncode == 2
    assert "Error: The sweep definition is invalid" in result.stderr
    assert "did you mean “stations.count”" in result.stderr
    assert "Traceback" not in result.stderr

    missing = _cli("--region", "jinjiang", "--sweep", str(tmp_path / "none.yaml"),
                   "--out", str(tmp_path / "o"), home=planner_home)  # fmt: skip
    assert missing.returncode == 2 and "Cannot read the sweep file" in missing.stderr

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("x", encoding="utf-8")
    kind = _cli("--region", "jinjiang", "--sweep", str(wrong), "--out", str(tmp_path / "o"),
                home=planner_home)  # fmt: skip
    assert kind.returncode == 2 and "Unsupported sweep file type “.txt”" in kind.stderr

    good = tmp_path / "good.yaml"
    good.write_text("parameters:\n  stations.count: [40]\n", encoding="utf-8")
    workers = _cli("--region", "jinjiang", "--sweep", str(good), "--out", str(tmp_path / "o"),
                   "--workers", "0", home=planner_home)  # fmt: skip
    assert workers.returncode == 2 and "expected a positive integer" in workers.stderr
    region = _cli("--region", "atlantis", "--sweep", str(good), "--out", str(tmp_path / "o"),
                  home=planner_home)  # fmt: skip
    assert region.returncode == 2 and "no region “atlantis”" in region.stderr
    assert "Traceback" not in region.stderr + workers.stderr + kind.stderr + missing.stderr


def test_cli_unreachable_scheduler_is_a_message(tmp_path, capsys, monkeypatch) -> None:
    import planner.sweep.cluster

    monkeypatch.setattr(planner.sweep.cluster, "CONNECT_TIMEOUT_S", 2)  # nobody listens on port 9
    good = tmp_path / "good.yaml"
    good.write_text("parameters:\n  stations.count: [40]\n", encoding="utf-8")
    code = main(
        ["--lang", "en", "sweep", "--region", "jinjiang", "--sweep", str(good),
         "--out", str(tmp_path / "o"), "--db", str(tmp_path / "db.sqlite"),
         "--scheduler", "tcp://127.0.0.1:9"]
    )  # fmt: skip
    assert code == 2
    assert "Cannot reach the Dask scheduler tcp://127.0.0.1:9" in capsys.readouterr().err


def test_cli_writes_the_curve_of_a_finished_sweep(tmp_path, capsys) -> None:
    """Points already stored are not run again: the command only writes the outputs."""
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        "name: Jinjiang stations\nparameters:\n"
        "  stations.count: {start: 100, stop: 400, step: 100}\n",
        encoding="utf-8",
    )
    definition = SweepDefinition.load(sweep_file, region="jinjiang")
    db = tmp_path / "db.sqlite"
    store = Store(db)
    store.start_sweep(
        definition.id, "jinjiang", definition.name, definition.to_dict(),
        [p.row() for p in definition.points()],
    )  # fmt: skip
    coverage = {100: 0.0, 200: 0.6, 300: 0.8, 400: 0.85}
    for point in definition.points():
        n = point.params["stations.count"]
        fake = _point(point.index, n, coverage[n], [("350582", n, coverage[n])])
        store.record_sweep_point(definition.id, point.key, "done", seconds=1.0,
                                 worker="w", result=fake.result)  # fmt: skip

    out = tmp_path / "out"
    code = main(
        ["--lang", "en", "sweep", "--region", "jinjiang", "--sweep", str(sweep_file),
         "--out", str(out), "--db", str(db)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert f"Sweep {definition.id} (Jinjiang stations): 4 points, 4 solved, 0 failed\n" in printed
    assert "Starting" not in printed  # nothing to run, no cluster
    assert "Computed 0 points, skipped 4 already done; 4/4 solved" in printed
    assert "Knee of coverage: 200 stations, 60.0% covered" in printed
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig", dtype={"area": str})
    assert list(table.loc[table["area"] == "city", "stations"]) == [100, 200, 300, 400]
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_example_sweep_definitions_load() -> None:
    sizes = {}
    for path in sorted((ROOT / "examples").glob("sweep_*.yaml")):
        definition = SweepDefinition.load(path)
        sizes[path.name] = (definition.region, definition.size)
    assert sizes == {
        "sweep_jinjiang_phasing.yaml": ("jinjiang", 4),
        "sweep_jinjiang_stations.yaml": ("jinjiang", 18),
        "sweep_wenzhou_stations.yaml": ("wenzhou", 10),
    }

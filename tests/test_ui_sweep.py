"""Sweep page (AppTest): checked inputs, a stored Jinjiang sweep's table, knee and point
map equal to the engine's, failed points in words, both languages, and a sweep started,
stopped and resumed in the background from the page.

The stored sweep (40, 120 and 200 stations, one worker) is computed once per module by
the command line (``python -m planner sweep``) and copied into each test's
``PLANNER_HOME``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from planner.store import Store
from planner.sweep import SweepDefinition, load_curve
from planner.ui.jobs import sweeps as sweep_jobs

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("planner_home")]
pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
STATIONS = [40, 120, 200]


def _cli_sweep(folder, db, name: str, values: list[int]) -> str:
    """Run a sweep with ``python -m planner sweep`` (its own process: Dask workers are
    spawned from a clean ``__main__``, which AppTest replaces); returns its id."""
    data = {"region": "jinjiang", "name": name, "parameters": {"stations.count": values}}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PLANNER_HOME": str(folder / "home")}
    env.pop("PLANNER_DB", None)
    subprocess.run(
        [sys.executable, "-m", "planner", "sweep", "--region", "jinjiang", "--sweep", str(path),
         "--out", str(folder / "out"), "--workers", "1", "--db", str(db)],
        cwd=ROOT, env=env, capture_output=True, timeout=600, check=False,
    )  # fmt: skip
    return SweepDefinition.load(path).id


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory):
    """A database with the Jinjiang sweep 40/120/200 and a sweep whose one point fails
    (a station count of 0 makes its scenario invalid)."""
    folder = tmp_path_factory.mktemp("sweep-db")
    db = folder / "planner.sqlite"
    good = _cli_sweep(folder, db, "晋江 40–200", STATIONS)
    bad = _cli_sweep(folder, db, "无效取值", [0])
    store = Store(db)
    assert store.get_sweep(good).complete
    assert store.get_sweep(bad).failed == 1
    return db, good, bad


@pytest.fixture
def stored(planner_home, stored_db):
    source, good, bad = stored_db
    planner_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, planner_home / "planner.sqlite")
    store = Store(planner_home / "planner.sqlite")
    # the good sweep is the most recently updated one: the page opens on it
    with store._write() as conn:
        conn.execute("UPDATE sweeps SET updated_at = '2000-01-01T00:00:00+00:00' WHERE id = ?",
                     (bad,))  # fmt: skip
    return store, good, bad


@pytest.fixture(autouse=True)
def no_jobs_left():
    yield
    sweep_jobs.JOBS.stop_all()


def _script() -> None:
    from planner.ui.pages import sweep as sweep_page
    from planner.ui.state import sidebar

    sidebar()
    sweep_page.render()


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def _app():
    from streamlit.testing.v1 import AppTest

    return _run(AppTest.from_function(_script, default_timeout=180))


def _texts(at) -> str:
    kinds = (at.title, at.subheader, at.markdown, at.caption, at.success, at.error, at.warning,
             at.info)  # fmt: skip
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _station_rows(html: str) -> list:
    """The station markers of a plan map (rows of the layer drawn as ``planner-station``)."""
    rows = []
    for block, options in re.findall(r"var rows = (\[.*?\]);\s*var opts = (\{.*?\});", html, re.S):
        if json.loads(options).get("css_class") == "planner-station":
            rows += json.loads(block)
    return rows


def _chart_data(chart) -> list[pd.DataFrame]:
    """The data sets of an Altair chart as sent to the browser (Arrow)."""
    import pyarrow as pa

    return [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]


# --- (a) every bad input is a message and nothing starts ----------------------------------

BAD_INPUTS = [
    ({"start": "40", "stop": "10", "step": "20"}, "参数“stations.count”的范围终点 10 小于起点 40"),
    ({"step": "0"}, "参数“stations.count”的范围步长应大于 0（现为 0）"),
    ({"start": "1", "stop": "5000", "step": "1"}, "参数组合共 5,000 个，超过上限 1,000 个"),
    ({"stop": "二百"}, "“终止站点数”应为数字，而不是“二百”"),
    ({"step": "2.5"}, "“步长”应为整数，而不是“2.5”"),
    ({"start": " "}, "请填写“起始站点数”"),
    ({"start": "0", "stop": "40", "step": "40"},
     "第 1 个参数组合（回收站点数量 = 0）无效：情景参数有误"),
    ({"second": "stations.radius_urban_m", "values": "300, 五百"},
     "“城镇覆盖半径（米）的取值（用逗号分隔）”应为数字，而不是“五百”"),
    ({"second": "stations.radius_urban_m", "values": "300, 300"},
     "参数“stations.radius_urban_m”的取值“300”重复出现"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "message"), BAD_INPUTS)
def test_bad_input_is_explained_and_starts_nothing(store, fields, message) -> None:
    at = _app()
    # prefilled for Jinjiang (80 stations in the preset): 40 … 200 by 20
    assert [at.text_input(key=f"sw_{f}_jinjiang").value for f in ("start", "stop", "step")] == [
        "40", "200", "20",
    ]  # fmt: skip
    if "second" in fields:
        at.selectbox(key="sw_second_jinjiang").set_value(fields["second"])
        _run(at)
    for field, value in fields.items():
        if field != "second":
            at.text_input(key=f"sw_{field}_jinjiang").set_value(value)
    _run(at)
    at.button(key="sw_start").click()
    _run(at)
    (error,) = at.error
    assert error.value.startswith("参数扫描未启动：")
    assert message in error.value
    assert "Traceback" not in _texts(at)
    assert sweep_jobs.running() == []
    assert store.list_sweeps() == []


def test_bad_input_in_english(store) -> None:
    at = _app()
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    at.text_input(key="sw_stop_jinjiang").set_value("ten")
    at.text_input(key="sw_step_jinjiang").set_value("0")
    _run(at)
    at.button(key="sw_start").click()
    _run(at)
    (error,) = at.error
    assert "The sweep was not started:" in error.value
    assert "“Stop (stations)” should be a number, not “ten”" in error.value
    at.text_input(key="sw_stop_jinjiang").set_value("200")
    _run(at)
    at.button(key="sw_start").click()
    _run(at)
    assert "The range step of “stations.count” should be above 0 (it is 0)" in at.error[0].value
    assert store.list_sweeps() == [] and sweep_jobs.running() == []


# --- (b) a stored sweep: table, knee and the map of a point --------------------------------


def test_stored_sweep_shows_the_curve_table_knee_and_a_point_map(stored) -> None:
    store, sweep_id, _ = stored
    curve = load_curve(store, sweep_id)
    city = curve.city()
    at = _app()
    assert at.selectbox(key="sw_choice_jinjiang").value == sweep_id
    texts = _texts(at)
    assert "共 3 个参数组合：已完成 3 个，失败 0 个，未计算 0 个。" in texts
    assert not [b for b in at.button if b.key == f"sw_resume_{sweep_id}"]  # complete

    # the knee, in words, is the curve's
    (knee,) = curve.knees().to_dict("records")
    assert knee["stations"] == 120
    knee_text = f"拐点：120 个站点，覆盖率 {knee['coverage_share']:.1%}"
    assert knee_text in [s.value for s in at.success]

    # the city table holds the curve's values under Chinese headers
    table = _table(at, "每增加 100 个站点覆盖率增加（百分点）")
    assert len(table) == 3
    assert table["参数：回收站点数量"].tolist() == STATIONS
    assert table["状态"].tolist() == ["已完成"] * 3
    assert table["回收站点"].tolist() == city["stations"].tolist() == STATIONS
    assert table["分拣中心"].tolist() == city["sorting_centres"].tolist()
    assert table["半径内人口覆盖率"].tolist() == city["coverage_share"].tolist()
    assert table["平均距离（米）"].tolist() == city["mean_distance_m"].tolist()
    assert table["95% 分位距离（米）"].tolist() == city["p95_distance_m"].tolist()
    assert table["半径外人口"].tolist() == city["uncovered_population"].tolist()
    assert table["人口"].tolist() == city["population"].tolist()
    assert table["拐点"].tolist() == city["knee"].tolist() == [False, True, False]
    gain = table["每增加 100 个站点覆盖率增加（百分点）"]
    assert pd.isna(gain[0]) and pd.isna(city["coverage_gain_per_100_stations"][0])
    expected = 100 * city["coverage_gain_per_100_stations"][1:]
    assert gain[1:].tolist() == pytest.approx(expected.tolist(), rel=1e-12)
    # 40 → 120 stations: 100 × Δshare / Δstations × 100 (percentage points)
    step = 100 * 100 * (city["coverage_share"][1] - city["coverage_share"][0]) / 80
    assert gain[1] == pytest.approx(step, rel=1e-12)

    # the county rows (Jinjiang is one county-level city)
    counties = _table(at, "区县")
    rows = curve.table[curve.table["area"] != "city"]
    assert counties["区县"].tolist() == ["晋江市"] * 3
    assert counties["半径内人口覆盖率"].tolist() == rows["coverage_share"].tolist()
    assert counties["回收站点"].tolist() == rows["stations"].tolist()

    # the charts, the downloads and the print-ready PNG
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # coverage (knee marked) and distances; one county: no third
    coverage, marked = _chart_data(charts[0])
    assert coverage["stations"].tolist() == STATIONS
    assert coverage["coverage"].tolist() == [round(100 * v, 2) for v in city["coverage_share"]]
    assert marked["stations"].tolist() == [120] and marked["label"].tolist() == ["拐点"]
    assert len(at.get("download_button")) == 2
    assert len(at.get("image")) == 1

    # a point of the curve: the knee by default, its KPIs and its map
    point = at.selectbox(key=f"sw_point_{sweep_id}")
    keys = city["key"].tolist()
    # each option names the point's stations and coverage, and the knee is marked
    shares = city["coverage_share"].tolist()
    assert point.options == [
        f"40 个站点 · 覆盖 {shares[0]:.1%}",
        f"120 个站点 · 覆盖 {shares[1]:.1%} · 拐点",
        f"200 个站点 · 覆盖 {shares[2]:.1%}",
    ]
    assert shares[0] < shares[1] < shares[2]
    assert point.value == keys[1]
    for key, stations in zip(keys, STATIONS, strict=True):
        at.selectbox(key=f"sw_point_{sweep_id}").set_value(key)
        _run(at)
        row = city.set_index("key").loc[key]
        cards = {m.label: m.value for m in at.metric}
        assert cards["回收站点"] == f"{stations:,}"
        assert cards["半径内人口覆盖率"] == f"{row['coverage_share']:.1%}"
        (frame,) = at.get("iframe")
        html = unescape(frame.proto.srcdoc)  # the map is one frame deeper, isolated
        markers = _station_rows(html)
        plan = store.sweep_plan(sweep_id, key)
        assert len(markers) == len(plan.stations) == row["stations"] == stations
        assert {(r[0], r[1]) for r in markers} == {
            (round(g.y, 6), round(g.x, 6)) for g in plan.stations.geometry
        }
        assert "planner-legend" in html


def test_failed_points_are_shown_in_the_ui_language(stored) -> None:
    store, good_id, bad_id = stored
    (point,) = store.sweep_points(bad_id)
    at = _app()
    at.selectbox(key="sw_choice_jinjiang").set_value(bad_id)
    _run(at)
    (warning,) = at.warning
    assert "1 个参数组合计算失败：" in warning.value
    assert f"第 1 个（回收站点数量 = 0）：{point.error_message('zh')}" in warning.value
    assert "共 1 个参数组合：已完成 0 个，失败 1 个，未计算 0 个。" in _texts(at)
    assert [b for b in at.button if b.key == f"sw_resume_{bad_id}"]  # not complete
    assert _table(at, "状态")["状态"].tolist() == ["失败"]
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert f"Point 1 (number of stations = 0): {point.error_message('en')}" in at.warning[0].value
    assert "1 points: 0 solved, 1 failed, 0 not computed." in _texts(at)
    # deleting it leaves the other sweep, which the page then shows
    at.button(key=f"sw_delete_{bad_id}").click()
    _run(at)
    assert [r.id for r in store.list_sweeps("jinjiang")] == [good_id]
    assert "Deleted the sweep “无效取值”." in [s.value for s in at.success]
    assert at.selectbox(key="sw_choice_jinjiang").value == good_id


# --- (c) the language switch ---------------------------------------------------------------


def test_language_switch_keeps_the_choices(stored) -> None:
    store, sweep_id, _ = stored
    city = load_curve(store, sweep_id).city()
    at = _app()
    assert at.title[0].value == "参数扫描：晋江市"
    last = city["key"].iloc[-1]
    at.selectbox(key=f"sw_point_{sweep_id}").set_value(last)
    at.selectbox(key="sw_second_jinjiang").set_value("stations.radius_urban_m")
    _run(at)
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == "Scenario sweep: Jinjiang"
    assert at.selectbox(key=f"sw_point_{sweep_id}").value == last
    assert at.selectbox(key="sw_choice_jinjiang").value == sweep_id
    assert at.selectbox(key="sw_second_jinjiang").value == "stations.radius_urban_m"
    assert (
        at.text_input(key="sw_values_jinjiang").label == "Values of urban radius (m) (comma list)"
    )
    texts = _texts(at)
    assert "knee: 120 stations" in texts and "Trade-off curves" in texts
    table = _table(at, "Coverage gained per 100 more stations (pp)")
    assert table["Stations"].tolist() == STATIONS
    assert table["Status"].tolist() == ["Solved"] * 3
    assert {m.label for m in at.metric} >= {"Recycling stations", "Population within radius"}
    cards = {m.label: m.value for m in at.metric}
    assert cards["Recycling stations"] == "200"
    (frame,) = at.get("iframe")
    html = unescape(frame.proto.srcdoc)
    assert len(_station_rows(html)) == 200
    assert "Recycling stations" in html  # the map's legend is in English
    at.sidebar.radio(key="lang").set_value("zh")
    _run(at)
    assert at.title[0].value == "参数扫描：晋江市"
    assert at.selectbox(key=f"sw_point_{sweep_id}").value == last


# --- a sweep in the background: start, progress, stop, resume -----------------------------


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _until_finished(at, sweep_id: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while any(b.key == f"sw_stop_{sweep_id}" for b in at.button):
        assert time.monotonic() < deadline, "the sweep did not finish"
        time.sleep(1.0)
        _run(at)
    return at


def test_start_stop_and_resume_in_the_background(store) -> None:
    at = _app()
    at.text_input(key="sw_name_jinjiang").set_value("后台扫描")
    at.text_input(key="sw_start_jinjiang").set_value("40")
    at.text_input(key="sw_stop_jinjiang").set_value("120")
    at.text_input(key="sw_step_jinjiang").set_value("40")
    at.number_input(key="sw_workers").set_value(1)
    _run(at)
    assert "将计算 3 个参数组合。" in _texts(at)
    at.button(key="sw_start").click()
    _run(at)
    (record,) = store.list_sweeps("jinjiang")
    assert record.name == "后台扫描" and record.total == 3
    assert record.definition["parameters"] == {"stations.count": [40, 80, 120]}
    assert at.selectbox(key="sw_choice_jinjiang").value == record.id
    assert "已开始计算“后台扫描”：共 3 个参数组合。" in [s.value for s in at.success]
    (job,) = sweep_jobs.running()
    assert job.sweep_id == record.id and job.workers == 1
    # the progress bar from the database's counts, and a stop button
    (bar,) = at.get("progress")
    assert "已完成" in bar.proto.text and "/3 个参数组合" in bar.proto.text
    assert any(b.key == f"sw_stop_{record.id}" for b in at.button)

    # stop: the whole process group ends; what is finished stays stored
    at.button(key=f"sw_stop_{record.id}").click()
    _run(at)
    assert job.poll() == "stopped" and not _alive(job.proc.pid)
    assert sweep_jobs.running() == []
    stopped = store.get_sweep(record.id)
    assert "已停止。已完成的参数组合均已保存" in _texts(at)
    finished_before = {p.key for p in store.sweep_points(record.id, status="done")}
    print(f"stopped after {stopped.done} of {stopped.total} points")

    # resume: the same sweep id, only the missing points are computed
    if not stopped.complete:
        at.button(key=f"sw_resume_{record.id}").click()
        _run(at)
        (job,) = sweep_jobs.running()
        assert job.sweep_id == record.id
        _until_finished(at, record.id)
    done = store.get_sweep(record.id)
    assert done.complete and done.done == 3 and done.failed == 0
    assert [r.id for r in store.list_sweeps("jinjiang")] == [record.id]
    assert {p.key for p in store.sweep_points(record.id, status="done")} >= finished_before
    table = _table(at, "每增加 100 个站点覆盖率增加（百分点）")
    assert table["回收站点"].tolist() == [40, 80, 120]
    assert (
        table["半径内人口覆盖率"].tolist()
        == load_curve(store, record.id).city()["coverage_share"].tolist()
    )
    assert "共 3 个参数组合：已完成 3 个，失败 0 个，未计算 0 个。" in _texts(at)
    # starting the same definition again computes nothing: it is complete
    at.button(key="sw_start").click()
    _run(at)
    assert sweep_jobs.running() == []
    assert any("已全部完成" in i.value for i in at.info)
    assert stopped.total == 3

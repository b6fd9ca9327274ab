"""Every page in one AppTest session, as a planner goes through them: the Jinjiang 2027
preset from the scenario page through a real run to the results page, whose numbers must
be the engine's; the compare page with two stored plans; and each page in both languages.

A small router script stands in for ``app.py``'s navigation: it draws the sidebar and
the page named by the session's ``test_page`` key, so one session can move between pages
and keep its state, as it does in the browser.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from html import unescape

import pandas as pd
import pytest

from planner.plan import Plan
from planner.scenario import default_scenario

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("planner_home")]

PAGES = (
    "data_page",
    "scenario_page",
    "run_page",
    "results_page",
    "review_page",
    "compare_page",
    "sweep_page",
)


def _router() -> None:
    import importlib

    import streamlit as st

    from planner.ui.state import sidebar

    sidebar()
    page = st.session_state.get("test_page", "scenario_page")
    importlib.import_module(f"planner.ui.pages.{page.removesuffix('_page')}").render()


@pytest.fixture(scope="module")
def engine_plan() -> Plan:
    """The engine's plan for the Jinjiang 2027 preset, computed here, not by the app."""
    from planner.run import run_plan

    return run_plan("jinjiang", default_scenario("jinjiang"))


@pytest.fixture(scope="module")
def small_plan() -> Plan:
    """A second plan: the preset with 40 stations and 3 sorting centres."""
    from planner.run import run_plan

    scenario = default_scenario("jinjiang").with_changes(
        **{"stations.count": 40, "centres.count": 3}
    )
    return run_plan("jinjiang", replace(scenario, name="40 个站点"))


def _app(page: str = "scenario_page"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_router, default_timeout=120)
    at.session_state["test_page"] = page
    return _run(at)


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def _go(at, page: str):
    at.session_state["test_page"] = page
    return _run(at)


def _button(at, key: str):
    return next(b for b in at.button if b.key == key)


def _texts(at) -> str:
    kinds = (at.title, at.subheader, at.markdown, at.caption, at.success, at.error, at.warning,
             at.info)  # fmt: skip
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _number(text) -> float:
    """A number as the UI shows it: ``1,234 米``, ``70.9%``, ``−3.2 个百分点``, ``+12 m``."""
    if not isinstance(text, str):
        return float(text)
    match = re.search(r"[+−-]?[\d,]*\.?\d+", text.replace("\u2212", "−"))
    assert match is not None, f"no number in {text!r}"
    value = float(match.group().replace(",", "").replace("−", "-").replace("+", ""))
    return value


def _map_points(html: str) -> set[tuple[float, float]]:
    """(lat, lon) of every marker row of a plan map (stations, centres, uncovered)."""
    points = set()
    for block in re.findall(r"var rows = (\[.*?\]);\n", html, re.S):
        points |= {(row[0], row[1]) for row in json.loads(block)}
    return points


def _points(sites) -> set[tuple[float, float]]:
    return {(round(g.y, 6), round(g.x, 6)) for g in sites.geometry}


def _close(shown, exact: float, decimals: int, scale: float = 1.0) -> None:
    """``shown`` (text) is ``exact × scale`` rounded to ``decimals`` places."""
    assert abs(_number(shown) - exact * scale) <= 0.5 * 10**-decimals + 1e-9, (shown, exact)


# --- the Jinjiang preset: scenario → run → results, numbers equal to the engine's -----------


def _until_finished(at, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while any(b.key and b.key.startswith("run_stop_") for b in at.button):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.5)
        _run(at)
    return at


def test_jinjiang_preset_run_shows_the_engines_kpis(store, engine_plan) -> None:
    at = _app("scenario_page")
    # apply the preset and save it, as a planner does
    assert at.selectbox(key="sc_preset_jinjiang").value == "jinjiang"
    _button(at, "sc_apply_preset").click()
    _run(at)
    assert any("已载入预设“晋江 2027 政策目标”" in i.value for i in at.info)
    _button(at, "sc_save").click()
    _run(at)
    (record,) = store.list_scenarios("jinjiang")
    assert record.scenario == default_scenario("jinjiang")

    # run it in the background and wait
    _go(at, "run_page")
    _button(at, "run_start").click()
    _run(at)
    _until_finished(at)
    kpis = engine_plan.kpis
    (done,) = [s.value for s in at.success if "计算完成" in s.value]
    assert "80 个回收站点、2 个分拣中心" in done
    _close(done.split("覆盖率")[1], kpis["coverage_share"], 1, 100)
    (stored,) = store.list_plans(scenario_id=record.id)
    # the app's run stored exactly the engine's indicators
    for key in ("stations", "sorting_centres", "uncovered_communities", "population"):
        assert stored.kpis[key] == kpis[key], key
    for key in ("coverage_share", "mean_distance_m", "p95_distance_m", "max_distance_m"):
        assert stored.kpis[key] == pytest.approx(kpis[key], rel=1e-12), key

    # the results page: KPI cards
    _go(at, "results_page")
    assert at.selectbox(key="results_plan").value == stored.id
    cards = {m.label: m.value for m in at.metric}
    assert _number(cards["回收站点"]) == kpis["stations"] == 80
    assert _number(cards["分拣中心"]) == kpis["sorting_centres"] == 2
    _close(cards["半径内人口覆盖率"], kpis["coverage_share"], 1, 100)
    assert cards["半径内人口覆盖率"].endswith("%")
    _close(cards["平均距离"], kpis["mean_distance_m"], 0)
    _close(cards["95% 分位距离"], kpis["p95_distance_m"], 0)
    assert cards["平均距离"].endswith(" 米")
    assert _number(cards["半径外的村/社区"]) == kpis["uncovered_communities"]
    load = "\n".join(c.value for c in at.caption if "日回收量" in c.value)
    _close(re.search(r"日回收量（吨/天）: ([\d,.]+)", load).group(1),
           kpis["centre_load_t_per_day"], 1)  # fmt: skip
    _close(re.search(r"最高负荷率: ([\d.]+%)", load).group(1),
           kpis["max_centre_utilisation"], 1, 100)  # fmt: skip

    # the solver table: status and the proven gap of each tier
    tiers = _table(at, "层级")
    assert list(tiers["层级"]) == ["回收站点", "分拣中心"]
    for (_, row), result in zip(tiers.iterrows(), engine_plan.results, strict=True):
        assert row["状态"] == {"optimal": "达到精度要求"}[result.status]
        _close(row["目标值"], result.objective, 0)
        _close(row["与最优的差距"], result.gap, 2, 100)

    # the per-county table, cell by cell
    counties = _table(at, "站点目标")
    (county,) = engine_plan.county_kpis.to_dict("records")
    (row,) = counties.to_dict("records")
    assert row["区县"] == "晋江市"
    assert row["站点目标"] == "80" and row["分拣中心目标"] == "2"
    assert row["规划站点"] == county["stations"] == 80
    assert row["规划分拣中心"] == county["sorting_centres"] == 2
    assert _number(row["人口"]) == county["population"]
    _close(row["半径内人口覆盖率"], county["coverage_share"], 1, 100)
    _close(row["平均距离（米）"], county["mean_distance_m"], 0)
    _close(row["95% 分位距离（米）"], county["p95_distance_m"], 0)
    assert _number(row["半径外人口"]) == county["uncovered_population"]

    # the township table: every township's stations and coverage
    towns = _table(at, "乡镇/街道")
    expected = engine_plan.township_kpis
    assert len(towns) == len(expected) == 22
    assert towns["规划站点"].tolist() == expected["stations"].astype(int).tolist()
    assert towns["规划站点"].sum() == 80
    for shown, exact in zip(towns["半径内人口覆盖率"], expected["coverage_share"], strict=True):
        _close(shown, exact, 1, 100)
    for shown, exact in zip(towns["平均距离（米）"], expected["mean_distance_m"], strict=True):
        _close(shown, exact, 0)

    # and the map has the 80 stations and 2 centres of the engine's plan
    (frame,) = at.get("iframe")
    html = unescape(frame.proto.srcdoc)  # the map is one frame deeper, isolated
    stations, centres = _points(engine_plan.stations), _points(engine_plan.centres)
    assert len(stations) == 80 and len(centres) == 2
    assert stations | centres <= _map_points(html)
    assert "planner-legend" in html


# --- the compare page -------------------------------------------------------------------------


def test_compare_page_shows_both_plans_and_their_differences(
    store, engine_plan, small_plan
) -> None:
    from planner.plan.tables import KPI_ROWS, kpi_value

    a = store.save_scenario(engine_plan.scenario)
    b = store.save_scenario(small_plan.scenario)
    first = store.save_plan(a.id, engine_plan, seconds=2.0)
    second = store.save_plan(b.id, small_plan, seconds=1.5)
    at = _app("compare_page")
    choice = at.multiselect(key="compare_plans_jinjiang")
    assert choice.value == [first.id, second.id]
    labels = [choice.format_func(i) for i in choice.value]
    assert "晋江市 2027 年目标" in labels[0] and "40 个站点" in labels[1]

    table = at.dataframe[0].value.set_index("")
    col_a, col_b, col_d = table.columns
    assert col_a == f"A · 晋江市 2027 年目标 (#{first.id})"
    assert col_b == f"B · 40 个站点 (#{second.id})"
    assert col_d == f"Δ {col_b}"
    decimals = {"count": 0, "share": 1, "metres": 0, "ratio": 2}
    scale = {"share": 100.0}
    checked = 0
    for key, label_key, kind in KPI_ROWS:
        from planner.i18n import t

        label = t(label_key, "zh")
        va, vb = kpi_value(engine_plan.kpis, key), kpi_value(small_plan.kpis, key)
        if va is None or vb is None:
            continue
        row = table.loc[label]
        _close(row[col_a], va, decimals[kind], scale.get(kind, 1.0))
        _close(row[col_b], vb, decimals[kind], scale.get(kind, 1.0))
        if abs(vb - va) > 1e-12:
            _close(row[col_d], vb - va, decimals[kind], scale.get(kind, 1.0))
            assert row[col_d][0] == ("+" if vb > va else "−")
        checked += 1
    assert checked >= 10
    assert table.loc["回收站点", col_a] == "80" and table.loc["回收站点", col_b] == "40"
    assert table.loc["回收站点", col_d] == "−40"
    assert table.loc["分拣中心", col_d] == "+1"
    assert table.loc["半径内人口覆盖率", col_d].endswith("个百分点")
    farther = table.loc["平均距离", col_d]  # fewer stations: people walk farther
    assert farther.startswith("+") and farther.endswith(" 米")
    assert table.loc["求解状态", col_a] == table.loc["求解状态", col_b] == "达到精度要求"
    assert table.loc["计算用时", col_a] == "2.0 秒" and table.loc["计算用时", col_b] == "1.5 秒"

    # where they differ (issue 22): per county, site by site, and both on one map
    counties = next(d.value for d in at.dataframe if "区县" in d.value.columns)
    assert counties.set_index("区县").loc["晋江市", "回收站点"] == "80 → 40 (−40)"
    a_ids = set(engine_plan.open_sites[["tier", "site_id"]].itertuples(index=False))
    b_ids = set(small_plan.open_sites[["tier", "site_id"]].itertuples(index=False))
    summary = next(m.value for m in at.markdown if m.value.startswith("新增"))
    added, removed, moved = (int(x) for x in re.findall(r"(\d+) 个", summary)[:3])
    assert added + moved == len(b_ids - a_ids) and removed + moved == len(a_ids - b_ids)
    maps = [unescape(e.proto.srcdoc) for e in at.get("iframe")]
    overlay, maps = maps[0], maps[1:]
    both = _points(engine_plan.open_sites) | _points(small_plan.open_sites)
    assert both <= _map_points(overlay) and "仅 A 有（B 中取消）" in overlay

    # two maps side by side, each with its own plan's stations
    assert len(maps) == 2
    a_points, b_points = _points(engine_plan.stations), _points(small_plan.stations)
    assert a_points <= _map_points(maps[0]) and b_points <= _map_points(maps[1])
    assert not (a_points - b_points) & _map_points(maps[1])  # A's own stations not on B
    subheads = [m.value for m in at.markdown]
    assert f"**{col_a}**" in subheads and f"**{col_b}**" in subheads

    # in English, the same numbers under English labels
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    table = at.dataframe[0].value.set_index("")
    assert table.loc["Recycling stations", col_d] == "−40"
    assert table.loc["Population within radius", col_d].endswith(" pp")
    assert table.loc["Solver status", col_a] == "Within the target gap"


# --- every page in both languages ---------------------------------------------------------------

#: Per page: (title in zh, in en) and labels that must be there in each language.
LANGUAGE_CHECKS = {
    "data_page": (
        ("区域数据：晋江市", "Region data: Jinjiang"),
        ("区县一览", "导入官方数据"),
        ("Counties", "Import official data"),
    ),
    "scenario_page": (
        ("情景设置：晋江市", "Scenario: Jinjiang"),
        ("回收站点数量（个）", "保存情景", "各区县数量下限与上限"),
        ("Number of stations", "Save scenario", "Per-county minimum and maximum"),
    ),
    "run_page": (
        ("运行规划：晋江市", "Run the plan: Jinjiang"),
        ("开始计算", "此情景的历次结果"),
        ("Start the run", "Earlier results of this scenario"),
    ),
    "results_page": (
        ("规划结果：晋江市", "Results: Jinjiang"),
        ("半径内人口覆盖率", "各区县指标", "下载结果文件（zip）"),
        ("Population within radius", "Indicators by county", "Download the plan files (zip)"),
    ),
    "review_page": (
        ("站点审核：晋江市", "Site review: Jinjiang"),
        (
            "审核人",
            "审核操作",
            "按审核意见重新计算",
            "审核状态",
            "导出",
        ),
        (
            "Reviewer",
            "Decision",
            "Re-run honouring the review",
            "Review status",
            "Export",
        ),
    ),
    "compare_page": (
        ("方案对比：晋江市", "Compare plans: Jinjiang"),
        ("指标对比", "地图对比", "选择要对比的结果（2–4 个）"),
        ("Indicators", "Maps", "Results to compare (2–4)"),
    ),
    "sweep_page": (
        ("参数扫描：晋江市", "Scenario sweep: Jinjiang"),
        ("新建参数扫描", "开始扫描", "参数扫描结果"),
        ("New sweep", "Start the sweep", "Sweep results"),
    ),
}


def _shown(at) -> str:
    """Everything the page shows in words: its labels, the options of its choices, the
    metrics' values and the tables' cells."""
    parts = [_labels(at)]
    for kind in ("selectbox", "multiselect", "radio"):
        parts += [str(o) for element in at.get(kind) for o in element.options]
    parts += [str(m.value) for m in at.get("metric")]
    parts += [" ".join(map(str, d.value.to_numpy().ravel())) for d in at.dataframe]
    return "\n".join(parts)


def _raw_keys(text: str) -> list[str]:
    """Message keys shown as they are (an unknown key renders as itself)."""
    from planner.i18n import catalogue

    spaces = "|".join(sorted({key.split(".")[0] for key in catalogue()}))
    found = re.findall(rf"(?<![\w.])(?:{spaces})\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*", text)
    files = ("csv", "geojson", "gpkg", "html", "json", "pdf", "png", "xlsx", "zip")
    return [key for key in found if key.rsplit(".", 1)[-1] not in files]


def _labels(at) -> str:
    """Every text and widget label on the page (the sidebar included)."""
    parts = [_texts(at)]
    for kind in ("button", "selectbox", "multiselect", "number_input", "text_input", "checkbox",
                 "radio", "metric", "expander", "download_button", "text_area"):  # fmt: skip
        for element in at.get(kind):
            label = getattr(element, "label", None) or getattr(element.proto, "label", "")
            parts.append(str(label))
    parts += [" ".join(map(str, d.value.columns)) for d in at.dataframe]
    return "\n".join(parts)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_switches_language(page, store, engine_plan, small_plan) -> None:
    a = store.save_scenario(engine_plan.scenario)
    b = store.save_scenario(small_plan.scenario)
    store.save_plan(a.id, engine_plan)
    store.save_plan(b.id, small_plan)
    (title_zh, title_en), zh_labels, en_labels = LANGUAGE_CHECKS[page]
    at = _app(page)
    assert at.title[0].value == title_zh
    text = _labels(at)
    for label in zh_labels:
        assert label in text, label
    assert not _raw_keys(_shown(at))
    assert at.sidebar.radio(key="lang").value == "zh"
    assert at.sidebar.selectbox(key="region_id").label == "规划城市 / 区域"

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == title_en
    text = _labels(at)
    for label in en_labels:
        assert label in text, label
    for label in zh_labels:
        assert label not in text, label
    assert not _raw_keys(_shown(at))
    assert at.sidebar.selectbox(key="region_id").label == "City or region to plan"
    assert at.sidebar.selectbox(key="scenario_id").label == "Current scenario"
    assert not at.error

    at.sidebar.radio(key="lang").set_value("zh")
    _run(at)
    assert at.title[0].value == title_zh
    assert not _raw_keys(_shown(at))


def test_raw_keys_are_found() -> None:
    assert _raw_keys("审核 ui.rev.nothing · 1.5 km · plan.gpkg") == ["ui.rev.nothing"]

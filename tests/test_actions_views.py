"""What a plan does with every site, everywhere it shows (issue 15, item 6).

On the made-up region 试城 of :mod:`tests.test_existing_network` (every action appears:
three new stations, E2 upgraded, E1 kept, E3 and E4 closed, a new sorting centre and
the yard Y1 closed): the app's map and the exported map draw each action in its own
symbol with a legend entry, closed sites with their reasons and costs; the workbook,
the report and the printed legend carry 新建 / 标准化改造 / 保留 / 关停 and the costs;
the results and compare pages show them. A plan of new sites only looks as before, and
a plan written before sites had actions still renders.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest
from page_apps import page_app, page_table
from test_existing_network import make_region, scenario

from planner.data.regions import save_region
from planner.i18n import t
from planner.instance.compliance import REASONS
from planner.plan.actions import (
    ACTION_LABEL,
    ACTION_ORDER,
    REASON_LABEL,
    actions_present,
    costs_assumed,
    plan_actions,
    reasons_text,
    site_actions,
)
from planner.plan.tables import action_table, compare_actions, cost_note, cost_table
from planner.run import run_plan
from planner.scenario import Costs
from planner.views import plan_map, to_html
from planner.views.export import export_report, export_xlsx, gis_layers
from planner.views.export.gis import shapefile_names
from planner.views.style import CLOSED_COLOUR, UPGRADE_COLOUR, sheet_legend

pytestmark = pytest.mark.usefixtures("planner_home")

CLOSED_REASONS = {
    "E3": "无营业执照/备案",
    "E4": "已停用；未标准化；消防情况待核实",
    "Y1": "消防检查不合格",
}


@pytest.fixture(scope="module")
def region():
    return make_region()


@pytest.fixture(scope="module")
def plan(region):
    return run_plan(region, scenario())


@pytest.fixture(scope="module")
def new_only(region):
    """The same region without an inventory: every site new."""
    return run_plan(replace(region, sites=None), scenario())


def _old(plan):
    """``plan`` as written before sites had actions: no action, reasons or cost
    columns, no ``actions``/``costs`` indicators, no closed sites."""
    sites = plan.sites[plan.sites["action"] != "close"]
    sites = sites.drop(columns=["action", "reasons", "cost_yuan", "operation_yuan_per_year"])
    kpis = {k: v for k, v in plan.kpis.items() if k not in ("actions", "costs")}
    return replace(plan, sites=sites.reset_index(drop=True), kpis=kpis)


def _point_layers(html: str) -> list[tuple[dict, list]]:
    """``(options, rows)`` of every point layer of a map page."""
    found = re.findall(r"var rows = (\[.*?\]);\s*var opts = (\{.*?\});", html, re.DOTALL)
    return [(json.loads(opts), json.loads(rows)) for rows, opts in found]


def _legend(html: str) -> list[str]:
    box = re.search(r'class="planner-legend".*?</div>(?=\s*(<div class="planner-|</body>|$))',
                    html, re.DOTALL)  # fmt: skip
    assert box is not None
    return [re.sub(r"<[^>]+>", "", row) for row in re.findall(r"<div><span.*?</div>", box.group(0))]


# --- words ------------------------------------------------------------------------------------


def test_every_action_and_reason_has_words_in_both_languages():
    assert list(ACTION_LABEL) == list(ACTION_ORDER)
    assert [t(ACTION_LABEL[a], "zh") for a in ACTION_ORDER] == [
        "新建",
        "标准化改造",
        "保留",
        "关停",
    ]
    assert [t(ACTION_LABEL[a], "en") for a in ACTION_ORDER] == ["New", "Upgrade", "Keep", "Close"]
    assert set(REASON_LABEL) == set(REASONS)
    assert reasons_text("not_in_use;not_standardised;fire_safety_unknown", "zh") == (
        "已停用；未标准化；消防情况待核实"
    )
    assert reasons_text("no_licence;override", "en") == (
        "no business licence or registration; planner's override"
    )
    assert reasons_text("", "zh") == "" and reasons_text(None, "zh") == ""
    assert reasons_text(float("nan"), "en") == ""
    assert reasons_text("new_rule", "zh") == "new_rule"  # unknown codes show as they are


def test_sites_of_an_old_plan_get_their_action_from_their_status(plan):
    old = _old(plan)
    actions = dict(zip(old.sites["site_id"], site_actions(old.sites), strict=True))
    assert actions["E1"] == "keep" and actions["E2"] == "keep"  # both existing_keep
    assert {actions[s] for s in old.sites["site_id"] if not s.startswith("E")} == {"new"}
    counted = plan_actions(old.kpis, old.sites)
    assert counted["station"] == {"new": 3, "upgrade": 0, "keep": 2, "close": 0}
    assert counted["by_county"]["350902"]["sorting_centre"]["new"] == 1
    assert plan_actions(old.kpis) == {}  # a stored record alone has no sites to count


def test_default_unit_costs_stay_an_assumption_when_only_budgets_are_set(region):
    budgets = Costs(county_budget_yuan={"350902": 9_000_000.0}, budget_yuan=9_000_000.0)
    priced = run_plan(region, replace(scenario(), costs=budgets))
    assert costs_assumed(priced.kpis)
    own = run_plan(region, replace(scenario(), costs=Costs(station_new_yuan=40_000.0)))
    assert not costs_assumed(own.kpis) and cost_note(own.kpis, "zh") is None


# --- maps -------------------------------------------------------------------------------------


def test_app_map_draws_each_action_and_the_closed_sites_with_reasons(plan, region):
    html = to_html(plan_map(plan, region, "zh"))
    assert _legend(html)[:6] == [
        "回收站点（新建）", "回收站点（标准化改造）", "回收站点（保留现有）", "回收站点（关停）",
        "分拣中心（新建）", "分拣中心（关停）",
    ]  # fmt: skip
    assert f"2px solid {UPGRADE_COLOUR}" in html  # the upgraded ring's swatch
    assert json.dumps("关停的现有站点")[1:-1] in html  # the closed sites' layer
    layers = {opts.get("css_class"): rows for opts, rows in _point_layers(html)}
    # open stations only are .planner-station (the browser test counts them)
    stations = {row[2]: row for row in layers["planner-station"]}
    assert len(stations) == 5
    assert stations["现有E2"][4] == "upgrade" and stations["现有E1"][4] == "existing"
    assert {stations[n][4] for n in ("村2", "村5", "村11")} == {""}
    assert "回收站点 · 标准化改造" in stations["现有E2"][3]
    assert "面积不足标准" in stations["现有E2"][3] and "20,000" in stations["现有E2"][3]
    assert "按默认单价估算（规划假设）" in stations["现有E2"][3]
    closed = {row[2]: row for row in layers["planner-closed"] + layers["planner-closed centre"]}
    assert set(closed) == {"现有E3", "现有E4", "现有Y1"}
    for site, why in CLOSED_REASONS.items():
        popup = closed[f"现有{site}"][3]
        assert "· 关停" in popup and why in popup
        assert "服务人口" not in popup and "所属分拣中心" not in popup  # linked to nothing
    assert len(layers["planner-centre"]) == 1
    css = re.search(r"\.planner-closed\{[^}]*\}", html)
    assert css is not None and CLOSED_COLOUR in css.group(0)

    english = to_html(plan_map(plan, region, "en"))
    assert "Station (upgraded)" in _legend(english) and "Station (closed)" in _legend(english)
    assert "failed the fire-safety inspection" in english


def test_exported_map_colours_each_action_like_the_printed_sheet(plan, region):
    html = to_html(plan_map(plan, region, "zh", export=True, show_uncovered=False))
    legend = _legend(html)
    assert legend[:6] == [
        "回收站点（新建）", "回收站点（标准化改造）", "回收站点（保留现有）", "回收站点（关停）",
        "分拣中心（新建）", "分拣中心（关停）",
    ]  # fmt: skip
    rows = {row[2]: row for _, mine in _point_layers(html) for row in mine}
    assert rows["现有E2"][4]["fillColor"] == UPGRADE_COLOUR
    assert rows["现有E3"][3].count("无营业执照/备案") == 1
    closed = [opts for opts, mine in _point_layers(html) if mine[0][2] in ("现有E3", "现有Y1")]
    assert {o["style"]["fillColor"] for o in closed} == {CLOSED_COLOUR}
    assert "站点编码" in rows["现有Y1"][3] and "消防检查不合格" in rows["现有Y1"][3]


def test_a_plan_of_new_sites_looks_as_before(new_only, region):
    assert set(new_only.sites["action"]) == {"new"}
    assert actions_present(new_only.sites) == {"station": {"new"}, "sorting_centre": {"new"}}
    html = to_html(plan_map(new_only, region, "zh"))
    legend = _legend(html)
    assert legend[:3] == ["回收站点", "分拣中心", "站点→分拣中心"]
    assert not any("关停" in entry or "保留" in entry for entry in legend)
    assert json.dumps("关停的现有站点")[1:-1] not in html and 'planner-closed"' not in html
    keys = [key for key, _ in sheet_legend(actions_present(new_only.sites))]
    assert keys == [
        "export.map.station_proposed", "map.centre", "export.map.link", "export.map.county",
        "export.map.township",
    ]  # fmt: skip
    assert [key for key, _ in sheet_legend()] == keys  # no actions known: the same


def test_a_plan_written_before_actions_still_renders(plan, region, tmp_path):
    old = _old(plan)
    html = to_html(plan_map(old, region, "zh"))
    layers = {opts.get("css_class"): rows for opts, rows in _point_layers(html)}
    stations = {row[2]: row for row in layers["planner-station"]}
    assert stations["现有E1"][4] == "existing" and "回收站点 · 保留" in stations["现有E1"][3]
    assert "回收站点（保留现有）" in _legend(html) and "回收站点（关停）" not in _legend(html)
    html = to_html(plan_map(old, region, "en", export=True))
    assert "Station (existing, kept)" in _legend(html)
    book = openpyxl.load_workbook(export_xlsx(old, tmp_path / "old.xlsx", region))
    sheet = book["回收站点"]
    header = [c.value for c in sheet[1]]
    actions = {
        row[0]: row[header.index("处置方式")] for row in sheet.iter_rows(2, values_only=True)
    }
    assert actions["E1"] == "保留" and actions["350901001003"] == "新建"
    table = action_table(old, region, "zh").set_index(["区县", "层级"])
    assert table.loc[("合计", "回收站点"), "保留"] == 2
    assert cost_table(old, region, "zh").empty
    assert "action" in gis_layers(old, region)["sites"]


# --- files ------------------------------------------------------------------------------------


def _block(sheet, title: str) -> pd.DataFrame:
    """The table under the bold line ``title`` of the actions and costs sheet."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == title) + 1
    header = [h for h in rows[start] if h is not None]
    body = []
    for row in rows[start + 1 :]:
        if all(v is None for v in row):
            break
        body.append(row[: len(header)])
    return pd.DataFrame(body, columns=header)


def test_workbook_lists_actions_reasons_closed_sites_and_costs(plan, region, tmp_path):
    book = openpyxl.load_workbook(export_xlsx(plan, tmp_path / "s.xlsx", region, "zh"))
    assert book.sheetnames == [
        "回收站点", "分拣中心", "分区县汇总", "未覆盖的村和社区", "处置与费用", "说明",
    ]  # fmt: skip
    sheet = book["回收站点"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    assert {r["处置方式"] for r in rows.values()} == {"新建", "标准化改造", "保留", "关停"}
    assert rows["E2"]["处置方式"] == "标准化改造" and rows["E2"]["处置原因"] == "面积不足标准"
    # 状态 says new or existing; 处置方式 what the plan does with an existing site
    assert rows["E2"]["状态"] == rows["E1"]["状态"] == "现有站点"
    assert rows["350901001003"]["状态"] == "新建"
    assert rows["E2"]["一次性费用（元）"] == 20_000 and rows["E1"]["一次性费用（元）"] == 0
    assert rows["350901001003"]["一次性费用（元）"] == 50_000
    assert rows["350901001003"]["年运营费用（元/年）"] == 30_000
    for site in ("E3", "E4"):
        assert rows[site]["处置方式"] == "关停" and rows[site]["状态"] == "关停现有"
        assert rows[site]["处置原因"] == CLOSED_REASONS[site]
        assert rows[site]["服务人口"] == 0 and rows[site]["年运营费用（元/年）"] == 0
    grey = {row[0].value: str(getattr(row[0].font.color, "rgb", "")) for row in sheet.iter_rows(2)}
    assert {site for site, rgb in grey.items() if rgb.endswith("7F7F7F")} == {"E3", "E4"}
    centres = {r[0]: r for r in book["分拣中心"].iter_rows(2, values_only=True)}
    assert set(centres) == {"t350902001", "Y1"} and "消防检查不合格" in centres["Y1"]

    costs, k = book["处置与费用"], plan.kpis["costs"]
    counts = _block(costs, "新建、改造、保留与关停").set_index(["区县", "层级"])
    assert list(counts.loc[("合计", "回收站点")])[1:] == [3, 1, 1, 2, 5]
    assert list(counts.loc[("西县", "分拣中心")])[1:] == [0, 0, 0, 1, 0]
    tiers = _block(costs, "各层级费用（元）").set_index("层级")
    assert tiers.loc["合计", "一次性费用合计（元）"] == k["one_off_yuan"] == 5_170_000
    assert tiers.loc["合计", "年运营费用（元/年）"] == k["operation_yuan_per_year"] == 750_000
    assert tiers.loc["回收站点", "新建费用（元）"] == k["station"]["new_yuan"] == 150_000
    assert tiers.loc["回收站点", "改造费用（元）"] == k["upgrade_yuan"] == 20_000
    assert tiers.loc["分拣中心", "新建费用（元）"] == k["sorting_centre"]["new_yuan"]
    counties = _block(costs, "各区县费用与预算（元；合计行为全市预算）").set_index("区县")
    for code, name in (("350901", "西县"), ("350902", "东县")):
        assert counties.loc[name, "一次性费用合计（元）"] == k["by_county"][code]["one_off_yuan"]
        assert counties.loc[name, "区县编码"] == code
    assert counties.loc["东县", "一次性费用合计（元）"] == 5_070_000
    assert pd.isna(counties.loc["合计", "预算（元）"])  # no budget set
    units = _block(costs, "单价（元/个；年运营费用为元/个·年）").set_index("层级")
    assert units.loc["分拣中心", "改造费用（元）"] == 1_500_000
    notes = [row[0] for row in costs.iter_rows(values_only=True)]
    assert "按默认单价估算（规划假设）：默认单价不是报价，请在情景中换成本地实际单价。" in notes


def test_workbook_budgets_and_no_note_with_the_citys_own_unit_costs(region, tmp_path):
    costs = Costs(station_new_yuan=60_000.0, budget_yuan=8_000_000.0,
                  county_budget_yuan={"350902": 6_000_000.0})  # fmt: skip
    priced = run_plan(region, replace(scenario(), costs=costs))
    book = openpyxl.load_workbook(export_xlsx(priced, tmp_path / "b.xlsx", region, "en"))
    sheet = book["Actions and costs"]
    counties = _block(
        sheet, "Costs and budgets by county (yuan; the total row has the city budget)"
    )
    counties = counties.set_index("County")
    k = priced.kpis["costs"]
    assert counties.loc["Total", "Budget (yuan)"] == 8_000_000
    assert counties.loc["Total", "Budget left (yuan)"] == 8_000_000 - k["one_off_yuan"]
    assert counties.loc["东县", "Budget (yuan)"] == 6_000_000
    assert counties.loc["东县", "Budget left (yuan)"] == (
        6_000_000 - k["by_county"]["350902"]["one_off_yuan"]
    )
    assert pd.isna(counties.loc["西县", "Budget (yuan)"])
    assert not any("planning assumptions" in str(r[0]) for r in sheet.iter_rows(values_only=True))


def test_gis_layers_keep_the_action_columns(plan, region):
    sites = gis_layers(plan, region)["sites"].set_index("site_id")
    assert sites.loc["E4", "action"] == "close"
    assert sites.loc["E4", "reasons"] == "not_in_use;not_standardised;fire_safety_unknown"
    assert sites.loc["E2", "cost_yuan"] == 20_000
    names = shapefile_names(list(sites.reset_index().columns))
    assert names["operation_yuan_per_year"] == "op_yuan_yr" and names["action"] == "action"


def test_report_has_the_actions_and_costs_section(plan, region, tmp_path):
    pdf = pdfium.PdfDocument(export_report(plan, tmp_path / "r.pdf", region, "zh"))
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    text = "\n".join(pages)
    assert "四、新建、改造、保留与关停" in text and "五、分乡镇/街道指标" in text
    assert "区县 层级 新建 标准化改造 保留 关停 规划后运行" in text
    assert "西县 回收站点 2 0 1 1 3" in text and "东县 回收站点 1 1 0 1 2" in text
    assert "合计 回收站点 3 1 1 2 5" in text and "合计 分拣中心 1 0 0 1 1" in text
    assert "按默认单价估算（规划假设）" in text
    assert "回收站点 150,000 20,000 0 170,000 150,000" in text
    assert "东县 5,050,000 20,000 0 5,070,000 660,000" in text
    assert "合计 5,150,000 20,000 0 5,170,000 750,000" in text
    legend = next(p for p in pages if "图例" in p)
    for entry in ("回收站点（新建）", "回收站点（标准化改造）", "回收站点（保留现有）",
                  "回收站点（关停）", "分拣中心（新建）", "分拣中心（关停）"):  # fmt: skip
        assert entry in legend
    assert "分拣中心（保留现有）" not in legend


# --- the pages ----------------------------------------------------------------------------


def test_results_page_shows_the_actions_and_costs(store, region, plan):
    save_region(region)
    record = store.save_scenario(plan.scenario)
    store.save_plan(record.id, plan)
    at = _app("results")
    assert any(h.value == "新建、改造、保留与关停" for h in at.subheader)
    actions = page_table(at, "标准化改造").set_index(["区县", "层级"])
    assert list(actions.columns) == ["新建", "标准化改造", "保留", "关停", "规划后运行"]
    assert list(actions.loc[("西县", "回收站点")]) == [2, 0, 1, 1, 3]
    assert list(actions.loc[("东县", "回收站点")]) == [1, 1, 0, 1, 2]
    assert list(actions.loc[("合计", "回收站点")]) == [3, 1, 1, 2, 5]
    assert list(actions.loc[("合计", "分拣中心")]) == [1, 0, 0, 1, 1]
    costs = page_table(at, "一次性费用合计（元）").set_index("")
    assert costs.loc["合计", "一次性费用合计（元）"] == "5,170,000"
    assert costs.loc["回收站点", "改造费用（元）"] == "20,000"
    assert costs.loc["东县", "年运营费用（元/年）"] == "660,000"
    assert costs.loc["合计", "预算（元）"] == "—"
    assert any("按默认单价估算（规划假设）" in c.value for c in at.caption)

    at.sidebar.radio(key="lang").set_value("en")
    at.run()
    assert not at.exception, at.exception
    actions = page_table(at, "Upgrade").set_index(["County", "Tier"])
    assert list(actions.loc[("Total", "Stations")]) == [3, 1, 1, 2, 5]


def test_compare_page_puts_actions_and_costs_side_by_side(store, region, plan):
    save_region(region)
    other = run_plan(
        region,
        replace(scenario(**{"existing.count_mode": "new_or_rebuilt"}), name="新改扩建 5 个",
                costs=Costs(station_new_yuan=40_000.0)),
    )  # fmt: skip
    first = store.save_plan(store.save_scenario(plan.scenario).id, plan)
    second = store.save_plan(store.save_scenario(other.scenario).id, other)
    at = _app("compare")
    assert at.multiselect(key="compare_plans_testville").value == [first.id, second.id]
    table = next(
        d.value for d in at.dataframe if "回收站点 · 标准化改造" in set(d.value.iloc[:, 0])
    ).set_index("")
    a, b, delta = table.columns
    new_b = other.kpis["actions"]["station"]["new"]
    assert table.loc["回收站点 · 新建", a] == "3" and table.loc["回收站点 · 新建", b] == str(new_b)
    assert table.loc["回收站点 · 新建", delta] == f"+{new_b - 3}"
    assert table.loc["回收站点 · 关停", a] == "2" and table.loc["回收站点 · 关停", delta] == "0"
    assert "分拣中心 · 保留" not in table.index  # none in either plan
    one_off = other.kpis["costs"]["one_off_yuan"]
    assert table.loc["一次性费用合计（元）", a] == "5,170,000"
    assert table.loc["一次性费用合计（元）", b] == f"{one_off:,.0f}"
    assert any("按默认单价估算（规划假设）" in c.value for c in at.caption)  # plan A's


def test_compare_table_of_a_plan_stored_before_actions(plan):
    class Record:
        def __init__(self, kpis):
            self.kpis, self.status, self.seconds = kpis, "optimal", 1.0

    old = _old(plan)
    table = compare_actions([Record(old.kpis), Record(plan.kpis)], ["A", "B"], "en")
    table = table.set_index("")
    assert table.loc["Stations · New", "A"] == "—" and table.loc["Stations · New", "B"] == "3"
    assert table.loc["Stations · Close", "Δ B"] == "—"
    assert table.loc["One-off cost (yuan)", "B"] == "5,170,000"


def _app(page: str):
    return page_app(page, "testville")

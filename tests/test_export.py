"""Exports of a plan: every format is written, opened back and checked.

One Jinjiang plan is solved per module. A copy of it carries a hostile station name
(``<script>alert(1)</script>``) and a station code with leading zeros (``000123``), so
escaping and text codes are checked in every format.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pypdfium2 as pdfium
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from planner.data.regions import load_region
from planner.i18n import PlannerError, t
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views.export import FORMATS, export_plan, parse_formats
from planner.views.export import fonts as export_fonts
from planner.views.export.gis import shapefile_names
from planner.views.export.report import PAGE_SIZE, TITLE_BOX, draw_title
from planner.views.export.static_map import export_map_png
from planner.views.export.tables import export_xlsx

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
ZERO_CODE = "000123"
GIS_LAYERS = ("sites", "demand", "links", "counties", "townships")


@pytest.fixture(scope="module")
def region():
    return load_region("jinjiang")


@pytest.fixture(scope="module")
def plan():
    """A Jinjiang plan whose outermost station is named HOSTILE and coded ZERO_CODE."""
    base = run_plan("jinjiang", default_scenario("jinjiang"))
    sites = base.sites.copy()
    first = sites["distance_to_centre_m"].idxmax()  # far from others: easy to click
    old = sites.at[first, "site_id"]
    sites.at[first, "site_id"] = ZERO_CODE
    sites.at[first, "name"] = HOSTILE
    demand = base.demand.copy()
    demand.loc[demand["station_id"] == old, "station_id"] = ZERO_CODE
    links = base.links.copy()
    links.loc[links["station_id"] == old, "station_id"] = ZERO_CODE
    return dataclasses.replace(base, sites=sites, demand=demand, links=links)


@pytest.fixture(scope="module")
def out(plan, region, tmp_path_factory):
    """Every format, in Chinese, A4."""
    folder = tmp_path_factory.mktemp("export")
    written = export_plan(plan, folder, "all", lang="zh", paper="a4", region=region)
    assert list(written) == list(FORMATS)
    for paths in written.values():
        for path in paths:
            assert path.exists() and path.stat().st_size > 0, path
    return folder


def _station_names(plan) -> set[str]:
    return set(plan.stations["name"])


# --- tables -------------------------------------------------------------------------


def test_xlsx_sheets_rows_text_codes_and_names(out, plan):
    wb = openpyxl.load_workbook(out / "jinjiang_sites.xlsx")
    assert wb.sheetnames == [
        "回收站点", "分拣中心", "分区县汇总", "未覆盖的村和社区", "处置与费用", "说明",
    ]  # fmt: skip
    stations, centres, counties = wb["回收站点"], wb["分拣中心"], wb["分区县汇总"]
    assert stations.max_row - 1 == len(plan.stations) == 80
    assert centres.max_row - 1 == len(plan.centres) == 2
    assert counties.max_row - 1 == len(plan.county_kpis) + 1  # plus the total row
    header = [c.value for c in stations[1]]
    assert header[:4] == ["站点编码", "名称", "区县", "区县编码"]
    code_cols = [i for i, h in enumerate(header) if h.endswith("编码")]
    assert len(code_cols) == 5
    for row in stations.iter_rows(min_row=2):
        for i in code_cols:
            cell = row[i]
            assert cell.value is None or isinstance(cell.value, str), cell.value
            assert cell.number_format == "@"
    codes = [row[0].value for row in stations.iter_rows(min_row=2)]
    assert ZERO_CODE in codes
    assert set(codes) == set(plan.stations["site_id"])
    names = {row[1].value for row in stations.iter_rows(min_row=2)}
    assert names == _station_names(plan)
    assert HOSTILE in names  # a spreadsheet cell shows it as the text it is
    assert {row[2].value for row in stations.iter_rows(min_row=2)} == {"晋江市"}
    county_row = [c.value for c in counties[2]]
    assert county_row[:2] == ["350582", "晋江市"] and counties[2][0].number_format == "@"
    assert [c.value for c in counties[counties.max_row]][1] == "合计"
    about = {row[0].value: row[1].value for row in wb["说明"].iter_rows()}
    walk = f"{plan.kpis['mean_walk_m']:,.0f}"
    assert about["距离计算方式"] == (
        f"直线距离 × 绕行系数 1.3；另计村/社区内部到中心点的平均步行（人口加权平均 {walk} 米）"
    )
    assert counties[2][2].value == plan.kpis["population"]


def test_xlsx_in_english(plan, region, tmp_path):
    path = export_xlsx(plan, tmp_path / "en.xlsx", region, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Recycling stations", "Sorting centres", "By county", "Villages not covered",
        "Actions and costs", "About",
    ]  # fmt: skip
    assert [c.value for c in wb["Recycling stations"][1]][:2] == ["Site code", "Name"]
    statuses = {r[7].value for r in wb["Recycling stations"].iter_rows(min_row=2)}
    assert statuses == {"Proposed"}


def test_csv_bom_rows_codes_and_names(out, plan):
    raw = (out / "jinjiang_stations.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    stations = pd.read_csv(out / "jinjiang_stations.csv", dtype=str, encoding="utf-8-sig")
    assert len(stations) == len(plan.stations)
    assert stations.columns[0] == "站点编码"
    assert ZERO_CODE in set(stations["站点编码"])
    assert set(stations["名称"]) == _station_names(plan)
    assert set(stations["乡镇/街道编码"].str.len()) == {9}
    centres = pd.read_csv(out / "jinjiang_sorting_centres.csv", dtype=str, encoding="utf-8-sig")
    assert len(centres) == len(plan.centres)
    counties = pd.read_csv(out / "jinjiang_counties.csv", dtype=str, encoding="utf-8-sig")
    assert list(counties["区县"]) == ["晋江市", "合计"]


# --- GIS layers ---------------------------------------------------------------------


def _expected_rows(plan, region) -> dict[str, int]:
    return {
        "sites": len(plan.sites),
        "demand": len(plan.demand),
        "links": len(plan.links),
        "counties": len(region.counties),
        "townships": len(region.townships),
    }


def test_gpkg_layers_crs_rows_codes(out, plan, region):
    path = out / "jinjiang_layers.gpkg"
    assert [name for name, _ in pyogrio.list_layers(path)] == list(GIS_LAYERS)
    for name, rows in _expected_rows(plan, region).items():
        layer = pyogrio.read_dataframe(path, layer=name)
        assert len(layer) == rows, name
        assert layer.crs.to_epsg() == 4326, name
    sites = pyogrio.read_dataframe(path, layer="sites")
    assert ZERO_CODE in set(sites["site_id"])
    assert set(sites.loc[sites["tier"] == "station", "name"]) == _station_names(plan)
    links = pyogrio.read_dataframe(path, layer="links")
    assert ZERO_CODE in set(links["station_id"])


def test_shapefile_zip_utf8_short_fields_and_chinese(out, plan, region):
    path = out / "jinjiang_shp.zip"
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        for layer in GIS_LAYERS:
            assert {f"{layer}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
            assert zf.read(f"{layer}.cpg").decode().strip().upper() == "UTF-8"
        readme = zf.read("README.txt").decode("utf-8")
        mapping = pd.read_csv(zf.open("fields.csv"), dtype=str)
    assert "cnty_code\tcounty_code" in readme
    for name, rows in _expected_rows(plan, region).items():
        layer = pyogrio.read_dataframe(f"/vsizip/{path}/{name}.shp")
        assert len(layer) == rows, name
        assert layer.crs.to_epsg() == 4326, name
        fields = [c for c in layer.columns if c != "geometry"]
        assert all(len(f) <= 10 for f in fields), fields
        assert set(fields) == set(mapping.loc[mapping["layer"] == name, "shapefile_field"])
    counties = pyogrio.read_dataframe(f"/vsizip/{path}/counties.shp")
    assert list(counties["name"]) == ["晋江市"]
    towns = pyogrio.read_dataframe(f"/vsizip/{path}/townships.shp")
    assert set(towns["name"]) == set(region.townships["name"])
    assert "晋江市经济开发区" in set(towns["name"])
    sites = pyogrio.read_dataframe(f"/vsizip/{path}/sites.shp")
    assert {"cnty_code", "served_pop", "dist_ctr_m"} <= set(sites.columns)
    assert ZERO_CODE in set(sites["site_id"])
    assert set(sites.loc[sites["tier"] == "station", "name"]) == _station_names(plan)
    assert set(sites["cnty_code"]) == {"350582"}


def test_shapefile_names_are_short_and_unique():
    names = shapefile_names(
        ["county_code", "population_quality", "abcdefghijklmn", "abcdefghijxyz"]
    )
    assert names["county_code"] == "cnty_code"
    assert all(len(v) <= 10 for v in names.values())
    assert len(set(names.values())) == 4


def test_geojson_files_crs_rows_names(out, plan, region):
    for name, rows in _expected_rows(plan, region).items():
        path = out / f"jinjiang_{name}.geojson"
        layer = pyogrio.read_dataframe(path)
        assert len(layer) == rows, name
        assert layer.crs.to_epsg() == 4326, name
        data = json.loads(path.read_text(encoding="utf-8"))
        assert len(data["features"]) == rows
    sites = json.loads((out / "jinjiang_sites.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in sites["features"]]
    assert ZERO_CODE in {p["site_id"] for p in props}
    assert all(isinstance(p["county_code"], str) for p in props)
    assert {p["name"] for p in props if p["tier"] == "station"} == _station_names(plan)
    lon, lat = sites["features"][0]["geometry"]["coordinates"]
    assert 118 < lon < 119 and 24 < lat < 25  # lon/lat order, WGS84


# --- HTML ---------------------------------------------------------------------------


def test_html_escapes_names_and_is_offline(out):
    text = (out / "jinjiang_map.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text
    # Data reach the page as JSON strings; undo JSON's \u escapes to see what Leaflet
    # will insert as HTML: still no live tag, but the escaped text.
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    assert "<script>alert" not in decoded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in decoded
    assert "晋江市再生资源回收网络规划图" in text  # title box
    assert "回收站点（新建）" in text  # legend
    assert "近似生成" in text  # approximate-geometry notice
    assert not re.search(r"<script[^>]+src=[\"']https?:", text)
    assert not re.search(r"<link[^>]+href=[\"']https?:", text)


@pytest.mark.browser
def test_html_hostile_name_shows_as_text_in_browser(out, plan, browser):
    """In Chromium the popup shows the hostile name as text and runs nothing."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto((out / "jinjiang_map.html").as_uri())
        page.wait_for_selector(".planner-legend")
        page.wait_for_timeout(500)
        site = plan.sites[plan.sites["name"] == HOSTILE].geometry.iloc[0]
        x, y = page.evaluate(
            "([lat, lon]) => { const m = window[Object.keys(window).find("
            "k => k.startsWith('map_'))]; const p = m.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [site.y, site.x],
        )
        page.mouse.click(x, y)
        popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        assert HOSTILE in popup.inner_text()
        assert popup.query_selector("script") is None
        assert dialogs == []
    finally:
        page.close()


# --- static map ----------------------------------------------------------------------


def _not_blank(image: Image.Image) -> None:
    grey = np.asarray(image.convert("L"), dtype=float)
    ink = (grey < 128).mean()
    assert 0.005 < ink < 0.5, ink


def test_png_a4_300dpi(out):
    with Image.open(out / "jinjiang_map_a4.png") as image:
        assert image.size == (3508, 2480)  # A4 landscape at 300 dpi
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        _not_blank(image)


def test_png_a3_in_english(plan, region, tmp_path):
    path = export_map_png(plan, tmp_path / "a3.png", region, lang="en", paper="a3")
    with Image.open(path) as image:
        assert image.size == (4961, 3508)  # A3 landscape at 300 dpi
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        _not_blank(image)


def test_map_pdf_is_one_a4_landscape_page(out):
    pdf = pdfium.PdfDocument(out / "jinjiang_map_a4.pdf")
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert width == pytest.approx(297 / 25.4 * 72, abs=1)
    assert height == pytest.approx(210 / 25.4 * 72, abs=1)
    text = pdf[0].get_textpage().get_text_range()
    assert "晋江市再生资源回收网络规划图" in text
    _not_blank(pdf[0].render(scale=1).to_pil())


# --- report ---------------------------------------------------------------------------

RENDER_DPI = 150


def _title_crop(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    x0, y0, x1, y1 = TITLE_BOX
    return grey[int((1 - y1) * h) : int((1 - y0) * h), int(x0 * w) : int(x1 * w)]


def _reference(title: str, families: list[str] | None, size: tuple[int, int]) -> np.ndarray:
    """The report's title drawn alone by matplotlib (Agg), as greyscale of ``size``."""
    fig = Figure(figsize=PAGE_SIZE, dpi=RENDER_DPI)
    FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs in the Latin-only font
        draw_title(fig, title, families)
        fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    return np.asarray(Image.fromarray(rgb).convert("L").resize(size), dtype=float)


def _similarity(a: np.ndarray, b: np.ndarray, block: int = 4) -> float:
    """Correlation of block-averaged greyscale images (tolerates sub-pixel shifts)."""
    h, w = (a.shape[0] // block) * block, (a.shape[1] // block) * block

    def pooled(x):
        return x[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))

    return float(np.corrcoef(pooled(a).ravel(), pooled(b).ravel())[0, 1])


def test_report_pages_and_chinese_title_renders(out, region):
    pdf = pdfium.PdfDocument(out / "jinjiang_report.pdf")
    assert len(pdf) >= 4
    sizes = [pdf[i].get_size() for i in range(len(pdf))]
    assert any(w > h for w, h in sizes)  # the landscape map page
    assert sizes[0][0] == pytest.approx(210 / 25.4 * 72, abs=1)  # A4 portrait text pages
    title = t("export.report.title", "zh", region=region.name("zh"))
    text = pdf[0].get_textpage().get_text_range()
    assert title in text and "主要指标" in text and "近似生成" in text
    full = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "分区县指标" in full and "青阳街道" in full

    page = pdf[0].render(scale=RENDER_DPI / 72).to_pil().convert("L")
    rendered = _title_crop(np.asarray(page, dtype=float))
    assert (rendered < 128).mean() > 0.03  # the title is there, not blank
    cjk = _title_crop(_reference(title, None, page.size))
    tofu = _title_crop(_reference(title, ["DejaVu Sans"], page.size))
    assert (tofu < 128).mean() > 0.03  # the tofu reference does draw boxes
    like_cjk, like_tofu = _similarity(rendered, cjk), _similarity(rendered, tofu)
    assert like_cjk > 0.75, (like_cjk, like_tofu)
    assert like_cjk > like_tofu + 0.25, (like_cjk, like_tofu)


# --- API errors and fonts ---------------------------------------------------------------


def test_parse_formats():
    assert parse_formats("all") == list(FORMATS)
    assert parse_formats("xlsx, html") == ["html", "xlsx"]
    with pytest.raises(PlannerError) as err:
        parse_formats("html,docx")
    assert "docx" in err.value.message("zh") and err.value.key == "export.bad_format"


def test_missing_cjk_font_is_a_clear_error(plan, region, tmp_path, monkeypatch):
    export_fonts.cjk_family.cache_clear()
    monkeypatch.delenv("PLANNER_CJK_FONT", raising=False)
    monkeypatch.setattr(export_fonts, "_covers", lambda family: False)
    try:
        with pytest.raises(PlannerError) as err:
            export_plan(plan, tmp_path / "out", "xlsx,png", region=region)
        assert err.value.key == "export.no_cjk_font"
        assert "fonts-noto-cjk" in err.value.message("zh")
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    finally:
        export_fonts.cjk_family.cache_clear()


def test_empty_plan_exports(plan, region, tmp_path):
    """A plan without sites (an infeasible tier) still exports every format."""
    empty = dataclasses.replace(
        plan, sites=plan.sites.iloc[[]], links=plan.links.iloc[[]], township_kpis=pd.DataFrame()
    )
    written = export_plan(empty, tmp_path, "all", region=region)
    wb = openpyxl.load_workbook(written["xlsx"][0])
    assert wb["回收站点"].max_row == 1
    assert pyogrio.read_dataframe(written["gpkg"][0], layer="sites").empty


# --- CLI --------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_export_writes_requested_files(plan, tmp_path):
    plan.write(tmp_path / "plan")
    result = _cli("export", "--plan", str(tmp_path / "plan"), "--out", str(tmp_path / "x"),
                  "--formats", "xlsx,csv,shp")  # fmt: skip
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files == [
        "jinjiang_counties.csv",
        "jinjiang_shp.zip",
        "jinjiang_sites.xlsx",
        "jinjiang_sorting_centres.csv",
        "jinjiang_stations.csv",
    ]
    assert "jinjiang_sites.xlsx" in result.stdout
    wb = openpyxl.load_workbook(tmp_path / "x" / "jinjiang_sites.xlsx")
    assert ZERO_CODE in {r[0].value for r in wb["回收站点"].iter_rows(min_row=2)}


def test_cli_bad_plan_path_is_a_plain_message(tmp_path):
    result = _cli("export", "--plan", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "找不到规划结果" in result.stderr
    result = _cli("--lang", "en", "export", "--plan", str(tmp_path / "nowhere"),
                  "--out", str(tmp_path / "x"))  # fmt: skip
    assert result.returncode == 2 and "No plan found" in result.stderr
    assert not (tmp_path / "x").exists()


def test_cli_bad_format_is_a_plain_message(tmp_path):
    result = _cli("export", "--plan", str(tmp_path), "--out", str(tmp_path / "x"),
                  "--formats", "html,docx")  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "docx" in result.stderr

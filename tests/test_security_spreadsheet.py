"""Formula injection in spreadsheets (issue 14, family 2).

Names come from other people's files. Every CSV and XLSX the project writes must show
them as text: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
leading ``'`` (the OWASP CSV-injection rule), XLSX text cells are strings (never a
formula nor an error value), and numbers, negative ones included, stay numbers.

A small hostile region (three Jinjiang townships) is planned once per module: its
county, townships, communities, the region's own name, the scenario name and
description, and then the station and centre names and a community code all carry
payloads. The end-to-end test runs ``python -m planner plan`` and ``export --formats
all`` on the same region saved under a temporary ``PLANNER_HOME``.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest

from planner.data.regions import Region, load_region, save_region
from planner.plan import Plan
from planner.run import run_plan
from planner.scenario import Scenario, default_scenario
from planner.spreadsheet import (
    FORMULA_PREFIXES,
    csv_bytes,
    safe_table,
    spreadsheet_text,
    write_csv,
    xlsx_text,
)
from planner.sweep.curve import SweepCurve
from planner.views.export.tables import export_csv, export_xlsx

ROOT = Path(__file__).resolve().parents[1]
REGION_ID = "evil"
SCENARIO_NAME = '=HYPERLINK("http://x","y")'
DESCRIPTION = "+desc"
REGION_NAME = "=晋江"
COUNTY = "-county"
TOWNSHIPS = ('=HYPERLINK("http://x","t")', "+town", "#REF!")
#: Station and community names: every formula start, a text that looks like a
#: negative number, HTML, an Excel error value and an ordinary name.
NAMES = (
    "=cmd|' /C calc'!A0",
    SCENARIO_NAME,
    "@SUM(1)",
    "+1",
    "-1+1",
    "-12",
    "\tTAB",
    "\rCR",
    "<script>alert(1)</script>",
    "#REF!",
    "青阳社区",
)
CENTRES = ("@centre", "-centre")
CODE = "-350582"  # a text code that looks like a negative number
NEGATIVE = -5  # a negative number in a number column


def hostile_region() -> Region:
    """Three Jinjiang townships with a payload in every name."""
    base = load_region("jinjiang")
    keep = list(base.townships["code"][:3])
    towns = base.townships[base.townships["code"].isin(keep)].copy()
    towns["name"] = list(TOWNSHIPS)
    communities = base.communities[base.communities["township_code"].isin(keep)].copy()
    communities["name"] = [NAMES[i % len(NAMES)] for i in range(len(communities))]
    counties = base.counties.copy()
    counties["name"] = COUNTY
    meta = {**base.meta, "id": REGION_ID, "name_zh": REGION_NAME, "name_en": "@Jinjiang"}
    return dataclasses.replace(
        base, id=REGION_ID, meta=meta, counties=counties, townships=towns,
        communities=communities,
    )  # fmt: skip


def hostile_scenario() -> Scenario:
    return default_scenario("jinjiang").with_changes(
        region=REGION_ID, name=SCENARIO_NAME, description=DESCRIPTION,
        **{"stations.count": 12},
    )  # fmt: skip


@pytest.fixture(scope="module")
def region() -> Region:
    return hostile_region()


@pytest.fixture(scope="module")
def plan(region) -> Plan:
    """The hostile region's plan, with every station and centre name a payload, one
    community code ``-350582`` and one negative distance."""
    base = run_plan(region, hostile_scenario())
    assert base.status == "optimal"
    sites = base.sites.copy()
    stations = sites.index[sites["tier"] == "station"]
    centres = sites.index[sites["tier"] == "sorting_centre"]
    assert len(stations) == 12 and len(centres) == 2
    for i, idx in enumerate(stations):
        sites.at[idx, "name"] = NAMES[i % len(NAMES)]
    for name, idx in zip(CENTRES, centres, strict=True):
        sites.at[idx, "name"] = name
    sites.at[stations[0], "community_code"] = CODE
    sites.at[stations[0], "distance_to_centre_m"] = float(NEGATIVE)
    return dataclasses.replace(base, sites=sites)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_rows(path_or_bytes: Path | bytes) -> list[list[str]]:
    raw = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens the Chinese text correctly
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def assert_no_formula_text(rows: list[list[str]]) -> int:
    """No text cell starts like a formula; returns the number of escaped cells."""
    escaped = 0
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_PREFIXES) or _is_number(value), repr(value)
            escaped += value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES)
    return escaped


def xlsx_cells(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    return [cell for ws in wb for row in ws.iter_rows() for cell in row]


def assert_no_formula_cells(path: Path) -> int:
    """No cell of any sheet is a formula or an error value, no text cell starts like a
    formula; returns the number of escaped cells."""
    escaped = 0
    for cell in xlsx_cells(path):
        assert cell.data_type not in ("f", "e"), (cell.parent.title, cell.coordinate)
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            assert not cell.value.startswith(FORMULA_PREFIXES), repr(cell.value)
            escaped += cell.value.startswith("'")
    return escaped


# --- the rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("http://x","y")',
        "+1",
        "+86 595 1234",
        "-1+1",
        "-12",
        "@SUM(1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_text_starting_like_a_formula_gets_a_quote(text):
    assert spreadsheet_text(text) == "'" + text
    assert safe_table(pd.DataFrame({"name": [text]}))["name"].tolist() == ["'" + text]


@pytest.mark.parametrize(
    "text", ["青阳街道", "a=b", "1+1", "#REF!", "<script>alert(1)</script>", "'=quoted", ""]
)
def test_other_text_is_unchanged(text):
    assert spreadsheet_text(text) == text


def test_safe_table_changes_text_only():
    frame = pd.DataFrame(
        {
            "=head": ["=a", "b"],
            "int": [NEGATIVE, 3],
            "float": [-2.5, np.nan],
            "flag": [True, False],
            "mixed": pd.Series([-7, "-7"], dtype=object),
            "string": pd.Series(["@x", pd.NA], dtype="string"),
        }
    )
    safe = safe_table(frame)
    assert list(safe.columns) == ["'=head", "int", "float", "flag", "mixed", "string"]
    assert safe["'=head"].tolist() == ["'=a", "b"]
    assert safe["int"].tolist() == [NEGATIVE, 3] and safe["int"].dtype == np.int64
    assert safe["float"].iloc[0] == -2.5 and np.isnan(safe["float"].iloc[1])
    assert safe["flag"].dtype == bool
    assert safe["mixed"].tolist() == [-7, "'-7"]  # the number stays, the text is escaped
    assert safe["string"].iloc[0] == "'@x" and pd.isna(safe["string"].iloc[1])
    assert frame["=head"].tolist() == ["=a", "b"]  # the input is not touched


def test_csv_quotes_text_and_leaves_numbers_bare():
    frame = pd.DataFrame(
        {"name": ["=1+1", "a;=b", "-12"], "value": [-2.5, 3.0, np.nan], "n": [NEGATIVE, 0, 1]}
    )
    text = csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines() == [
        '"name","value","n"',
        '"\'=1+1",-2.5,-5',
        '"a;=b",3.0,0',  # quoted: a ';' cannot start a new cell in a ';' locale
        '"\'-12","",1',
    ]
    back = pd.read_csv(io.StringIO(text))
    assert back["value"].tolist()[:2] == [-2.5, 3.0] and back["n"].tolist() == [NEGATIVE, 0, 1]


def test_xlsx_text_replaces_xml_control_characters_visibly():
    assert xlsx_text("a\x07b\x1b") == "a\ufffdb\ufffd"
    assert xlsx_text("=a\x00") == "'=a\ufffd"
    assert xlsx_text("tab\there\nline") == "tab\there\nline"  # XML allows these
    # XML reads a CR back as LF: written as LF, after the formula check saw the CR.
    assert xlsx_text("\rCR\r\nx") == "'\nCR\nx"


# --- XLSX ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(plan, region, tmp_path_factory) -> Path:
    return export_xlsx(plan, tmp_path_factory.mktemp("xlsx") / "evil.xlsx", region)


def test_xlsx_has_no_formula_or_error_cell_on_any_sheet(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == [
        "回收站点", "分拣中心", "分区县汇总", "未覆盖的村和社区", "处置与费用", "说明",
    ]  # fmt: skip
    # 12 station names of which 8 start like a formula, 3 × 12 township cells
    # (stations, centres), county names, codes, the about sheet ...
    assert assert_no_formula_cells(workbook) >= 50


def test_xlsx_site_sheets_show_every_text_column_escaped(workbook, plan):
    wb = openpyxl.load_workbook(workbook)
    stations = wb["回收站点"]
    header = [c.value for c in stations[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in
            stations.iter_rows(min_row=2)]  # fmt: skip
    assert [r["名称"] for r in rows] == [xlsx_text(n) for n in plan.stations["name"]]
    assert {r["名称"] for r in rows} >= {
        "'=cmd|' /C calc'!A0", "'" + SCENARIO_NAME, "'@SUM(1)", "'+1", "'-1+1", "'-12",
        "'\tTAB", "'\nCR", "<script>alert(1)</script>", "#REF!", "青阳社区",
    }  # fmt: skip
    assert {r["区县"] for r in rows} == {"'-county"}
    assert {r["乡镇/街道"] for r in rows} == {"'" + TOWNSHIPS[0], "'+town", "#REF!"}
    assert {r["所属分拣中心"] for r in rows} <= {"'@centre", "'-centre"}
    assert rows[0]["村/社区编码"] == "'" + CODE
    assert isinstance(rows[0]["至分拣中心距离（米）"], int)
    assert rows[0]["至分拣中心距离（米）"] == NEGATIVE  # a negative number stays a number
    assert all(isinstance(r["服务人口"], int) and r["服务人口"] > 0 for r in rows)
    ref = next(c for c in stations["E"] if c.value == "#REF!")
    assert ref.data_type == "s"  # text, not Excel's #REF! error
    centre_header = [c.value for c in wb["分拣中心"][1]]
    centres = [[c.value for c in row] for row in wb["分拣中心"].iter_rows(min_row=2)]
    assert [row[1] for row in centres] == ["'@centre", "'-centre"]
    wanted = (
        "经度（WGS84）",
        "纬度（WGS84）",
        "经度（GCJ-02，高德/腾讯）",
        "纬度（GCJ-02，高德/腾讯）",
    )
    coords = [centre_header.index(h) for h in wanted]
    assert all(isinstance(row[i], float) for row in centres for i in coords)


def test_xlsx_county_and_about_sheets_escape_names(workbook, plan):
    wb = openpyxl.load_workbook(workbook)
    county = [c.value for c in wb["分区县汇总"][2]]
    assert county[:2] == ["350582", "'-county"]
    assert county[2] == plan.kpis["population"] and isinstance(county[2], int)
    about = {row[0].value: row[1] for row in wb["说明"].iter_rows()}
    assert about["区域"].value == "'=晋江"
    assert about["规划方案"].value == "'" + SCENARIO_NAME
    assert about["方案说明"].value == "'+desc"
    assert {about[k].data_type for k in ("区域", "规划方案", "方案说明")} == {"s"}
    assert wb.properties.title == SCENARIO_NAME  # metadata, never evaluated


def test_xlsx_in_english_escapes_the_english_region_name(plan, region, tmp_path):
    path = export_xlsx(plan, tmp_path / "en.xlsx", region, lang="en")
    assert_no_formula_cells(path)
    about = {row[0].value: row[1].value for row in openpyxl.load_workbook(path)["About"]}
    assert about["Region"] == "'@Jinjiang" and about["Scenario"] == "'" + SCENARIO_NAME


def test_xlsx_control_characters_do_not_break_the_workbook(plan, region, tmp_path):
    """openpyxl refuses a BEL in a cell and writes it raw into the properties (a file
    Excel cannot open); both are shown as the replacement character instead."""
    sites = plan.sites.copy()
    sites.loc[sites.index[0], "name"] = "=bell\x07name"
    # Scenarios refuse control characters now; a plan stored before that may hold one.
    scenario = dataclasses.replace(plan.scenario, name="esc\x1bname")
    odd = dataclasses.replace(plan, sites=sites, scenario=scenario)
    path = export_xlsx(odd, tmp_path / "ctrl.xlsx", region)
    wb = openpyxl.load_workbook(path)
    assert wb["回收站点"]["B2"].value == "'=bell\ufffdname"
    assert wb.properties.title == "esc\ufffdname"
    assert wb["说明"]["B2"].value == "esc\ufffdname"


# --- CSV -----------------------------------------------------------------------------


def test_export_csv_text_cells_escaped_numbers_bare(plan, region, tmp_path):
    paths = export_csv(plan, tmp_path, "evil", region)
    assert [p.name for p in paths] == [
        "evil_stations.csv", "evil_sorting_centres.csv", "evil_counties.csv",
    ]  # fmt: skip
    rows = {p.name: csv_rows(p) for p in paths}
    assert assert_no_formula_text(rows["evil_stations.csv"]) >= 8 + 12 + 12
    assert assert_no_formula_text(rows["evil_sorting_centres.csv"]) >= 2
    assert assert_no_formula_text(rows["evil_counties.csv"]) == 1
    stations = pd.read_csv(tmp_path / "evil_stations.csv", encoding="utf-8-sig",
                           dtype={"村/社区编码": str})  # fmt: skip
    assert stations["名称"].tolist() == [spreadsheet_text(n) for n in plan.stations["name"]]
    assert stations["村/社区编码"].iloc[0] == "'" + CODE
    assert stations["至分拣中心距离（米）"].iloc[0] == NEGATIVE
    assert pd.api.types.is_integer_dtype(stations["服务人口"])
    raw = (tmp_path / "evil_stations.csv").read_text(encoding="utf-8-sig")
    assert "\"'=cmd|' /C calc'!A0\"" in raw and f",{NEGATIVE}," in raw
    counties = pd.read_csv(tmp_path / "evil_counties.csv", encoding="utf-8-sig")
    assert counties["区县"].tolist() == ["'-county", "合计"]


def test_plan_files_escaped_and_the_plan_reads_back_unchanged(plan, tmp_path):
    plan.write(tmp_path)
    sites, demand = csv_rows(tmp_path / "sites.csv"), csv_rows(tmp_path / "demand.csv")
    assert assert_no_formula_text(sites) >= 8 + 2
    assert assert_no_formula_text(demand) >= 40 * 8 // 11
    # Villages without a station in reach, with their (hostile) names and stations' names.
    uncovered = csv_rows(tmp_path / "uncovered_villages.csv")
    assert len(uncovered) - 1 == plan.kpis["villages"]["uncovered"] > 0
    assert assert_no_formula_text(uncovered) >= len(uncovered) - 1
    frame = pd.read_csv(tmp_path / "sites.csv", encoding="utf-8-sig", dtype={"site_id": str})
    assert frame["name"].tolist() == [spreadsheet_text(n) for n in plan.sites["name"]]
    assert frame["distance_to_centre_m"].iloc[0] == NEGATIVE
    # The stored plan is read from plan.gpkg: the names are exactly as they were.
    again = Plan.read(tmp_path)
    assert again.sites["name"].tolist() == plan.sites["name"].tolist()
    assert again.sites["community_code"].iloc[0] == CODE
    assert again.scenario.name == SCENARIO_NAME
    assert set(again.demand["name"]) == set(NAMES)


def test_plan_zip_escapes_a_plan_stored_before_the_fix(plan, store):
    """A plan stored with unescaped CSV files downloads with escaped ones; its stored
    files and the plan read back are not touched."""
    record = store.save_scenario(plan.scenario)
    stored = store.save_plan(record.id, plan)
    old = plan.csv_tables()["sites"].to_csv(index=False).encode("utf-8-sig")
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE plan_files SET data = ? WHERE plan_id = ? AND name = 'sites.csv'",
            (old, stored.id),
        )
    with zipfile.ZipFile(io.BytesIO(store.plan_zip(stored.id))) as zf:
        names = sorted(zf.namelist())
        sites, demand = zf.read("sites.csv"), zf.read("demand.csv")
    assert names == [
        "demand.csv", "kpis.json", "plan.gpkg", "sites.csv", "uncovered_villages.csv"
    ]  # fmt: skip
    assert assert_no_formula_text(csv_rows(sites)) >= 10
    assert assert_no_formula_text(csv_rows(demand)) >= 10
    assert store.plan_files(stored.id)["sites.csv"] == old
    assert store.load_plan(stored.id).sites["name"].tolist() == plan.sites["name"].tolist()


def test_sweep_csv_escapes_county_names_and_text_values(tmp_path):
    table = pd.DataFrame(
        {
            "point": [1, 1],
            "stations.one_per_community": ["-none", "-none"],
            "area": ["city", "350582"],
            "area_name": [None, "=county"],
            "status": ["done", "done"],
            "coverage_share": [0.5, -0.25],
            "error": [None, "@error"],
            "knee": [False, True],
        }
    )
    path = SweepCurve(table=table, parameters=("stations.one_per_community",)).write_csv(
        tmp_path / "sweep.csv", lang="en"
    )
    rows = csv_rows(path)
    assert assert_no_formula_text(rows) == 4
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"area": str})
    assert back["area_name"].tolist() == ["City", "'=county"]
    assert back["stations.one_per_community"].tolist() == ["'-none", "'-none"]
    assert back["coverage_share"].tolist() == [0.5, -0.25]
    assert back["knee"].tolist() == [False, True]


def test_write_csv_is_the_same_bytes(tmp_path):
    frame = pd.DataFrame({"name": ["@x"], "n": [1]})
    assert write_csv(frame, tmp_path / "x.csv").read_bytes() == csv_bytes(frame)


def test_app_hides_the_unescaped_table_download():
    """Streamlit's own "download as CSV" on st.dataframe writes text as it is (no
    escaping in Streamlit 1.67); the app's downloads are the escaped exports."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


# --- CLI end to end ------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
def test_cli_plan_and_export_all_with_hostile_names(planner_home, tmp_path):
    save_region(hostile_region(), REGION_ID)
    scenario = hostile_scenario().save(tmp_path / "scenario.yaml")
    result = _cli("plan", "--region", REGION_ID, "--scenario", str(scenario),
                  "--out", str(tmp_path / "plan"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    plan = Plan.read(tmp_path / "plan")
    assert plan.scenario.name == SCENARIO_NAME
    names = set(plan.sites["name"])
    hostile = {n for n in names if n.startswith(FORMULA_PREFIXES)}
    assert len(hostile) >= 4, names  # the chosen stations carry payload names
    assert assert_no_formula_text(csv_rows(tmp_path / "plan" / "sites.csv")) >= len(hostile)
    assert assert_no_formula_text(csv_rows(tmp_path / "plan" / "demand.csv")) >= 20

    out = tmp_path / "exports"
    result = _cli("export", "--plan", str(tmp_path / "plan"), "--out", str(out),
                  "--formats", "all")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

    # XLSX: no formula in any sheet, the names as escaped text.
    assert assert_no_formula_cells(out / "evil_sites.xlsx") >= len(hostile) + 3
    wb = openpyxl.load_workbook(out / "evil_sites.xlsx")
    sheet_names = {c.value for c in wb["回收站点"]["B"][1:]} | {
        c.value for c in wb["分拣中心"]["B"][1:]
    }
    assert sheet_names == {xlsx_text(n) for n in names}
    about = {row[0].value: row[1].value for row in wb["说明"].iter_rows()}
    assert about["规划方案"] == "'" + SCENARIO_NAME and about["区域"] == "'" + REGION_NAME

    # CSV: no text cell starts like a formula.
    for name in ("stations", "sorting_centres", "counties"):
        assert_no_formula_text(csv_rows(out / f"evil_{name}.csv"))
    stations = pd.read_csv(out / "evil_stations.csv", encoding="utf-8-sig")
    assert set(stations["名称"]) == {spreadsheet_text(n) for n in plan.stations["name"]}

    # HTML: every site name is in the page as escaped text, no live tag.
    page = (out / "evil_map.html").read_text(encoding="utf-8")
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    assert "<script>alert(1)" not in decoded
    for name in names:
        assert json.dumps(html.escape(name), ensure_ascii=False)[1:-1] in decoded, name

    # PDF report: the names as text (the report lists counties and townships).
    pdf = pdfium.PdfDocument(out / "evil_report.pdf")
    text = _squash("\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))))
    for name in (REGION_NAME, SCENARIO_NAME, DESCRIPTION, COUNTY, *TOWNSHIPS):
        assert _squash(name) in text, name

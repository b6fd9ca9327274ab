"""The Jinjiang flow on top of the example inventory, from the command line (issue 15).

``python -m planner plan --region jinjiang --existing examples/jinjiang_existing_sites.csv
--existing-crs gcj02`` plans on top of the made-up inventory: the sites layer has all
four actions, ``kpis.json`` has ``actions`` and ``costs``, and the exports carry them.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_existing_sites.csv"

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("jj") / "plan"
    code = main(
        ["plan", "--region", "jinjiang", "--existing", str(EXAMPLE),
         "--existing-crs", "gcj02", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    return out


def test_sites_layer_has_all_four_actions_with_reasons(planned):
    sites = gpd.read_file(planned / "plan.gpkg", layer="sites")
    counts = sites.groupby(["tier", "action"]).size().to_dict()
    stations = {a: counts.get(("station", a), 0) for a in ("new", "upgrade", "keep", "close")}
    assert all(stations.values()), stations
    # 新改扩建 (Jinjiang's count mode): upgraded + new = the policy's 80, kept on top
    assert stations["new"] + stations["upgrade"] == 80
    example = pd.read_csv(EXAMPLE, encoding="utf-8-sig", dtype=str, skiprows=2)  # 2 title rows
    is_station = example["级别"] == "回收站点"
    unlicensed = set(example.loc[is_station & (example["营业执照"] == "否"), "编号"])
    closed = sites[sites["action"] == "close"].set_index("site_id")
    assert unlicensed <= set(closed.index)
    assert all("no_licence" in closed.loc[s, "reasons"] for s in unlicensed)
    demand = gpd.read_file(planned / "plan.gpkg", layer="demand")
    assert not set(demand["station_id"].dropna()) & set(closed.index)


def test_kpis_json_has_actions_and_costs(planned):
    kpis = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))["kpis"]
    acts, costs = kpis["actions"], kpis["costs"]
    assert acts["new_or_rebuilt"]["station"] == 80
    assert acts["new_or_rebuilt"]["sorting_centre"] == 2
    a = acts["station"]
    assert a["upgrade"] + a["keep"] + a["close"] == 120  # every inventory station has one
    expected = 50_000 * a["new"] + 20_000 * a["upgrade"] + 5_000_000 * acts["sorting_centre"]["new"]
    expected += 1_500_000 * acts["sorting_centre"]["upgrade"]
    assert costs["one_off_yuan"] == expected
    assert costs["unit_costs"]["assumed"] is True
    assert set(costs["by_county"]) == {"350582"}


def test_gis_export_carries_the_actions(planned, tmp_path):
    out = tmp_path / "export"
    assert main(["export", "--plan", str(planned), "--out", str(out), "--formats", "gpkg"]) == 0
    (gpkg,) = out.rglob("*.gpkg")
    sites = gpd.read_file(gpkg, layer="sites")
    assert set(sites["action"]) == {"new", "upgrade", "keep", "close"}
    assert (sites.loc[sites["action"] == "close", "reasons"].str.len() > 0).all()


def test_inventory_with_errors_plans_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "编号,名称,经度,纬度,营业执照\nA1,甲,118.55,24.78,也许\nA1,乙,118.56,24.79,是\n",
        encoding="utf-8",
    )
    code = main(["--lang", "en", "plan", "--region", "jinjiang", "--existing", str(bad),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "has errors" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "kpis.json").exists()


def test_xlsx_site_list_shows_the_four_actions_and_costs(planned, tmp_path):
    import openpyxl

    out = tmp_path / "xlsx"
    assert main(["export", "--plan", str(planned), "--out", str(out), "--formats", "xlsx"]) == 0
    (book,) = out.glob("*.xlsx")
    wb = openpyxl.load_workbook(book, read_only=True)
    rows = list(wb["回收站点"].iter_rows(values_only=True))
    action = rows[0].index("处置方式")
    found = {r[action] for r in rows[1:] if r[action]}
    assert {"新建", "标准化改造", "保留", "关停"} <= found
    kpis = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))["kpis"]
    closed = sum(1 for r in rows[1:] if r[action] == "关停")
    assert closed == kpis["actions"]["station"]["close"]
    assert "处置与费用" in wb.sheetnames


def test_report_states_the_standard_the_count_mode_and_the_actions(planned, tmp_path):
    import pypdfium2 as pdfium

    out = tmp_path / "report"
    assert main(["export", "--plan", str(planned), "--out", str(out), "--formats", "report"]) == 0
    (path,) = out.glob("*report.pdf")
    pdf = pdfium.PdfDocument(path)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "现有站点合规标准 晋政文〔2024〕98号（晋江 2024）" in text
    assert "站点数量口径 新改扩建（改造 + 新建），保留的现有站点另计" in text
    assert "最小营业面积（回收站点 / 分拣中心） 未规定 / 未规定" in text
    kpis = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))["kpis"]
    a = kpis["actions"]["station"]
    total = a["new"] + a["upgrade"] + a["keep"]
    assert f"合计 回收站点 {a['new']} {a['upgrade']} {a['keep']} {a['close']} {total}" in text

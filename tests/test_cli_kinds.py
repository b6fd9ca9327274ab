"""Several facility kinds in one plan, from the command line (issue 16, "Done when").

``python -m planner plan --region jinjiang --scenario examples/jinjiang_kinds.yaml``
plans the three tiers and four standalone kinds with the made-up layers beside the
scenario (``examples/jinjiang_kinds.layers``): the sites layer has the tiers and at least
five kinds, the kinds' sites keep their siting rules (checked here against the zones
themselves), ``kpis.json`` has a ``kinds`` block and ``exclusions.csv`` explains every
candidate left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from planner.cli import main
from planner.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_kinds.yaml"
LAYERS = ROOT / "examples" / "jinjiang_kinds.layers"
METRIC = "EPSG:32650"

pytestmark = [pytest.mark.usefixtures("planner_home"), pytest.mark.slow]


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("jjk") / "plan"
    code = main(["plan", "--region", "jinjiang", "--scenario", str(EXAMPLE), "--out", str(out)])
    assert code == 0
    return out


def _zones() -> gpd.GeoDataFrame:
    return gpd.read_file(LAYERS / "zones.made_up.geojson").to_crs(METRIC)


def test_sites_layer_has_the_tiers_and_at_least_five_kinds(planned):
    sites = gpd.read_file(planned / "plan.gpkg", layer="sites")
    assert {"station", "sorting_centre", "market", "standalone"} <= set(sites["tier"])
    assert sites["kind"].notna().all()
    assert sites["kind"].nunique() >= 5
    by_tier = {"station": "recycling_station", "sorting_centre": "sorting_centre"}
    for tier, kind in {**by_tier, "market": "market"}.items():
        assert set(sites.loc[sites["tier"] == tier, "kind"]) == {kind}
    wanted = {e["kind"]: e["count"] for e in yaml.safe_load(EXAMPLE.read_text("utf-8"))["kinds"]}
    standalone = sites[sites["tier"] == "standalone"]
    assert standalone.groupby("kind").size().to_dict() == wanted


def test_kinds_sites_keep_their_siting_rules(planned):
    sites = gpd.read_file(planned / "plan.gpkg", layer="sites").to_crs(METRIC)
    zones = _zones()
    water = zones[zones["category"] == "drinking_water_protection"].union_all()
    industrial = zones[zones["category"] == "industrial"].union_all()
    residential = zones[zones["category"] == "residential"].union_all()
    dismantler = sites[sites["kind"] == "scrap_vehicle_dismantler"].geometry
    assert len(dismantler) == 1
    assert (dismantler.distance(water) > 500).all()  # GB 22128 + the planner's 500 m
    assert dismantler.within(industrial.buffer(1e-6)).all()  # the allowed rule
    assert not dismantler.intersects(residential).any()
    bulky = sites[sites["kind"] == "bulky_furniture_transfer"].geometry
    assert not bulky.intersects(water).any()


def test_every_excluded_candidate_is_explained(planned):
    table = pd.read_csv(planned / "exclusions.csv", encoding="utf-8-sig", dtype={"site_id": str})
    assert {"kind", "site_id", "rule", "zone_category", "reason_zh", "reason_en"} <= set(table)
    assert table["reason_zh"].str.len().gt(0).all() and table["reason_en"].str.len().gt(0).all()
    # recompute: the community points within 500 m of the water zone must be listed for
    # the dismantler under its second rule (drinking-water protection, 500 m buffer)
    from planner.data.regions import load_region

    region = load_region("jinjiang")
    comms = region.communities
    points = gpd.GeoSeries(
        gpd.points_from_xy(comms["point_lon"], comms["point_lat"]), crs="EPSG:4326"
    ).to_crs(METRIC)
    water = _zones().query("category == 'drinking_water_protection'").union_all()
    near = set(comms.loc[(points.distance(water) <= 500).to_numpy(), "code"].astype(str))
    assert near, "the example's water zone should catch some communities"
    listed = table[(table["kind"] == "scrap_vehicle_dismantler") & (table["rule_index"] == 2)]
    assert near == set(listed["site_id"]) & near
    bulky = table[table["kind"] == "bulky_furniture_transfer"]
    inside = set(comms.loc[points.within(water).to_numpy(), "code"].astype(str))
    assert inside <= set(bulky["site_id"])


def test_kpis_json_has_a_block_per_kind_and_a_result_per_kind(planned):
    meta = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))
    kinds = meta["kpis"]["kinds"]
    sites = gpd.read_file(planned / "plan.gpkg", layer="sites")
    for kind, block in kinds.items():
        assert block["count"] == int((sites["kind"] == kind).sum())
    vehicles = pd.read_csv(LAYERS / "tables" / "vehicles.made_up.csv")["count"].sum()
    dismantler = kinds["scrap_vehicle_dismantler"]
    assert dismantler["demand_weight"] == pytest.approx(vehicles)
    assert dismantler["coverage_share"] == pytest.approx(1.0)  # a city-wide service area
    tiers = {r["tier"]: r for r in meta["results"]}
    assert set(kinds) <= set(tiers)
    assert all(tiers[k]["status"] == "optimal" for k in kinds)
    assert tiers["smart_recycling"]["details"]["name"]["zh"] == "智能回收设施"
    plan = Plan.read(planned)
    assert plan.exclusions is not None and len(plan.exclusions) == len(
        pd.read_csv(planned / "exclusions.csv", encoding="utf-8-sig")
    )


def test_exports_carry_the_kinds(planned, tmp_path):
    import openpyxl

    out = tmp_path / "export"
    code = main(
        ["export", "--plan", str(planned), "--out", str(out), "--formats", "xlsx,gpkg,html"]
    )
    assert code == 0
    (book,) = out.glob("*_sites.xlsx")
    wb = openpyxl.load_workbook(book, read_only=True)
    sites = gpd.read_file(planned / "plan.gpkg", layer="sites")
    names = {
        "appliance_furniture_point": "家电家具回收网点",
        "bulky_furniture_transfer": "大件家具定点转运点",
        "smart_recycling": "智能回收设施",
        "scrap_vehicle_dismantler": "报废机动车回收拆解企业",
    }
    for kind, name in names.items():
        rows = list(wb[name].iter_rows(values_only=True))
        assert rows[0][0] == "站点编码"
        expected = set(sites.loc[sites["kind"] == kind, "site_id"].astype(str))
        assert {str(r[0]) for r in rows[1:]} == expected
    excluded = list(wb["排除的候选点"].iter_rows(values_only=True))
    table = pd.read_csv(planned / "exclusions.csv", encoding="utf-8-sig")
    assert len(excluded) - 1 == len(table)
    assert all(r[-1] for r in excluded[1:])  # every row has its reason
    (layers,) = out.glob("*_layers.gpkg")
    gis = gpd.read_file(layers, layer="sites")
    assert {"tier", "kind"} <= set(gis.columns)
    assert gis.groupby("kind").size().to_dict() == sites.groupby("kind").size().to_dict()
    (html,) = out.glob("*_map.html")
    text = html.read_text(encoding="utf-8")
    assert all(name in text for name in names.values())  # a layer and legend entry each


def test_print_legend_has_an_entry_per_kind_in_its_files_colour(planned):
    import tomllib

    from planner.views.kind_layers import kind_sheet_legend

    legend = kind_sheet_legend(Plan.read(planned), "zh")
    files = {
        kind: tomllib.loads((ROOT / "data" / "kinds" / f"{kind}.toml").read_text("utf-8"))
        for kind in ("appliance_furniture_point", "bulky_furniture_transfer",
                     "smart_recycling", "scrap_vehicle_dismantler")
    }  # fmt: skip
    assert [(name, dot.fill) for name, dot in legend] == [
        (f["name"]["zh"], f["symbol"]["colour"]) for f in files.values()
    ]

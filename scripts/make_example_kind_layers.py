"""Write the MADE-UP example layers of ``examples/jinjiang_kinds.yaml``.

``python scripts/make_example_kind_layers.py`` writes ``examples/jinjiang_kinds.layers/``:

* ``zones.made_up.geojson`` — one drinking-water protection area (a 1.2 km disc around
  a village of 永和镇), two industrial areas (2 km squares at the seats of 磁灶镇 and
  内坑镇; 永和's lies beside the protection area) and one residential area (a 1.5 km disc
  at the seat of 青阳街道);
* ``pois.made_up.csv`` — points of interest at communities' points (moved 50–200 m):
  residential compounds, shopping districts, public institutions, furniture markets and
  refuse transfer stations, drawn with a fixed seed;
* ``tables/vehicles.made_up.csv`` — a made-up number of registered vehicles for 晋江市.

Every feature is invented for the example: none is a real protection area, zone,
building or figure. Rebuilding gives the same files (seed 20261207).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.regions import load_region

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "jinjiang_kinds.layers"
SEED = 20261207
NOTE = "虚构示例数据，并非真实 (MADE UP for the example, not real)"
#: Points of interest per category (made-up counts).
POI_COUNTS = {
    "residential_compound": 12,
    "shopping_district": 6,
    "public_institution": 8,
    "furniture_market": 3,
    "transfer_station": 4,
}
POI_WORDS = {
    "residential_compound": "示例小区",
    "shopping_district": "示例商圈",
    "public_institution": "示例公共机构",
    "furniture_market": "示例家具城",
    "transfer_station": "示例垃圾转运站",
}


def _metric(region, lon: float, lat: float) -> shapely.Point:
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(region.metric_crs)[0]


def _zones(region) -> gpd.GeoDataFrame:
    towns = region.townships.set_index("name")
    villages = region.communities.set_index("name")
    water = _metric(
        region, villages.loc["永和村委会", "point_lon"], villages.loc["永和村委会", "point_lat"]
    )
    rows = [("drinking_water_protection", "示例饮用水水源保护区（虚构）", water.buffer(1200))]
    for town in ("磁灶镇", "内坑镇", "永和镇"):
        seat = _metric(region, towns.loc[town, "seat_lon"], towns.loc[town, "seat_lat"])
        rows.append(
            ("industrial", f"示例工业用地（{town}，虚构）", seat.buffer(1000, cap_style="square"))
        )
    seat = _metric(region, towns.loc["青阳街道", "seat_lon"], towns.loc["青阳街道", "seat_lat"])
    rows.append(("residential", "示例居民区（青阳街道，虚构）", seat.buffer(1500)))
    frame = gpd.GeoDataFrame(
        {
            "id": [f"Z{i:02d}" for i in range(1, len(rows) + 1)],
            "category": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "note": NOTE,
        },
        geometry=[r[2] for r in rows],
        crs=region.metric_crs,
    )
    return frame.to_crs("EPSG:4326")


def _pois(region) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    comms = region.communities
    rows = []
    for category, count in POI_COUNTS.items():
        weights = comms["population"].to_numpy(dtype=float)
        picked = rng.choice(len(comms), size=count, replace=False, p=weights / weights.sum())
        for n, i in enumerate(sorted(picked), start=1):
            point = _metric(region, comms["point_lon"].iloc[i], comms["point_lat"].iloc[i])
            angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(50, 200)
            moved = shapely.Point(point.x + dist * np.cos(angle), point.y + dist * np.sin(angle))
            lonlat = gpd.GeoSeries([moved], crs=region.metric_crs).to_crs("EPSG:4326")[0]
            rows.append(
                {
                    "id": f"{category[:3].upper()}{n:02d}",
                    "category": category,
                    "name": f"{POI_WORDS[category]}{n:02d}（{comms['name'].iloc[i]}附近）",
                    "lon": round(lonlat.x, 6),
                    "lat": round(lonlat.y, 6),
                    "note": NOTE,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    region = load_region("jinjiang")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tables").mkdir(exist_ok=True)
    zones = _zones(region)
    data = json.loads(zones.to_json(drop_id=True))
    for feature in data["features"]:
        feature["geometry"]["coordinates"] = json.loads(
            json.dumps(feature["geometry"]["coordinates"]), parse_float=lambda v: round(float(v), 6)
        )
    (OUT / "zones.made_up.geojson").write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    _pois(region).to_csv(OUT / "pois.made_up.csv", index=False, encoding="utf-8")
    # a round, invented figure: not the city's registration count
    pd.DataFrame({"county_code": ["350582"], "count": [500000]}).to_csv(
        OUT / "tables" / "vehicles.made_up.csv", index=False, encoding="utf-8"
    )


if __name__ == "__main__":
    main()

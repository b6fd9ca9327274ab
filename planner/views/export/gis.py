"""The plan's layers for GIS: GeoPackage, zipped Shapefile and GeoJSON, all EPSG:4326.

Layers: ``sites`` (stations and sorting centres, ``tier`` tells them apart; ``action``
says what the plan does with each — ``new``, ``upgrade``, ``keep`` or ``close``, the
closed existing sites included — with its ``reasons`` codes, ``cost_yuan`` and
``operation_yuan_per_year``),
``demand`` (communities as points with their station and distance), ``links``
(station → centre lines), and for context the region's ``counties`` and
``townships``. Field names are the data model's (English, stable, so a GIS user or
:func:`planner.data.io.import_layer` can read them back); codes are text.

Shapefiles limit field names to 10 characters: long names are mapped (for example
``county_code`` → ``cnty_code``) and the zip carries ``README.txt`` and
``fields.csv`` with the mapping; each layer has a ``.cpg`` saying UTF-8, so Chinese
names survive in QGIS and ArcGIS.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.data.regions import CODE_COLUMNS as REGION_CODE_COLUMNS
from planner.data.regions import Region
from planner.i18n import t
from planner.plan import CODE_COLUMNS, Plan
from planner.plan.actions import site_actions
from planner.views.export.common import as_code

__all__ = [
    "SHAPEFILE_FIELDS",
    "export_geojson",
    "export_gpkg",
    "export_shapefile",
    "gis_layers",
    "shapefile_names",
]


# Data-model names longer than 10 characters → Shapefile field names.
SHAPEFILE_FIELDS = {
    "county_code": "cnty_code",
    "township_code": "town_code",
    "community_code": "comm_code",
    "served_population": "served_pop",
    "served_households": "served_hh",
    "served_communities": "served_com",
    "tonnage_t_per_day": "tonnage_td",
    "distance_to_centre_m": "dist_ctr_m",
    "load_t_per_day": "load_td",
    "capacity_t_per_day": "cap_td",
    "served_stations": "served_sta",
    "geometry_quality": "geom_qual",
    "location_quality": "loc_qual",
    "population_quality": "pop_qual",
    "seat_source": "seat_src",
    "urban_share": "urban_shr",
    "household_size": "hh_size",
    "operation_yuan_per_year": "op_yuan_yr",
    "distance_to_market_m": "dist_mkt_m",
    "served_centres": "served_ctr",
    "candidate_id": "cand_id",
}


def gis_layers(plan: Plan, region: Region | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The exported layers by name, in EPSG:4326, codes as text.

    Sites carry their ``tier`` (``station``, ``sorting_centre`` and, in plans with a
    market tier, ``market``); such plans add the ``market_links`` layer."""
    layers = {"sites": plan.sites, "demand": plan.demand, "links": plan.links}
    if plan.market_links is not None:  # plans with a market tier only
        layers["market_links"] = plan.market_links
    if region is not None:
        layers |= {"counties": region.counties, "townships": region.townships}
    out = {}
    for name, layer in layers.items():
        layer = layer.copy()
        if layer.crs is None:
            layer = layer.set_crs(4326)
        layer = layer.to_crs(4326)
        if name == "sites" and "action" not in layer:  # a plan written before actions
            layer["action"] = site_actions(layer).to_numpy()
        for col in (*CODE_COLUMNS, *REGION_CODE_COLUMNS):
            if col in layer:
                layer[col] = pd.Series(
                    [as_code(v) for v in layer[col]], index=layer.index, dtype=object
                )
        out[name] = layer
    return out


def export_gpkg(plan: Plan, path: str | Path, region: Region | None = None) -> Path:
    """Write every layer into one GeoPackage; returns the path."""
    path = Path(path)
    path.unlink(missing_ok=True)
    for name, layer in gis_layers(plan, region).items():
        layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def shapefile_names(columns: list[str]) -> dict[str, str]:
    """Field name (≤ 10 characters, unique) for each of ``columns``."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = SHAPEFILE_FIELDS.get(col, col)[:10]
        i = 1
        while name.lower() in used:
            suffix = str(i)
            name = name[: 10 - len(suffix)] + suffix
            i += 1
        used.add(name.lower())
        names[col] = name
    return names


def export_shapefile(
    plan: Plan, path: str | Path, region: Region | None = None, lang: str = "zh"
) -> Path:
    """Write the layers as Shapefiles in one zip (with .cpg and a field readme)."""
    path = Path(path)
    mapping_rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, layer in gis_layers(plan, region).items():
            columns = [c for c in layer.columns if c != layer.geometry.name]
            names = shapefile_names(columns)
            data = layer.rename(columns=names)
            for col in data.columns:
                if data[col].dtype == bool:
                    data[col] = data[col].astype("int32")
            data.to_file(
                folder / f"{name}.shp",
                driver="ESRI Shapefile",
                engine="pyogrio",
                encoding="UTF-8",
            )
            cpg = folder / f"{name}.cpg"
            if not cpg.exists() or "UTF-8" not in cpg.read_text(errors="replace").upper():
                cpg.write_text("UTF-8", encoding="ascii")
            mapping_rows += [(name, names[c], c) for c in columns]
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["layer", "shapefile_field", "field"])
        writer.writerows(mapping_rows)
        region_name = region.name(lang) if region is not None else plan.scenario.region
        lines = [t("export.shp.readme", lang, region=region_name), ""]
        header = (
            t("export.shp.layer", lang),
            t("export.shp.field", lang),
            t("export.shp.full", lang),
        )
        lines.append("\t".join(header))
        lines += ["\t".join(row) for row in mapping_rows if row[1] != row[2]]
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(folder.iterdir()):
                zf.write(file, file.name)
            zf.writestr("README.txt", "\n".join(lines) + "\n")
            zf.writestr("fields.csv", table.getvalue())
    return path


def export_geojson(
    plan: Plan, folder: str | Path, stem: str, region: Region | None = None
) -> list[Path]:
    """Write one RFC 7946 GeoJSON file per layer: ``{stem}_{layer}.geojson``."""
    folder = Path(folder)
    paths = []
    for name, layer in gis_layers(plan, region).items():
        path = folder / f"{stem}_{name}.geojson"
        path.unlink(missing_ok=True)
        layer.to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES")
        paths.append(path)
    return paths

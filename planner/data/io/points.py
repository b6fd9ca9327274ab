"""Features from tables: longitude/latitude columns, a "lon,lat" column or WKT.

Column names are recognised in Chinese and English (经度/纬度, lon/lat, x/y, 经纬度,
wkt ...); cells may hold decimal degrees, metres or degrees-minutes-seconds (``120°
39′ 18″ E``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from planner.data.checks import Problem, normalise_header
from planner.i18n import PlannerError

_LON_ALIASES = (
    *("lon", "lng", "long", "longitude", "经度", "x", "pointx", "x坐标", "横坐标"),
    *("坐标x", "经度wgs84", "gpslon", "gps经度"),
)
_LAT_ALIASES = (
    *("lat", "latitude", "纬度", "y", "pointy", "y坐标", "纵坐标", "坐标y", "纬度wgs84"),
    *("gpslat", "gps纬度"),
)
_PAIR_ALIASES = ("location", "lnglat", "lonlat", "经纬度", "坐标", "coordinates", "gps坐标")
_WKT_ALIASES = ("wkt", "geometry", "geom", "thegeom", "shape", "几何")
#: Every column name that holds coordinates (for finding a table's header row).
_COORDINATE_ALIASES = (*_LON_ALIASES, *_LAT_ALIASES, *_PAIR_ALIASES, *_WKT_ALIASES)

_DMS = re.compile(
    r"^(?P<hemi1>[EWNS东西南北])?\s*(?P<deg>-?\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*['′’分])?\s*(?:(?P<sec>\d+(?:\.\d+)?)\s*[\"″”秒])?\s*"
    r"(?P<hemi2>[EWNS东西南北])?$",
    re.IGNORECASE,
)


def _parse_coordinate(value: Any) -> float | None:
    """A coordinate from a cell: decimal degrees, metres or degrees-minutes-seconds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text or text.lower() == "nan":
        return math.nan
    try:
        number = float(text)
    except ValueError:
        match = _DMS.match(text)
        if not match:
            return None
        number = (
            float(match["deg"]) + float(match["min"] or 0) / 60 + float(match["sec"] or 0) / 3600
        )
        hemi = (match["hemi1"] or match["hemi2"] or "").upper()
        if hemi in ("W", "S", "西", "南"):
            number = -abs(number)
    return number if math.isfinite(number) else None


def _find_column(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    """The first of ``columns`` named like one of ``aliases`` (aliases in order)."""
    normalised = {c: normalise_header(c) for c in columns}
    for alias in (normalise_header(a) for a in aliases):
        for column in columns:
            if normalised[column] == alias:
                return column
    return None


def _has_coordinates(frame: pd.DataFrame) -> bool:
    """Whether a table has coordinate columns (lon/lat, a pair, or WKT)."""
    columns = [str(c) for c in frame.columns]
    return bool(
        (_find_column(columns, _LON_ALIASES) and _find_column(columns, _LAT_ALIASES))
        or _find_column(columns, _PAIR_ALIASES)
        or _find_column(columns, _WKT_ALIASES)
    )


def _points_from_table(frame: pd.DataFrame, name: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The table's features: points from lon/lat columns or a "lon,lat" column, else
    geometries from WKT; without a CRS (the import detects or asks it)."""
    columns = [str(c) for c in frame.columns]
    lon_col = _find_column(columns, _LON_ALIASES)
    lat_col = _find_column(columns, _LAT_ALIASES)
    pair_col = _find_column(columns, _PAIR_ALIASES)
    wkt_col = _find_column(columns, _WKT_ALIASES)
    problems: list[Problem] = []
    n = len(frame)
    if lon_col and lat_col:
        raw_x, raw_y = list(frame[lon_col]), list(frame[lat_col])
    elif pair_col:
        raw_x, raw_y = [], []
        for cell in frame[pair_col]:
            parts = re.split(r"[,，;；\s]+", str(cell).strip()) if isinstance(cell, str) else []
            parts = [p for p in parts if p]
            if len(parts) == 2:
                raw_x.append(parts[0])
                raw_y.append(parts[1])
            else:
                raw_x.append(cell if isinstance(cell, str) else None)
                raw_y.append(None if not isinstance(cell, str) else "?")
    elif wkt_col:
        geoms = []
        bad = []
        for i, cell in enumerate(frame[wkt_col]):
            if not isinstance(cell, str) or not cell.strip():
                geoms.append(None)
                continue
            try:
                geoms.append(shapely.from_wkt(cell.strip()))
            except shapely.errors.ShapelyError:
                geoms.append(None)
                bad.append(f"#{i + 1}")
        if bad:
            problems.append(
                Problem("io.wkt_invalid", "error", count=len(bad), examples=tuple(bad[:5]))
            )
        gdf = gpd.GeoDataFrame(frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index))
        return gdf, problems
    else:
        raise PlannerError("io.no_coordinate_columns", name=name, columns=columns[:15])

    xs = [_parse_coordinate(v) for v in raw_x]
    ys = [_parse_coordinate(v) for v in raw_y]
    bad = [i for i in range(n) if xs[i] is None or ys[i] is None]
    if bad:
        examples = tuple(f"#{i + 1}: {raw_x[i]}, {raw_y[i]}" for i in bad[:5])
        problems.append(
            Problem("io.coords_not_numeric", "error", count=len(bad), examples=examples)
        )
    geoms = [
        None
        if xs[i] is None or ys[i] is None or math.isnan(xs[i]) or math.isnan(ys[i])
        else shapely.Point(xs[i], ys[i])
        for i in range(n)
    ]
    gdf = gpd.GeoDataFrame(frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index))
    return gdf, problems


# --------------------------------------------------------------------------- vector readers

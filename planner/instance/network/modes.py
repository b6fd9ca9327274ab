"""Distance modes, road classes and speeds, and the thresholds of road distances.

Modes
-----
``"walk"``
    Length in metres, every road two-way, motorways excluded (stations: residents
    walk to them).
``"drive"``
    Length in metres on the directed graph (one-way streets respected), footways
    excluded.
``"drive_time"``
    Travel time in **seconds** with speeds by road class (OSM ``highway``; the
    ``maxspeed`` tag where present, osmnx's imputation) for station -> centre haulage.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner.i18n import PlannerError

__all__ = [
    "ACCESS_SPEED_KPH",
    "CLASS_SPEEDS_KPH",
    "DIRECT_MAX_M",
    "FALLBACK_SPEED_KPH",
    "FAR_FROM_ROAD_M",
    "MIN_COMPONENT_SHARE",
    "MODES",
    "OFF_NETWORK_M",
    "STRAIGHT_SPEED_KPH",
]


MODES: tuple[str, ...] = ("walk", "drive", "drive_time")

#: Default speeds (km/h) by road class, used when an edge has no ``maxspeed``.
#: OSM ``highway`` values plus common Chinese class names (道路等级).
CLASS_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "track": 15.0,
}
#: Speed for roads without a usable class (km/h).
FALLBACK_SPEED_KPH = 30.0
#: Speed on the straight connector from a point to the road in ``drive_time`` (km/h).
ACCESS_SPEED_KPH = 15.0
#: Chinese class names -> OSM classes (substring match, first hit wins).
_CN_CLASSES: tuple[tuple[str, str], ...] = (
    ("高速", "motorway"),
    ("快速", "trunk"),
    ("国道", "trunk"),
    ("主干", "primary"),
    ("省道", "primary"),
    ("次干", "secondary"),
    ("县道", "secondary"),
    ("乡道", "tertiary"),
    ("支路", "residential"),
    ("村道", "unclassified"),
)
_NO_WALK = frozenset({"motorway", "motorway_link"})
_NO_DRIVE = frozenset(
    {"footway", "pedestrian", "path", "steps", "cycleway", "bridleway", "corridor", "elevator"}
)
_TRUE = frozenset({"yes", "true", "1", "t", "y", "是", "单行", "单向"})
_DEFAULT_MAX_SNAP_M = 500.0
#: Longest direct straight connector between a point and a site
#: (see :mod:`planner.instance.network.snap`).
DIRECT_MAX_M = 2000.0
#: Points farther than this (metres) from a road are reported as far from a road.
FAR_FROM_ROAD_M = _DEFAULT_MAX_SNAP_M
#: Points farther than this (metres) from the road network, or that reach no site
#: along it, are costed as straight line × circuity instead
#: (see :func:`planner.instance.network.road_distances`).
OFF_NETWORK_M = 2000.0
#: Snap only onto parts of the network holding at least this share of its road length.
MIN_COMPONENT_SHARE = 0.01
#: Speed (km/h) that turns a straight-line fallback into seconds in ``drive_time``.
STRAIGHT_SPEED_KPH = 30.0


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise PlannerError("network.bad_mode", mode=mode, modes=", ".join(MODES))
    return mode


def _points(xy: Any, what: str) -> np.ndarray:
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
        raise PlannerError("network.bad_points", what=what)
    return arr


def _road_class(value: Any) -> str | None:
    """Normalise an edge's class: first of a list, OSM value or mapped Chinese name."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    low = text.lower()
    if low in CLASS_SPEEDS_KPH or low in _NO_DRIVE:
        return low
    for word, cls in _CN_CLASSES:
        if word in text:
            return cls
    return low


def _maxspeed(value: Any) -> float | None:
    if isinstance(value, list | tuple):
        speeds = [s for s in (_maxspeed(v) for v in value) if s is not None]
        return float(np.mean(speeds)) if speeds else None
    if value is None:
        return None
    text = str(value).strip().lower()
    factor = 1.609344 if "mph" in text else 1.0
    digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    try:
        speed = float(digits) * factor
    except ValueError:
        return None
    return speed if speed > 0 else None


def _edge_speed_kph(data: dict) -> float:
    for key in ("speed_kph", "maxspeed"):
        speed = _maxspeed(data.get(key))
        if speed is not None:
            return speed
    return CLASS_SPEEDS_KPH.get(_road_class(data.get("highway")) or "", FALLBACK_SPEED_KPH)


def _is_true(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).strip().lower() in _TRUE

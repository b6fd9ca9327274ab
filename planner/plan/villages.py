"""Village coverage (村/社区覆盖): which villages and communities have a station in reach.

The population indicators of :mod:`planner.plan.kpi` weigh every community by its
people; county plans also count *units*: Hangzhou's 2025 plan asks every town and
70 % of the villages to have a recycling station within their service radius. Here
every 村 and 社区 (one demand point each, :mod:`planner.instance.demand`) counts once.

What "covered" means
--------------------
A unit is covered when an **open station lies within its coverage radius**
(``radius_m``), measured as the station tier's model measures it (straight line ×
circuity, or the walking distance in ``network`` mode,
:mod:`planner.instance.coverage_sets`). This is the quantity the scenario rule
``stations.min_village_share`` constrains, and it can differ from the demand
table's ``covered`` column: that one says whether the community's *assigned*
station is within the radius, and with station capacities a community may be
assigned to a farther station while a nearer one (full) stands within its radius.

:func:`nearest_station_columns` adds to the demand table, per unit, its nearest open
station (``nearest_station_id``), the distance to it (``nearest_station_m``) and
``station_within_radius``. Plans written before these columns existed are read with
``station_id``/``distance_m``/``covered`` in their place (for plans without
capacity, the same figures).

Indicators
----------
``kpis["villages"]`` (:func:`village_kpis`), all counts of units:

``units``, ``covered``, ``share``
    Every 村 and 社区; ``uncovered`` = ``units - covered``.
``community_units``, ``community_covered``, ``community_share``
    社区 only (``kind == "community"``, the urban units).
``village_units``, ``village_covered``, ``village_share``
    村 only (``kind == "village"``, the rural units; villages of urban streets
    included, though they get the urban radius).
``min_county_share``
    The lowest county share: the figure the rule "≥ X % in every county" is about.

Shares are ``None`` where there is nothing to count. Per county and township, the
area tables gain :data:`AREA_COLUMNS` (:func:`village_area_columns`);
:func:`city_area_columns` gives the city's figures under the same names (a total row).
:func:`uncovered_villages` lists the units without a station in reach, with their
nearest station, for the county to arrange mobile collection (流动回收).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.data.regions import Region
    from planner.instance.build import Instance
    from planner.instance.network import RoadDistances

__all__ = [
    "AREA_COLUMNS",
    "CITY_KEYS",
    "KIND_LABEL",
    "city_area_columns",
    "nearest_station_columns",
    "uncovered_villages",
    "village_area_columns",
    "village_kpis",
    "within_radius",
]

#: Columns :func:`village_area_columns` adds to the county and township tables.
AREA_COLUMNS = (
    "village_units",
    "village_units_covered",
    "village_coverage_share",
    "village_coverage_share_community",
    "village_coverage_share_village",
)
#: Each of :data:`AREA_COLUMNS` as the city's block (``kpis["villages"]``) names it.
CITY_KEYS = {
    "village_units": "units",
    "village_units_covered": "covered",
    "village_coverage_share": "share",
    "village_coverage_share_community": "community_share",
    "village_coverage_share_village": "village_share",
}
#: Catalogue key of each kind of unit (``kind``): 社区 (urban) and 村 (rural).
KIND_LABEL = {"community": "term.community", "village": "term.village"}
#: Float tolerance of "within the radius", as for the demand table's ``covered``.
_TOL_M = 1e-6


def nearest_station_columns(
    demand: pd.DataFrame,
    inst: Instance,
    open_sites: np.ndarray,
    distances: RoadDistances | None = None,
) -> pd.DataFrame:
    """``demand`` with each unit's nearest open station, its distance and whether it
    lies within the unit's radius.

    Parameters
    ----------
    demand
        The run's demand table, rows in the instance's order, with ``radius_m``.
    inst
        The instance (station candidates with ``site_id``).
    open_sites
        Candidate positions of the open stations.
    distances
        The station tier's road distances (``network`` mode), else straight line ×
        circuity.

    Returns
    -------
    DataFrame
        A copy with ``nearest_station_id`` (``None`` when no station is open or
        reachable), ``nearest_station_m`` (``inf`` then) and ``station_within_radius``.
    """
    # Imported here: reading a stored plan's indicators needs no distance code.
    from planner.instance.coverage_sets import nearest_open_sites, station_source
    from planner.instance.walk import cover_radius

    out = demand.copy()
    site, dist = nearest_open_sites(station_source(inst, distances), open_sites)
    ids = inst.stations["site_id"].to_numpy(dtype=object)
    out["nearest_station_id"] = np.where(site >= 0, ids[site.clip(0)], None)
    out["nearest_station_m"] = dist
    out["station_within_radius"] = dist <= cover_radius(out) + _TOL_M
    return out


def within_radius(demand: pd.DataFrame) -> np.ndarray:
    """Per unit: an open station within its radius (``covered`` for older plans)."""
    col = "station_within_radius" if "station_within_radius" in demand else "covered"
    return demand[col].to_numpy(dtype=bool)


def _share(covered: int, units: int) -> float | None:
    return covered / units if units else None


def _counts(demand: pd.DataFrame) -> dict[str, int]:
    hit = within_radius(demand)
    kind = demand["kind"].to_numpy(dtype=object)
    out = {"units": len(demand), "covered": int(hit.sum())}
    for name in ("community", "village"):
        mask = kind == name
        out[f"{name}_units"] = int(mask.sum())
        out[f"{name}_covered"] = int(hit[mask].sum())
    return out


def village_kpis(demand: pd.DataFrame) -> dict[str, Any]:
    """The city's village-coverage block (``kpis["villages"]``, see the module
    docstring); plain ints, floats and ``None``, ready for JSON."""
    c = _counts(demand)
    county = [
        _share(int(within_radius(g).sum()), len(g))
        for _, g in demand.groupby("county_code", sort=True)
    ]
    county = [s for s in county if s is not None]
    return {
        "units": c["units"],
        "covered": c["covered"],
        "share": _share(c["covered"], c["units"]),
        "uncovered": c["units"] - c["covered"],
        "community_units": c["community_units"],
        "community_covered": c["community_covered"],
        "community_share": _share(c["community_covered"], c["community_units"]),
        "village_units": c["village_units"],
        "village_covered": c["village_covered"],
        "village_share": _share(c["village_covered"], c["village_units"]),
        "min_county_share": min(county) if county else None,
    }


def village_area_columns(demand: pd.DataFrame) -> dict[str, float]:
    """:data:`AREA_COLUMNS` of one area's demand rows (``NaN`` shares where there is
    nothing to count, like the area tables' population shares)."""
    c = _counts(demand)

    def share(covered: int, units: int) -> float:
        value = _share(covered, units)
        return float("nan") if value is None else float(value)

    return {
        "village_units": c["units"],
        "village_units_covered": c["covered"],
        "village_coverage_share": share(c["covered"], c["units"]),
        "village_coverage_share_community": share(c["community_covered"], c["community_units"]),
        "village_coverage_share_village": share(c["village_covered"], c["village_units"]),
    }


def city_area_columns(kpis: Mapping[str, Any]) -> dict[str, Any]:
    """The city's :data:`AREA_COLUMNS` from a plan's indicators (empty for a plan made
    before village coverage was counted)."""
    block = kpis.get("villages") or {}
    return {column: block.get(key) for column, key in CITY_KEYS.items()} if block else {}


def uncovered_villages(
    demand: pd.DataFrame, sites: pd.DataFrame, region: Region | None = None
) -> pd.DataFrame:
    """The 村 and 社区 without an open station within their radius.

    One row each, by county, township and code: ``code``, ``name``, ``kind``,
    ``township_code``, ``county_code`` (with a ``region`` also ``township`` and
    ``county``, their names), ``population``, ``radius_m``, the nearest open station
    (``station_id``, ``station_name``) and the distance to it (``distance_m``, empty
    when none is reachable), and ``lon``/``lat`` of the unit's point when the table
    has geometry. For plans written before :func:`nearest_station_columns`, the
    assigned station stands in for the nearest.
    """
    miss = demand[~within_radius(demand)]
    near_id = "nearest_station_id" if "nearest_station_id" in miss else "station_id"
    near_m = "nearest_station_m" if "nearest_station_m" in miss else "distance_m"
    stations = sites[sites["tier"] == "station"] if "tier" in sites else sites
    names = dict(zip(stations["site_id"], stations["name"], strict=True))
    dist = miss[near_m].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "code": miss["demand_id"].to_numpy(dtype=object),
            "name": miss["name"].to_numpy(dtype=object),
            "kind": miss["kind"].to_numpy(dtype=object),
            "township_code": miss["township_code"].to_numpy(dtype=object),
            "county_code": miss["county_code"].to_numpy(dtype=object),
            "population": miss["population"].to_numpy(),
            "radius_m": miss["radius_m"].to_numpy(dtype=float),
            "station_id": miss[near_id].to_numpy(dtype=object),
            "station_name": [names.get(s) for s in miss[near_id]],
            "distance_m": np.where(np.isfinite(dist), np.round(dist, 1), np.nan),
        }
    )
    if region is not None:
        towns = dict(zip(region.townships["code"], region.townships["name"], strict=True))
        counties = dict(zip(region.counties["code"], region.counties["name"], strict=True))
        out.insert(4, "township", out["township_code"].map(towns))
        out.insert(6, "county", out["county_code"].map(counties))
    if isinstance(miss, gpd.GeoDataFrame):
        out["lon"] = miss.geometry.x.round(7).to_numpy()
        out["lat"] = miss.geometry.y.round(7).to_numpy()
    order = out.sort_values(["county_code", "township_code", "code"], kind="stable").index
    return out.loc[order].reset_index(drop=True)

"""Demand points of a facility kind, by its demand basis.

A kind (:mod:`planner.data.kinds`) says what it serves:

* ``residents`` and ``households``: one point per community (村/社区) at its
  representative point, weighted by its population or households
  (:func:`planner.instance.demand.demand_points`).
* ``poi``: the region's points of interest of the kind's categories (``pois`` layer),
  each weighted 1 or by the kind's ``weight_column`` (the layer's ``weight`` by default,
  itself 1 unless the imported file gave weights).
* ``vehicles`` and ``table``: a number per county from one of the region's demand tables
  (``vehicles``: registered vehicles per county), **spread over the county's communities
  in proportion to their population** — the table knows counties only, and where people
  live is the best guide the region has to where the vehicles are. The shares of a
  county add up to its figure exactly.

Each point gets the kind's coverage radius (urban for 社区 and urban villages, rural
otherwise; figures the kind takes from the scenario are read from it), or NaN for a kind
with a service area instead of a radius, and ``walk_m``: a community's mean walk from
its area to its point (:mod:`planner.instance.walk`), as for the station tier; 0 for a
point of interest.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.kinds import FacilityKind
from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.instance.demand import demand_points
from planner.scenario import Scenario
from planner.scenario.kinds import resolve_figure

__all__ = ["KIND_DEMAND_COLUMNS", "kind_demand"]

KIND_DEMAND_COLUMNS = [
    "demand_id", "name", "county_code", "township_code", "urban", "weight", "radius_m",
    "walk_m", "x", "y", "geometry",
]  # fmt: skip


def _radius(kind: FacilityKind, scenario: Scenario, urban: np.ndarray) -> np.ndarray:
    cover = kind.coverage
    urban_m = resolve_figure(cover.radius_urban_m, scenario, kind)
    rural_m = resolve_figure(cover.radius_rural_m, scenario, kind)
    if urban_m is None or rural_m is None:
        return np.full(len(urban), np.nan)
    return np.where(urban, float(urban_m), float(rural_m))


def _poi_demand(region: Region, kind: FacilityKind, communities: gpd.GeoDataFrame):
    pois = region.pois
    chosen = None if pois is None else pois[pois["category"].isin(kind.demand.categories)]
    if chosen is None or chosen.empty:
        raise PlannerError(
            "kinds.no_pois", kind=kind.label(), categories=", ".join(kind.demand.categories)
        )
    column = kind.demand.weight_column or "weight"
    if column not in chosen:
        raise PlannerError("kinds.no_weight_column", kind=kind.label(), column=column)
    weight = pd.to_numeric(chosen[column], errors="coerce").fillna(1.0).to_numpy(dtype=float)
    # the community a point of interest lies in (the nearest one when it is in none)
    # decides its county, township and whether the urban radius applies
    located = gpd.sjoin_nearest(
        chosen[["poi_id", "name", "geometry"]].to_crs(region.metric_crs),
        communities[["demand_id", "county_code", "township_code", "urban", "geometry"]]
        .set_geometry(communities.geometry)
        .to_crs(region.metric_crs),
        how="left",
    )
    located = located[~located.index.duplicated(keep="first")]
    metric = located.geometry
    return gpd.GeoDataFrame(
        {
            "demand_id": located["poi_id"].astype(str).to_numpy(),
            "name": located["name"].astype(str).to_numpy(),
            "county_code": located["county_code"].to_numpy(),
            "township_code": located["township_code"].to_numpy(),
            "urban": located["urban"].to_numpy(dtype=bool),
            "weight": weight,
            "x": metric.x.to_numpy(),
            "y": metric.y.to_numpy(),
        },
        geometry=chosen.geometry.to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )


def _table_demand(region: Region, kind: FacilityKind, communities: gpd.GeoDataFrame):
    name = kind.demand.table or "vehicles"
    table = region.tables.get(name)
    if table is None:
        raise PlannerError("kinds.no_demand_table", kind=kind.label(), table=name)
    per_county = table.groupby(table["county_code"].astype(str))["count"].sum()
    population = communities["population"].to_numpy(dtype=float)
    county_total = communities.groupby("county_code")["population"].transform("sum")
    county_total = county_total.to_numpy(dtype=float)
    missing = sorted(set(per_county.index) - set(communities["county_code"][population > 0]))
    if missing:
        raise PlannerError("kinds.table_county_empty", table=name, counties=", ".join(missing))
    figure = communities["county_code"].map(per_county).fillna(0.0).to_numpy(dtype=float)
    share = np.divide(
        population, county_total, out=np.zeros_like(population), where=county_total > 0
    )
    out = communities.copy()
    out["weight"] = figure * share
    return out


def kind_demand(region: Region, kind: FacilityKind, scenario: Scenario) -> gpd.GeoDataFrame:
    """Demand points of ``kind`` in ``region``.

    Parameters
    ----------
    region
        The region, with ``pois`` for a ``poi`` basis and the named table in
        ``tables`` for a ``vehicles`` / ``table`` basis.
    kind
        The facility kind.
    scenario
        For the generation figures of communities and the figures the kind takes from it.

    Returns
    -------
    GeoDataFrame
        :data:`KIND_DEMAND_COLUMNS`, EPSG:4326, ``x``/``y`` in the region's metric CRS;
        only points with a positive weight.

    Raises
    ------
    PlannerError
        ``kinds.no_pois`` (no points of interest of the kind's categories),
        ``kinds.no_weight_column``, ``kinds.no_demand_table`` (the region has no such
        table), ``kinds.table_county_empty`` (a county of the table has no people to
        spread its figure over).
    """
    communities = demand_points(region, scenario)
    basis = kind.demand.basis
    if basis == "residents":
        out = communities.assign(weight=communities["population"].to_numpy(dtype=float))
    elif basis == "households":
        out = communities.assign(weight=communities["households"].to_numpy(dtype=float))
    elif basis == "poi":
        out = _poi_demand(region, kind, communities)
    else:  # vehicles, table
        out = _table_demand(region, kind, communities)
    out = out[out["weight"].to_numpy(dtype=float) > 0].copy()
    out["radius_m"] = _radius(kind, scenario, out["urban"].to_numpy(dtype=bool))
    if "walk_m" not in out or basis == "poi":
        out["walk_m"] = 0.0  # a point of interest is where its demand is: no walk
    return out[KIND_DEMAND_COLUMNS].reset_index(drop=True)

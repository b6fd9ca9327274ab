"""Demand points: where recyclables arise, and how much.

One demand point per community (村/社区) at its representative point, weighted by its
population. A community is *urban* when it is a 社区 or a village of an urban street
(城中村) — the same rule the region packs use to apportion urban population — and gets
the urban coverage radius and per-capita generation rate.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from planner.data.regions import Region
from planner.instance.walk import community_walk_m
from planner.scenario import Scenario

__all__ = ["URBAN_TOWNSHIP_KINDS", "demand_points", "representative_points"]

URBAN_TOWNSHIP_KINDS = ("street", "county_direct")


def representative_points(layer: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each unit's representative point: ``point_lon``/``point_lat`` when present,
    else a point guaranteed inside its polygon."""
    if {"point_lon", "point_lat"} <= set(layer.columns):
        lon = layer["point_lon"].to_numpy(dtype=float)
        lat = layer["point_lat"].to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if ok.all():
            return gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=layer.index, crs=layer.crs)
        fallback = layer.geometry.representative_point()
        pts = gpd.points_from_xy(np.where(ok, lon, fallback.x), np.where(ok, lat, fallback.y))
        return gpd.GeoSeries(pts, index=layer.index, crs=layer.crs)
    return layer.geometry.representative_point()


def demand_points(region: Region, scenario: Scenario) -> gpd.GeoDataFrame:
    """Demand points of ``region`` under ``scenario``.

    Returns
    -------
    GeoDataFrame
        One row per community, in EPSG:4326, with ``demand_id`` (community code),
        ``name``, ``county_code``, ``township_code``, ``kind``, ``urban`` (bool),
        ``population``, ``households``, ``radius_m`` (coverage radius), ``walk_m``
        (mean walk from the community's area to its point, added to every station
        distance: :mod:`planner.instance.walk`), ``tonnage_t_per_day`` (recyclables),
        and ``x``/``y`` in the region's metric CRS.
    """
    comms = region.communities
    town_kind = dict(zip(region.townships["code"], region.townships["kind"], strict=True))
    urban = (comms["kind"] == "community").to_numpy() | comms["township_code"].map(town_kind).isin(
        URBAN_TOWNSHIP_KINDS
    ).to_numpy()
    gen = scenario.generation
    kg = np.where(urban, gen.urban_kg_per_person_day, gen.rural_kg_per_person_day)
    points = representative_points(comms)
    metric = points.to_crs(region.metric_crs)
    out = gpd.GeoDataFrame(
        {
            "demand_id": comms["code"].to_numpy(),
            "name": comms["name"].to_numpy(),
            "county_code": comms["county_code"].to_numpy(),
            "township_code": comms["township_code"].to_numpy(),
            "kind": comms["kind"].to_numpy(),
            "urban": urban,
            "population": comms["population"].to_numpy(dtype=np.int64),
            "households": comms["households"].to_numpy(dtype=np.int64),
            "radius_m": np.where(
                urban, scenario.stations.radius_urban_m, scenario.stations.radius_rural_m
            ),
            "walk_m": community_walk_m(comms, region.metric_crs),
            "tonnage_t_per_day": comms["population"].to_numpy(dtype=float) * kg / 1000.0,
            "x": metric.x.to_numpy(),
            "y": metric.y.to_numpy(),
        },
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )
    return out.reset_index(drop=True)

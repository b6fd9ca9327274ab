"""Candidate sites for recycling stations and sorting centres.

Station candidates are every community's representative point, the region's existing
station sites, sites a planner supplies, and optionally a grid of extra points in dense
urban communities (where one point per community is too coarse) — or, with
``dense_candidates = "kmeans"``, as many population-weighted cluster centres. Sorting-centre
candidates are township seats plus existing and supplied centre sites.

Existing sites marked ``existing_keep`` become required, ``existing_close`` excluded.

The number of demand points and of candidates is bounded (:mod:`planner.limits`,
``demand`` and ``candidates``); the dense grid is counted from the dense area before
any point is made, so a grid of one metre is refused at once instead of filling memory.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.regions import Region
from planner.instance.demand import representative_points
from planner.instance.dense_kmeans import dense_kmeans_points
from planner.limits import check_limit
from planner.scenario import Scenario

__all__ = ["CANDIDATE_COLUMNS", "centre_candidates", "station_candidates"]

CANDIDATE_COLUMNS = [
    "site_id", "name", "source", "status", "county_code", "township_code",
    "community_code", "x", "y", "geometry",
]  # fmt: skip
# Communities denser than this (people/km²) get extra grid candidates when asked.
DENSE_AREA_PEOPLE_PER_KM2 = 5000.0


def _frame(rows: dict, points: gpd.GeoSeries, metric_crs: str) -> gpd.GeoDataFrame:
    metric = points.to_crs(metric_crs)
    out = gpd.GeoDataFrame(
        {**rows, "x": metric.x.to_numpy(), "y": metric.y.to_numpy()},
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )
    return out[CANDIDATE_COLUMNS]


def _located(
    region: Region, sites: gpd.GeoDataFrame, source: str, status: pd.Series | str
) -> gpd.GeoDataFrame:
    """Candidates from point ``sites``, with community/township/county found by location."""
    cols = ["site_id", "geometry"] + (["name"] if "name" in sites else [])
    located = gpd.sjoin(
        sites.to_crs(4326)[cols].assign(_status=status),
        region.communities[["code", "township_code", "county_code", "geometry"]],
        how="left",
        predicate="within",
    ).drop_duplicates("site_id")
    return _frame(
        {
            "site_id": located["site_id"].astype(str).to_numpy(),
            "name": located["name"].astype(str).to_numpy() if "name" in located else "",
            "source": source,
            "status": located["_status"].to_numpy(),
            "county_code": located["county_code"].to_numpy(),
            "township_code": located["township_code"].to_numpy(),
            "community_code": located["code"].to_numpy(),
        },
        located.geometry,
        region.metric_crs,
    )


def _existing(region: Region, tier: str) -> gpd.GeoDataFrame | None:
    sites = region.sites
    if sites is None or sites.empty:
        return None
    sites = sites[sites["tier"] == tier]
    if sites.empty:
        return None
    return _located(region, sites, "existing", sites["status"].fillna("existing_keep"))


def _dense_units(region: Region) -> gpd.GeoDataFrame:
    """Communities dense enough for grid candidates, in the region's metric CRS."""
    comms = region.communities.to_crs(region.metric_crs)
    density = comms["population"] / (comms.geometry.area / 1e6)
    return comms[density >= DENSE_AREA_PEOPLE_PER_KM2]


def _grid_estimate(dense: gpd.GeoDataFrame, spacing_m: float) -> int:
    """About how many grid points ``dense`` gets at ``spacing_m``: area ÷ spacing²."""
    if dense.empty:
        return 0
    return int(np.ceil(float(dense.geometry.area.sum()) / spacing_m**2))


def _dense_grid(
    dense: gpd.GeoDataFrame, spacing_m: float, metric_crs: str, method: str = "grid"
) -> gpd.GeoDataFrame | None:
    """Extra candidates in ``dense`` communities: a regular grid, or with ``method``
    ``"kmeans"`` population-weighted cluster centres (:mod:`planner.instance.dense_kmeans`)."""
    if dense.empty:
        return None
    if method == "kmeans":
        frame = dense_kmeans_points(dense, spacing_m)
        return None if frame is None or frame.empty else _grid_frame(frame, metric_crs)
    rows = []
    for unit in dense.itertuples():
        x0, y0, x1, y1 = unit.geometry.bounds
        xs = np.arange(np.floor(x0 / spacing_m) * spacing_m, x1, spacing_m)
        ys = np.arange(np.floor(y0 / spacing_m) * spacing_m, y1, spacing_m)
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        inside = shapely.contains_xy(unit.geometry, gx, gy)
        for k, (x, y) in enumerate(zip(gx[inside], gy[inside], strict=True)):
            rows.append(
                (f"g{unit.code}-{k:03d}", unit.code, unit.township_code, unit.county_code, x, y)
            )
    if not rows:
        return None
    frame = pd.DataFrame(
        rows, columns=["site_id", "community_code", "township_code", "county_code", "x", "y"]
    )
    return _grid_frame(frame, metric_crs)


def _grid_frame(frame: pd.DataFrame, metric_crs: str) -> gpd.GeoDataFrame:
    """Candidate rows (source ``grid``) from extra points in metres."""
    points = gpd.GeoSeries(gpd.points_from_xy(frame["x"], frame["y"]), crs=metric_crs)
    return _frame(
        {
            "site_id": frame["site_id"].to_numpy(),
            "name": "",
            "source": "grid",
            "status": "candidate",
            "county_code": frame["county_code"].to_numpy(),
            "township_code": frame["township_code"].to_numpy(),
            "community_code": frame["community_code"].to_numpy(),
        },
        points.to_crs(4326),
        metric_crs,
    )


def station_candidates(
    region: Region, scenario: Scenario, extra: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Candidate station sites.

    Parameters
    ----------
    region, scenario
        Where and how.
    extra
        Planner-supplied candidates (``site_id``, optional ``name``, Point geometry in
        WGS84); their township/county are found by location.

    Returns
    -------
    GeoDataFrame
        :data:`CANDIDATE_COLUMNS`, ``site_id`` unique; community candidates use the
        community code as ``site_id``.

    Raises
    ------
    PlannerError
        ``limit.exceeded`` when the region has more communities than the ``demand``
        limit, or the candidates (the dense grid estimated from its area before it is
        made) would exceed the ``candidates`` limit.
    """
    comms = region.communities
    # Every community is a demand point and a candidate: both limits are checked
    # before anything is built.
    check_limit("demand", len(comms))
    n_known = len(comms) + _n_sites(region, "station") + _count(extra)
    check_limit("candidates", n_known)
    dense = None
    if scenario.dense_grid_m > 0:
        dense = _dense_units(region)
        check_limit("candidates", n_known + _grid_estimate(dense, scenario.dense_grid_m))
    parts = [
        _frame(
            {
                "site_id": comms["code"].to_numpy(),
                "name": comms["name"].to_numpy(),
                "source": "community",
                "status": "candidate",
                "county_code": comms["county_code"].to_numpy(),
                "township_code": comms["township_code"].to_numpy(),
                "community_code": comms["code"].to_numpy(),
            },
            representative_points(comms),
            region.metric_crs,
        )
    ]
    existing = _existing(region, "station")
    if existing is not None:
        parts.append(existing)
    if extra is not None and not extra.empty:
        parts.append(_supplied(region, extra))
    if dense is not None:
        grid = _dense_grid(
            dense, scenario.dense_grid_m, region.metric_crs, scenario.dense_candidates
        )
        if grid is not None:
            parts.append(grid)
    out = pd.concat(parts, ignore_index=True)
    out = gpd.GeoDataFrame(out.drop_duplicates("site_id"), crs="EPSG:4326").reset_index(drop=True)
    check_limit("candidates", len(out))  # the estimate is close, this is exact
    return out


def _count(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


def _n_sites(region: Region, tier: str) -> int:
    """Existing sites of ``tier`` (candidates as :func:`_existing` makes them)."""
    sites = region.sites
    return 0 if sites is None or sites.empty else int((sites["tier"] == tier).sum())


def _supplied(region: Region, extra: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return _located(region, extra, "user", "candidate")


def centre_candidates(region: Region, extra: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Candidate sorting-centre sites: township seats, existing and supplied centres.

    Raises ``limit.exceeded`` (``candidates``) before building a set over the limit.
    """
    towns = region.townships
    check_limit("candidates", len(towns) + _n_sites(region, "sorting_centre") + _count(extra))
    seats = (
        gpd.GeoSeries(gpd.points_from_xy(towns["seat_lon"], towns["seat_lat"]), crs="EPSG:4326")
        if {"seat_lon", "seat_lat"} <= set(towns.columns)
        else towns.geometry.representative_point()
    )
    parts = [
        _frame(
            {
                "site_id": ("t" + towns["code"]).to_numpy(),
                "name": towns["name"].to_numpy(),
                "source": "township_seat",
                "status": "candidate",
                "county_code": towns["county_code"].to_numpy(),
                "township_code": towns["code"].to_numpy(),
                "community_code": None,
            },
            seats,
            region.metric_crs,
        )
    ]
    existing = _existing(region, "sorting_centre")
    if existing is not None:
        parts.append(existing)
    if extra is not None and not extra.empty:
        parts.append(_supplied(region, extra))
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out.drop_duplicates("site_id"), crs="EPSG:4326").reset_index(drop=True)

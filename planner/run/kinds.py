"""Plan one standalone facility kind: candidates → siting rules → demand → model → sites.

A standalone kind (家电家具回收网点, 智能回收设施, 报废机动车回收拆解企业, ... — ``tier =
"standalone"`` in its file) is planned on its own, after or beside the tiers:

1. **Candidates**: the station candidates of the instance
   (:func:`~planner.instance.candidates.station_candidates`: every community's point,
   the dense grid if the scenario asks for it) without the existing recycling stations
   (they are another kind), plus the points of interest the kind serves (a smart
   recycling machine stands at the shopping district itself) and the points it likes
   to share a site with (its colocation category).
2. **Siting rules** (:func:`~planner.instance.siting.apply_siting_rules`): candidates in
   forbidden zones or outside allowed ones are left out, each with its reason.
3. **Demand** by the kind's basis (:func:`~planner.instance.kind_demand.kind_demand`).
4. **Model**: with a coverage radius, :class:`~planner.models.MCLP` when a count is
   known (most demand within the radius with that many sites) and
   :class:`~planner.models.SetCover` otherwise (fewest sites covering every point);
   with a service area instead of a radius, :class:`~planner.models.PMedian` (least
   weighted distance), which needs a count. A per-county minimum of the kind
   (县县全覆盖) is a group rule on each county's candidates.
5. **Sites**: a GeoDataFrame with ``tier = "standalone"`` and ``kind``, the demand
   weight each serves, and the point of interest of the colocation category within its
   distance, if any.

**Colocation preference**: a kind whose colocation section sets ``preference_m``
prefers candidates within ``within_m`` of a point of interest of its category
(:func:`colocation_discount`): the coverage models count each point such a site serves
as ``preference_m`` closer in their service-distance stage, so among plans covering
the most demand the colocated one wins when it is at most that much farther. A
service-area kind (p-median) gives such a site, when open, a bonus of ``preference_m``
times the weight an average site serves (:class:`~planner.models.PMedian`'s
``site_cost``), as the station tier does.

A scenario lists the kinds to plan in ``Scenario.kinds``;
:func:`planner.run.kind_plans.plan_kinds` plans each with this function after the tiers
in :func:`planner.run.run_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.kinds import FacilityKind
from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.instance.candidates import CANDIDATE_COLUMNS, station_candidates
from planner.instance.distance import PointSource, source_knn, source_within
from planner.instance.kind_demand import kind_demand
from planner.instance.siting import SitingResult, apply_siting_rules
from planner.instance.walk import cover_radius, with_walk
from planner.models import MCLP, PMedian, PolicyRules, SetCover, SolverOptions, groups_from_labels
from planner.models.p_median import initial_k
from planner.models.results import StationSolution
from planner.scenario import Scenario
from planner.scenario.kinds import resolve_figure

__all__ = ["KindPlan", "colocation_discount", "kind_candidates", "plan_kind"]


@dataclass(frozen=True)
class KindPlan:
    """One standalone kind planned.

    Attributes
    ----------
    kind
        The facility kind.
    sites
        Chosen sites (EPSG:4326): ``site_id``, ``name``, ``tier`` (``standalone``),
        ``kind``, ``county_code``, ``township_code``, ``source`` (community, grid, poi),
        ``served_weight``, ``colocated_poi``, ``colocated_m``.
    demand
        The kind's demand points with ``site_id`` (serving site) and ``distance_m``.
    siting
        The candidates the siting rules left out, and why.
    solution
        The model's solution (status, objective, bound, gap, diagnoses).
    model
        ``p_median``, ``mclp`` or ``set_cover``.
    """

    kind: FacilityKind
    sites: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    siting: SitingResult
    solution: StationSolution
    model: str


def _poi_candidates(region: Region, categories: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    pois = region.pois
    if pois is None or not categories:
        return None
    chosen = pois[pois["category"].isin(categories)]
    if chosen.empty:
        return None
    located = gpd.sjoin_nearest(
        chosen[["poi_id", "name", "geometry"]].to_crs(region.metric_crs),
        region.communities[["code", "township_code", "county_code", "geometry"]].to_crs(
            region.metric_crs
        ),
        how="left",
    )
    located = located[~located.index.duplicated(keep="first")]
    return gpd.GeoDataFrame(
        {
            "site_id": "poi:" + located["poi_id"].astype(str),
            "name": located["name"].astype(str),
            "source": "poi",
            "status": "candidate",
            "county_code": located["county_code"],
            "township_code": located["township_code"],
            "community_code": located["code"],
            "x": located.geometry.x,
            "y": located.geometry.y,
        },
        geometry=chosen.geometry.to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )[CANDIDATE_COLUMNS]


def kind_candidates(region: Region, kind: FacilityKind, scenario: Scenario) -> gpd.GeoDataFrame:
    """Candidate sites of ``kind`` before its siting rules (see the module docstring)."""
    base = station_candidates(region, scenario)
    parts = [base[base["source"] != "existing"]]
    categories = tuple(kind.demand.categories if kind.demand.basis == "poi" else ())
    if kind.colocation is not None:
        categories += (kind.colocation.poi,)
    extra = _poi_candidates(region, categories)
    if extra is not None:
        parts.append(extra)
    out = pd.concat(parts, ignore_index=True).drop_duplicates("site_id")
    return gpd.GeoDataFrame(out, crs="EPSG:4326").reset_index(drop=True)


def _count(kind: FacilityKind, scenario: Scenario, n_counties: int) -> int | None:
    counts = kind.counts
    if counts is None:
        return None
    city = resolve_figure(counts.city, scenario, kind)
    if city is not None:
        return int(city)
    per_county = resolve_figure(counts.per_county_min, scenario, kind)
    if per_county:
        return int(per_county) * n_counties
    return None


def colocation_discount(
    candidates: pd.DataFrame, region: Region, kind: FacilityKind
) -> np.ndarray | None:
    """Metres each candidate's service distance is lessened by in the kind's model: the
    colocation's ``preference_m`` for candidates within ``within_m`` of a point of
    interest of its category, 0 for the others; ``None`` when the kind prefers nothing
    (no colocation, no preference, no such points).

    Measured as the sites' ``colocated_m`` are, between the candidates' points and the
    points of interest in the region's metric CRS.
    """
    co = kind.colocation
    pois = region.pois
    if co is None or co.preference_m <= 0 or pois is None or not len(candidates):
        return None
    chosen = pois[pois["category"] == co.poi]
    if chosen.empty:
        return None
    tree = shapely.STRtree(chosen.geometry.to_crs(region.metric_crs).to_numpy())
    points = gpd.GeoSeries(candidates.geometry, crs="EPSG:4326").to_crs(region.metric_crs)
    near, _ = tree.query_nearest(points.to_numpy(), max_distance=co.within_m, all_matches=False)
    discount = np.zeros(len(candidates))
    discount[near] = co.preference_m
    return discount


def _colocated(sites: gpd.GeoDataFrame, region: Region, kind: FacilityKind) -> gpd.GeoDataFrame:
    sites = sites.assign(colocated_poi="", colocated_m=np.nan)
    pois = region.pois
    if kind.colocation is None or pois is None or sites.empty:
        return sites
    chosen = pois[pois["category"] == kind.colocation.poi]
    if chosen.empty:
        return sites
    metric = chosen.to_crs(region.metric_crs)
    points = sites.geometry.to_crs(region.metric_crs).to_numpy()
    tree = shapely.STRtree(metric.geometry.to_numpy())
    (at, poi), distance = tree.query_nearest(
        points, max_distance=kind.colocation.within_m, return_distance=True, all_matches=False
    )
    names = metric["name"].astype(str).to_numpy()
    sites.loc[sites.index[at], "colocated_poi"] = names[poi]
    sites.loc[sites.index[at], "colocated_m"] = distance
    return sites


def _site_indices(
    sites: pd.DataFrame, kind: FacilityKind, required: tuple[str, ...], excluded: tuple[str, ...]
) -> tuple[list[int], list[int]]:
    """Positions of the required and excluded ids among the kept candidates."""
    index = {str(sid): j for j, sid in enumerate(sites["site_id"])}
    missing = [s for s in required if str(s) not in index]
    if missing:
        raise PlannerError(
            "kinds.required_unavailable",
            kind=kind.label(),
            count=len(missing),
            examples=", ".join(missing[:5]),
        )
    drop = set(map(str, excluded))
    forced = [index[str(s)] for s in required if str(s) not in drop]
    return forced, [index[str(s)] for s in excluded if str(s) in index]


def plan_kind(
    region: Region,
    kind: FacilityKind,
    scenario: Scenario,
    *,
    count: int | None = None,
    options: SolverOptions | None = None,
    required: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
) -> KindPlan:
    """Plan ``kind`` in ``region`` (see the module docstring for the steps).

    Parameters
    ----------
    region
        With ``zones`` for the siting rules, ``pois`` / ``tables`` for the demand.
    kind
        A facility kind; any tier works, but the tiers' own rules (assignment to
        centres, capacities) are :func:`planner.run.run_plan`'s.
    scenario
        For the figures the kind takes from it, generation rates and the dense grid.
    count
        Number of sites; by default the kind's city count, else its per-county
        minimum times the counties with demand. ``None`` with a radius: set cover.
    options
        Solver options (by default the scenario's).
    required, excluded
        Candidate ids forced open and forbidden (the site review's locked or approved
        and rejected sites of this kind, :class:`~planner.scenario.kind_list.PlannedKind`);
        an excluded id the rules already left out is simply not there.

    Raises
    ------
    PlannerError
        ``kinds.needs_count`` for a service-area kind without a count;
        ``kinds.required_unavailable`` when a required id is no candidate the rules
        keep; the demand's errors (:func:`~planner.instance.kind_demand.kind_demand`).
    """
    demand = kind_demand(region, kind, scenario)
    candidates = kind_candidates(region, kind, scenario)
    siting = apply_siting_rules(candidates, kind, region.zones, region.metric_crs)
    sites = siting.kept.reset_index(drop=True)
    if count is None:
        count = _count(kind, scenario, demand["county_code"].nunique())
    groups = []
    per_county = None if kind.counts is None else kind.counts.per_county_min
    per_county = resolve_figure(per_county, scenario, kind)
    if per_county:
        wanted = sorted(set(demand["county_code"].dropna()))
        groups = groups_from_labels(
            sites["county_code"].to_numpy(dtype=object),
            min_open=int(per_county),
            kind="county",
            only=wanted,
        )
    forced, forbidden = _site_indices(sites, kind, required, excluded)
    rules = PolicyRules(required=forced, excluded=forbidden, groups=groups)
    demand_xy = demand[["x", "y"]].to_numpy(dtype=float)
    site_xy = sites[["x", "y"]].to_numpy(dtype=float)
    weights = demand["weight"].to_numpy(dtype=float)
    options = options or SolverOptions(
        solver=scenario.solver.name,
        time_limit_s=scenario.solver.time_limit_s,
        gap=scenario.solver.gap or None,
    )
    # Distances from where people live, as in the station tier: each community's walk
    # is added in quadrature, and "covered" keeps meaning a site within the radius of
    # the community's point (the radius on walked costs is sqrt(r² + w²)).
    source = with_walk(PointSource(demand_xy, site_xy, scenario.circuity), demand)
    radius = demand["radius_m"].to_numpy(dtype=float)
    discount = colocation_discount(sites, region, kind)
    if np.isfinite(radius).all() and len(radius):
        reach = cover_radius(demand)
        cost = source_within(source, reach)
        if count is None:
            model_name = "set_cover"
            model = SetCover(cost, reach, weights, rules=rules, site_discount=discount)
        else:
            model_name = "mclp"
            model = MCLP(cost, count, reach, weights, rules=rules, site_discount=discount)
    else:
        if count is None:
            raise PlannerError("kinds.needs_count", kind=kind.label())
        model_name = "p_median"
        # the preference as a per-site bonus: preference_m for what an average site serves
        bonus = None if discount is None else -discount * float(weights.sum()) / max(count, 1)
        cost = source_knn(source, initial_k(len(sites), count))
        model = PMedian(cost, count, weights, rules=rules, site_cost=bonus)
    solution = model.solve(options)
    chosen = np.asarray(solution.sites, dtype=int)
    served = demand.assign(
        site_id=np.where(
            solution.assignment >= 0, sites["site_id"].to_numpy()[solution.assignment], None
        ),
        distance_m=solution.distance,
    )
    weight_per_site = served.groupby("site_id")["weight"].sum()
    out = sites.iloc[chosen].copy()
    out["tier"] = "standalone"
    out["kind"] = kind.id
    out["served_weight"] = out["site_id"].map(weight_per_site).fillna(0.0).to_numpy()
    out = _colocated(out, region, kind)
    columns = [
        "site_id", "name", "tier", "kind", "county_code", "township_code", "source",
        "served_weight", "colocated_poi", "colocated_m", "x", "y", "geometry",
    ]  # fmt: skip
    return KindPlan(
        kind,
        gpd.GeoDataFrame(out[columns], crs="EPSG:4326").reset_index(drop=True),
        served,
        siting,
        solution,
        model_name,
    )

"""One planning run: region + scenario → instance → station tier → centre tier →
market tier (when the scenario asks for markets, :mod:`planner.run.markets`) → plan.

The instance (demand, candidates, road network, policy rules) is built by
:mod:`planner.instance`; this module solves the two tiers on it and assembles the
:class:`~planner.plan.Plan`. The stages report progress through an optional callback
so the CLI can print and the app can draw a progress bar; ``planner`` itself never
imports streamlit.

Distances
---------
``scenario.distance_mode`` chooses how far things are:

``straight``
    Straight line × ``scenario.circuity`` in the region's metric CRS (k-d tree).
``network``
    Along a road network (:mod:`planner.instance.network`): residents *walk* to stations;
    stations *drive* to sorting centres — by travel time when the network knows speeds
    (road classes or ``maxspeed`` on at least half its drivable length, e.g. OSM),
    else by driving distance. The network comes with the run: the ``network=``
    argument of :func:`run_plan` (a :class:`~planner.instance.network.RoadNetwork` or a file
    path), else the road file stored with the region
    (:func:`planner.data.roads.road_file`, uploaded on the Data page). Without either the
    run stops with ``pipeline.no_network``, in words.

    Points off the network follow :func:`planner.instance.network.road_distances`: a community
    (or, for the centre tier, a station) more than
    :data:`~planner.instance.network.OFF_NETWORK_M` (2 km) from the road network, or reaching no
    candidate along it, is costed as straight line × circuity instead, and the plan
    says how many (KPIs ``network_fallback_*``, a diagnosis in each tier, column
    ``distance_basis`` of the demand table). Between 500 m and 2 km from a road a
    community stays on the network with its straight walk to the road included and is
    counted as far from a road. A community and a candidate closer to each other than
    to the road are joined by a straight line (a station on the community's own spot
    is 0 m away, not twice the walk to the nearest mapped road).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.regions import Region
from planner.i18n import LANGUAGES, PlannerError, Text, t
from planner.instance.build import (
    Instance,
    Progress,
    build_instance,
    check_instance,
    instance_key,
)
from planner.instance.walk import cover_radius
from planner.models import SolverOptions
from planner.plan import Plan, TierResult
from planner.plan.actions import action_kpis, cost_kpis, priced
from planner.plan.kpi import area_kpis, city_kpis, network_kpis
from planner.plan.location import location_quality
from planner.plan.markets import market_kpis, with_markets
from planner.plan.villages import nearest_station_columns, village_kpis
from planner.run.budget import budget_groups, check_budget, planned_count, with_budget
from planner.run.kind_plans import plan_kinds, with_kinds
from planner.run.markets import check_market_sites, market_tier
from planner.run.phasing import check_phasing, phase_plan
from planner.run.rules import centre_rules, station_rules
from planner.run.station_colocation import (
    colocated_stations,
    p_median_site_cost,
    station_preference,
)
from planner.scenario import Scenario

if TYPE_CHECKING:
    from planner.instance.distance import CostMatrix
    from planner.instance.network import RoadDistances, RoadNetwork
    from planner.models import Deadline, StationSolution

__all__ = [
    "WarmStart",
    "centre_distance_mode",
    "centre_distances",
    "run_plan",
    "solve_centres",
    "solve_stations",
    "station_distances",
]

#: Share of drivable road length with known speeds above which the centre tier
#: minimises driving time instead of driving distance.
SPEED_KNOWN_SHARE = 0.5
#: How the station → centre distances go (:func:`centre_distance_mode`) -> its words.
_CENTRE_DISTANCE = {"drive": "pipeline.centre.drive", "drive_time": "pipeline.centre.drive_time"}


# Station×centre pairs of the centre tier's MIP. The sorting-centre model first tries
# to prove its local-search plan against the uncapacitated relaxation, which prices
# every pair (no restriction at all); only when that bound is not within the gap does
# it solve the MIP, whose assignment variables exist for all pairs up to
# FULL_CENTRE_PAIRS, beyond that for each station's CENTRE_NEIGHBOURS nearest
# candidates plus its pair in the heuristic plan (a restriction the result's
# diagnoses state). 30 is about 5 m/p for Wenzhou (191 candidates, 30 centres); in its
# uncapacitated optimum stations use up to their 24th-nearest candidate.
FULL_CENTRE_PAIRS = 60_000
CENTRE_NEIGHBOURS = 30


@dataclass(frozen=True)
class WarmStart:
    """Sites of an earlier plan for the solvers to start from.

    In a sweep the plan of a neighbouring point (say 940 stations) is a good first
    plan for the next (1,170): the models repair it into a feasible start
    (:func:`planner.models.warm.adapt_sites`). A start changes how fast a run gets
    to its result, never what the result proves.

    Attributes
    ----------
    stations, centres
        ``site_id`` values of the earlier plan's stations and sorting centres; ids
        that are not candidates of this run are ignored.
    """

    stations: tuple[str, ...] = ()
    centres: tuple[str, ...] = ()

    @classmethod
    def from_plan(cls, plan: Plan) -> WarmStart:
        """The station and centre sites of ``plan``."""
        sites = plan.sites
        if sites is None or not len(sites):
            return cls()
        tier = sites["tier"].to_numpy()
        ids = sites["site_id"].astype(str).to_numpy()
        return cls(tuple(ids[tier == "station"]), tuple(ids[tier == "sorting_centre"]))


def _indices(candidates: pd.DataFrame, ids: tuple[str, ...]) -> np.ndarray | None:
    """Positions of ``ids`` among ``candidates["site_id"]`` (``None`` when none match)."""
    if not ids:
        return None
    where = pd.Index(candidates["site_id"].astype(str)).get_indexer(list(ids))
    where = where[where >= 0]
    return where.astype(np.int64) if where.size else None


def centre_distance_mode(network: RoadNetwork) -> str:
    """``drive_time`` when the network knows speeds on most roads, else ``drive``."""
    return "drive_time" if network.known_speed_share() >= SPEED_KNOWN_SHARE else "drive"


def _options(scenario: Scenario, time_limit: float | None = None) -> SolverOptions:
    sv = scenario.solver
    return SolverOptions(
        solver=sv.name, time_limit_s=time_limit or sv.time_limit_s, gap=sv.gap or None
    )


def _diagnoses(result) -> tuple[dict[str, str], ...]:
    return tuple(
        {"key": d.key, **{lang: d.message(lang) for lang in LANGUAGES}} for d in result.diagnoses
    )


def _tier_result(
    tier: str,
    model: str,
    sol,
    seconds: float,
    solver: str,
    notes: tuple[dict[str, str], ...] = (),
    details: dict[str, Any] | None = None,
) -> TierResult:
    r = sol.result
    return TierResult(
        tier=tier, model=model, status=r.status, objective=r.objective, bound=r.bound, gap=r.gap,
        seconds=round(seconds, 3), solver=solver, diagnoses=_diagnoses(r) + tuple(notes),
        details={"rounds": getattr(r, "rounds", None), **(details or {})},
    )  # fmt: skip


def _note(key: str, **params: Any) -> dict[str, str]:
    """An information line in both languages, shaped like a solver diagnosis."""
    return {"key": key, **{lang: t(key, lang, **params) for lang in LANGUAGES}}


def station_distances(inst: Instance) -> RoadDistances:
    """Walking distances from communities to station candidates (``network`` mode).

    Raises
    ------
    PlannerError
        ``pipeline.network_outside`` when no community is near the network.
    """
    from planner.instance.network import road_distances

    d, c = inst.demand, inst.stations
    dist = road_distances(
        inst.network,
        d[["x", "y"]].to_numpy(dtype=float),
        c[["x", "y"]].to_numpy(dtype=float),
        "walk",
        circuity=inst.scenario.circuity,
        base_radius=float(d["radius_m"].max()) if len(d) else None,
    )
    if len(d) and dist.fallback.all() and not dist.unreachable.any():
        raise PlannerError(
            "pipeline.network_outside",
            name=inst.network_info.get("name", ""),
            limit=dist.off_network_m,
        )
    return dist


def _station_matrix(
    inst: Instance, dist: RoadDistances | None, p: int | None, capacity: bool
) -> CostMatrix:
    """The station tier's sparse matrix (walks included): the ``k`` nearest sites per
    community for the p-median, else every site within its coverage radius."""
    from planner.instance.coverage_sets import station_source
    from planner.instance.distance import source_knn, source_within
    from planner.models.p_median import initial_k

    source = station_source(inst, dist)
    if inst.scenario.stations.objective == "p_median":
        return source_knn(source, initial_k(len(inst.stations), p or 1, capacity))
    return source_within(source, cover_radius(inst.demand))


def solve_stations(
    inst: Instance,
    distances: RoadDistances | None = None,
    start: np.ndarray | None = None,
    deadline: Deadline | None = None,
):
    """Solve the station tier; returns the model's solution and the station count.

    In ``network`` mode the models run on road distances (``distances``, built by
    :func:`station_distances` when not given); otherwise on straight line × circuity.
    ``start``: candidate positions of an earlier plan's stations (p-median only).
    ``deadline``: the tier's budget, started by the caller (default: from now).
    """
    s, sc = inst.scenario.stations, inst.scenario
    d = inst.demand
    rules = with_budget(station_rules(inst, distances), budget_groups(inst, "station"))
    p = planned_count(inst, "station")
    weights = d["population"].to_numpy(dtype=float)
    households = d["households"].to_numpy(dtype=float)
    radius = cover_radius(d)
    from planner.models import MCLP, PMedian, SetCover

    if inst.network is not None and distances is None:
        distances = station_distances(inst)
    cm = _station_matrix(inst, distances, p, rules.capacity is not None)
    # beside a refuse transfer station is preferred (not modelled with capacity)
    prefer = station_preference(inst) if rules.capacity is None else None
    if s.objective == "p_median":
        cost = p_median_site_cost(inst, weights, p) if prefer is not None else None
        model = PMedian.from_cost_matrix(
            cm, p, weights, rules=rules, households=households, site_cost=cost
        )
    elif s.objective == "mclp":
        model = MCLP.from_cost_matrix(
            cm, p, radius, weights, rules=rules, households=households, site_discount=prefer
        )
    else:
        model = SetCover.from_cost_matrix(
            cm, radius, weights, rules=rules, households=households, site_discount=prefer
        )
    return _solve(model, _options(sc), start, deadline), p


def _solve(model: Any, options: SolverOptions, start: np.ndarray | None, deadline: Deadline | None):
    """``model.solve`` with a start where the model takes one."""
    from planner.models import PMedian

    if start is not None and isinstance(model, PMedian):
        return model.solve(options, start=start, deadline=deadline)
    return model.solve(options, deadline=deadline)


def centre_distances(inst: Instance, station_idx: np.ndarray) -> RoadDistances:
    """Driving distances (or times) from the chosen stations to centre candidates."""
    from planner.instance.network import road_distances

    return road_distances(
        inst.network,
        inst.stations[["x", "y"]].to_numpy(dtype=float)[station_idx],
        inst.centres[["x", "y"]].to_numpy(dtype=float),
        centre_distance_mode(inst.network),
        circuity=inst.scenario.circuity,
        complete=True,
    )


def solve_centres(
    inst: Instance,
    station_idx: np.ndarray,
    tonnage: np.ndarray,
    distances: RoadDistances | None = None,
    start: np.ndarray | None = None,
    deadline: Deadline | None = None,
):
    """Solve the sorting-centre tier for the chosen stations.

    ``start``: candidate positions of an earlier plan's sorting centres.
    ``deadline``: the tier's budget, started by the caller (default: from now).

    In ``network`` mode on driving distances in metres, or on driving times when the
    network knows speeds (:func:`centre_distance_mode`); the objective is then in
    tonne-hours and ``centres.fixed_cost`` is read in the same unit.
    """
    from planner.models import SortingCentreModel

    ct, sc = inst.scenario.centres, inst.scenario
    cand = inst.centres
    opened = inst.stations.iloc[station_idx]
    new_stations = opened.loc[opened["action"] == "new", "county_code"]
    rules = with_budget(centre_rules(inst), budget_groups(inst, "sorting_centre", new_stations))
    count = planned_count(inst, "sorting_centre")
    sxy = inst.stations[["x", "y"]].to_numpy()[station_idx]
    cxy = cand[["x", "y"]].to_numpy()
    k = len(cand) if len(sxy) * len(cand) <= FULL_CENTRE_PAIRS else CENTRE_NEIGHBOURS
    if inst.network is not None:
        from planner.instance.distance import source_knn

        distances = distances if distances is not None else centre_distances(inst, station_idx)
        per_unit = 1.0 / 3600.0 if distances.mode == "drive_time" else 1e-3  # t·h or t·km
        model = SortingCentreModel.from_cost_matrix(
            source_knn(distances.source, k), tonnage, ct.capacity_t_per_day, count,
            fixed_cost=ct.fixed_cost, rules=rules, cost_per_tonne_metre=per_unit,
        )  # fmt: skip
        return model.solve(_options(sc), start=start, deadline=deadline)
    model = SortingCentreModel.from_points(
        sxy, cxy, tonnage, ct.capacity_t_per_day, count, k=k, circuity=sc.circuity,
        fixed_cost=ct.fixed_cost, rules=rules, cost_per_tonne_metre=1e-3,
    )  # fmt: skip
    return model.solve(_options(sc), start=start, deadline=deadline)


def _network_notes(
    inst: Instance, dist: RoadDistances, centre_mode: str
) -> tuple[dict[str, str], ...]:
    """What the station tier's plan should say about its road distances."""
    net = inst.network
    km = float(net._table("walk").length.sum() / 1000.0) if net is not None else 0.0
    notes = [
        _note(
            "pipeline.network.used",
            name=inst.network_info.get("name", ""),
            km=km,
            centre=Text(_CENTRE_DISTANCE[centre_mode]),
        )
    ]
    pop = inst.demand["population"].to_numpy(dtype=np.int64)
    for key, rows in (
        ("pipeline.network.fallback", dist.fallback & ~dist.unreachable),
        ("pipeline.network.unreachable", dist.unreachable),
    ):
        if rows.any():
            notes.append(
                _note(
                    key,
                    count=int(rows.sum()),
                    population=int(pop[rows].sum()),
                    limit=dist.off_network_m,
                    circuity=dist.circuity,
                )
            )
    if dist.far.any():
        notes.append(
            _note(
                "pipeline.network.far",
                count=int(dist.far.sum()),
                far=dist.far_m,
                limit=dist.off_network_m,
            )
        )
    return tuple(notes)


def _network_summary(inst: Instance) -> dict[str, Any]:
    """Size of the network as used for walking (for the plan's metadata)."""
    s = inst.network.summary("walk")
    return {
        "name": inst.network_info.get("name", ""),
        "load_s": inst.network_info.get("seconds"),
        "nodes": s["nodes"],
        "edges": s["edges"],
        "road_km": round(s["road_km"], 1),
        "components": s["components"],
        "largest_component_share": round(s["largest_component_share"], 4),
    }


def run_plan(
    region: Region | str,
    scenario: Scenario,
    progress: Progress | None = None,
    extra_stations: gpd.GeoDataFrame | None = None,
    extra_centres: gpd.GeoDataFrame | None = None,
    network: RoadNetwork | str | Path | None = None,
    *,
    instance: Instance | None = None,
    warm_start: WarmStart | None = None,
) -> Plan:
    """Run the whole pipeline and return the :class:`~planner.plan.Plan`.

    Parameters
    ----------
    region
        A :class:`Region` or its id.
    scenario
        Validated scenario.
    progress
        Called as ``progress(stage_key, fraction_done)``; stage keys are the
        ``run.stage.*`` messages.
    extra_stations, extra_centres
        Planner-supplied candidate sites (Point GeoDataFrames with ``site_id``).
    network
        Road network for ``distance_mode="network"``: a
        :class:`~planner.instance.network.RoadNetwork` or a road file; ``None`` uses the road
        file stored with the region. Ignored in ``straight`` mode.
    instance
        An instance built earlier (:func:`planner.instance.build_instance`) for a
        scenario with the same :func:`~planner.instance.instance_key`, to reuse its
        demand, candidates and road distances (a sweep varying the station count).
        ``region``, ``extra_*`` and ``network`` are then not read.
    warm_start
        Sites of an earlier plan to start the solvers from (:class:`WarmStart`).

    Returns
    -------
    Plan
        Always returned: an infeasible tier yields a plan without its sites, with the
        diagnosis in :attr:`Plan.results`. :attr:`Plan.distance_mode` and
        ``kpis["distance_mode"]`` say how distances were measured.

    Raises
    ------
    PlannerError
        Invalid scenario; in ``network`` mode ``pipeline.no_network`` (no road network
        given or stored), ``pipeline.network_outside`` (the network misses the
        region) or a road file that cannot be read.
    """
    from planner.models import Deadline

    scenario.check()
    report = progress or (lambda stage, frac: None)
    if instance is not None:
        report("run.stage.instance", 0.0)
        if instance_key(instance.scenario, instance.region.id) != instance_key(
            scenario, instance.region.id
        ):
            raise ValueError("run_plan: the instance was built for another scenario")
        inst = replace(instance, scenario=scenario)
    else:
        inst = build_instance(
            region, scenario, extra_stations, extra_centres, network, progress=report
        )
    check_instance(inst)
    check_market_sites(inst)
    check_budget(inst)
    check_phasing(inst)
    on_network = inst.network is not None
    warm = warm_start or WarmStart()

    report("run.stage.stations", 0.1)
    t0 = time.perf_counter()
    # Each tier's time limit is a wall-clock budget from here: distances and model
    # building count against it, and the solver gets what is left.
    deadline = Deadline(scenario.solver.time_limit_s)
    sdist = None
    if on_network:
        sdist = inst.memo.get("station_distances")
        if sdist is None:
            sdist = inst.memo["station_distances"] = station_distances(inst)
    distance_s = time.perf_counter() - t0
    sol, _ = solve_stations(inst, sdist, _indices(inst.stations, warm.stations), deadline)
    seconds = time.perf_counter() - t0
    centre_mode = centre_distance_mode(inst.network) if on_network else "straight"
    notes, details = (), {}
    if sdist is not None:
        notes = _network_notes(inst, sdist, centre_mode)
        details = {
            "distance_seconds": round(distance_s, 3),
            "solve_seconds": round(seconds - distance_s, 3),
            "network": sdist.summary(),
        }
    station_result = _tier_result(
        "station", scenario.stations.objective, sol, seconds, scenario.solver.name, notes, details
    )
    d = inst.demand.copy()
    has_plan = station_result.has_plan and len(sol.sites) > 0
    chosen = np.asarray(sol.sites, dtype=np.int64) if has_plan else np.empty(0, dtype=np.int64)
    if has_plan:
        assign = np.asarray(sol.assignment)
        d["station_id"] = np.where(
            assign >= 0, inst.stations["site_id"].to_numpy()[assign.clip(0)], None
        )
        d["distance_m"] = np.asarray(sol.distance, dtype=float)
    else:
        d["station_id"] = None
        d["distance_m"] = np.inf
    d["covered"] = d["distance_m"].to_numpy() <= cover_radius(d) + 1e-6
    if sdist is not None:
        d["distance_basis"] = np.where(sdist.fallback, "straight", "network")
        d["snap_m"] = np.round(sdist.demand_snap_m, 1)
    d = nearest_station_columns(d, inst, chosen, sdist)

    stations = inst.stations.iloc[chosen].copy()
    stations["tier"] = "station"
    stations["status"] = np.where(
        stations["status"] == "existing_keep", "existing_keep", "proposed"
    )
    if sdist is not None:
        stations["snap_m"] = np.round(sdist.site_snap_m[chosen], 1)
    served = _served_by_station(d, inst, sol if has_plan else None)
    stations = stations.join(served, on="site_id")
    for col in ("served_population", "served_households", "served_communities"):
        stations[col] = stations[col].fillna(0).astype(np.int64)
    stations["tonnage_t_per_day"] = stations["tonnage_t_per_day"].fillna(0.0)

    results = [station_result]
    centres = inst.centres.iloc[[]].copy()
    links = gpd.GeoDataFrame(
        {"station_id": [], "centre_id": [], "tonnage_t_per_day": [], "distance_m": []},
        geometry=[], crs="EPSG:4326",
    )  # fmt: skip
    stations["centre_id"] = None
    stations["distance_to_centre_m"] = np.nan
    cdist = None
    if has_plan:
        report("run.stage.centres", 0.6)
        t0 = time.perf_counter()
        deadline = Deadline(scenario.solver.time_limit_s)
        cdist = centre_distances(inst, chosen) if on_network else None
        distance_s = time.perf_counter() - t0
        csol = solve_centres(
            inst,
            chosen,
            stations["tonnage_t_per_day"].to_numpy(),
            cdist,
            _indices(inst.centres, warm.centres),
            deadline,
        )
        seconds = time.perf_counter() - t0
        notes, details = (), {}
        if cdist is not None:
            details = {
                "distance_seconds": round(distance_s, 3),
                "solve_seconds": round(seconds - distance_s, 3),
                "network": cdist.summary(),
            }
            if cdist.fallback.any():
                notes = (
                    _note(
                        "pipeline.network.station_fallback",
                        count=int(cdist.fallback.sum()),
                        limit=cdist.off_network_m,
                        circuity=cdist.circuity,
                    ),
                )
        results.append(
            _tier_result(
                "sorting_centre",
                "sorting_centre",
                csol,
                seconds,
                scenario.solver.name,
                notes,
                details,
            )
        )
        if results[-1].has_plan and len(csol.centres):
            centres = inst.centres.iloc[np.asarray(csol.centres)].copy()
            cassign = np.asarray(csol.assignment)
            stations["centre_id"] = inst.centres["site_id"].to_numpy()[cassign.clip(0)]
            stations.loc[cassign < 0, "centre_id"] = None
            stations["distance_to_centre_m"] = np.asarray(csol.distance, dtype=float)
            if cdist is not None:
                stations["centre_distance_basis"] = np.where(cdist.fallback, "straight", "network")
            if cdist is not None and cdist.mode == "drive_time":
                stations["time_to_centre_min"] = np.asarray(csol.distance, dtype=float) / 60.0
                stations["distance_to_centre_m"] = _drive_metres(inst, chosen, cassign)
            load = stations.groupby("centre_id")["tonnage_t_per_day"].sum()
            centres["load_t_per_day"] = centres["site_id"].map(load).fillna(0.0).to_numpy()
            centres["capacity_t_per_day"] = scenario.centres.capacity_t_per_day
            centres["served_stations"] = (
                centres["site_id"].map(stations["centre_id"].value_counts()).fillna(0)
            )
            # a centre serves the people its stations serve (the popup and the tables)
            by_centre = stations.groupby("centre_id")[["served_population", "served_households"]]
            served = by_centre.sum().reindex(centres["site_id"]).fillna(0)
            for col in ("served_population", "served_households"):
                centres[col] = served[col].to_numpy(dtype=np.int64)
            centre_geom = dict(zip(centres["site_id"], centres.geometry, strict=True))
            ok = stations["centre_id"].notna()
            links = gpd.GeoDataFrame(
                {
                    "station_id": stations.loc[ok, "site_id"].to_numpy(),
                    "centre_id": stations.loc[ok, "centre_id"].to_numpy(),
                    "tonnage_t_per_day": stations.loc[ok, "tonnage_t_per_day"].to_numpy(),
                    "distance_m": stations.loc[ok, "distance_to_centre_m"].to_numpy(),
                },
                geometry=[
                    shapely.LineString([g, centre_geom[c]])
                    for g, c in zip(
                        stations.loc[ok].geometry, stations.loc[ok, "centre_id"], strict=True
                    )
                ],
                crs="EPSG:4326",
            )
        centres["tier"] = "sorting_centre"
        centres["status"] = np.where(
            centres["status"] == "existing_keep", "existing_keep", "proposed"
        )

    markets = market_links = None
    if scenario.markets.count > 0 and len(centres) and "load_t_per_day" in centres:
        report("run.stage.markets", 0.8)
        outcome = market_tier(inst, centres)
        results.append(outcome.result)
        centres, markets, market_links = outcome.centres, outcome.markets, outcome.links

    kinds = plan_kinds(inst.region, scenario, report)
    results.extend(kinds.results)
    report("run.stage.kpis", 0.9)
    sites = gpd.GeoDataFrame(pd.concat([stations, centres], ignore_index=True), crs="EPSG:4326")
    sites = sites.drop(columns=["x", "y"])
    demand = d.drop(columns=["x", "y"])
    kpis = city_kpis(
        demand, sites, distance_mode=scenario.distance_mode, circuity=scenario.circuity
    )
    kpis["villages"] = village_kpis(demand)
    colocated = colocated_stations(inst, chosen)
    if colocated is not None:
        kpis["colocated_stations"] = colocated
    if on_network:
        kpis.update(
            network_kpis(
                demand,
                sites,
                centre_mode=centre_mode,
                far_m=sdist.far_m,
                network=_network_summary(inst),
                stations=sdist.summary(),
                centres=cdist.summary() if cdist is not None else None,
            )
        )
    county_kpis = area_kpis(demand, sites, "county_code")
    township_kpis = area_kpis(demand, sites, "township_code")
    sites = priced(_with_closed(sites, inst), scenario.costs)
    kpis["actions"] = action_kpis(sites)
    kpis["costs"] = cost_kpis(sites, scenario.costs)
    if markets is not None:
        sites = with_markets(sites, markets)
        kpis.update(market_kpis(sites, inst.region.counties["code"].astype(str)))
    if scenario.kinds:
        sites = with_kinds(sites, kinds)
        kpis["kinds"] = kinds.kpis
    sites["location_quality"] = location_quality(sites, inst.region)
    plan = Plan(
        scenario=scenario,
        sites=sites,
        demand=demand,
        links=links,
        results=tuple(results),
        kpis=kpis,
        county_kpis=county_kpis,
        township_kpis=township_kpis,
        distance_mode=scenario.distance_mode,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        market_links=market_links,
        exclusions=kinds.exclusions if scenario.kinds else None,
    )
    if scenario.phasing.active:
        plan = phase_plan(
            inst,
            plan,
            lambda forced: run_plan(
                inst.region, forced, None, extra_stations, extra_centres, network
            ),
        )
    report("run.stage.done", 1.0)
    return plan


def _with_closed(sites: gpd.GeoDataFrame, inst: Instance) -> gpd.GeoDataFrame:
    """``sites`` and, after them, the existing sites the plan closes (serving nobody)."""
    parts = [sites]
    for tier, frame in (("station", inst.stations), ("sorting_centre", inst.centres)):
        closed = frame[frame["action"] == "close"].drop(columns=["x", "y"])
        if len(closed):
            parts.append(closed.assign(tier=tier, status="existing_close"))
    if len(parts) == 1:
        return sites
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    for col in ("served_population", "served_households", "served_communities"):
        if col in out:
            out[col] = out[col].fillna(0).astype(np.int64)
    if "tonnage_t_per_day" in out:
        out["tonnage_t_per_day"] = out["tonnage_t_per_day"].fillna(0.0)
    return out


def _served_by_station(
    demand: pd.DataFrame, inst: Instance, sol: StationSolution | None
) -> pd.DataFrame:
    """Population, households, tonnage and communities each station serves.

    Without capacity every community is served by its ``station_id``. With capacity a
    community may be split between stations (``sol.allocation`` shares): the figures
    are the shares' sums, so a station never shows more households than its capacity
    and the sorting-centre tier receives the tonnage each station really collects.
    ``served_communities`` counts the communities a station takes any share of.
    """
    allocation = getattr(sol, "allocation", None)
    if allocation is None or len(allocation[0]) == 0:
        return demand.groupby("station_id").agg(
            served_population=("population", "sum"),
            served_households=("households", "sum"),
            tonnage_t_per_day=("tonnage_t_per_day", "sum"),
            served_communities=("demand_id", "size"),
        )
    rows, sites, share = (np.asarray(a) for a in allocation)
    part = pd.DataFrame(
        {
            "station_id": inst.stations["site_id"].to_numpy()[sites],
            "served_population": demand["population"].to_numpy(dtype=float)[rows] * share,
            "served_households": demand["households"].to_numpy(dtype=float)[rows] * share,
            "tonnage_t_per_day": demand["tonnage_t_per_day"].to_numpy(dtype=float)[rows] * share,
            "served_communities": 1,
        }
    )
    out = part.groupby("station_id").sum()
    for col in ("served_population", "served_households"):
        out[col] = out[col].round()
    return out


def _drive_metres(inst: Instance, chosen: np.ndarray, assign: np.ndarray) -> np.ndarray:
    """Driving distance (m) of each station to its assigned centre, when the centre
    tier optimised travel time (one reverse Dijkstra per open centre)."""
    from planner.instance.network import road_distances

    out = np.full(assign.shape, np.nan)
    open_centres = np.unique(assign[assign >= 0])
    if open_centres.size == 0:
        return out
    metres = road_distances(
        inst.network,
        inst.stations[["x", "y"]].to_numpy(dtype=float)[chosen],
        inst.centres[["x", "y"]].to_numpy(dtype=float)[open_centres],
        "drive",
        circuity=inst.scenario.circuity,
    )
    block = metres.source.columns(np.arange(open_centres.size))
    ok = assign >= 0
    out[ok] = block[np.flatnonzero(ok), np.searchsorted(open_centres, assign[ok])]
    return out

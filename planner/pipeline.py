"""One planning run: region + scenario → instance → station tier → centre tier → plan.

The stages report progress through an optional callback so the CLI can print and the
app can draw a progress bar; ``planner`` itself never imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.candidates import centre_candidates, station_candidates
from planner.demand import URBAN_TOWNSHIP_KINDS, demand_points
from planner.i18n import LANGUAGES, register
from planner.kpi import area_kpis, city_kpis
from planner.plan import Plan, TierResult
from planner.regions import Region, load_region
from planner.scenario import Scenario
from planner.solve import PolicyRules, SiteGroup, SolverOptions, groups_from_labels

__all__ = ["Instance", "build_instance", "derive_station_count", "run_plan"]

Progress = Callable[[str, float], None]

register(
    {
        "run.stage.instance": {
            "zh": "构建需求点与候选站点",
            "en": "Building demand and candidates",
        },
        "run.stage.stations": {"zh": "求解回收站点布局", "en": "Solving the station tier"},
        "run.stage.centres": {"zh": "求解分拣中心布局", "en": "Solving the sorting-centre tier"},
        "run.stage.kpis": {"zh": "计算指标", "en": "Computing indicators"},
        "run.stage.done": {"zh": "完成", "en": "Done"},
    }
)

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


@dataclass(frozen=True, eq=False)
class Instance:
    """What the solver sees: demand points and candidate sites, in metres.

    Attributes
    ----------
    region, scenario
        Inputs.
    demand
        :func:`planner.demand.demand_points`.
    stations
        Candidate station sites (:func:`planner.candidates.station_candidates`).
    centres
        Candidate sorting-centre sites.
    """

    region: Region
    scenario: Scenario
    demand: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame


def build_instance(
    region: Region | str,
    scenario: Scenario,
    extra_stations: gpd.GeoDataFrame | None = None,
    extra_centres: gpd.GeoDataFrame | None = None,
) -> Instance:
    """Demand and candidates for ``scenario`` over ``region``."""
    region = load_region(region) if isinstance(region, str) else region
    return Instance(
        region=region,
        scenario=scenario,
        demand=demand_points(region, scenario),
        stations=station_candidates(region, scenario, extra_stations),
        centres=centre_candidates(region, extra_centres),
    )


def derive_station_count(demand: pd.DataFrame, per_station: tuple[int, int]) -> int:
    """Stations needed by a households-per-station standard, county by county.

    Each county needs ``ceil(urban households / urban ratio) + ceil(rural households /
    rural ratio)`` stations; the city needs their sum.
    """
    urban_ratio, rural_ratio = per_station
    total = 0
    for _, group in demand.groupby("county_code"):
        urban = group.loc[group["urban"], "households"].sum()
        rural = group.loc[~group["urban"], "households"].sum()
        total += math.ceil(urban / urban_ratio) + math.ceil(rural / rural_ratio)
    return int(total)


def _fixed_sites(
    cand: pd.DataFrame, required_ids: tuple[str, ...], excluded_ids: tuple[str, ...]
) -> tuple[list[int], list[int]]:
    """Candidate indices that must open / stay closed: the scenario's lists plus the
    existing sites marked keep / close."""
    index = {sid: j for j, sid in enumerate(cand["site_id"])}
    status = cand["status"].to_numpy()
    required = [index[x] for x in required_ids if x in index]
    required += np.flatnonzero(status == "existing_keep").tolist()
    excluded = [index[x] for x in excluded_ids if x in index]
    excluded += np.flatnonzero(status == "existing_close").tolist()
    return required, excluded


def _station_rules(inst: Instance) -> PolicyRules:
    s = inst.scenario.stations
    cand = inst.stations
    required, excluded = _fixed_sites(cand, s.required_sites, s.excluded_sites)
    groups: list[SiteGroup] = []
    town_names = dict(
        zip(inst.region.townships["code"], inst.region.townships["name"], strict=True)
    )
    county_names = dict(
        zip(inst.region.counties["code"], inst.region.counties["name"], strict=True)
    )
    if s.one_per_township:
        labels = cand["township_code"].map(town_names).to_numpy(dtype=object)
        groups += groups_from_labels(labels, min_open=1, kind="township")
    if s.one_per_community != "none":
        kinds = {
            "community": ("community",),
            "village": ("village",),
            "all": ("community", "village"),
        }
        wanted = inst.demand.loc[inst.demand["kind"].isin(kinds[s.one_per_community]), "demand_id"]
        labels = cand["community_code"].to_numpy(dtype=object)
        names = dict(zip(inst.demand["demand_id"], inst.demand["name"], strict=True))
        for group in groups_from_labels(labels, min_open=1, kind="community", only=list(wanted)):
            groups.append(
                SiteGroup(names.get(group.name, group.name), group.sites, 1, None, "community")
            )
    if s.county_min or s.county_max:
        codes = cand["county_code"].to_numpy(dtype=object)
        for code in sorted(set(s.county_min) | set(s.county_max)):
            sites = np.flatnonzero(codes == code)
            groups.append(
                SiteGroup(
                    county_names.get(code, code),
                    sites,
                    s.county_min.get(code, 0),
                    s.county_max.get(code),
                    "county",
                )
            )
    capacity = None
    per_station = inst.scenario.households_per_station()
    if s.use_capacity and per_station is not None:
        urban_site = (
            cand["township_code"]
            .map(
                dict(zip(inst.region.townships["code"], inst.region.townships["kind"], strict=True))
            )
            .isin(URBAN_TOWNSHIP_KINDS)
            .to_numpy()
        )
        comm_kind = dict(zip(inst.demand["demand_id"], inst.demand["urban"], strict=True))
        urban_site |= cand["community_code"].map(comm_kind).fillna(False).to_numpy(dtype=bool)
        capacity = np.where(urban_site, per_station[0], per_station[1]).astype(float)
    return PolicyRules(required=required, excluded=excluded, groups=groups, capacity=capacity)


def _options(scenario: Scenario, time_limit: float | None = None) -> SolverOptions:
    sv = scenario.solver
    return SolverOptions(
        solver=sv.name, time_limit_s=time_limit or sv.time_limit_s, gap=sv.gap or None
    )


def _diagnoses(result) -> tuple[dict[str, str], ...]:
    return tuple(
        {"key": d.key, **{lang: d.message(lang) for lang in LANGUAGES}} for d in result.diagnoses
    )


def _tier_result(tier: str, model: str, sol, seconds: float, solver: str) -> TierResult:
    r = sol.result
    return TierResult(
        tier=tier, model=model, status=r.status, objective=r.objective, bound=r.bound, gap=r.gap,
        seconds=round(seconds, 3), solver=solver, diagnoses=_diagnoses(r),
        details={"rounds": getattr(r, "rounds", None)},
    )  # fmt: skip


def solve_stations(inst: Instance):
    """Solve the station tier; returns the model's solution and the station count."""
    s, sc = inst.scenario.stations, inst.scenario
    d, c = inst.demand, inst.stations
    dxy, sxy = d[["x", "y"]].to_numpy(), c[["x", "y"]].to_numpy()
    rules = _station_rules(inst)
    p = s.count
    if p is None and s.objective != "set_cover":
        p = derive_station_count(d, sc.households_per_station())
    weights = d["population"].to_numpy(dtype=float)
    households = d["households"].to_numpy(dtype=float)
    radius = d["radius_m"].to_numpy(dtype=float)
    from planner.models.stations import MCLP, PMedian, SetCover

    if s.objective == "p_median":
        model = PMedian.from_points(
            dxy, sxy, p, weights, rules=rules, households=households, circuity=sc.circuity
        )
    elif s.objective == "mclp":
        model = MCLP.from_points(
            dxy, sxy, p, radius, weights, rules=rules, households=households, circuity=sc.circuity
        )
    else:
        model = SetCover.from_points(
            dxy, sxy, radius, weights, rules=rules, households=households, circuity=sc.circuity
        )
    return model.solve(_options(sc)), p


def solve_centres(inst: Instance, station_idx: np.ndarray, tonnage: np.ndarray):
    """Solve the sorting-centre tier for the chosen stations."""
    from planner.models.centres import SortingCentreModel

    ct, sc = inst.scenario.centres, inst.scenario
    cand = inst.centres
    required, excluded = _fixed_sites(cand, ct.required_sites, ct.excluded_sites)
    county_names = dict(
        zip(inst.region.counties["code"], inst.region.counties["name"], strict=True)
    )
    codes = cand["county_code"].to_numpy(dtype=object)
    groups = []
    for code in sorted(set(codes) | set(ct.county_min) | set(ct.county_max)):
        lo = max(1 if ct.one_per_county else 0, ct.county_min.get(code, 0))
        hi = ct.county_max.get(code)
        if lo or hi is not None:
            groups.append(
                SiteGroup(
                    county_names.get(code, code), np.flatnonzero(codes == code), lo, hi, "county"
                )
            )
    rules = PolicyRules(required=required, excluded=excluded, groups=groups)
    sxy = inst.stations[["x", "y"]].to_numpy()[station_idx]
    cxy = cand[["x", "y"]].to_numpy()
    k = len(cand) if len(sxy) * len(cand) <= FULL_CENTRE_PAIRS else CENTRE_NEIGHBOURS
    model = SortingCentreModel.from_points(
        sxy, cxy, tonnage, ct.capacity_t_per_day, ct.count, k=k, circuity=sc.circuity,
        fixed_cost=ct.fixed_cost, rules=rules, cost_per_tonne_metre=1e-3,
    )  # fmt: skip
    return model.solve(_options(sc))


def run_plan(
    region: Region | str,
    scenario: Scenario,
    progress: Progress | None = None,
    extra_stations: gpd.GeoDataFrame | None = None,
    extra_centres: gpd.GeoDataFrame | None = None,
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

    Returns
    -------
    Plan
        Always returned: an infeasible tier yields a plan without its sites, with the
        diagnosis in :attr:`Plan.results`.
    """
    scenario.check()
    report = progress or (lambda stage, frac: None)
    report("run.stage.instance", 0.0)
    inst = build_instance(region, scenario, extra_stations, extra_centres)

    report("run.stage.stations", 0.1)
    t0 = time.perf_counter()
    sol, _ = solve_stations(inst)
    seconds = time.perf_counter() - t0
    station_result = _tier_result(
        "station", scenario.stations.objective, sol, seconds, scenario.solver.name
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
    d["covered"] = d["distance_m"].to_numpy() <= d["radius_m"].to_numpy() + 1e-6

    stations = inst.stations.iloc[chosen].copy()
    stations["tier"] = "station"
    stations["status"] = np.where(
        stations["status"] == "existing_keep", "existing_keep", "proposed"
    )
    served = d.groupby("station_id").agg(
        served_population=("population", "sum"),
        served_households=("households", "sum"),
        tonnage_t_per_day=("tonnage_t_per_day", "sum"),
        served_communities=("demand_id", "size"),
    )
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
    if has_plan:
        report("run.stage.centres", 0.6)
        t0 = time.perf_counter()
        csol = solve_centres(inst, chosen, stations["tonnage_t_per_day"].to_numpy())
        seconds = time.perf_counter() - t0
        results.append(
            _tier_result("sorting_centre", "sorting_centre", csol, seconds, scenario.solver.name)
        )
        if results[-1].has_plan and len(csol.centres):
            centres = inst.centres.iloc[np.asarray(csol.centres)].copy()
            cassign = np.asarray(csol.assignment)
            stations["centre_id"] = inst.centres["site_id"].to_numpy()[cassign.clip(0)]
            stations.loc[cassign < 0, "centre_id"] = None
            stations["distance_to_centre_m"] = np.asarray(csol.distance, dtype=float)
            load = stations.groupby("centre_id")["tonnage_t_per_day"].sum()
            centres["load_t_per_day"] = centres["site_id"].map(load).fillna(0.0).to_numpy()
            centres["capacity_t_per_day"] = scenario.centres.capacity_t_per_day
            centres["served_stations"] = (
                centres["site_id"].map(stations["centre_id"].value_counts()).fillna(0)
            )
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

    report("run.stage.kpis", 0.9)
    sites = gpd.GeoDataFrame(pd.concat([stations, centres], ignore_index=True), crs="EPSG:4326")
    sites = sites.drop(columns=["x", "y"])
    demand = d.drop(columns=["x", "y"])
    plan = Plan(
        scenario=scenario,
        sites=sites,
        demand=demand,
        links=links,
        results=tuple(results),
        kpis=city_kpis(demand, sites),
        county_kpis=area_kpis(demand, sites, "county_code"),
        township_kpis=area_kpis(demand, sites, "township_code"),
        distance_mode=scenario.distance_mode,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    report("run.stage.done", 1.0)
    return plan

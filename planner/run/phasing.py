"""Phasing a plan to its final year: which sites open in which year, within the yearly
budgets and interim targets of the scenario's ``phasing`` section.

:func:`check_phasing` refuses, before anything is solved, a year whose budget cannot
pay for what that year must at least build (which year, which county, by how much).
:func:`phase_plan` runs after the single-period plan: in ``fixed_final`` mode its
stations and sorting centres are the last year's network and the multi-period model
(:class:`planner.models.phased.PhasedSiting`) chooses the order of opening; in ``joint``
mode the model chooses every year's network, and the plan is then rebuilt on the last
year's sites; with ``final_plan`` the last year is a stored plan or a sites file (a
reviewed plan). Every site gets its ``year``, ``kpis["years"]`` the figures per year
and ``kpis["phasing"]`` the model's status, bound, gap and the price of phasing (the
last year's service against the single-period optimum for the same final counts).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.i18n import LANGUAGES, PlannerError, t
from planner.instance.coverage_sets import station_source
from planner.instance.distance import PointSource, source_knn, source_within
from planner.instance.walk import cover_radius
from planner.models import SolverOptions
from planner.models._base import default_k
from planner.plan import TierResult
from planner.run.budget import kept, planned_count
from planner.run.rules import centre_rules, station_rules

if TYPE_CHECKING:
    from planner.instance.build import Instance
    from planner.models.phased import PhasedSolution, PhasedTier
    from planner.plan import Plan
    from planner.scenario.phasing import Phasing

__all__ = ["check_phasing", "final_sites", "phase_plan"]

_FRAME = {"station": "stations", "sorting_centre": "centres"}
_TARGET = {"station": "stations", "sorting_centre": "sorting_centres"}
_COUNTY_MIN = {"station": "county_min_stations", "sorting_centre": "county_min_centres"}


def _targets(inst: Instance, tier: str) -> list[int | None]:
    """Cumulative whole-network count per year; the last year is the final count."""
    sc = inst.scenario
    on_top = kept(inst, tier) if sc.existing.count_mode == "new_or_rebuilt" else 0
    final = planned_count(inst, tier)
    out: list[int | None] = []
    for entry in sc.phasing.years:
        value = getattr(entry, _TARGET[tier])
        out.append(None if value is None else value + on_top)
    if final is not None:
        if out[-1] is not None and out[-1] != final:
            raise PlannerError(
                "phasing.last_year_target",
                year=sc.phasing.years[-1].year,
                value=out[-1] - on_top,
                final=final - on_top,
            )
        out[-1] = final
    return out


def _county_mins(inst: Instance, tier: str) -> list[dict[str, int]]:
    return [dict(getattr(entry, _COUNTY_MIN[tier])) for entry in inst.scenario.phasing.years]


def _site_costs(inst: Instance, tier: str) -> np.ndarray:
    frame = getattr(inst, _FRAME[tier])
    costs = inst.scenario.costs
    actions = frame["action"].astype(str).to_numpy()
    return np.array(
        [costs.unit(tier, a) if a in ("new", "upgrade") else 0.0 for a in actions], dtype=float
    )


def _closures(inst: Instance) -> float:
    costs = inst.scenario.costs
    return sum(
        float((getattr(inst, _FRAME[tier])["action"] == "close").sum()) * costs.unit(tier, "close")
        for tier in ("station", "sorting_centre")
    )


def check_phasing(inst: Instance) -> None:
    """Refuse, before solving, a year whose budget cannot pay for what it must build.

    A year with cumulative targets in it and the year before must build at least the
    difference: its budget must pay for that many of the cheapest sites (plus closures
    in the first year). A county minimum of a year must be paid from the budgets up to
    that year: they must cover the county's cheapest sites beyond those already in
    service. Both are lower bounds on what is needed, so a refusal is certain.

    Raises
    ------
    PlannerError
        ``phasing.last_year_target``, ``phasing.year_budget_short`` or
        ``phasing.county_budget_short``.
    """
    ph = inst.scenario.phasing
    if not ph.active:
        return
    names = dict(
        zip(
            inst.region.counties["code"].astype(str),
            inst.region.counties["name"].astype(str),
            strict=False,
        )
    )
    targets = {tier: _targets(inst, tier) for tier in _FRAME}
    costs = {tier: _site_costs(inst, tier) for tier in _FRAME}
    usable = {
        tier: getattr(inst, _FRAME[tier])["action"].isin(["new", "upgrade"]).to_numpy()
        for tier in _FRAME
    }
    fixed = _closures(inst)
    budgets = [y.budget_yuan for y in ph.years]
    for t_idx, entry in enumerate(ph.years):
        budget = budgets[t_idx]
        if budget is None:
            continue
        need = fixed if t_idx == 0 else 0.0
        for tier in _FRAME:
            now = targets[tier][t_idx]
            before = kept(inst, tier) if t_idx == 0 else targets[tier][t_idx - 1]
            if now is None or before is None:
                continue
            cheapest = np.sort(costs[tier][usable[tier]])
            need += float(cheapest[: max(0, now - before)].sum())
        if budget + 1e-6 < need:
            raise PlannerError(
                "phasing.year_budget_short",
                year=entry.year,
                budget=fmt.count(budget),
                need=fmt.count(need),
                short=fmt.count(need - budget),
            )
    for t_idx, entry in enumerate(ph.years):
        so_far = budgets[: t_idx + 1]
        if any(b is None for b in so_far):
            continue
        available = float(sum(so_far)) - fixed
        counties: dict[str, float] = {}
        for tier in _FRAME:
            frame = getattr(inst, _FRAME[tier])
            county = frame["county_code"].astype(str).to_numpy()
            for code, low in getattr(entry, _COUNTY_MIN[tier]).items():
                have = int(((frame["action"] == "keep").to_numpy() & (county == code)).sum())
                cheapest = np.sort(costs[tier][usable[tier] & (county == code)])
                counties[code] = counties.get(code, 0.0) + float(
                    cheapest[: max(0, low - have)].sum()
                )
        for code, need in sorted(counties.items()):
            if available + 1e-6 < need:
                raise PlannerError(
                    "phasing.county_budget_short",
                    year=entry.year,
                    county=names.get(code, code),
                    budget=fmt.count(max(available, 0.0)),
                    need=fmt.count(need),
                    short=fmt.count(need - max(available, 0.0)),
                )


def final_sites(phasing: Phasing) -> tuple[list[str], list[str]] | None:
    """Station and centre ``site_id`` values of ``phasing.final_plan`` (``None``: none).

    A number is a stored plan's id; anything else a CSV or GeoPackage file with
    ``site_id`` and ``tier`` columns (a plan's ``sites.csv`` or ``plan.gpkg``).

    Raises
    ------
    PlannerError
        ``phasing.final_plan_unreadable`` when the plan or file cannot be read.
    """
    ref = phasing.final_plan.strip()
    if not ref:
        return None
    try:
        if ref.isdigit():
            from planner.store import Store

            sites = Store().load_plan(int(ref)).sites
        elif ref.lower().endswith(".csv"):
            sites = pd.read_csv(Path(ref), dtype={"site_id": str}, encoding="utf-8-sig")
        else:
            import geopandas as gpd

            sites = gpd.read_file(Path(ref), layer="sites")
        status = sites["status"].astype(str) if "status" in sites else pd.Series("", sites.index)
        live = sites[status != "existing_close"]
        ids = live["site_id"].astype(str)
        return (
            ids[live["tier"] == "station"].tolist(),
            ids[live["tier"] == "sorting_centre"].tolist(),
        )
    except PlannerError:
        raise
    except Exception as err:  # any unreadable file or plan is one message
        raise PlannerError("phasing.final_plan_unreadable", ref=ref, error=str(err)) from err


def _forced(inst: Instance, stations: list[str], centres: list[str]):
    """The scenario with the last year's network required (and the counts it gives)."""
    sc = inst.scenario
    count = {"station": len(stations), "sorting_centre": len(centres)}
    if sc.existing.count_mode == "new_or_rebuilt":
        for tier, ids in (("station", stations), ("sorting_centre", centres)):
            frame = getattr(inst, _FRAME[tier])
            keep = set(frame.loc[frame["action"] == "keep", "site_id"].astype(str))
            count[tier] = len([i for i in ids if i not in keep])
    return sc.with_changes(
        **{
            "stations.required_sites": list(stations),
            "stations.count": count["station"],
            "centres.required_sites": list(centres),
            "centres.count": count["sorting_centre"],
            "phasing.mode": "fixed_final",
            "phasing.final_plan": "",
        }
    )


def _station_source(inst: Instance):
    """The station tier's distances, walks inside the communities included."""
    return station_source(inst, inst.memo.get("station_distances"))


def _indices(frame: pd.DataFrame, ids) -> np.ndarray:
    where = pd.Index(frame["site_id"].astype(str)).get_indexer([str(i) for i in ids])
    return np.unique(where[where >= 0]).astype(np.int64)


def _tiers(
    inst: Instance,
    final_s: np.ndarray | None,
    final_c: np.ndarray | None,
    plan: Plan,
    reference: tuple[np.ndarray, np.ndarray],
):
    """The two :class:`PhasedTier` of the model; ``final_*`` ``None``: the model chooses
    the last year's sites under the tier's rules. ``reference``: the single-period
    plan's stations and centres (their service scales each tier's term)."""
    from planner.models.phased import PhasedTier

    sc = inst.scenario
    st, ce = inst.stations, inst.centres
    start_s = np.flatnonzero((st["action"] == "keep").to_numpy())
    start_c = np.flatnonzero((ce["action"] == "keep").to_numpy())
    targets_s = _targets(inst, "station")
    source = _station_source(inst)
    allowed = np.ones(len(st), dtype=bool) if final_s is None else np.zeros(len(st), dtype=bool)
    if final_s is not None:
        allowed[final_s] = True
    allowed &= ~(st["action"] == "close").to_numpy()
    source = source.restrict_sites(allowed)
    demand = inst.demand
    coverage = sc.stations.objective != "p_median"
    first = next((v for v in targets_s if v), int(allowed.sum()))
    if coverage:
        cm = source_within(source, cover_radius(demand))
    else:
        cm = source_knn(source, default_k(int(allowed.sum()), max(first, 1)))
    rules = station_rules(inst, inst.memo.get("station_distances")) if final_s is None else None
    stations = PhasedTier(
        "station", cm, demand["population"].to_numpy(float), _site_costs(inst, "station"),
        targets_s, st["county_code"].astype(str).to_numpy(), _county_mins(inst, "station"),
        start_open=start_s, final=final_s, objective="coverage" if coverage else "median",
        radius=cover_radius(demand), reference=reference[0],
        **({"rules": rules} if rules is not None else {}),
    )  # fmt: skip
    # Sorting centres serve the final network's stations, weighted by their tonnage.
    ps = plan.sites[plan.sites["tier"] == "station"]
    ps = ps[ps["status"] != "existing_close"]
    sidx = _indices(st, ps["site_id"])
    tonnage = (
        ps.set_index(ps["site_id"].astype(str))["tonnage_t_per_day"]
        .reindex(st["site_id"].astype(str).to_numpy()[sidx])
        .fillna(0.0)
        .to_numpy(float)
    )
    c_allowed = ~(ce["action"] == "close").to_numpy()
    csource = PointSource(
        st[["x", "y"]].to_numpy(float)[sidx], ce[["x", "y"]].to_numpy(float), sc.circuity
    ).restrict_sites(c_allowed)
    targets_c = _targets(inst, "sorting_centre")
    first_c = next((v for v in targets_c if v), len(ce))
    centres = PhasedTier(
        "sorting_centre", source_knn(csource, default_k(int(c_allowed.sum()), max(first_c, 1))),
        tonnage, _site_costs(inst, "sorting_centre"), targets_c,
        ce["county_code"].astype(str).to_numpy(), _county_mins(inst, "sorting_centre"),
        start_open=start_c, final=final_c, reference=reference[1],
        **({"rules": centre_rules(inst)} if final_c is None else {}),
    )  # fmt: skip
    return stations, centres


def phase_plan(inst: Instance, plan: Plan, rerun) -> Plan:
    """The plan with its roll-out by year (see the module docstring).

    ``rerun(scenario)`` runs the single-period pipeline on a scenario (the plan is
    rebuilt on the last year's network in ``joint`` mode and with ``final_plan``).
    """
    from planner.models.phased import PhasedSiting

    sc = inst.scenario
    ph = sc.phasing
    if plan.sites is None or not len(plan.sites):
        return plan
    given = final_sites(ph)
    single = plan
    if given is not None:
        forced = _forced(inst, *given)
        plan = rerun(forced.with_changes(phasing={}))
        inst = _with_scenario(inst, forced)
    t0 = time.perf_counter()
    sites = plan.sites
    live = sites[sites["status"] != "existing_close"]
    final_s = _indices(inst.stations, live.loc[live["tier"] == "station", "site_id"])
    final_c = _indices(inst.centres, live.loc[live["tier"] == "sorting_centre", "site_id"])
    joint = ph.mode == "joint" and given is None
    options = SolverOptions(
        solver=sc.solver.name, time_limit_s=sc.solver.time_limit_s, gap=sc.solver.gap or None
    )
    budgets = [y.budget_yuan for y in ph.years]
    fixed = [_closures(inst)] + [0.0] * (len(ph.years) - 1)
    reference = (final_s, final_c)
    stations, centres = _tiers(inst, final_s, final_c, plan, reference)
    sol = PhasedSiting([stations, centres], budgets, fixed).solve(options)
    if joint:
        # The fixed-final roll-out is a feasible joint one: the joint model starts
        # from it, so it returns a roll-out at least as good.
        start = sol.open_year if sol.result.has_plan else None
        stations, centres = _tiers(inst, None, None, plan, reference)
        sol = PhasedSiting([stations, centres], budgets, fixed).solve(options, start=start)
    seconds = time.perf_counter() - t0
    if joint and sol.result.has_plan:
        years_s = sol.open_year["station"]
        years_c = sol.open_year["sorting_centre"]
        ids_s = inst.stations["site_id"].astype(str).to_numpy()[years_s >= 0].tolist()
        ids_c = inst.centres["site_id"].astype(str).to_numpy()[years_c >= 0].tolist()
        plan = rerun(_forced(inst, ids_s, ids_c).with_changes(phasing={}))
    return replace(_annotated(inst, plan, single, sol, stations, seconds, ph), scenario=sc)


def _with_scenario(inst: Instance, scenario) -> Instance:
    return replace(inst, scenario=scenario)


def _annotated(
    inst: Instance,
    plan: Plan,
    single: Plan,
    sol: PhasedSolution,
    stations: PhasedTier,
    seconds: float,
    ph: Phasing,
) -> Plan:
    """``plan`` with each site's year, ``kpis["years"]``, ``kpis["phasing"]`` and the
    phasing model's result (``ph``: the scenario's section as the planner gave it)."""
    labels = [y.year for y in ph.years]
    r = sol.result
    sites = plan.sites.copy()
    year_of: dict[tuple[str, str], int] = {}
    if r.has_plan:
        for tier in _FRAME:
            frame = getattr(inst, _FRAME[tier])
            ys = sol.open_year[tier]
            for sid, y in zip(frame["site_id"].astype(str), ys, strict=True):
                if y >= 0:
                    year_of[(tier, sid)] = labels[int(y)]
        keys = zip(sites["tier"].astype(str), sites["site_id"].astype(str), strict=True)
        sites["year"] = pd.array(
            [year_of.get(k, labels[0] if s == "existing_close" else None)
             for k, s in zip(keys, sites["status"].astype(str), strict=True)],
            dtype="Int64",
        )  # fmt: skip
    kpis = dict(plan.kpis)
    demand = plan.demand
    if r.has_plan:
        kpis["years"], first = _year_kpis(inst, sites, sol, labels)
        same_rows = demand is not None and list(demand["demand_id"].astype(str)) == list(
            inst.demand["demand_id"].astype(str)
        )
        if same_rows:  # the first year each community has a station within its radius
            demand = demand.assign(covered_year=pd.array(first, dtype="Int64"))
    price = _price(stations, single, plan, inst)
    kpis["phasing"] = {
        "mode": ph.mode if not ph.final_plan else "final_plan",
        "status": r.status,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "seconds": round(seconds, 3),
        "rounds": r.rounds,
        "price_of_phasing_pct": price,
        "final_plan": ph.final_plan or None,
    }
    result = TierResult(
        tier="phasing", model=f"phased_{ph.mode}", status=r.status, objective=r.objective,
        bound=r.bound, gap=r.gap, seconds=round(seconds, 3), solver=r.solver,
        diagnoses=tuple(
            {"key": d.key, **{lang: d.message(lang) for lang in LANGUAGES}} for d in r.diagnoses
        ),
        details={"rounds": r.rounds, "name": {lang: t("phasing.result_name", lang)
                                              for lang in LANGUAGES}},
    )  # fmt: skip
    return replace(plan, sites=sites, demand=demand, kpis=kpis, results=(*plan.results, result))


def _price(stations: PhasedTier, single: Plan, plan: Plan, inst: Instance) -> float | None:
    """How much worse the last year's station network serves than the single-period
    optimum for the same final counts, in % (0 when the last year is that optimum)."""

    def service(p: Plan) -> float | None:
        s = p.sites
        ids = s.loc[(s["tier"] == "station") & (s["status"] != "existing_close"), "site_id"]
        idx = _indices(inst.stations, ids)
        if idx.size == 0:
            return None
        source = _station_source(inst)
        _, dist = source.nearest(idx)
        w = inst.demand["population"].to_numpy(float)
        if stations.objective == "coverage":
            return float(w[dist <= cover_radius(inst.demand) + 1e-6].sum())
        return float(np.dot(w, dist))

    a, b = service(plan), service(single)
    if a is None or b is None or b == 0 or not math.isfinite(b):
        return None
    change = (a - b) / b if stations.objective == "median" else (b - a) / b
    return round(100.0 * change, 3)


def _year_kpis(
    inst: Instance, sites: pd.DataFrame, sol: PhasedSolution, labels: list[int]
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Per year: stations and centres in service, coverage, communities covered, costs;
    and per community the first year it is covered (``None``: never)."""
    demand = inst.demand
    w = demand["population"].to_numpy(float)
    radius = cover_radius(demand)
    kind = demand["kind"].astype(str).to_numpy()
    source = _station_source(inst)
    years_s = sol.open_year["station"]
    years_c = sol.open_year["sorting_centre"]
    out = []
    cumulative = 0.0
    first: list[int | None] = [None] * len(w)
    for t_idx, label in enumerate(labels):
        open_s = np.flatnonzero((years_s >= 0) & (years_s <= t_idx))
        _, dist = source.nearest(open_s) if open_s.size else (None, np.full(len(w), np.inf))
        covered = dist <= radius + 1e-6
        for i in np.flatnonzero(covered).tolist():
            if first[i] is None:
                first[i] = label
        spend = sol.spending[t_idx]
        cumulative += spend
        out.append(
            {
                "year": label,
                "stations": int(open_s.size),
                "sorting_centres": int(((years_c >= 0) & (years_c <= t_idx)).sum()),
                "new_stations": int((years_s == t_idx).sum()),
                "new_sorting_centres": int((years_c == t_idx).sum()),
                "coverage_share": round(float(w[covered].sum() / w.sum()), 6) if w.sum() else None,
                "mean_distance_m": round(float(np.dot(w, dist) / w.sum()), 1)
                if w.sum() and np.isfinite(dist).all()
                else None,
                "communities_covered": int(covered[kind == "community"].sum()),
                "villages_covered": int(covered[kind == "village"].sum()),
                "cost_yuan": round(spend, 2),
                "cumulative_cost_yuan": round(cumulative, 2),
                "budget_yuan": inst.scenario.phasing.years[t_idx].budget_yuan,
            }
        )
    return out, first

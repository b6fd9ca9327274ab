"""How many sites each tier plans, and what the budget allows.

The scenario's station and centre counts are read as the policy text reads them
(``existing.count_mode``): the whole network, or 新改扩建 — upgraded plus new sites,
with kept sites on top. Unit costs are per tier and action (:class:`~planner.scenario.
Costs`), so a budget in yuan is exactly a ceiling on the number of new sites once the
fixed costs (upgrades, closures) are paid: the city and county budgets become
:class:`~planner.models.SiteGroup` maximums over the new candidates. Before anything is
solved, :func:`check_budget` refuses a budget below the cheapest plan the rules allow
and names the shortfall in yuan.

The tiers are solved one after the other, so the station tier keeps back what the
centre tier must at least spend (the new centres the count or the per-county rules
require), and the centre tier gets what the stations left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.i18n import PlannerError
from planner.instance.build import Instance, derive_station_count
from planner.models import PolicyRules, SiteGroup
from planner.scenario.problems import ScenarioProblem

__all__ = ["Spending", "budget_groups", "check_budget", "planned_count"]

_OPEN = ("keep", "upgrade")


def _frame(inst: Instance, tier: str) -> pd.DataFrame:
    return inst.stations if tier == "station" else inst.centres


def kept(inst: Instance, tier: str) -> int:
    """Existing sites of ``tier`` the plan keeps as they are."""
    return int((_frame(inst, tier)["action"] == "keep").sum())


def planned_count(inst: Instance, tier: str) -> int | None:
    """Sites of ``tier`` in the whole planned network (``None``: the model decides, as in
    set cover). Under ``new_or_rebuilt`` the scenario's count is upgraded plus new
    sites, and the kept ones come on top; a count derived from a households standard
    is always the whole network."""
    sc = inst.scenario
    if tier == "station":
        if sc.stations.count is None:
            if sc.stations.objective == "set_cover":
                return None
            return derive_station_count(inst.demand, sc.households_per_station())
        count = sc.stations.count
    else:
        count = sc.centres.count
    if sc.existing.count_mode == "new_or_rebuilt":
        return count + kept(inst, tier)
    return count


@dataclass(frozen=True)
class Spending:
    """One-off costs that do not depend on the choice of new sites, city and per county."""

    fixed: float
    fixed_by_county: dict[str, float]


def fixed_costs(inst: Instance) -> Spending:
    """Upgrades and closures of existing sites, both tiers (yuan)."""
    costs = inst.scenario.costs
    total = 0.0
    by_county: dict[str, float] = {}
    for tier in ("station", "sorting_centre"):
        frame = _frame(inst, tier)
        for action in ("upgrade", "close"):
            unit = costs.unit(tier, action)
            rows = frame[frame["action"] == action]
            total += unit * len(rows)
            for code, n in rows["county_code"].value_counts().items():
                by_county[str(code)] = by_county.get(str(code), 0.0) + unit * int(n)
    return Spending(total, by_county)


def _open_existing(frame: pd.DataFrame) -> pd.Series:
    return frame["action"].isin(_OPEN)


def _least_new_stations(inst: Instance, p: int | None) -> tuple[int, dict[str, int]]:
    """Fewest new stations the rules allow: city-wide and per county (lower bounds)."""
    s = inst.scenario.stations
    cand = inst.stations
    is_open = _open_existing(cand)
    city = max(0, p - int(is_open.sum())) if p is not None else 0
    counties: dict[str, int] = {}
    open_county = cand.loc[is_open, "county_code"].astype(str).value_counts()
    for code in inst.region.counties["code"].astype(str):
        need = max(0, s.county_min.get(code, 0) - int(open_county.get(code, 0)))
        if s.one_per_township:
            towns = inst.region.townships
            mine = set(towns.loc[towns["county_code"].astype(str) == code, "code"].astype(str))
            served = set(cand.loc[is_open, "township_code"].dropna().astype(str))
            need = max(need, len(mine - served))
        counties[code] = need
    return city, counties


def _least_new_centres(inst: Instance, p: int | None) -> tuple[int, dict[str, int]]:
    ct = inst.scenario.centres
    cand = inst.centres
    is_open = _open_existing(cand)
    city = max(0, p - int(is_open.sum())) if p is not None else 0
    open_county = cand.loc[is_open, "county_code"].astype(str).value_counts()
    counties = {}
    for code in inst.region.counties["code"].astype(str):
        least = max(1 if ct.one_per_county else 0, ct.county_min.get(code, 0))
        counties[code] = max(0, least - int(open_county.get(code, 0)))
    return city, counties


def _county_name(inst: Instance, code: str) -> str:
    counties = inst.region.counties
    names = dict(zip(counties["code"].astype(str), counties["name"], strict=True))
    return str(names.get(code, code))


def check_budget(inst: Instance) -> None:
    """Refuse a budget below the cheapest plan the rules allow, naming the shortfall.

    The cheapest plan pays the upgrades and closures and builds the fewest new sites
    the counts and per-county rules require (a lower bound: the model may need more).

    Raises
    ------
    PlannerError
        ``scenario.invalid`` with one ``budget.short`` for the city and one
        ``budget.county_short`` per county, each with the yuan missing.
    """
    costs = inst.scenario.costs
    if costs.budget_yuan is None and not costs.county_budget_yuan:
        return
    spend = fixed_costs(inst)
    s_city, s_county = _least_new_stations(inst, planned_count(inst, "station"))
    c_city, c_county = _least_new_centres(inst, planned_count(inst, "sorting_centre"))
    s_unit, c_unit = costs.unit("station", "new"), costs.unit("sorting_centre", "new")
    problems = []
    if costs.budget_yuan is not None:
        need = spend.fixed + s_city * s_unit + c_city * c_unit
        if need > costs.budget_yuan + 0.5:
            problems.append(
                ScenarioProblem(
                    "budget.short",
                    {
                        "budget": fmt.count(costs.budget_yuan),
                        "need": fmt.count(need),
                        "short": fmt.count(need - costs.budget_yuan),
                        "fixed": fmt.count(spend.fixed),
                        "stations": s_city,
                        "centres": c_city,
                    },
                )
            )
    for code, budget in sorted(costs.county_budget_yuan.items()):
        fixed = spend.fixed_by_county.get(code, 0.0)
        n_s, n_c = s_county.get(code, 0), c_county.get(code, 0)
        need = fixed + n_s * s_unit + n_c * c_unit
        if need > budget + 0.5:
            problems.append(
                ScenarioProblem(
                    "budget.county_short",
                    {
                        "county": _county_name(inst, code),
                        "budget": fmt.count(budget),
                        "need": fmt.count(need),
                        "short": fmt.count(need - budget),
                        "fixed": fmt.count(fixed),
                        "stations": n_s,
                        "centres": n_c,
                    },
                )
            )
    if problems:
        raise PlannerError("scenario.invalid", details=problems)


def _cap(money: float, unit: float) -> int | None:
    """New sites ``money`` pays for at ``unit`` yuan each (``None``: no cap, free sites)."""
    if unit <= 0:
        return None
    return max(0, math.floor(money / unit + 1e-9))


def budget_groups(
    inst: Instance, tier: str, new_stations: pd.Series | None = None
) -> list[SiteGroup]:
    """Ceilings on the new sites of ``tier`` that the budgets allow.

    ``new_stations``: for the centre tier, the county code of each new station the
    station tier opened (what it spent). For the station tier the centre tier's
    least spending is kept back.
    """
    costs = inst.scenario.costs
    if costs.budget_yuan is None and not costs.county_budget_yuan:
        return []
    spend = fixed_costs(inst)
    frame = _frame(inst, tier)
    is_new = (frame["action"] == "new").to_numpy()
    codes = frame["county_code"].astype(str).to_numpy()
    unit = costs.unit(tier, "new")
    other = "sorting_centre" if tier == "station" else "station"
    other_unit = costs.unit(other, "new")
    if tier == "station":
        c_city, c_county = _least_new_centres(inst, planned_count(inst, "sorting_centre"))
        others_city, others_county = c_city, c_county
    else:
        counted = new_stations if new_stations is not None else pd.Series([], dtype=str)
        others_city = len(counted)
        others_county = {str(k): int(v) for k, v in counted.astype(str).value_counts().items()}
    groups = []
    if costs.budget_yuan is not None:
        cap = _cap(costs.budget_yuan - spend.fixed - others_city * other_unit, unit)
        if cap is not None:
            groups.append(
                SiteGroup(inst.region.name("zh"), np.flatnonzero(is_new), 0, cap, "group")
            )
    for code, budget in sorted(costs.county_budget_yuan.items()):
        left = budget - spend.fixed_by_county.get(code, 0.0)
        cap = _cap(left - others_county.get(code, 0) * other_unit, unit)
        if cap is not None:
            sites = np.flatnonzero(is_new & (codes == code))
            groups.append(SiteGroup(_county_name(inst, code), sites, 0, cap, "county"))
    return groups


def with_budget(rules: PolicyRules, groups: list[SiteGroup]) -> PolicyRules:
    """``rules`` with the budget ceilings added."""
    if not groups:
        return rules
    return replace(rules, groups=(*rules.groups, *groups))

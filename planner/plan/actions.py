"""What a plan does with each site, and what it costs.

Every site of a plan carries an ``action``: ``new`` (新建), ``upgrade`` (标准化改造),
``keep`` (保留) or ``close`` (关停; closed existing sites are kept in the plan's sites,
marked, with their reasons, but serve nobody). :func:`action_kpis` counts them per tier,
city-wide and per county; :func:`cost_kpis` prices them with the scenario's unit costs
(:class:`~planner.scenario.Costs`): one-off costs (new, upgrade, closure) and the yearly
running cost of the open network, city-wide and per county, beside the budgets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.scenario import Costs

__all__ = ["ACTION_ORDER", "action_kpis", "cost_kpis", "priced", "site_costs"]

ACTION_ORDER: tuple[str, ...] = ("new", "upgrade", "keep", "close")
TIERS: tuple[str, ...] = ("station", "sorting_centre")


def site_costs(sites: pd.DataFrame, costs: Costs) -> np.ndarray:
    """One-off cost (yuan) of each site's action."""
    return np.array(
        [
            costs.unit(tier, action)
            for tier, action in zip(sites["tier"], sites["action"], strict=True)
        ],
        dtype=float,
    )


def priced(sites: pd.DataFrame, costs: Costs) -> pd.DataFrame:
    """``sites`` with ``cost_yuan`` (one-off) and ``operation_yuan_per_year`` (0 when closed)."""
    out = sites.copy()
    out["cost_yuan"] = site_costs(out, costs)
    out["operation_yuan_per_year"] = [
        0.0 if action == "close" else costs.operation(tier)
        for tier, action in zip(out["tier"], out["action"], strict=True)
    ]
    return out


def _counts(sites: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for tier in TIERS:
        mine = sites.loc[sites["tier"] == tier, "action"].value_counts()
        out[tier] = {a: int(mine.get(a, 0)) for a in ACTION_ORDER}
    return out


def action_kpis(sites: pd.DataFrame) -> dict[str, Any]:
    """Sites per action and tier, city-wide and per county.

    Returns
    -------
    dict
        ``{"station": {"new": n, "upgrade": n, "keep": n, "close": n},
        "sorting_centre": {...}, "new_or_rebuilt": {tier: n}, "by_county":
        {county_code: {"station": {...}, "sorting_centre": {...}}}}``; 新改扩建 counts
        upgraded and new sites.
    """
    city = _counts(sites)
    by_county = {
        str(code): _counts(group)
        for code, group in sites.groupby(sites["county_code"].astype(str), sort=True)
        if code not in ("None", "nan")
    }
    return {
        **city,
        "new_or_rebuilt": {t: city[t]["new"] + city[t]["upgrade"] for t in TIERS},
        "by_county": by_county,
    }


def _money(sites: pd.DataFrame) -> dict[str, float]:
    one_off = {a: float(sites.loc[sites["action"] == a, "cost_yuan"].sum()) for a in ACTION_ORDER}
    return {
        "one_off_yuan": float(sites["cost_yuan"].sum()),
        "new_yuan": one_off["new"],
        "upgrade_yuan": one_off["upgrade"],
        "closure_yuan": one_off["close"],
        "operation_yuan_per_year": float(sites["operation_yuan_per_year"].sum()),
    }


def cost_kpis(sites: pd.DataFrame, costs: Costs) -> dict[str, Any]:
    """One-off and yearly costs of a priced plan (:func:`priced`), with the budgets.

    Returns
    -------
    dict
        ``one_off_yuan`` (= ``new_yuan`` + ``upgrade_yuan`` + ``closure_yuan``),
        ``operation_yuan_per_year``, per tier (``station``, ``sorting_centre``), per
        county (``by_county``), ``budget_yuan`` and ``county_budget_yuan`` (as set, or
        ``None``/empty), and ``unit_costs`` with ``assumed`` true while every unit
        cost is still the default planning assumption.
    """
    by_county = {
        str(code): _money(group)
        for code, group in sites.groupby(sites["county_code"].astype(str), sort=True)
        if code not in ("None", "nan")
    }
    for code, budget in costs.county_budget_yuan.items():
        by_county.setdefault(code, _money(sites.iloc[[]]))["budget_yuan"] = budget
    units = {k: v for k, v in vars(costs).items() if k.endswith(("_yuan", "_per_year"))}
    units.pop("budget_yuan", None)
    defaults = {k: v for k, v in vars(Costs()).items() if k in units}
    return {
        **_money(sites),
        **{tier: _money(sites[sites["tier"] == tier]) for tier in TIERS},
        "by_county": by_county,
        "budget_yuan": costs.budget_yuan,
        "county_budget_yuan": dict(costs.county_budget_yuan),
        "unit_costs": {**units, "assumed": units == defaults},
    }

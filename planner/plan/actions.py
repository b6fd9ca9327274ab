"""What a plan does with each site, and what it costs.

Every site of a plan carries an ``action``: ``new`` (新建), ``upgrade`` (标准化改造),
``keep`` (保留) or ``close`` (关停; closed existing sites are kept in the plan's sites,
marked, with their reasons, but serve nobody). :func:`action_kpis` counts them per tier,
city-wide and per county; :func:`cost_kpis` prices them with the scenario's unit costs
(:class:`~planner.scenario.Costs`): one-off costs (new, upgrade, closure) and the yearly
running cost of the open network, city-wide and per county, beside the budgets.

The views read them through the same functions: the actions and reasons in words
(:data:`ACTION_LABEL`, :func:`reasons_text`), plans written before sites had actions
(:func:`site_actions`, :func:`plan_actions`), and the rows of the tables the results
page, the compare page, the workbook and the report show (:func:`action_rows`,
:func:`cost_rows`, :func:`tier_cost_rows`, :func:`unit_cost_rows`), with
:func:`costs_assumed` saying when the figures rest on the default unit costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from planner.format import clauses
from planner.i18n import value_label
from planner.scenario import Costs

__all__ = [
    "ACTION_LABEL",
    "ACTION_ORDER",
    "MONEY_KEYS",
    "REASON_LABEL",
    "TIERS",
    "action_kpis",
    "action_rows",
    "actions_present",
    "cost_kpis",
    "cost_rows",
    "costs_assumed",
    "plan_actions",
    "priced",
    "reason_codes",
    "reasons_text",
    "site_actions",
    "site_costs",
    "tier_cost_rows",
    "unit_cost_rows",
]

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
    for budget in ("budget_yuan", "county_budget_yuan"):  # budgets are not unit costs
        units.pop(budget, None)
    defaults = {k: v for k, v in vars(Costs()).items() if k in units}
    return {
        **_money(sites),
        **{tier: _money(sites[sites["tier"] == tier]) for tier in TIERS},
        "by_county": by_county,
        "budget_yuan": costs.budget_yuan,
        "county_budget_yuan": dict(costs.county_budget_yuan),
        "unit_costs": {**units, "assumed": units == defaults},
    }


# --- in words, and plans written before actions ---------------------------------------------

#: Catalogue key of each action (新建 / 标准化改造 / 保留 / 关停).
ACTION_LABEL: dict[str, str] = {
    "new": "action.new",
    "upgrade": "action.upgrade",
    "keep": "action.keep",
    "close": "action.close",
}
#: Catalogue key of each compliance reason code
#: (:data:`planner.instance.compliance.REASONS`), in plain words.
REASON_LABEL: dict[str, str] = {
    "marked_close": "reason.marked_close",
    "not_in_use": "reason.not_in_use",
    "no_licence": "reason.no_licence",
    "fire_safety_failed": "reason.fire_safety_failed",
    "floor_area_below": "reason.floor_area_below",
    "not_standardised": "reason.not_standardised",
    "licence_unknown": "reason.licence_unknown",
    "fire_safety_unknown": "reason.fire_safety_unknown",
    "floor_area_unknown": "reason.floor_area_unknown",
    "override": "reason.override",
}


def reason_codes(value: Any) -> list[str]:
    """The reason codes of a site's ``reasons`` cell (``;``-joined; missing: none)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [code.strip() for code in str(value).split(";") if code.strip()]


def reasons_text(value: Any, lang: str = "zh") -> str:
    """A site's ``reasons`` in words, in ``lang``: ``无营业执照/备案；消防检查不合格``.

    A code the catalogue does not know (a newer or hand-edited file) shows as itself;
    no reasons give ``""``.
    """
    return clauses((value_label(REASON_LABEL, code, lang) for code in reason_codes(value)), lang)


def site_actions(sites: pd.DataFrame) -> pd.Series:
    """The action of each site, also for plans written before sites had one.

    Such a plan has no ``action`` column: its kept existing sites
    (``status == "existing_keep"``) are ``keep``, every other site ``new``. A missing
    cell of an ``action`` column is read the same way.
    """
    status = (
        sites["status"].astype(object)
        if "status" in sites
        else pd.Series(None, index=sites.index, dtype=object)
    )
    derived = pd.Series(
        np.where(status == "existing_keep", "keep", "new"), index=sites.index, dtype=object
    )
    if "action" not in sites:
        return derived
    action = sites["action"].astype(object)
    return action.where(action.notna() & (action.astype(str) != ""), derived).astype(str)


def plan_actions(kpis: Mapping[str, Any], sites: pd.DataFrame | None = None) -> dict[str, Any]:
    """``kpis["actions"]``; for a plan written before it, counted from ``sites``
    (:func:`site_actions`); ``{}`` when neither is there."""
    found = kpis.get("actions")
    if isinstance(found, Mapping) and found:
        return dict(found)
    if sites is None or not len(sites) or "tier" not in sites:
        return {}
    frame = pd.DataFrame(
        {
            "tier": sites["tier"].to_numpy(),
            "action": site_actions(sites).to_numpy(),
            "county_code": (sites["county_code"].to_numpy() if "county_code" in sites else None),
        }
    )
    return action_kpis(frame)


def actions_present(sites: pd.DataFrame) -> dict[str, set[str]]:
    """The actions each tier's sites have: ``{"station": {"new", "keep"}, ...}``."""
    if not len(sites) or "tier" not in sites:
        return {}
    actions = site_actions(sites)
    return {str(tier): set(actions[sites["tier"] == tier]) for tier in sites["tier"].unique()}


# --- the tables every view shows: sites per action, money per tier and county ------------

#: The money figures of :func:`cost_kpis`, per tier and per county.
MONEY_KEYS: tuple[str, ...] = (
    "new_yuan",
    "upgrade_yuan",
    "closure_yuan",
    "one_off_yuan",
    "operation_yuan_per_year",
)


def _count_row(code: str | None, tier: str, counts: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"county_code": code, "tier": tier}
    row |= {a: int(counts.get(a, 0) or 0) for a in ACTION_ORDER}
    row["open_after"] = row["new"] + row["upgrade"] + row["keep"]
    return row


def action_rows(actions: Mapping[str, Any]) -> pd.DataFrame:
    """Sites per action (:func:`action_kpis` or :func:`plan_actions`): a row per county
    and tier, sorted by code, then the city's (``county_code`` ``None``).

    Columns ``county_code``, ``tier``, ``new``, ``upgrade``, ``keep``, ``close`` and
    ``open_after`` (the sites open once the plan is done: new, upgraded and kept).
    """
    rows = [
        _count_row(str(code), tier, (tiers or {}).get(tier) or {})
        for code, tiers in sorted((actions.get("by_county") or {}).items())
        for tier in TIERS
    ]
    rows += [_count_row(None, tier, actions.get(tier) or {}) for tier in TIERS if tier in actions]
    return pd.DataFrame(rows, columns=["county_code", "tier", *ACTION_ORDER, "open_after"])


def _money_row(money: Mapping[str, Any]) -> dict[str, float | None]:
    return {k: _yuan(money.get(k)) for k in MONEY_KEYS}


def _yuan(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _left(budget: float | None, spent: float | None) -> float | None:
    return None if budget is None or spent is None else budget - spent


def cost_rows(costs: Mapping[str, Any]) -> pd.DataFrame:
    """Money per county (:func:`cost_kpis`), sorted by code, then the city's
    (``county_code`` ``None``), each with its budget and what the one-off cost leaves
    of it (``None`` without a budget).

    Columns ``county_code``, :data:`MONEY_KEYS`, ``budget_yuan``, ``budget_left_yuan``.
    """
    rows = []
    for code, money in sorted((costs.get("by_county") or {}).items()):
        row = {"county_code": str(code), **_money_row(money)}
        row["budget_yuan"] = _yuan(money.get("budget_yuan"))
        rows.append(row)
    if costs:
        rows.append(
            {
                "county_code": None,
                **_money_row(costs),
                "budget_yuan": _yuan(costs.get("budget_yuan")),
            }
        )
    for row in rows:
        row["budget_left_yuan"] = _left(row["budget_yuan"], row["one_off_yuan"])
    columns = ["county_code", *MONEY_KEYS, "budget_yuan", "budget_left_yuan"]
    return pd.DataFrame(rows, columns=columns)


def tier_cost_rows(costs: Mapping[str, Any]) -> pd.DataFrame:
    """Money per tier, then both tiers (``tier`` ``None``): columns ``tier`` and
    :data:`MONEY_KEYS`; empty without costs."""
    if not costs:
        return pd.DataFrame(columns=["tier", *MONEY_KEYS])
    rows = [{"tier": tier, **_money_row(costs.get(tier) or {})} for tier in TIERS]
    rows.append({"tier": None, **_money_row(costs)})
    return pd.DataFrame(rows, columns=["tier", *MONEY_KEYS])


def unit_cost_rows(costs: Mapping[str, Any]) -> pd.DataFrame:
    """The unit costs a plan was priced with, a row per tier: ``tier`` and the one-off
    ``new_yuan``, ``upgrade_yuan``, ``closure_yuan`` and yearly
    ``operation_yuan_per_year`` of one site."""
    units = costs.get("unit_costs") or {}
    rows = []
    for tier, prefix in (("station", "station"), ("sorting_centre", "centre")):
        rows.append(
            {
                "tier": tier,
                "new_yuan": _yuan(units.get(f"{prefix}_new_yuan")),
                "upgrade_yuan": _yuan(units.get(f"{prefix}_upgrade_yuan")),
                "closure_yuan": _yuan(units.get(f"{prefix}_closure_yuan")),
                "operation_yuan_per_year": _yuan(units.get(f"{prefix}_operation_yuan_per_year")),
            }
        )
    return pd.DataFrame(rows)


def costs_assumed(kpis: Mapping[str, Any]) -> bool:
    """Whether a plan's costs are priced with the default unit costs (planning
    assumptions, :class:`~planner.scenario.Costs`), so every view showing them says so."""
    costs = kpis.get("costs") or {}
    return bool((costs.get("unit_costs") or {}).get("assumed"))

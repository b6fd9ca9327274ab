"""A plan's indicators as the app's tables show them: KPIs of several plans side by side,
the solver's tiers, and per-county and per-township rows with the scenario's targets;
village coverage (村/社区覆盖: the city's, the rule's, the villages left without a
station in reach, :mod:`planner.plan.villages`); what the plan does with each site and
what it costs.

Headers and values are in the planner's language, numbers written by
:mod:`planner.format`. The functions take a plan's indicators (:attr:`Plan.kpis`) or
anything that carries them, such as a stored plan (:class:`planner.store.PlanRecord`).
Nothing here draws; the pages (:mod:`planner.ui.pages`) show the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pandas as pd

from planner import format as fmt
from planner.data.regions import Region
from planner.i18n import t, value_label
from planner.plan import Plan
from planner.plan.actions import (
    ACTION_LABEL,
    ACTION_ORDER,
    MONEY_KEYS,
    TIERS,
    action_rows,
    cost_rows,
    costs_assumed,
    plan_actions,
    tier_cost_rows,
)
from planner.plan.kinds import kind_compare_rows
from planner.plan.kpi import distance_mode_text
from planner.plan.market_tables import MARKET_KPI_ROWS, has_market_kpis, market_kpi_value
from planner.plan.villages import CITY_KEYS, KIND_LABEL, uncovered_villages
from planner.scenario import Scenario

__all__ = [
    "KPI_LABEL",
    "KPI_ROWS",
    "MONEY_LABEL",
    "PLAN_STATUS_LABEL",
    "TIER_LABEL",
    "VILLAGE_KPIS",
    "StoredPlan",
    "action_table",
    "compare_actions",
    "compare_table",
    "cost_note",
    "cost_table",
    "county_rows",
    "coverage_by_area",
    "coverage_table",
    "diagnosis_lines",
    "kpi_kind",
    "kpi_value",
    "target_text",
    "tier_table",
    "tier_word",
    "township_rows",
    "uncovered_rows",
    "village_rule_line",
    "village_target",
    "villages_short",
]

#: KPI rows of the compare table: (kpi key, label key, kind of figure).
KPI_ROWS: tuple[tuple[str, str, fmt.Kind], ...] = (
    ("stations", "term.recycling_stations", "count"),
    ("sorting_centres", "tier.sorting_centre", "count"),
    ("coverage_share", "term.population_within_radius", "share"),
    ("coverage_share_urban", "term.urban_coverage", "share"),
    ("coverage_share_rural", "term.rural_coverage", "share"),
    ("village_coverage_share", "term.village_coverage", "share"),
    ("village_coverage_share_community", "term.community_coverage", "share"),
    ("village_coverage_share_village", "term.rural_village_coverage", "share"),
    ("min_county_village_share", "term.min_county_village_coverage", "share"),
    ("mean_distance_m", "ui.kpi.mean_distance_m", "metres"),
    ("p95_distance_m", "ui.kpi.p95_distance_m", "metres"),
    ("max_distance_m", "ui.kpi.max_distance_m", "metres"),
    ("uncovered_communities", "ui.kpi.uncovered_communities", "count"),
    ("uncovered_population", "term.people_outside_radius", "count"),
    ("stations_per_10k_households", "ui.kpi.stations_per_10k_households", "ratio"),
    ("centre_load_t_per_day", "ui.kpi.centre_load_t_per_day", "ratio"),
    ("max_centre_utilisation", "ui.kpi.max_centre_utilisation", "share"),
)
#: Label key of each indicator of :data:`KPI_ROWS`.
KPI_LABEL: dict[str, str] = {key: label for key, label, _ in KPI_ROWS}
#: Catalogue key of each tier (``station``, ``sorting_centre``) in the app's tables.
TIER_LABEL = {
    "station": "tier.station",
    "sorting_centre": "tier.sorting_centre",
    "market": "tier.market",
}
#: Catalogue key of each solver status (:data:`planner.models.results.STATUSES`).
PLAN_STATUS_LABEL = {
    "optimal": "status.optimal",
    "time_limit_feasible": "ui.status.time_limit_feasible",
    "infeasible": "ui.status.infeasible",
    "unbounded": "ui.status.unbounded",
    "error": "ui.status.error",
}
_SOLVED = ("optimal", "time_limit_feasible")
#: Indicators :func:`kpi_value` reads from a plan's village-coverage block
#: (``kpis["villages"]``), under the names the county and township tables give them.
VILLAGE_KPIS = {**CITY_KEYS, "min_county_village_share": "min_county_share"}


class StoredPlan(Protocol):
    """What :func:`compare_table` reads of a stored plan."""

    kpis: Mapping[str, Any]
    status: str
    seconds: float | None


def kpi_value(kpis: Mapping[str, Any], key: str) -> float | None:
    """Indicator ``key`` of ``kpis`` as a finite number (``None`` when missing);
    ``stations_per_10k_households`` from the stored per-1,000 figure, the
    :data:`VILLAGE_KPIS` from the village-coverage block."""
    if key in VILLAGE_KPIS and key not in kpis:
        return fmt.figure((kpis.get("villages") or {}).get(VILLAGE_KPIS[key]))
    if "." in key:  # the market tier's (MARKET_KPI_ROWS)
        return market_kpi_value(kpis, key)
    if key == "stations_per_10k_households":
        value = fmt.figure(kpis.get("stations_per_1000_households"))
        return None if value is None else value * 10
    return fmt.figure(kpis.get(key))


def kpi_kind(key: str) -> fmt.Kind:
    """How indicator ``key`` is written: its kind in :data:`KPI_ROWS`, else metres for a
    ``_m`` key and a count otherwise."""
    for row_key, _, kind in KPI_ROWS:
        if row_key == key:
            return kind
    return "metres" if key.endswith("_m") else "count"


def compare_table(records: Sequence[StoredPlan], labels: Sequence[str], lang: str) -> pd.DataFrame:
    """KPIs of several plans side by side, with each plan's difference from the first."""
    first = records[0]
    rows = []
    # the market tier's rows only when one of the plans has a market tier
    markets = any(has_market_kpis(r.kpis) for r in records)
    for key, label, kind in KPI_ROWS + (MARKET_KPI_ROWS if markets else ()):
        row = {"": t(label, lang)}
        base = kpi_value(first.kpis, key)
        for i, (record, name) in enumerate(zip(records, labels, strict=True)):
            value = kpi_value(record.kpis, key)
            row[name] = fmt.kind(value, kind, lang)
            if i:
                delta = None if value is None or base is None else value - base
                row[f"Δ {name}"] = fmt.diff(delta, kind, lang)
        rows.append(row)
    rows += kind_compare_rows(records, labels, lang)  # plans with standalone kinds only
    mode = {"": t("kpi.distance_mode", lang)}
    status = {"": t("ui.kpi.status", lang)}
    seconds = {"": t("ui.kpi.seconds", lang)}
    for i, (record, name) in enumerate(zip(records, labels, strict=True)):
        mode[name] = distance_mode_text(record.kpis, lang)
        status[name] = value_label(PLAN_STATUS_LABEL, record.status, lang)
        seconds[name] = (
            t("unit.s", lang, value=fmt.number(record.seconds, 1))
            if record.seconds
            else fmt.MISSING
        )
        if i:
            for row in (mode, status, seconds):
                row[f"Δ {name}"] = ""
    return pd.DataFrame([*rows, mode, status, seconds])


def tier_word(
    result: Mapping[str, Any] | Any, lang: str, labels: Mapping[str, str] = TIER_LABEL
) -> str:
    """A result's tier in words: its own name when its ``details`` carry one (a
    standalone kind, the phasing), else the tier's label from ``labels``.

    ``result`` is a :class:`~planner.plan.TierResult` or its stored mapping.
    """
    if isinstance(result, Mapping):
        tier, details = result.get("tier"), result.get("details")
    else:
        tier, details = result.tier, result.details
    name = details.get("name") if isinstance(details, Mapping) else None
    if isinstance(name, Mapping) and name.get(lang):
        return str(name[lang])
    return value_label(labels, tier, lang)


def tier_table(results: Sequence[Mapping[str, Any]], lang: str) -> pd.DataFrame:
    """The solver's status, objective, bound and gap per tier."""
    rows = []
    for r in results:
        rows.append(
            {
                t("term.tier", lang): tier_word(r, lang),
                t("term.status", lang): value_label(PLAN_STATUS_LABEL, r.get("status"), lang),
                t("term.objective", lang): fmt.count(r.get("objective")),
                t("ui.tiers.col.bound", lang): fmt.count(r.get("bound")),
                t("ui.tiers.col.gap", lang): fmt.share(r.get("gap"), 2),
                t("term.time_s", lang): fmt.number(float(r.get("seconds") or 0), 1),
            }
        )
    return pd.DataFrame(rows)


def diagnosis_lines(results: Sequence[Mapping[str, Any]], lang: str) -> list[tuple[bool, str]]:
    """Every diagnosis of the tiers in ``lang``, prefixed with its tier, and whether its
    tier has a plan (a note) or not (an error)."""
    lines = []
    for r in results:
        has_plan = r.get("status") in _SOLVED
        for d in r.get("diagnoses") or ():
            text = d.get(lang) or d.get("zh") or ""
            prefix = tier_word(r, lang)
            lines.append((has_plan, f"{prefix}：{text}" if lang == "zh" else f"{prefix}: {text}"))
    return lines


def target_text(scenario: Scenario, tier: str, code: str, n_counties: int) -> str:
    """What the scenario asks of one county: ``5``, ``≥ 1``, ``2–4``, ``≤ 3`` or ``—``."""
    part = scenario.stations if tier == "stations" else scenario.centres
    lo = part.county_min.get(code, 0)
    if tier == "centres" and scenario.centres.one_per_county:
        lo = max(lo, 1)
    hi = part.county_max.get(code)
    if n_counties == 1 and part.count is not None and not part.county_min and hi is None:
        return fmt.count(part.count)
    if hi is not None and lo == hi:
        return fmt.count(lo)
    if hi is not None and lo:
        return f"{fmt.count(lo)}–{fmt.count(hi)}"
    if lo:
        return f"≥ {fmt.count(lo)}"
    if hi is not None:
        return f"≤ {fmt.count(hi)}"
    return fmt.MISSING


def _names(layer: pd.DataFrame, column: str = "name") -> dict[str, Any]:
    return dict(zip(layer["code"].astype(str), layer[column], strict=False))


def county_rows(plan: Plan, region: Region | None, lang: str) -> pd.DataFrame:
    """Per-county targets vs planned counts, coverage and distances."""
    kpis = plan.county_kpis
    names: dict[str, Any] = {}
    codes: list[str] = []
    if region is not None:
        names = _names(region.counties)
        codes = list(region.counties["code"].astype(str))
    if kpis is not None and len(kpis):
        codes += [str(c) for c in kpis["county_code"] if str(c) not in codes]
    by_code = {}
    if kpis is not None and len(kpis):
        by_code = {str(r["county_code"]): r for r in kpis.to_dict("records")}
    target = village_target(plan.scenario)
    rows = []
    for code in codes:
        k = by_code.get(code, {})
        rows.append(
            {
                t("term.county", lang): names.get(code, code),
                t("ui.res.col.st_target", lang): target_text(
                    plan.scenario, "stations", code, len(codes)
                ),
                t("ui.res.col.st_planned", lang): int(k.get("stations", 0) or 0),
                t("ui.res.col.ct_target", lang): target_text(
                    plan.scenario, "centres", code, len(codes)
                ),
                t("ui.res.col.ct_planned", lang): int(k.get("sorting_centres", 0) or 0),
                t("term.population", lang): fmt.count(k.get("population")),
                t("term.within_radius", lang): fmt.share(k.get("coverage_share")),
                **_village_cells(k, target, lang),
                t("term.mean_distance_m", lang): fmt.count(k.get("mean_distance_m")),
                t("term.95th_percentile_m", lang): fmt.count(k.get("p95_distance_m")),
                t("term.people_outside_radius", lang): fmt.count(k.get("uncovered_population")),
            }
        )
    return pd.DataFrame(rows)


def township_rows(plan: Plan, region: Region | None, lang: str) -> pd.DataFrame:
    """Per-township planned counts, coverage (people and villages) and distances."""
    kpis = plan.township_kpis
    if kpis is None or not len(kpis):
        return pd.DataFrame()
    towns, counties = {}, {}
    if region is not None:
        towns = _names(region.townships)
        county_names = _names(region.counties)
        counties = {
            k: county_names.get(str(v), v)
            for k, v in _names(region.townships, "county_code").items()
        }
    codes = kpis["township_code"].astype(str)
    villages = pd.DataFrame([_village_cells(r, None, lang) for r in kpis.to_dict("records")])
    return pd.DataFrame(
        {
            t("term.township", lang): [towns.get(c, c) for c in codes],
            t("term.county", lang): [counties.get(c, "") for c in codes],
            t("ui.res.col.st_planned", lang): kpis["stations"].astype(int).to_numpy(),
            t("ui.res.col.ct_planned", lang): kpis["sorting_centres"].astype(int).to_numpy(),
            t("term.population", lang): [fmt.count(v) for v in kpis["population"]],
            t("term.within_radius", lang): [fmt.share(v) for v in kpis["coverage_share"]],
            **{name: villages[name].to_numpy() for name in villages.columns},
            t("term.mean_distance_m", lang): [fmt.count(v) for v in kpis["mean_distance_m"]],
            t("term.95th_percentile_m", lang): [fmt.count(v) for v in kpis["p95_distance_m"]],
        }
    )


def coverage_by_area(plan: Plan, region: Region | None, lang: str) -> tuple[pd.DataFrame, bool]:
    """Coverage in percent per county (a region of several counties) or per township,
    lowest first: columns ``area`` and ``coverage``; and whether the areas are counties.
    Empty without a region or indicators."""
    many = region is not None and len(region.counties) > 1
    kpis = plan.county_kpis if many else plan.township_kpis
    if kpis is None or not len(kpis) or region is None:
        return pd.DataFrame(columns=["area", "coverage"]), many
    names = _names(region.counties if many else region.townships)
    codes = kpis["county_code" if many else "township_code"].astype(str)
    frame = pd.DataFrame(
        {
            "area": [names.get(c, c) for c in codes],
            "coverage": (kpis["coverage_share"].astype(float) * 100).round(1).to_numpy(),
        }
    )
    return frame.sort_values("coverage"), many


# --- village coverage (村/社区覆盖) ----------------------------------------------------------


def village_target(scenario: Scenario) -> float | None:
    """The scenario's rule "at least this share of the villages and communities of every
    county have a station within their radius" (0–1), ``None`` without it."""
    share = fmt.figure(getattr(scenario.stations, "min_village_share", None))
    return share if share else None


def villages_short(units: Any, covered: Any, target: float) -> int:
    """Villages and communities an area lacks to meet ``target``, counted as the rule
    counts them (``ceil(target × units)`` covered; :func:`planner.run.rules.village_rules`)."""
    n, hit = fmt.figure(units), fmt.figure(covered)
    if not n or hit is None:
        return 0
    return max(0, math.ceil(target * n - 1e-9) - int(hit))


def _target_text(target: float, sign: bool = True) -> str:
    """``≥ 70%`` (``≥ 72.5%`` when not a whole percent)."""
    whole = abs(target * 100 - round(target * 100)) < 1e-9
    text = fmt.share(target, 0 if whole else 1)
    return f"≥ {text}" if sign else text


def _covered_of(covered: Any, units: Any) -> str:
    """``354 / 405``: units covered of all; ``—`` with nothing to count."""
    if not fmt.figure(units):
        return fmt.MISSING
    return f"{fmt.count(covered)} / {fmt.count(units)}"


def _village_cells(k: Mapping[str, Any], target: float | None, lang: str) -> dict[str, str]:
    """An area row's village coverage (:data:`planner.plan.villages.AREA_COLUMNS`):
    the share of all units and units covered of all; with a rule, its target and
    whether the area meets it (or how many units it lacks); the shares of 社区 and 村."""
    units = k.get("village_units")
    out = {
        t("term.village_coverage", lang): fmt.share(k.get("village_coverage_share")),
        t("term.villages_covered", lang): _covered_of(k.get("village_units_covered"), units),
    }
    if target is not None:
        short = villages_short(units, k.get("village_units_covered"), target)
        met = t("term.target_short", lang, count=short) if short else t("term.target_met", lang)
        out[t("term.village_target", lang)] = _target_text(target)
        out[t("term.village_target_met", lang)] = met if fmt.figure(units) else fmt.MISSING
    out[t("term.community_coverage", lang)] = fmt.share(k.get("village_coverage_share_community"))
    out[t("term.rural_village_coverage", lang)] = fmt.share(k.get("village_coverage_share_village"))
    return out


def coverage_table(kpis: Mapping[str, Any], lang: str) -> pd.DataFrame:
    """The city's coverage: the population within the radius and the villages and
    communities with a station in reach, all, urban (社区) and rural (村). Village
    figures are ``—`` for a plan made before they were counted."""
    v = kpis.get("villages") or {}
    rows = (
        ("export.total", "coverage_share", "share", "covered", "units"),
        ("ui.res.coverage.urban", "coverage_share_urban", "community_share",
         "community_covered", "community_units"),
        ("ui.res.coverage.rural", "coverage_share_rural", "village_share",
         "village_covered", "village_units"),
    )  # fmt: skip
    return pd.DataFrame(
        [
            {
                "": t(label, lang),
                t("term.population_within_radius", lang): fmt.share(kpis.get(people)),
                t("term.village_coverage", lang): fmt.share(v.get(share)),
                t("term.villages_covered", lang): _covered_of(v.get(covered), v.get(units)),
            }
            for label, people, share, covered, units in rows
        ]
    )


def village_rule_line(plan: Plan, region: Region | None, lang: str) -> tuple[bool, str] | None:
    """Whether every county meets the scenario's village rule, and a line saying so (the
    lowest county share, or the counties short); ``None`` without a rule."""
    target = village_target(plan.scenario)
    if target is None:
        return None
    names = _names(region.counties) if region is not None else {}
    kpis = plan.county_kpis
    short = []
    if kpis is not None and len(kpis) and "village_units" in kpis:
        for r in kpis.to_dict("records"):
            n = villages_short(r["village_units"], r["village_units_covered"], target)
            if n:
                name = names.get(str(r["county_code"]), str(r["county_code"]))
                short.append(t("ui.res.village_rule_county", lang, county=name, count=n))
    if short:
        return False, t(
            "ui.res.village_rule_short", lang, target=_target_text(target, False),
            counties=fmt.clauses(short, lang),
        )  # fmt: skip
    lowest = (plan.kpis.get("villages") or {}).get("min_county_share")
    return True, t(
        "ui.res.village_rule_met", lang, target=_target_text(target, False),
        lowest=fmt.share(lowest),
    )  # fmt: skip


def _name_or_code(table: pd.DataFrame, area: str) -> list[str]:
    """Each row's ``area`` (``township``/``county``) name, its code where it has none."""
    codes = table[f"{area}_code"].astype(str)
    names = table[area] if area in table else [None] * len(table)
    return [n if isinstance(n, str) and n else c for n, c in zip(names, codes, strict=True)]


def uncovered_rows(
    plan: Plan, region: Region | None, lang: str, county: str | None = None
) -> pd.DataFrame:
    """The villages and communities without a station within their radius
    (:func:`planner.plan.villages.uncovered_villages`), of one county when ``county``
    is given: code, name, 村 or 社区, township, county, population, radius, the nearest
    station and the distance to it in whole metres (empty when none is reachable)."""
    demand = plan.demand
    if demand is None or not len(demand):
        table = pd.DataFrame(columns=["code", "name", "kind", "township_code", "county_code",
                                      "population", "radius_m", "station_id", "station_name",
                                      "distance_m"])  # fmt: skip
    else:
        table = uncovered_villages(demand, plan.sites, region)
    if county is not None:
        table = table[table["county_code"].astype(str) == str(county)]
    station = [
        fmt.MISSING if pd.isna(i) else str(n if isinstance(n, str) and n else i)
        for i, n in zip(table["station_id"], table["station_name"], strict=True)
    ]

    def whole(values: Any) -> pd.api.extensions.ExtensionArray:
        return pd.array([None if pd.isna(v) else round(float(v)) for v in values], dtype="Int64")

    return pd.DataFrame(
        {
            t("export.col.community_code", lang): table["code"].astype(str).to_numpy(),
            t("term.name", lang): table["name"].to_numpy(),
            t("term.village_or_community", lang): [
                value_label(KIND_LABEL, k, lang) for k in table["kind"]
            ],
            t("term.township", lang): _name_or_code(table, "township"),
            t("term.county", lang): _name_or_code(table, "county"),
            t("term.population", lang): whole(table["population"]),
            t("term.radius_m", lang): whole(table["radius_m"]),
            t("term.nearest_station", lang): station,
            t("term.nearest_station_m", lang): whole(table["distance_m"]),
        }
    )


# --- what the plan does with each site, and what it costs ----------------------------------

#: Header of each money figure (:data:`planner.plan.actions.MONEY_KEYS`, the budgets).
MONEY_LABEL = {
    "new_yuan": "term.new_yuan",
    "upgrade_yuan": "term.upgrade_yuan",
    "closure_yuan": "term.closure_yuan",
    "one_off_yuan": "term.one_off_yuan",
    "operation_yuan_per_year": "term.operation_yuan_per_year",
    "budget_yuan": "term.budget_yuan",
    "budget_left_yuan": "term.budget_left_yuan",
}


def _county_name(code: str | None, names: Mapping[str, Any], lang: str) -> str:
    return t("export.total", lang) if pd.isna(code) else str(names.get(code, code))


def action_table(plan: Plan, region: Region | None, lang: str) -> pd.DataFrame:
    """Sites per action and tier — 新建, 标准化改造, 保留, 关停 and the sites open after
    the plan — per county when the plan spans several, then the city's rows."""
    rows = action_rows(plan_actions(plan.kpis, plan.sites))
    if not len(rows):
        return pd.DataFrame()
    names = _names(region.counties) if region is not None else {}
    if rows["county_code"].dropna().nunique() < 2:
        rows = rows[rows["county_code"].isna()]
    out = {
        t("term.county", lang): [_county_name(c, names, lang) for c in rows["county_code"]],
        t("term.tier", lang): [value_label(TIER_LABEL, v, lang) for v in rows["tier"]],
    }
    for action in ACTION_ORDER:
        out[value_label(ACTION_LABEL, action, lang)] = rows[action].astype(int).to_numpy()
    out[t("term.open_after", lang)] = rows["open_after"].astype(int).to_numpy()
    return pd.DataFrame(out)


def cost_table(plan: Plan, region: Region | None, lang: str) -> pd.DataFrame:
    """One-off costs by action, the yearly running cost and the budgets, in yuan: a row
    per tier, per county (a plan spanning several), then the city's total with its
    budget. Empty for a plan priced before costs were kept."""
    costs = plan.kpis.get("costs") or {}
    if not costs:
        return pd.DataFrame()
    names = _names(region.counties) if region is not None else {}
    tiers = tier_cost_rows(costs)
    counties = cost_rows(costs)
    keys = [*MONEY_KEYS, "budget_yuan", "budget_left_yuan"]
    rows = [
        {"": value_label(TIER_LABEL, r["tier"], lang), **{k: r.get(k) for k in keys}}
        for r in tiers.to_dict("records")
        if not pd.isna(r["tier"])
    ]
    by_county = counties.to_dict("records")
    if sum(not pd.isna(r["county_code"]) for r in by_county) < 2:
        by_county = [r for r in by_county if pd.isna(r["county_code"])]
    rows += [{"": _county_name(r["county_code"], names, lang), **r} for r in by_county]
    return pd.DataFrame(
        {
            "": [r[""] for r in rows],
            **{t(MONEY_LABEL[k], lang): [fmt.count(r.get(k)) for r in rows] for k in keys},
        }
    )


def cost_note(kpis: Mapping[str, Any], lang: str) -> str | None:
    """The note every view showing a plan's costs carries while they rest on the
    default unit costs (planning assumptions); ``None`` once the city's are set."""
    return t("term.costs_assumed", lang) if costs_assumed(kpis) else None


#: Money rows of :func:`compare_actions`.
_COMPARE_MONEY = ("one_off_yuan", "new_yuan", "upgrade_yuan", "closure_yuan",
                  "operation_yuan_per_year")  # fmt: skip


#: Rows of :func:`compare_actions` shown even when every plan has none: new sites, the
#: one-off and the yearly cost.
_KEEP_ROWS = (
    *[action == "new" for _ in TIERS for action in ACTION_ORDER],
    *[key in ("one_off_yuan", "operation_yuan_per_year") for key in _COMPARE_MONEY],
)


def compare_actions(
    records: Sequence[StoredPlan], labels: Sequence[str], lang: str
) -> pd.DataFrame:
    """Sites per tier and action and the costs of several plans side by side, with each
    plan's difference from the first (``—`` for a plan stored before actions)."""
    values: list[tuple[str, list[float | None]]] = []
    counts = [plan_actions(r.kpis) for r in records]
    for tier in TIERS:
        for action in ACTION_ORDER:
            name = (
                f"{value_label(TIER_LABEL, tier, lang)} · {value_label(ACTION_LABEL, action, lang)}"
            )
            found = [fmt.figure(((c.get(tier) or {}) if c else {}).get(action)) for c in counts]
            values.append((name, found))
    for key in _COMPARE_MONEY:
        found = [fmt.figure((r.kpis.get("costs") or {}).get(key)) for r in records]
        values.append((t(MONEY_LABEL[key], lang), found))
    rows = []
    for (name, found), always in zip(values, _KEEP_ROWS, strict=True):
        if not always and not any(found):  # nothing of it in any plan (0 or unknown)
            continue
        row = {"": name}
        for i, (value, label) in enumerate(zip(found, labels, strict=True)):
            row[label] = fmt.count(value)
            if i:
                base = found[0]
                delta = None if value is None or base is None else value - base
                row[f"Δ {label}"] = fmt.diff(delta, "count", lang)
        rows.append(row)
    return pd.DataFrame(rows)

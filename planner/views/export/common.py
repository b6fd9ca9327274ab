"""Shared pieces of the plan exports: wording, column specs and tidy tables.

Every table an export writes (site lists, county summary, the villages and communities
without a station in reach) is built here once, with headers in the export language, so
the XLSX sheets, the CSV files, the PDF report and the app's downloads agree. Codes
(``site_id``, ``county_code``, …) are always strings.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.crs import wgs84_to_gcj02
from planner.data.regions import Region
from planner.format import CHINA_TIME, MISSING, china_time, clauses, count, share
from planner.i18n import t, value_label
from planner.plan import Plan, points_table
from planner.plan.actions import (
    action_rows,
    cost_rows,
    plan_actions,
    reasons_text,
    site_actions,
    tier_cost_rows,
    unit_cost_rows,
)
from planner.plan.quality import plan_quality
from planner.plan.review_tables import status_text
from planner.plan.villages import KIND_LABEL, city_area_columns, uncovered_villages
from planner.views.labels import (
    ACTION_LABEL,
    COLUMN_LABEL,
    EXPORT_TIER_LABEL,
    EXPORT_TIER_ONE_LABEL,
    LOCATION_QUALITY_LABEL,
    SITE_STATUS_LABEL,
    SOURCE_LABEL,
)
from planner.views.text import area_names

__all__ = [
    "ACTION_COLUMNS",
    "CENTRE_COLUMNS",
    "CENTRE_MARKET_COLUMNS",
    "COST_COLUMNS",
    "COUNTY_COLUMNS",
    "MARKET_COLUMNS",
    "STATION_COLUMNS",
    "TIER_COST_COLUMNS",
    "UNCOVERED_COLUMNS",
    "UNIT_COST_COLUMNS",
    "Column",
    "action_table",
    "area_rows",
    "as_code",
    "cost_tables",
    "county_table",
    "dates_line",
    "file_stem",
    "map_title",
    "metric_layers",
    "site_columns",
    "site_table",
    "sources_line",
    "tier_label",
    "uncovered_table",
]


@dataclass(frozen=True)
class Column:
    """One exported column.

    Attributes
    ----------
    key
        Column of the source frame.
    kind
        ``code`` (text, leading zeros kept), ``text``, ``int``, ``float`` (2 decimals),
        ``float3`` (3 decimals),
        ``pct`` (share 0–1), ``coord`` (7 decimals), ``money`` (yuan, 2 decimals).
    """

    key: str
    kind: str

    def header(self, lang: str) -> str:
        """Header text in ``lang``."""
        return t(COLUMN_LABEL[self.key], lang)


def _cols(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


STATION_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "community_code:code status:text action:text reasons:text source:text "
    "location_quality:text served_population:int served_households:int served_communities:int "
    "tonnage_t_per_day:float centre_id:code centre_name:text distance_to_centre_m:int "
    "cost_yuan:money operation_yuan_per_year:money lon:coord lat:coord "
    "lon_gcj02:coord lat_gcj02:coord review_status:text reviewer:text review_reason:text "
    "review_at:text"
)
CENTRE_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "status:text action:text reasons:text source:text location_quality:text "
    "served_stations:int "
    "load_t_per_day:float capacity_t_per_day:float utilisation:pct cost_yuan:money "
    "operation_yuan_per_year:money lon:coord lat:coord lon_gcj02:coord lat_gcj02:coord "
    "review_status:text reviewer:text review_reason:text review_at:text"
)
#: The markets (集散交易市场) of a plan with a market tier, and the columns the
#: sorting-centre table adds in such plans (the market each centre delivers to).
MARKET_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "served_centres:int load_t_per_day:float capacity_t_per_day:float utilisation:pct "
    "lon:coord lat:coord lon_gcj02:coord lat_gcj02:coord"
)
CENTRE_MARKET_COLUMNS = _cols("market_id:code market_name:text distance_to_market_m:int")
#: Sites per action, a row per county and tier, then the city's
#: (:func:`planner.plan.actions.action_rows`).
ACTION_COLUMNS = _cols(
    "county_code:code county:text tier:text new:int upgrade:int keep:int close:int open_after:int"
)
#: Money per tier, then both (:func:`planner.plan.actions.tier_cost_rows`).
TIER_COST_COLUMNS = _cols(
    "tier:text new_yuan:money upgrade_yuan:money closure_yuan:money one_off_yuan:money "
    "operation_yuan_per_year:money"
)
#: Money and budgets per county, then the city's (:func:`planner.plan.actions.cost_rows`).
COST_COLUMNS = _cols(
    "county_code:code county:text new_yuan:money upgrade_yuan:money closure_yuan:money "
    "one_off_yuan:money operation_yuan_per_year:money budget_yuan:money "
    "budget_left_yuan:money"
)
#: The unit costs of one site per tier (:func:`planner.plan.actions.unit_cost_rows`).
UNIT_COST_COLUMNS = _cols(
    "tier:text new_yuan:money upgrade_yuan:money closure_yuan:money operation_yuan_per_year:money"
)
COUNTY_COLUMNS = _cols(
    "county_code:code county:text population:int households:int communities:int "
    "stations:int sorting_centres:int coverage_share:pct coverage_share_urban:pct "
    "coverage_share_rural:pct mean_distance_m:int p95_distance_m:int max_distance_m:int "
    "stations_per_1000_households:float3 uncovered_communities:int uncovered_population:int "
    "village_units_covered:int village_coverage_share:pct village_coverage_share_community:pct "
    "village_coverage_share_village:pct"
)
#: The villages and communities without a station within their radius, with the nearest
#: station (:func:`planner.plan.villages.uncovered_villages`).
UNCOVERED_COLUMNS = _cols(
    "code:code name:text kind:text township:text township_code:code county:text "
    "county_code:code population:int radius_m:int nearest_station:text "
    "nearest_station_id:code nearest_station_m:int lon:coord lat:coord"
)


def tier_label(tier: str, lang: str, plural: bool = True) -> str:
    """``回收站点`` / ``Recycling stations`` etc."""
    return value_label(EXPORT_TIER_LABEL if plural else EXPORT_TIER_ONE_LABEL, tier, lang)


def as_code(value: Any) -> str | None:
    """A code as text (``None`` stays ``None``; ``350582.0`` never happens to a str)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _value(value: Any, kind: str) -> Any:
    """Python value of one cell for ``kind`` (``None`` for missing)."""
    if kind == "code":
        return as_code(value)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "text":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    if kind == "int":
        return round(number)
    if kind == "coord":
        return round(number, 7)
    if kind == "float":
        return round(number, 2)
    if kind == "float3":
        return round(number, 3)
    if kind == "money":
        return round(number, 2)
    return round(number, 6)  # pct: the share itself (0–1); formats show it as a percentage


def _frame(rows: pd.DataFrame, columns: tuple[Column, ...], lang: str) -> pd.DataFrame:
    """Cast ``rows`` to the export kinds and rename to ``lang`` headers (object dtype)."""
    data = {}
    for col in columns:
        values = rows[col.key] if col.key in rows else pd.Series([None] * len(rows))
        data[col.header(lang)] = pd.Series(
            [_value(v, col.kind) for v in values], dtype=object, index=range(len(rows))
        )
    return pd.DataFrame(data, columns=[c.header(lang) for c in columns])


def site_table(
    plan: Plan,
    tier: str,
    lang: str = "zh",
    region: Region | None = None,
    review: Mapping[tuple[str, str], Any] | None = None,
) -> pd.DataFrame:
    """The sites of ``tier`` as an export table (headers in ``lang``, codes as text).

    Parameters
    ----------
    plan
        The plan.
    tier
        ``station``, ``sorting_centre`` or ``market``.
    lang
        Header and value language.
    region
        Supplies county and township names; without it those columns stay empty.
    review
        The scenario's review states by ``(tier, site_id)``
        (:meth:`planner.store.Store.review_states`): each site's review status (with
        its lock), reviewer, reason and time (a site without a decision is pending);
        without it (an export outside the app) those columns stay empty.

    Notes
    -----
    Coordinates come in WGS84 (the plan's system) and in GCJ-02, which Amap and
    Tencent maps use: planners paste those into the map they work with.
    """
    rows = points_table(plan.sites[plan.sites["tier"] == tier].reset_index(drop=True))
    if len(rows):
        gx, gy = wgs84_to_gcj02(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
        rows["lon_gcj02"], rows["lat_gcj02"] = np.asarray(gx), np.asarray(gy)
    _with_review(rows, tier, review, lang)
    counties, towns = area_names(region, "counties"), area_names(region, "townships")
    rows["county"] = rows["county_code"].map(lambda c: counties.get(as_code(c) or ""))
    rows["township"] = rows["township_code"].map(lambda c: towns.get(as_code(c) or ""))
    rows["action"] = [value_label(ACTION_LABEL, a, lang) for a in site_actions(rows)]
    rows["reasons"] = [
        reasons_text(r, lang)
        for r in (rows["reasons"] if "reasons" in rows else [None] * len(rows))
    ]
    rows["status"] = rows["status"].map(lambda s: value_label(SITE_STATUS_LABEL, s, lang))
    rows["source"] = rows["source"].map(lambda s: value_label(SOURCE_LABEL, s, lang))
    if "location_quality" in rows:  # plans saved before issue 19 lack it
        rows["location_quality"] = rows["location_quality"].map(
            lambda s: value_label(LOCATION_QUALITY_LABEL, s, lang)
        )
    centre_names = dict(
        zip(plan.centres["site_id"].astype(str), plan.centres["name"].astype(str), strict=True)
    )
    if "centre_id" in rows:
        rows["centre_name"] = rows["centre_id"].map(lambda c: centre_names.get(as_code(c) or ""))
    if "market_id" in rows:
        market_names = dict(
            zip(plan.markets["site_id"].astype(str), plan.markets["name"].astype(str), strict=True)
        )
        rows["market_name"] = rows["market_id"].map(lambda c: market_names.get(as_code(c) or ""))
    if "load_t_per_day" in rows and "capacity_t_per_day" in rows:
        cap = pd.to_numeric(rows["capacity_t_per_day"], errors="coerce")
        rows["utilisation"] = pd.to_numeric(rows["load_t_per_day"], errors="coerce") / cap.where(
            cap > 0
        )
    return _frame(rows, site_columns(plan, tier), lang)


def _with_review(rows: pd.DataFrame, tier: str, review: Mapping | None, lang: str) -> None:
    """Each site's review status, reviewer, reason and time (China Standard Time)."""
    if review is None:
        for col in ("review_status", "reviewer", "review_reason", "review_at"):
            rows[col] = ""
        return
    states = [review.get((tier, str(s))) for s in rows.get("site_id", pd.Series(dtype=str))]
    rows["review_status"] = [
        status_text(s.status, bool(s.locked), lang) if s is not None
        else status_text("pending", False, lang)
        for s in states
    ]  # fmt: skip
    rows["reviewer"] = [s.reviewer if s is not None else "" for s in states]
    rows["review_reason"] = [s.reason if s is not None else "" for s in states]
    rows["review_at"] = [china_time(s.at) if s is not None and s.at else "" for s in states]


def site_columns(plan: Plan, tier: str) -> tuple[Column, ...]:
    """The export columns of ``tier``'s sites; a plan with a market tier adds each
    centre's market, a phased plan each site's year."""
    if tier == "market":
        return MARKET_COLUMNS
    columns = STATION_COLUMNS if tier == "station" else CENTRE_COLUMNS
    if tier != "station" and (len(plan.markets) or plan.market_links is not None):
        columns = columns + CENTRE_MARKET_COLUMNS
    return _with_year(plan, columns)


def _with_year(plan: Plan, columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """``columns`` with ``year`` after the site id when the plan was phased."""
    from planner.views.export.phasing_tables import YEAR_COLUMN, has_years

    if not has_years(plan):
        return columns
    return (columns[0], YEAR_COLUMN, *columns[1:])


def area_rows(
    plan: Plan, layer: str = "counties", region: Region | None = None, lang: str = "zh",
    total: bool = True,
) -> pd.DataFrame:  # fmt: skip
    """Indicators per county or township, sorted by code, with the areas' names.

    The one source of the per-area tables of the exports (the county sheet and CSV,
    the report's county and township tables).

    Parameters
    ----------
    plan
        The plan (:attr:`~planner.plan.Plan.county_kpis` or ``township_kpis``).
    layer
        ``counties`` or ``townships``.
    region
        Supplies the names: a ``county`` column, and for townships also ``township``
        (empty without a region).
    lang
        Language of the total row's name.
    total
        Add a city total row (``county`` = "合计"/"Total", no code) from
        :attr:`~planner.plan.Plan.kpis`.
    """
    by = "county_code" if layer == "counties" else "township_code"
    rows = (plan.county_kpis if layer == "counties" else plan.township_kpis).copy()
    if by not in rows:
        rows[by] = pd.Series(dtype=object)
    counties = area_names(region, "counties")
    if layer == "counties":
        rows["county"] = rows["county_code"].map(lambda c: counties.get(as_code(c) or ""))
    else:
        towns = area_names(region, "townships")
        county_of = {}
        if region is not None:
            codes = region.townships["code"].astype(str)
            county_of = dict(zip(codes, region.townships["county_code"].astype(str), strict=True))
        rows["township"] = rows[by].map(lambda c: towns.get(as_code(c) or ""))
        rows["county"] = rows[by].map(lambda c: counties.get(county_of.get(as_code(c) or "", "")))
    rows = rows.sort_values(by, key=lambda s: s.astype(str)).reset_index(drop=True)
    if total and plan.kpis:
        city = {k: v for k, v in plan.kpis.items() if np.isscalar(v)}
        city.update(city_area_columns(plan.kpis))
        city.update({by: None, "county": t("export.total", lang)})
        rows = pd.concat([rows, pd.DataFrame([city])], ignore_index=True)
    return rows


def county_table(
    plan: Plan, lang: str = "zh", region: Region | None = None, total: bool = True
) -> pd.DataFrame:
    """Indicators per county (one row each), plus a city total row when ``total``."""
    return _frame(area_rows(plan, "counties", region, lang, total), COUNTY_COLUMNS, lang)


def uncovered_table(
    plan: Plan, lang: str = "zh", region: Region | None = None, county: str | None = None
) -> pd.DataFrame:
    """The villages and communities without a station within their radius (of one
    county when ``county`` is given), each with its nearest station and the distance to
    it, by county, township and code: the list a county arranges mobile collection
    (流动回收) from."""
    columns = [c.key for c in UNCOVERED_COLUMNS]
    if plan.demand is None or not len(plan.demand):
        return _frame(pd.DataFrame(columns=columns), UNCOVERED_COLUMNS, lang)
    rows = uncovered_villages(plan.demand, plan.sites, region).rename(
        columns={"station_id": "nearest_station_id", "station_name": "nearest_station",
                 "distance_m": "nearest_station_m"}
    )  # fmt: skip
    if county is not None:
        rows = rows[rows["county_code"].astype(str) == str(county)].reset_index(drop=True)
    rows["kind"] = [value_label(KIND_LABEL, k, lang) for k in rows["kind"]]
    return _frame(rows, UNCOVERED_COLUMNS, lang)


def action_table(plan: Plan, lang: str = "zh", region: Region | None = None) -> pd.DataFrame:
    """Sites per action (新建 / 标准化改造 / 保留 / 关停, and open after the plan): a
    row per county and tier, then the city's (``county`` "合计"/"Total", no code)."""
    rows = action_rows(plan_actions(plan.kpis, plan.sites))
    counties = area_names(region, "counties")
    rows["county"] = [
        t("export.total", lang) if pd.isna(c) else counties.get(c) for c in rows["county_code"]
    ]
    rows["tier"] = [tier_label(v, lang) for v in rows["tier"]]
    return _frame(rows, ACTION_COLUMNS, lang)


def cost_tables(
    plan: Plan, lang: str = "zh", region: Region | None = None
) -> dict[str, pd.DataFrame]:
    """The plan's costs in yuan as export tables: ``tiers`` (one-off by action and yearly,
    per tier and both), ``counties`` (the same per county with the budgets, then the
    city's) and ``units`` (the unit costs it was priced with). Empty for a plan priced
    before costs were kept."""
    costs = plan.kpis.get("costs") or {}
    if not costs:
        return {}
    total = t("export.total", lang)
    tiers = tier_cost_rows(costs)
    tiers["tier"] = [total if pd.isna(v) else tier_label(v, lang) for v in tiers["tier"]]
    by_county = cost_rows(costs)
    names = area_names(region, "counties")
    by_county["county"] = [total if pd.isna(c) else names.get(c) for c in by_county["county_code"]]
    units = unit_cost_rows(costs)
    units["tier"] = [tier_label(v, lang) for v in units["tier"]]
    return {
        "tiers": _frame(tiers, TIER_COST_COLUMNS, lang),
        "counties": _frame(by_county, COST_COLUMNS, lang),
        "units": _frame(units, UNIT_COST_COLUMNS, lang),
    }


def file_stem(plan: Plan) -> str:
    """ASCII file-name stem of a plan's exports (its region id)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(plan.scenario.region)) or "plan"


@dataclass(frozen=True)
class MapNotice:
    """What a government report's map must state when it has them: the map approval
    number (审图号) and the base map's statement (e.g. "本图基于…标准地图制作，底图无修改").
    Printed on the map sheet and the report when set; empty by default."""

    approval: str = ""
    statement: str = ""

    def lines(self, lang: str) -> list[str]:
        """The notice's lines in ``lang`` (none when nothing is set)."""
        out = []
        if self.approval.strip():
            out.append(t("export.map.approval", lang, number=self.approval.strip()))
        if self.statement.strip():
            out.append(self.statement.strip())
        return out


def sources_line(region: Region, lang: str) -> str:
    """``数据来源：…`` from the region's ``sources`` metadata (``sources_zh`` in Chinese
    when the region has it)."""
    sources = (lang == "zh" and region.meta.get("sources_zh")) or region.meta.get("sources")
    sources = sources or [region.name(lang)]
    return t("export.sources", lang, sources=clauses(sources, lang))


def dates_line(plan: Plan, lang: str, today: dt.date | None = None) -> str:
    """``规划生成时间：…（北京时间）；导出日期：…``, in China Standard Time."""
    created = china_time(plan.created_at) if plan.created_at else MISSING
    today = today or dt.datetime.now(CHINA_TIME).date()
    return t("export.dates", lang, created=created, today=today.isoformat())


#: The station objective in a report's words.
_OBJECTIVE_TEXT = {
    "p_median": "ui.sc.objective.p_median",
    "mclp": "ui.sc.objective.mclp",
    "set_cover": "ui.sc.objective.set_cover",
}


def scenario_summary(plan: Plan, lang: str) -> str:
    """The scenario's main parameters in one line: stations and their objective, radii,
    sorting centres and their throughput."""
    s, c = plan.scenario.stations, plan.scenario.centres
    stations = count(s.count) if s.count is not None else count(len(plan.stations))
    return t(
        "export.about.parameters_text",
        lang,
        stations=stations,
        objective=t(_OBJECTIVE_TEXT.get(s.objective, "ui.sc.objective.p_median"), lang),
        urban=t("unit.m", lang, value=count(s.radius_urban_m)),
        rural=t("unit.m", lang, value=count(s.radius_rural_m)),
        centres=count(c.count),
        capacity=count(c.capacity_t_per_day),
    )


def run_summary(plan: Plan, lang: str) -> str:
    """When the plan was computed (China Standard Time), how long it took, and how good
    it is (:func:`planner.plan.quality.plan_quality`)."""
    seconds = sum(float(r.seconds or 0) for r in plan.results)
    _, quality = plan_quality([r.__dict__ for r in plan.results], lang)
    created = china_time(plan.created_at) if plan.created_at else MISSING
    return t("export.about.run_text", lang, created=created, seconds=f"{seconds:,.0f}",
             quality=quality)  # fmt: skip


def map_title(plan: Plan, region: Region, lang: str) -> tuple[str, str]:
    """Title and subtitle (scenario and key figures) of the map sheet and exported map."""
    title = t("export.map.title", lang, region=region.name(lang))
    k = plan.kpis
    summary = t(
        "export.map.summary",
        lang,
        stations=count(k.get("stations", len(plan.stations))),
        centres=count(k.get("sorting_centres", len(plan.centres))),
        coverage=share(k.get("coverage_share")),
        mean=count(k.get("mean_distance_m")),
    )
    name = plan.scenario.name or ""
    return title, f"{name} — {summary}" if name else summary


def metric_layers(region: Region, plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    """Counties, townships, open sites (``stations``, ``centres``), the sites the plan
    closes (``closed``) and links in the region's metric CRS (for drawing)."""
    crs = region.metric_crs
    return {
        "counties": region.counties.to_crs(crs),
        "townships": region.townships.to_crs(crs),
        "stations": plan.stations.to_crs(crs),
        "centres": plan.centres.to_crs(crs),
        "closed": plan.closed.to_crs(crs),
        "links": plan.links.to_crs(crs) if len(plan.links) and plan.links.crs else plan.links,
    }

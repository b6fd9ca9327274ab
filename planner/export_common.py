"""Shared pieces of the plan exports: wording, column specs and tidy tables.

Every table an export writes (site lists, county summary) is built here once, with
headers in the export language, so the XLSX sheets, the CSV files and the PDF report
agree. Codes (``site_id``, ``county_code``, …) are always strings.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.i18n import register, t
from planner.plan import Plan
from planner.regions import Region

__all__ = [
    "CENTRE_COLUMNS",
    "COUNTY_COLUMNS",
    "STATION_COLUMNS",
    "Column",
    "as_code",
    "county_table",
    "file_stem",
    "site_table",
    "sources_line",
    "tier_label",
]

register(
    {
        # Tiers and values
        "export.tier.station": {"zh": "回收站点", "en": "Recycling stations"},
        "export.tier.sorting_centre": {"zh": "分拣中心", "en": "Sorting centres"},
        "export.tier.one.station": {"zh": "回收站点", "en": "Recycling station"},
        "export.tier.one.sorting_centre": {"zh": "分拣中心", "en": "Sorting centre"},
        "export.status.proposed": {"zh": "新建", "en": "Proposed"},
        "export.status.existing_keep": {"zh": "保留现有", "en": "Existing (kept)"},
        "export.source.community": {"zh": "村/社区", "en": "Community / village"},
        "export.source.township_seat": {"zh": "乡镇驻地", "en": "Township seat"},
        "export.source.grid": {"zh": "网格候选点", "en": "Grid candidate"},
        "export.source.existing": {"zh": "现有站点", "en": "Existing site"},
        "export.source.user": {"zh": "用户提供", "en": "Supplied by user"},
        "export.total": {"zh": "合计", "en": "Total"},
        # Column headers
        "export.col.site_id": {"zh": "站点编码", "en": "Site code"},
        "export.col.name": {"zh": "名称", "en": "Name"},
        "export.col.county": {"zh": "区县", "en": "County"},
        "export.col.county_code": {"zh": "区县编码", "en": "County code"},
        "export.col.township": {"zh": "乡镇/街道", "en": "Township"},
        "export.col.township_code": {"zh": "乡镇/街道编码", "en": "Township code"},
        "export.col.community_code": {"zh": "村/社区编码", "en": "Community code"},
        "export.col.status": {"zh": "状态", "en": "Status"},
        "export.col.source": {"zh": "候选来源", "en": "Candidate source"},
        "export.col.served_population": {"zh": "服务人口", "en": "Population served"},
        "export.col.served_households": {"zh": "服务户数", "en": "Households served"},
        "export.col.served_communities": {
            "zh": "服务村/社区数",
            "en": "Communities served",
        },
        "export.col.tonnage_t_per_day": {
            "zh": "回收量（吨/日）",
            "en": "Recyclables (t/day)",
        },
        "export.col.centre_id": {"zh": "所属分拣中心编码", "en": "Sorting centre code"},
        "export.col.centre_name": {"zh": "所属分拣中心", "en": "Sorting centre"},
        "export.col.distance_to_centre_m": {
            "zh": "至分拣中心距离（米）",
            "en": "Distance to centre (m)",
        },
        "export.col.served_stations": {"zh": "服务站点数", "en": "Stations served"},
        "export.col.load_t_per_day": {"zh": "负荷（吨/日）", "en": "Load (t/day)"},
        "export.col.capacity_t_per_day": {
            "zh": "处理能力（吨/日）",
            "en": "Capacity (t/day)",
        },
        "export.col.utilisation": {"zh": "负荷率", "en": "Utilisation"},
        "export.col.lon": {"zh": "经度（WGS84）", "en": "Longitude (WGS84)"},
        "export.col.lat": {"zh": "纬度（WGS84）", "en": "Latitude (WGS84)"},
        "export.col.population": {"zh": "人口", "en": "Population"},
        "export.col.households": {"zh": "户数", "en": "Households"},
        "export.col.communities": {"zh": "村/社区数", "en": "Communities"},
        "export.col.stations": {"zh": "回收站点数", "en": "Stations"},
        "export.col.sorting_centres": {"zh": "分拣中心数", "en": "Sorting centres"},
        "export.col.coverage_share": {
            "zh": "半径内人口覆盖率",
            "en": "Population within radius",
        },
        "export.col.coverage_share_urban": {"zh": "城镇覆盖率", "en": "Urban coverage"},
        "export.col.coverage_share_rural": {"zh": "农村覆盖率", "en": "Rural coverage"},
        "export.col.mean_distance_m": {"zh": "平均距离（米）", "en": "Mean distance (m)"},
        "export.col.p95_distance_m": {
            "zh": "95% 分位距离（米）",
            "en": "95th pct. distance (m)",
        },
        "export.col.max_distance_m": {"zh": "最大距离（米）", "en": "Max distance (m)"},
        "export.col.stations_per_1000_households": {
            "zh": "每千户站点数",
            "en": "Stations per 1,000 households",
        },
        "export.col.uncovered_communities": {
            "zh": "半径外村/社区数",
            "en": "Communities outside radius",
        },
        "export.col.uncovered_population": {
            "zh": "半径外人口",
            "en": "Population outside radius",
        },
        # Source / date lines shared by the map and the report
        "export.sources": {"zh": "数据来源：{sources}", "en": "Data sources: {sources}"},
        "export.dates": {
            "zh": "规划生成时间：{created}；导出日期：{today}",
            "en": "Plan computed: {created}; exported: {today}",
        },
        "export.approximate": {
            "zh": "注：乡镇与村/社区的边界和点位为近似生成、人口为估算值，"
            "非官方数据，仅供规划参考。",
            "en": "Note: township and community boundaries and points are approximate "
            "(generated) and their population is an estimate; not official data.",
        },
    }
)


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
        ``pct`` (share 0–1), ``coord`` (7 decimals).
    """

    key: str
    kind: str

    def header(self, lang: str) -> str:
        """Header text in ``lang``."""
        return t(f"export.col.{self.key}", lang)


def _cols(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


STATION_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "community_code:code status:text source:text served_population:int "
    "served_households:int served_communities:int tonnage_t_per_day:float centre_id:code "
    "centre_name:text distance_to_centre_m:int lon:coord lat:coord"
)
CENTRE_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "status:text source:text served_stations:int load_t_per_day:float "
    "capacity_t_per_day:float utilisation:pct lon:coord lat:coord"
)
COUNTY_COLUMNS = _cols(
    "county_code:code county:text population:int households:int communities:int "
    "stations:int sorting_centres:int coverage_share:pct coverage_share_urban:pct "
    "coverage_share_rural:pct mean_distance_m:int p95_distance_m:int max_distance_m:int "
    "stations_per_1000_households:float3 uncovered_communities:int uncovered_population:int"
)


def tier_label(tier: str, lang: str, plural: bool = True) -> str:
    """``回收站点`` / ``Recycling stations`` etc."""
    return t(f"export.tier.{tier}" if plural else f"export.tier.one.{tier}", lang)


def as_code(value: Any) -> str | None:
    """A code as text (``None`` stays ``None``; ``350582.0`` never happens to a str)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _value(value: Any, kind: str) -> Any:
    """Python value of one cell for ``kind`` (``None`` for missing)."""
    if kind == "code":
        return as_code(value)
    if value is None or value is pd.NA:
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


def _names(region: Region | None, layer: str) -> dict[str, str]:
    if region is None:
        return {}
    frame = getattr(region, layer)
    return dict(zip(frame["code"].astype(str), frame["name"].astype(str), strict=True))


def site_table(
    plan: Plan, tier: str, lang: str = "zh", region: Region | None = None
) -> pd.DataFrame:
    """The sites of ``tier`` as an export table (headers in ``lang``, codes as text).

    Parameters
    ----------
    plan
        The plan.
    tier
        ``station`` or ``sorting_centre``.
    lang
        Header and value language.
    region
        Supplies county and township names; without it those columns stay empty.
    """
    sites = plan.sites[plan.sites["tier"] == tier].reset_index(drop=True)
    rows = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    counties, towns = _names(region, "counties"), _names(region, "townships")
    rows["county"] = rows["county_code"].map(lambda c: counties.get(as_code(c) or ""))
    rows["township"] = rows["township_code"].map(lambda c: towns.get(as_code(c) or ""))
    rows["status"] = rows["status"].map(lambda s: t(f"export.status.{s}", lang))
    rows["source"] = rows["source"].map(lambda s: t(f"export.source.{s}", lang))
    centre_names = dict(
        zip(plan.centres["site_id"].astype(str), plan.centres["name"].astype(str), strict=True)
    )
    if "centre_id" in rows:
        rows["centre_name"] = rows["centre_id"].map(lambda c: centre_names.get(as_code(c) or ""))
    if "load_t_per_day" in rows and "capacity_t_per_day" in rows:
        cap = pd.to_numeric(rows["capacity_t_per_day"], errors="coerce")
        rows["utilisation"] = pd.to_numeric(rows["load_t_per_day"], errors="coerce") / cap.where(
            cap > 0
        )
    rows["lon"] = sites.geometry.x.to_numpy() if len(sites) else []
    rows["lat"] = sites.geometry.y.to_numpy() if len(sites) else []
    columns = STATION_COLUMNS if tier == "station" else CENTRE_COLUMNS
    return _frame(rows, columns, lang)


def county_table(
    plan: Plan, lang: str = "zh", region: Region | None = None, total: bool = True
) -> pd.DataFrame:
    """Indicators per county (one row each), plus a city total row when ``total``."""
    rows = plan.county_kpis.copy()
    if "county_code" not in rows:
        rows["county_code"] = pd.Series(dtype=object)
    names = _names(region, "counties")
    rows["county"] = rows["county_code"].map(lambda c: names.get(as_code(c) or ""))
    rows = rows.sort_values("county_code", key=lambda s: s.astype(str)).reset_index(drop=True)
    if total and plan.kpis:
        city = {k: v for k, v in plan.kpis.items() if np.isscalar(v)}
        city.update(county_code=None, county=t("export.total", lang))
        rows = pd.concat([rows, pd.DataFrame([city])], ignore_index=True)
    return _frame(rows, COUNTY_COLUMNS, lang)


def file_stem(plan: Plan) -> str:
    """ASCII file-name stem of a plan's exports (its region id)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(plan.scenario.region)) or "plan"


def sources_line(region: Region, lang: str) -> str:
    """``数据来源：…`` from the region's ``sources`` metadata."""
    sources = region.meta.get("sources") or [region.name(lang)]
    sep = "；" if lang == "zh" else "; "
    return t("export.sources", lang, sources=sep.join(str(s) for s in sources))


def dates_line(plan: Plan, lang: str, today: dt.date | None = None) -> str:
    """``规划生成时间：…；导出日期：…``."""
    created = (plan.created_at or "—").replace("T", " ").replace("+00:00", " UTC")
    today = today or dt.date.today()
    return t("export.dates", lang, created=created, today=today.isoformat())


def metric_layers(region: Region, plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    """Counties, townships, sites and links in the region's metric CRS (for drawing)."""
    crs = region.metric_crs
    return {
        "counties": region.counties.to_crs(crs),
        "townships": region.townships.to_crs(crs),
        "stations": plan.stations.to_crs(crs),
        "centres": plan.centres.to_crs(crs),
        "links": plan.links.to_crs(crs) if len(plan.links) and plan.links.crs else plan.links,
    }

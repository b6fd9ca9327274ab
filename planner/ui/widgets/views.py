"""Pieces shared by the run, results and compare pages: labels, KPI rows, cached plans
and maps, tier status tables and diagnoses."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.plan.kpi import distance_mode_text
from planner.scenario import Scenario
from planner.store import PlanRecord, Store
from planner.ui.state import (
    WORKING_REGION,
    _cached_region,
    _pack_stamp,
    keep_choice,
    lang,
    tr,
)
from planner.views import BASEMAPS, isolate_map, plan_map, to_html

# --- formatting ---------------------------------------------------------------------------


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_count(value: Any) -> str:
    number = _finite(value)
    return "—" if number is None else f"{number:,.0f}"


def fmt_share(value: Any) -> str:
    number = _finite(value)
    return "—" if number is None else f"{number:.1%}"


def fmt_metres(value: Any, lang_: str | None = None) -> str:
    number = _finite(value)
    if number is None:
        return "—"
    return t("unit.m", lang_ or lang(), value=f"{number:,.0f}")


def local_time(stamp: str) -> str:
    """An ISO UTC timestamp as local ``YYYY-MM-DD HH:MM``."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(stamp)


def plan_label(record: PlanRecord) -> str:
    """``scenario · time (#id)``."""
    return tr(
        "ui.plan.label",
        name=record.scenario_name,
        time=local_time(record.created_at),
        id=record.id,
    )


#: KPI rows of the compare table: (kpi key, label key, kind).
KPI_ROWS: tuple[tuple[str, str, str], ...] = (
    ("stations", "ui.kpi.stations", "count"),
    ("sorting_centres", "ui.kpi.sorting_centres", "count"),
    ("coverage_share", "ui.kpi.coverage_share", "share"),
    ("coverage_share_urban", "ui.kpi.coverage_share_urban", "share"),
    ("coverage_share_rural", "ui.kpi.coverage_share_rural", "share"),
    ("mean_distance_m", "ui.kpi.mean_distance_m", "metres"),
    ("p95_distance_m", "ui.kpi.p95_distance_m", "metres"),
    ("max_distance_m", "ui.kpi.max_distance_m", "metres"),
    ("uncovered_communities", "ui.kpi.uncovered_communities", "count"),
    ("uncovered_population", "ui.kpi.uncovered_population", "count"),
    ("stations_per_10k_households", "ui.kpi.stations_per_10k_households", "ratio"),
    ("centre_load_t_per_day", "ui.kpi.centre_load_t_per_day", "ratio"),
    ("max_centre_utilisation", "ui.kpi.max_centre_utilisation", "share"),
)


def kpi_value(kpis: dict, key: str) -> float | None:
    if key == "stations_per_10k_households":
        value = _finite(kpis.get("stations_per_1000_households"))
        return None if value is None else value * 10
    return _finite(kpis.get(key))


def fmt_kpi(value: float | None, kind: str, lang_: str) -> str:
    if value is None:
        return "—"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "metres":
        return t("unit.m", lang_, value=f"{value:,.0f}")
    if kind == "ratio":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def fmt_diff(delta: float | None, kind: str, lang_: str) -> str:
    if delta is None:
        return "—"
    if abs(delta) < 1e-12:
        return "0"
    sign = "+" if delta > 0 else "−"
    size = abs(delta)
    if kind == "share":
        return sign + t("unit.pp", lang_, value=f"{size * 100:.1f}")
    if kind == "metres":
        return sign + t("unit.m", lang_, value=f"{size:,.0f}")
    if kind == "ratio":
        return f"{sign}{size:,.2f}"
    return f"{sign}{size:,.0f}"


def compare_table(records: Sequence[PlanRecord], labels: Sequence[str], lang_: str) -> pd.DataFrame:
    """KPIs of several plans side by side, with each plan's difference from the first."""
    first = records[0]
    rows = []
    for key, label, kind in KPI_ROWS:
        row = {"": t(label, lang_)}
        base = kpi_value(first.kpis, key)
        for i, (record, name) in enumerate(zip(records, labels, strict=True)):
            value = kpi_value(record.kpis, key)
            row[name] = fmt_kpi(value, kind, lang_)
            if i:
                delta = None if value is None or base is None else value - base
                row[f"Δ {name}"] = fmt_diff(delta, kind, lang_)
        rows.append(row)
    mode = {"": t("kpi.distance_mode", lang_)}
    for i, (record, name) in enumerate(zip(records, labels, strict=True)):
        mode[name] = distance_mode_text(record.kpis, lang_)
        if i:
            mode[f"Δ {name}"] = ""
    rows.append(mode)
    status = {"": t("ui.kpi.status", lang_)}
    seconds = {"": t("ui.kpi.seconds", lang_)}
    for i, (record, name) in enumerate(zip(records, labels, strict=True)):
        status[name] = t(f"ui.status.{record.status}", lang_)
        seconds[name] = (
            t("unit.s", lang_, value=f"{record.seconds:,.1f}") if record.seconds else "—"
        )
        if i:
            status[f"Δ {name}"] = ""
            seconds[f"Δ {name}"] = ""
    rows += [status, seconds]
    return pd.DataFrame(rows)


# --- tiers and diagnoses ------------------------------------------------------------------


def tier_table(results: Sequence[dict], lang_: str) -> pd.DataFrame:
    """The solver's status, objective, bound and gap per tier."""
    rows = []
    for r in results:
        gap = _finite(r.get("gap"))
        rows.append(
            {
                t("ui.tiers.col.tier", lang_): t(f"ui.tier.{r.get('tier')}", lang_),
                t("ui.tiers.col.status", lang_): t(f"ui.status.{r.get('status')}", lang_),
                t("ui.tiers.col.objective", lang_): fmt_count(r.get("objective")),
                t("ui.tiers.col.bound", lang_): fmt_count(r.get("bound")),
                t("ui.tiers.col.gap", lang_): "—" if gap is None else f"{gap:.2%}",
                t("ui.tiers.col.seconds", lang_): f"{float(r.get('seconds') or 0):,.1f}",
            }
        )
    return pd.DataFrame(rows)


def show_results(results: Sequence[dict]) -> None:
    """Tier table and every diagnosis in plain words (errors when a tier has no plan)."""
    st.dataframe(tier_table(results, lang()), hide_index=True, width="stretch")
    for r in results:
        has_plan = r.get("status") in ("optimal", "time_limit_feasible")
        for d in r.get("diagnoses") or ():
            text = d.get(lang()) or d.get("zh") or ""
            prefix = t(f"ui.tier.{r.get('tier')}", lang())
            (st.info if has_plan else st.error)(
                f"{prefix}：{text}" if lang() == "zh" else f"{prefix}: {text}"
            )
    if len(results) == 1 and results[0].get("status") not in ("optimal", "time_limit_feasible"):
        st.caption(tr("ui.tiers.not_run"))


# --- cached plans and maps -------------------------------------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def load_plan(db: str, plan_id: int) -> Plan:
    """A stored plan (cached: stored plans never change)."""
    return Store(db).load_plan(plan_id)


@st.cache_data(max_entries=16, show_spinner=False)
def plan_zip(db: str, plan_id: int) -> bytes:
    return Store(db).plan_zip(plan_id)


@st.cache_data(max_entries=24, show_spinner=False)
def _cached_map(
    db: str, plan_id: int, region_id: str, stamp: int, lang_: str, options: tuple
) -> str:
    region = None
    if region_id:
        try:
            region = _cached_region(region_id, stamp)
        except Exception:  # a deleted user region: draw the plan alone
            region = None
    basemap, radius, links, uncovered, compact = options
    fmap = plan_map(
        load_plan(db, plan_id),
        region,
        lang_,
        basemap=basemap,
        show_radius=radius,
        show_links=links,
        show_uncovered=uncovered,
        compact=compact,
    )
    return to_html(fmap)


def map_html(
    db: str,
    plan_id: int,
    region_id: str,
    basemap: str = "none",
    radius: bool = False,
    links: bool = True,
    uncovered: bool = True,
    compact: bool = False,
) -> str:
    """Offline HTML of the plan's map (cached), over the session's region when edited."""
    working = st.session_state.get(WORKING_REGION)
    options = (basemap, radius, links, uncovered, compact)
    if isinstance(working, Region) and working.id == region_id:
        fmap = plan_map(
            load_plan(db, plan_id),
            working,
            lang(),
            basemap=basemap,
            show_radius=radius,
            show_links=links,
            show_uncovered=uncovered,
            compact=compact,
        )
        return to_html(fmap)
    return _cached_map(db, plan_id, region_id, _pack_stamp(region_id), lang(), options)


def show_map(page: str, height: int) -> None:
    """Embed a map's HTML (:func:`planner.views.embed.to_html`) on the page, isolated.

    The only way the app embeds a map: ``st.iframe`` alone would let the map's scripts
    reach the app's page (see :func:`planner.views.embed.isolate_map`).
    """
    st.iframe(isolate_map(page), height=height)


def basemap_picker(where, key: str) -> str:
    """The basemap choice (offline first; online ones say so in their labels)."""
    keep_choice(key)
    return where.selectbox(
        tr("ui.map.basemap"),
        list(BASEMAPS),
        format_func={k: tr(f"map.basemap.{k}") for k in BASEMAPS}.get,
        key=key,
        help=tr("ui.map.basemap_help"),
    )


# --- targets ------------------------------------------------------------------------------


def target_text(scenario: Scenario, tier: str, code: str, n_counties: int, lang_: str) -> str:
    """What the scenario asks of one county: ``5``, ``≥ 1``, ``2–4``, ``≤ 3`` or ``—``."""
    part = scenario.stations if tier == "stations" else scenario.centres
    lo = part.county_min.get(code, 0)
    if tier == "centres" and scenario.centres.one_per_county:
        lo = max(lo, 1)
    hi = part.county_max.get(code)
    if n_counties == 1 and part.count is not None and not part.county_min and hi is None:
        return f"{part.count:,}"
    if hi is not None and lo == hi:
        return f"{lo:,}"
    if hi is not None and lo:
        return f"{lo:,}–{hi:,}"
    if lo:
        return f"≥ {lo:,}"
    if hi is not None:
        return f"≤ {hi:,}"
    return "—"

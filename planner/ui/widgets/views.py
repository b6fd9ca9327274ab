"""Pieces shared by the run, results, review, compare and sweep pages: plan labels, KPI
cards, the solver's tiers and diagnoses, cached plans and maps, the basemap picker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.plan import Plan
from planner.plan.phasing import plan_as_of
from planner.plan.tables import KPI_LABEL, diagnosis_lines, kpi_kind, kpi_value, tier_table
from planner.store import PlanRecord, Store
from planner.ui.labels import BASEMAP_LABEL
from planner.ui.state import WORKING_REGION, _cached_region, _pack_stamp, lang, tr
from planner.ui.widgets.choices import choice, translated
from planner.views import BASEMAPS, isolate_map, plan_map, to_html

__all__ = [
    "basemap_picker",
    "kpi_cards",
    "load_plan",
    "local_time",
    "map_html",
    "plan_label",
    "plan_zip",
    "show_map",
    "show_results",
]


def local_time(stamp: str) -> str:
    """An ISO UTC timestamp as ``YYYY-MM-DD HH:MM`` in China Standard Time (the
    planners' time, whatever the server's zone)."""
    return fmt.china_time(stamp)


def plan_label(record: PlanRecord) -> str:
    """``scenario · time (#id)``."""
    return tr(
        "ui.plan.label",
        name=record.scenario_name,
        time=local_time(record.created_at),
        id=record.id,
    )


def kpi_cards(
    kpis: Mapping[str, Any],
    keys: Sequence[str],
    helps: Mapping[str, str] | None = None,
    per_row: int = 3,
) -> None:
    """Indicator cards in rows of ``per_row``: ``keys`` of ``kpis`` (a plan's
    indicators, or a row with the same names; :func:`planner.plan.tables.kpi_value`),
    each written as its kind (:func:`planner.plan.tables.kpi_kind`), with the help text
    keys ``helps``."""
    columns = [col for _ in range(0, len(keys), per_row) for col in st.columns(per_row)]
    for col, key in zip(columns, keys, strict=False):
        value = fmt.kind(kpi_value(kpis, key), kpi_kind(key), lang())
        help_key = (helps or {}).get(key)
        label = tr(KPI_LABEL[key])
        col.metric(label, value, help=tr(help_key) if help_key else None, border=True)


# --- tiers and diagnoses ------------------------------------------------------------------


def show_results(results: Sequence[dict]) -> None:
    """Tier table and every diagnosis in plain words (errors when a tier has no plan)."""
    st.dataframe(tier_table(results, lang()), hide_index=True, width="stretch")
    for has_plan, text in diagnosis_lines(results, lang()):
        (st.info if has_plan else st.error)(text)
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
    return _map_page(load_plan(db, plan_id), region, lang_, options)


def _map_page(plan: Plan, region: Region | None, lang_: str, options: tuple) -> str:
    """The plan's map as HTML; ``options`` are the basemap and what is drawn (radius,
    links, uncovered communities, compact, villages with no station in reach)."""
    basemap, radius, links, uncovered, compact, villages, focus, year = options
    if year is not None:
        plan = plan_as_of(plan, year)
        # the plan's coverage is the last year's: an earlier year's would be wrong
        uncovered = villages = False
    fmap = plan_map(
        plan,
        region,
        lang_,
        basemap=basemap,
        show_radius=radius,
        show_links=links,
        show_uncovered=uncovered,
        compact=compact,
        show_villages=villages,
        focus=focus,
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
    villages: bool = False,
    focus: tuple[str, ...] = (),
    year: int | None = None,
) -> str:
    """Offline HTML of the plan's map (cached), over the session's region when edited;
    ``villages`` marks the villages and communities with no station in reach, ``focus``
    the counties to zoom to, ``year`` the year a phased plan's network is shown as of
    (``None``: the whole plan)."""
    working = st.session_state.get(WORKING_REGION)
    options = (basemap, radius, links, uncovered, compact, villages, tuple(focus), year)
    if isinstance(working, Region) and working.id == region_id:
        return _map_page(load_plan(db, plan_id), working, lang(), options)
    return _cached_map(db, plan_id, region_id, _pack_stamp(region_id), lang(), options)


def show_map(page: str, height: int) -> None:
    """Embed a map's HTML (:func:`planner.views.embed.to_html`) on the page, isolated.

    The only way the app embeds a map: ``st.iframe`` alone would let the map's scripts
    reach the app's page (see :func:`planner.views.embed.isolate_map`).
    """
    st.iframe(isolate_map(page), height=height)


def basemap_picker(where, key: str) -> str:
    """The basemap choice (offline first; online ones say so in their labels)."""
    return choice(
        where,
        tr("term.basemap"),
        list(BASEMAPS),
        labels=translated(BASEMAP_LABEL),
        key=key,
        help=tr("ui.map.basemap_help"),
    )

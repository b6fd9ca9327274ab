"""Results page: a stored plan on the map, with city KPI cards and per-county tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.data.regions import Region
from planner.plan import Plan
from planner.plan.kpi import DISTANCE_MODE_KEYS, distance_mode_text
from planner.store import PlanRecord
from planner.ui.state import (
    current_region,
    current_scenario_id,
    keep_choice,
    lang,
    page_link,
    store,
    tr,
)
from planner.ui.widgets.export_panel import export_panel
from planner.ui.widgets.views import (
    basemap_picker,
    fmt_count,
    fmt_metres,
    fmt_share,
    kpi_value,
    load_plan,
    map_html,
    plan_label,
    plan_zip,
    show_map,
    show_results,
    target_text,
)

__all__ = ["county_rows", "render"]

RESULTS_PLAN = "results_plan"



def county_rows(plan: Plan, region: Region | None, lang_: str) -> pd.DataFrame:
    """Per-county targets vs planned counts, coverage and distances."""
    from planner.i18n import t

    kpis = plan.county_kpis
    names = {}
    codes: list[str] = []
    if region is not None:
        names = dict(
            zip(region.counties["code"].astype(str), region.counties["name"], strict=False)
        )
        codes = list(region.counties["code"].astype(str))
    if kpis is not None and len(kpis):
        codes += [str(c) for c in kpis["county_code"] if str(c) not in codes]
    by_code = {}
    if kpis is not None and len(kpis):
        by_code = {str(r["county_code"]): r for r in kpis.to_dict("records")}
    rows = []
    for code in codes:
        k = by_code.get(code, {})
        rows.append(
            {
                t("ui.res.col.county", lang_): names.get(code, code),
                t("ui.res.col.st_target", lang_): target_text(
                    plan.scenario, "stations", code, len(codes), lang_
                ),
                t("ui.res.col.st_planned", lang_): int(k.get("stations", 0) or 0),
                t("ui.res.col.ct_target", lang_): target_text(
                    plan.scenario, "centres", code, len(codes), lang_
                ),
                t("ui.res.col.ct_planned", lang_): int(k.get("sorting_centres", 0) or 0),
                t("ui.res.col.population", lang_): fmt_count(k.get("population")),
                t("ui.res.col.coverage", lang_): fmt_share(k.get("coverage_share")),
                t("ui.res.col.mean", lang_): fmt_count(k.get("mean_distance_m")),
                t("ui.res.col.p95", lang_): fmt_count(k.get("p95_distance_m")),
                t("ui.res.col.uncovered", lang_): fmt_count(k.get("uncovered_population")),
            }
        )
    return pd.DataFrame(rows)


def _township_rows(plan: Plan, region: Region | None) -> pd.DataFrame:
    kpis = plan.township_kpis
    if kpis is None or not len(kpis):
        return pd.DataFrame()
    towns, counties = {}, {}
    if region is not None:
        towns = dict(
            zip(region.townships["code"].astype(str), region.townships["name"], strict=False)
        )
        counties = dict(
            zip(region.townships["code"].astype(str), region.townships["county_code"], strict=False)
        )
        county_names = dict(
            zip(region.counties["code"].astype(str), region.counties["name"], strict=False)
        )
        counties = {k: county_names.get(str(v), v) for k, v in counties.items()}
    codes = kpis["township_code"].astype(str)
    return pd.DataFrame(
        {
            tr("ui.res.col.township"): [towns.get(c, c) for c in codes],
            tr("ui.res.col.county"): [counties.get(c, "") for c in codes],
            tr("ui.res.col.st_planned"): kpis["stations"].astype(int).to_numpy(),
            tr("ui.res.col.ct_planned"): kpis["sorting_centres"].astype(int).to_numpy(),
            tr("ui.res.col.population"): [fmt_count(v) for v in kpis["population"]],
            tr("ui.res.col.coverage"): [fmt_share(v) for v in kpis["coverage_share"]],
            tr("ui.res.col.mean"): [fmt_count(v) for v in kpis["mean_distance_m"]],
            tr("ui.res.col.p95"): [fmt_count(v) for v in kpis["p95_distance_m"]],
        }
    )


def _chart(plan: Plan, region: Region | None) -> None:
    many = region is not None and len(region.counties) > 1
    kpis = plan.county_kpis if many else plan.township_kpis
    if kpis is None or not len(kpis) or region is None:
        return
    if many:
        names = dict(
            zip(region.counties["code"].astype(str), region.counties["name"], strict=False)
        )
        codes = kpis["county_code"].astype(str)
        title = tr("ui.res.chart_county")
    else:
        names = dict(
            zip(region.townships["code"].astype(str), region.townships["name"], strict=False)
        )
        codes = kpis["township_code"].astype(str)
        title = tr("ui.res.chart_township")
    label = tr("ui.res.col.county") if many else tr("ui.res.col.township")
    value = tr("ui.res.coverage_pct")
    frame = pd.DataFrame(
        {
            label: [names.get(c, c) for c in codes],
            value: (kpis["coverage_share"].astype(float) * 100).round(1).to_numpy(),
        }
    ).sort_values(value)
    st.markdown(f"**{title}**")
    import altair as alt

    chart = (
        alt.Chart(frame)
        .mark_bar(color="#1f78b4")
        .encode(
            x=alt.X(f"{value}:Q", scale=alt.Scale(domain=[0, 100]), title=value),
            y=alt.Y(
                f"{label}:N",
                sort="-x",
                title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=220),
            ),
            tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=".1f")],
        )
        .properties(height=alt.Step(24))
    )
    st.altair_chart(chart, width="stretch")


def _kpi_cards(record: PlanRecord) -> None:
    k = record.kpis
    cards = [
        ("ui.kpi.stations", fmt_count(k.get("stations")), None),
        ("ui.kpi.sorting_centres", fmt_count(k.get("sorting_centres")), None),
        ("ui.kpi.coverage_share", fmt_share(k.get("coverage_share")), "ui.kpi.help.coverage_share"),
        ("ui.kpi.mean_distance_m", fmt_metres(k.get("mean_distance_m")), "ui.kpi.help.distance"),
        ("ui.kpi.p95_distance_m", fmt_metres(k.get("p95_distance_m")), "ui.kpi.help.distance"),
        ("ui.kpi.uncovered_communities", fmt_count(k.get("uncovered_communities")), None),
    ]
    columns = [*st.columns(3), *st.columns(3)]
    for col, (label, value, help_key) in zip(columns, cards, strict=True):
        col.metric(tr(label), value, help=tr(help_key) if help_key else None, border=True)
    # how the distances were measured, and what fell back to a straight line
    colon = "：" if lang() == "zh" else ": "
    notes = [f"{tr('kpi.distance_mode')}{colon}{distance_mode_text(k, lang())}"]
    if k.get("distance_mode") == "network":
        for key, label in DISTANCE_MODE_KEYS.items():
            if key != "distance_mode" and k.get(key):
                notes.append(f"{tr(label)}{colon}{fmt_count(k.get(key))}")
    st.caption(" · ".join(notes))
    util = kpi_value(k, "max_centre_utilisation")
    load = kpi_value(k, "centre_load_t_per_day")
    if util is not None and load is not None:
        st.caption(
            f"{tr('ui.kpi.centre_load_t_per_day')}: {load:,.1f} · "
            f"{tr('ui.kpi.max_centre_utilisation')}: {util:.1%}"
        )


def _choose(records: list[PlanRecord]) -> int:
    ids = [r.id for r in records]
    keep_choice(RESULTS_PLAN)
    scenario_id = current_scenario_id()
    if st.session_state.get("results_for_scenario") != scenario_id:
        st.session_state["results_for_scenario"] = scenario_id
        own = [r.id for r in records if r.scenario_id == scenario_id]
        if own and st.session_state.get(RESULTS_PLAN) not in own:
            st.session_state[RESULTS_PLAN] = own[0]
    if st.session_state.get(RESULTS_PLAN) not in ids:
        own = [r.id for r in records if r.scenario_id == scenario_id]
        st.session_state[RESULTS_PLAN] = own[0] if own else ids[0]
    labels = {r.id: plan_label(r) for r in records}
    return st.selectbox(
        tr("ui.res.plan"),
        ids,
        format_func=labels.get,
        key=RESULTS_PLAN,
        help=tr("ui.res.plan_help"),
    )


def render() -> None:
    """Draw the results page."""
    region = current_region()
    st.title(tr("ui.res.title", region=region.name(lang())))
    db = store()
    records = db.list_plans(region=region.id)
    if not records:
        st.info(tr("ui.res.none"))
        page_link("run", tr("ui.res.to_run"), icon=":material/play_circle:")
        return
    plan_id = _choose(records)
    record = next(r for r in records if r.id == plan_id)
    plan = load_plan(str(db.path), plan_id)
    try:
        current = db.get_scenario(record.scenario_id).scenario
        if current.to_dict() != record.scenario.to_dict():
            st.caption(tr("ui.res.changed", name=current.name))
    except Exception:  # a note only: never fail the page over it
        pass
    if not record.has_plan:
        st.error(tr("ui.res.no_plan"))
    _kpi_cards(record)

    with st.expander(tr("ui.res.solver"), expanded=not record.has_plan):
        show_results(record.results)

    a, b, c, d = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    basemap = basemap_picker(a, "results_basemap")
    radius = b.checkbox(tr("ui.res.show_radius"), key="results_radius")
    links = c.checkbox(tr("ui.res.show_links"), value=True, key="results_links")
    uncovered = d.checkbox(tr("ui.res.show_uncovered"), value=True, key="results_uncovered")
    show_map(
        map_html(str(db.path), plan_id, record.region, basemap, radius, links, uncovered),
        height=620,
    )
    st.caption(tr("ui.res.map_help"))

    st.subheader(tr("ui.res.county_table"))
    counties = county_rows(plan, region, lang())
    st.dataframe(counties, hide_index=True, width="stretch", height=36 * (len(counties) + 1) + 4)
    _chart(plan, region)
    with st.expander(tr("ui.res.township_table")):
        st.dataframe(_township_rows(plan, region), hide_index=True, width="stretch")
    st.download_button(
        tr("ui.res.download"),
        data=plan_zip(str(db.path), plan_id),
        file_name=f"plan_{record.region}_{plan_id}.zip",
        mime="application/zip",
        help=tr("ui.res.download_help"),
        key="results_download",
    )
    if record.has_plan:
        export_panel(record, plan, region)
        page_link("review", tr("ui.res.to_review"), icon=":material/fact_check:")

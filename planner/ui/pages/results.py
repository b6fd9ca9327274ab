"""Results page: a stored plan on the map, with city KPI cards, the city's coverage
(people and villages), per-county and per-township tables, and the villages and
communities left without a station in reach (for mobile collection).

The tables and the chart's data are the planner's (:mod:`planner.plan.tables`).
"""

from __future__ import annotations

import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.plan import Plan
from planner.plan.kpi import DISTANCE_MODE_KEYS, distance_mode_text
from planner.plan.quality import plan_quality
from planner.plan.review import scenario_changed
from planner.plan.tables import (
    action_table,
    cost_note,
    cost_table,
    county_rows,
    coverage_by_area,
    coverage_table,
    kpi_value,
    township_rows,
    uncovered_rows,
    village_rule_line,
)
from planner.store import PlanRecord
from planner.ui.state import (
    current_region,
    current_scenario_id,
    lang,
    page_link,
    store,
    tr,
)
from planner.ui.widgets.charts import LINE_COLOUR, show_chart
from planner.ui.widgets.choices import choice
from planner.ui.widgets.export_panel import export_panel, uncovered_downloads
from planner.ui.widgets.kind_results import kind_results
from planner.ui.widgets.market_results import market_results
from planner.ui.widgets.phasing_results import map_year, phasing_results
from planner.ui.widgets.views import (
    basemap_picker,
    kpi_cards,
    load_plan,
    map_html,
    plan_label,
    plan_zip,
    show_map,
    show_results,
)

__all__ = ["render"]

RESULTS_PLAN = "results_plan"
VILLAGE_COUNTY = "results_villages_county"
#: The plan's indicators as cards (two rows of four), and the cards with a help text.
CARDS = (
    "stations",
    "sorting_centres",
    "mean_distance_m",
    "p95_distance_m",
    "coverage_share",
    "village_coverage_share",
    "uncovered_population",
    "uncovered_communities",
)
CARD_HELP = {
    "coverage_share": "ui.kpi.help.coverage_share",
    "village_coverage_share": "ui.kpi.help.village_coverage",
    "mean_distance_m": "ui.kpi.help.distance",
    "p95_distance_m": "ui.kpi.help.p95_distance",
}


def _chart(plan: Plan, region: Region | None) -> None:
    frame, many = coverage_by_area(plan, region, lang())
    if frame.empty:
        return
    import altair as alt

    label = tr("term.county") if many else tr("term.township")
    value = tr("ui.res.coverage_pct")
    frame = frame.rename(columns={"area": label, "coverage": value})
    chart = (
        alt.Chart(frame)
        .mark_bar(color=LINE_COLOUR)
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
    show_chart(tr("ui.res.chart_county") if many else tr("ui.res.chart_township"), chart)


def _actions(plan: Plan, region: Region | None) -> None:
    """Sites per action (新建 / 标准化改造 / 保留 / 关停) and what they cost."""
    table = action_table(plan, region, lang())
    if table.empty:
        return
    st.subheader(tr("term.actions_heading"))
    st.dataframe(table, hide_index=True, width="stretch")
    costs = cost_table(plan, region, lang())
    if costs.empty:
        return
    st.markdown(f"**{tr('term.costs_heading')}**")
    st.dataframe(costs, hide_index=True, width="stretch")
    note = cost_note(plan.kpis, lang())
    if note:
        st.caption(note)


def _coverage(plan: Plan, region: Region | None) -> None:
    """The city's coverage, all / urban (社区) / rural (村), and the village rule."""
    st.dataframe(coverage_table(plan.kpis, lang()), hide_index=True, width="stretch")
    st.caption(tr("ui.res.coverage_help"))
    rule = village_rule_line(plan, region, lang())
    if rule is not None:
        (st.success if rule[0] else st.warning)(rule[1])


def _villages(record: PlanRecord, plan: Plan, region: Region) -> None:
    """The villages and communities with no station in reach, by county, with their
    nearest station: the list a county arranges mobile collection (流动回收) from."""
    st.subheader(tr("term.uncovered_villages"))
    rows = uncovered_rows(plan, region, lang())
    if rows.empty:
        st.success(tr("term.every_village_covered"))
        return
    people = int(rows[tr("term.population")].sum())
    st.caption(
        tr("ui.res.villages_summary", count=fmt.count(len(rows)), population=fmt.count(people))
    )
    codes = [str(c) for c in region.counties["code"]]
    county = ""
    if len(codes) > 1:
        if st.session_state.get(VILLAGE_COUNTY) not in ["", *codes]:
            st.session_state.pop(VILLAGE_COUNTY, None)
        names = dict(zip(codes, region.counties["name"].astype(str), strict=True))
        where = st.columns([1, 2])[0]
        county = choice(where, tr("term.county"), ["", *codes], key=VILLAGE_COUNTY,
                        labels={"": tr("ui.res.all_counties"), **names})  # fmt: skip
        if county:
            rows = uncovered_rows(plan, region, lang(), county)
    numbers = {c: st.column_config.NumberColumn(format="localized")
               for c in rows.select_dtypes("number").columns}  # fmt: skip
    st.dataframe(rows, hide_index=True, width="stretch", column_config=numbers)
    uncovered_downloads(record, plan, region, county)


def _kpi_cards(record: PlanRecord) -> None:
    k = record.kpis
    kpi_cards(k, CARDS, CARD_HELP, per_row=4)
    # how the distances were measured, and what fell back to a straight line
    colon = "：" if lang() == "zh" else ": "
    notes = [f"{tr('kpi.distance_mode')}{colon}{distance_mode_text(k, lang())}"]
    if k.get("distance_mode") == "network":
        for key, label in DISTANCE_MODE_KEYS.items():
            if key != "distance_mode" and k.get(key):
                notes.append(f"{tr(label)}{colon}{fmt.count(k.get(key))}")
    st.caption(" · ".join(notes))
    util = kpi_value(k, "max_centre_utilisation")
    load = kpi_value(k, "centre_load_t_per_day")
    if util is not None and load is not None:
        st.caption(
            f"{tr('ui.kpi.centre_load_t_per_day')}: {fmt.number(load, 1)} · "
            f"{tr('ui.kpi.max_centre_utilisation')}: {fmt.share(util)}"
        )


def _choose(records: list[PlanRecord]) -> int:
    ids = [r.id for r in records]
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
    return choice(
        st,
        tr("ui.res.plan"),
        ids,
        labels=labels,
        key=RESULTS_PLAN,
        help=tr("ui.res.plan_help"),
    )


def _map_focus(region: Region | None) -> tuple[str, ...]:
    """The county the map zooms to (the whole city by default)."""
    if region is None or len(region.counties) < 2:
        return ()
    codes = [str(c) for c in region.counties["code"]]
    names = dict(zip(codes, region.counties["name"].astype(str), strict=True))
    if st.session_state.get("results_map_county") not in ["", *codes]:
        st.session_state.pop("results_map_county", None)
    county = choice(st.columns([1, 2])[0], tr("ui.res.map_county"), ["", *codes],
                    key="results_map_county",
                    labels={"": tr("ui.res.all_counties"), **names})  # fmt: skip
    return (county,) if county else ()


def render() -> None:
    """Draw the results page."""
    region = current_region()
    st.title(tr("ui.res.title", region=region.name(lang())))
    db = store()
    records = db.list_plans(region=region.id)
    if not records:
        st.info(tr("ui.res.none"))
        page_link("run", tr("term.go_to_the_run_page"), icon=":material/play_circle:")
        return
    plan_id = _choose(records)
    record = next(r for r in records if r.id == plan_id)
    plan = load_plan(str(db.path), plan_id)
    try:
        current = db.get_scenario(record.scenario_id).scenario
        if scenario_changed(record.scenario, record.review, current):
            st.caption(tr("ui.res.changed", name=current.name))
    except Exception:  # a note only: never fail the page over it
        pass
    if not record.has_plan:
        st.error(tr("ui.res.no_plan"))
    level, quality = plan_quality(record.results, lang())
    {"best": st.success, "near": st.success, "stopped": st.warning}.get(level, st.error)(quality)
    _kpi_cards(record)
    market_results(record.kpis, region)  # plans with a market tier only
    kind_results(plan)  # plans with standalone kinds only
    _coverage(plan, region)
    phasing_results(plan)  # phased plans only

    with st.expander(tr("ui.res.solver"), expanded=not record.has_plan):
        show_results(record.results)

    a, b = st.columns([2, 5], vertical_alignment="bottom")
    basemap = basemap_picker(a, "results_basemap")
    row = b.container(horizontal=True, gap="medium")  # labels wrap, never cut
    radius = row.checkbox(tr("ui.res.show_radius"), key="results_radius", wrap=True)
    links = row.checkbox(tr("term.show_station_centre_lines"), True, "results_links", wrap=True)
    uncovered = row.checkbox(tr("ui.res.show_uncovered"), True, "results_uncovered", wrap=True)
    villages = row.checkbox(tr("ui.res.show_villages"), key="results_villages_map", wrap=True)
    focus = _map_focus(region)
    year = map_year(st.columns([1, 2])[0], plan)  # phased plans only
    show_map(
        map_html(str(db.path), plan_id, record.region, basemap, radius, links, uncovered,
                 villages=villages, focus=focus, year=year),
        height=620,
    )  # fmt: skip
    st.caption(tr("ui.res.map_help"))

    st.subheader(tr("ui.res.county_table"))
    counties = county_rows(plan, region, lang())
    st.dataframe(counties, hide_index=True, width="stretch", height=36 * (len(counties) + 1) + 4)
    _chart(plan, region)
    _actions(plan, region)
    with st.expander(tr("ui.res.township_table")):
        st.dataframe(township_rows(plan, region, lang()), hide_index=True, width="stretch")
    if record.has_plan:
        _villages(record, plan, region)
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

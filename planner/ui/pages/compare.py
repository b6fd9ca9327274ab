"""Compare page: two or more stored plans side by side — KPIs with differences, maps."""

from __future__ import annotations

import streamlit as st

from planner.plan.compare import county_changes, county_rows, site_changes
from planner.plan.review_tables import change_rows, region_names
from planner.plan.tables import compare_actions, compare_table, cost_note
from planner.ui.state import current_region, lang, page_link, store, tr
from planner.ui.widgets.choices import choice
from planner.ui.widgets.kind_review import kind_labels
from planner.ui.widgets.views import (
    basemap_picker,
    load_plan,
    map_html,
    plan_label,
    show_map,
)
from planner.views import to_html
from planner.views.compare_map import compare_map

__all__ = ["render"]

MAX_PLANS = 4


def render() -> None:
    """Draw the compare page."""
    region = current_region()
    st.title(tr("ui.cmp.title", region=region.name(lang())))
    db = store()
    records = db.list_plans(region=region.id)
    if len(records) < 2:
        st.info(tr("ui.cmp.need_two"))
        page_link("scenario", tr("term.go_to_the_scenario_page"), icon=":material/tune:")
        return
    ids = [r.id for r in records]
    by_id = {r.id: r for r in records}
    key = f"compare_plans_{region.id}"
    chosen = [i for i in st.session_state.get(key, []) if i in ids]
    if len(chosen) < 2 and key not in st.session_state:
        chosen = ids[:2][::-1]  # the older first, as the baseline
    st.session_state[key] = chosen
    chosen = st.multiselect(
        tr("ui.cmp.choose"),
        ids,
        key=key,
        format_func={i: plan_label(r) for i, r in by_id.items()}.get,
        max_selections=MAX_PLANS,
        help=tr("ui.cmp.choose_help"),
    )
    if len(chosen) < 2:
        st.info(tr("ui.cmp.pick_more"))
        return
    chosen_records = [by_id[i] for i in chosen]
    letters = "ABCD"
    names = [f"{letters[i]} · {r.scenario_name} (#{r.id})" for i, r in enumerate(chosen_records)]
    st.subheader(tr("ui.cmp.kpis"))
    table = compare_table(chosen_records, names, lang())
    st.dataframe(table, hide_index=True, width="stretch", height=36 * (len(table) + 1) + 4)
    st.subheader(tr("term.actions_heading"))
    actions = compare_actions(chosen_records, names, lang())
    st.dataframe(actions, hide_index=True, width="stretch", height=36 * (len(actions) + 1) + 4)
    notes = {cost_note(r.kpis, lang()) for r in chosen_records} - {None}
    if notes:
        st.caption(" ".join(sorted(notes)))

    _where(db, chosen_records, names, region, basemap_key="compare_overlay_basemap")

    st.subheader(tr("ui.cmp.maps"))
    a, b = st.columns([2, 3], vertical_alignment="bottom")
    basemap = basemap_picker(a, "compare_basemap")
    links = b.checkbox(tr("term.show_station_centre_lines"), value=False, key="compare_links")
    per_row = 2 if len(chosen_records) in (2, 4) else 3
    for start in range(0, len(chosen_records), per_row):
        row = chosen_records[start : start + per_row]
        for offset, (col, record) in enumerate(zip(st.columns(per_row), row, strict=False)):
            with col:
                st.markdown(f"**{names[start + offset]}**")
                show_map(
                    map_html(
                        str(db.path),
                        record.id,
                        record.region,
                        basemap,
                        radius=False,
                        links=links,
                        uncovered=True,
                        compact=True,
                    ),
                    height=460,
                )


def _where(db, records, names: list[str], region, basemap_key: str) -> None:
    """Where the baseline (A) and a variant differ: per county, site by site, on a map."""
    base = records[0]
    if len(records) > 2:
        pick = choice(st, tr("ui.cmp.variant"), list(range(1, len(records))),
                      labels={i: names[i] for i in range(1, len(records))},
                      key="compare_variant")  # fmt: skip
    else:
        pick = 1
    other = records[pick]
    a, b = load_plan(str(db.path), base.id), load_plan(str(db.path), other.id)
    short = (names[0].split(" · ")[0], names[pick].split(" · ")[0])
    counties, towns = region_names(region)

    st.subheader(tr("ui.cmp.counties", a=short[0], b=short[1]))
    changed = st.checkbox(tr("ui.cmp.changed_only"), value=True, key="compare_changed_only")
    rows = county_rows(county_changes(a, b), counties, lang(), changed_only=changed)
    if rows.empty:
        st.caption(tr("ui.cmp.no_county_change"))
    else:
        st.dataframe(rows, hide_index=True, width="stretch")

    st.subheader(tr("ui.cmp.sites", a=short[0], b=short[1]))
    diff = site_changes(a, b)
    counts = diff["change"].value_counts()
    added, removed, moved = (int(counts.get(c, 0)) for c in ("added", "removed", "moved"))
    st.markdown(tr("ui.cmp.sites_summary", added=added, removed=removed, moved=moved))
    if len(diff):
        with st.expander(tr("ui.cmp.site_list")):
            rows = change_rows(diff, counties, towns, lang(), kind_labels(a, b))
            st.dataframe(rows, hide_index=True, width="stretch")
    basemap = basemap_picker(st.columns([2, 3])[0], basemap_key)
    fmap = compare_map(a, b, diff, region, lang(), basemap, short)
    show_map(to_html(fmap), height=520)

"""Scenario page: every parameter of a run, the 2027 presets, and saved scenarios.

The form edits a *draft* (the scenario as a nested dict in the session), so edits
survive switching pages and languages; the draft is loaded from the database when the
sidebar's scenario changes and saved back with the Save button. Widget keys carry a
generation number that changes whenever the draft is replaced (preset, clone, rename),
so every widget then shows the new values.

Validation runs on every change: problems are listed in plain words next to the form
and saving is refused until they are fixed. The section on existing sites and costs is
:mod:`planner.ui.widgets.existing`; below the form, when the region has existing sites,
their compliance check, the overrides and the overrides' audit trail
(:mod:`planner.ui.widgets.compliance`). The checks and their wording with the
form's labels are the planner's (:mod:`planner.scenario.form`, over
:meth:`planner.scenario.Scenario.validate` and :mod:`planner.scenario.checks`, applied
to every run as well); the page adds a name that another scenario has already.
"""

from __future__ import annotations

import copy
import html
from dataclasses import replace

import streamlit as st

from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.scenario import Scenario, default_scenario
from planner.scenario.form import (
    FIELDS,
    NAME_MAXIMUM,
    PRESETS,
    cell_problems,
    comparable,
    county_limits,
    county_table,
    form_checks,
    limit_sums,
    parse_sites,
    preset_scenario,
    scenario_problems,
    standard_params,
    table_checks,
    unknown_counties,
)
from planner.ui.auth import can
from planner.ui.jobs import runs as jobs
from planner.ui.labels import OBJECTIVE_LABEL
from planner.ui.state import (
    NEW_SCENARIO,
    PENDING_REGION,
    PENDING_SCENARIO,
    current_region,
    current_scenario_id,
    lang,
    page_link,
    store,
    tr,
)
from planner.ui.widgets.choices import choice, translated
from planner.ui.widgets.compliance import compliance_panel
from planner.ui.widgets.existing import FIELD_HELP as EXISTING_HELP
from planner.ui.widgets.existing import existing_section
from planner.ui.widgets.form import BoundForm
from planner.ui.widgets.kinds import kind_section
from planner.ui.widgets.markets import FIELD_HELP as MARKET_HELP
from planner.ui.widgets.markets import market_section
from planner.ui.widgets.phasing import phasing_section
from planner.ui.widgets.views import local_time

__all__ = ["render"]

DRAFT = "sc_draft"
#: Id of the saved scenario whose save was refused because it changed meanwhile.
STALE = "sc_stale"
FLASH = "sc_flash"
_SITE_FIELDS = (
    "stations.required_sites",
    "stations.excluded_sites",
    "centres.required_sites",
    "centres.excluded_sites",
)
#: Form field (:data:`planner.scenario.form.FIELDS`) -> help key.
_FIELD_HELP = {
    "name": "ui.sc.name_help",
    "description": "ui.sc.description_help",
    "stations.count": "ui.sc.stations.count_help",
    "stations.objective": "ui.sc.stations.objective_help",
    "stations.radius_urban_m": "ui.sc.stations.radius_urban_m_help",
    "stations.radius_rural_m": "ui.sc.stations.radius_rural_m_help",
    "stations.capacity_standard": "ui.sc.stations.capacity_standard_help",
    "stations.use_capacity": "ui.sc.stations.use_capacity_help",
    "stations.one_per_township": "ui.sc.stations.one_per_township_help",
    "stations.one_per_community": "ui.sc.stations.one_per_community_help",
    "stations.required_sites": "ui.sc.sites_help",
    "stations.excluded_sites": "ui.sc.sites_help",
    "centres.count": "ui.sc.centres.count_help",
    "centres.capacity_t_per_day": "ui.sc.centres.capacity_t_per_day_help",
    "centres.fixed_cost": "ui.sc.centres.fixed_cost_help",
    "centres.one_per_county": "ui.sc.centres.one_per_county_help",
    "centres.required_sites": "ui.sc.sites_help",
    "centres.excluded_sites": "ui.sc.sites_help",
    "generation.urban_kg_per_person_day": "ui.sc.generation.urban_kg_per_person_day_help",
    "generation.rural_kg_per_person_day": "ui.sc.generation.rural_kg_per_person_day_help",
    "distance_mode": "ui.sc.distance_mode_help",
    "circuity": "ui.sc.circuity_help",
    "dense_grid_m": "ui.sc.dense_grid_m_help",
    "solver.name": "ui.sc.solver.name_help",
    "solver.time_limit_s": "ui.sc.solver.time_limit_s_help",
    "solver.gap": "ui.sc.solver.gap_help",
    "stations.min_village_share": "ui.existing.min_village_share_help",
    **EXISTING_HELP,
    **MARKET_HELP,
}
#: What the coverage radius does under each objective.
_RADIUS_NOTE = {
    "p_median": "ui.sc.radius_note.p_median",
    "mclp": "ui.sc.radius_note.mclp",
    "set_cover": "ui.sc.radius_note.set_cover",
}
#: Preset (:data:`planner.scenario.form.PRESETS`) -> label key.
_PRESET_LABEL = {
    "jinjiang": "ui.sc.preset.jinjiang",
    "jinjiang_coverage": "ui.sc.preset.jinjiang_coverage",
    "wenzhou": "ui.sc.preset.wenzhou",
    "wenzhou_coverage": "ui.sc.preset.wenzhou_coverage",
    "defaults": "ui.sc.preset.defaults",
}
#: Tier of the per-county table (:data:`planner.scenario.checks.TIERS`) -> label key.
_TIER_LABEL = {"stations": "tier.station", "centres": "tier.sorting_centre"}
#: The choices of the form (the scenario's Literal types) -> label keys.
_STANDARD_LABEL = {
    "none": "ui.sc.standard.none",
    "sbt10719": "ui.sc.standard.sbt10719",
    "zhejiang2019": "ui.sc.standard.zhejiang2019",
}
_PER_COMMUNITY_LABEL = {
    "none": "ui.sc.per_community.none",
    "community": "term.every_shequ",
    "village": "term.every_village",
    "all": "term.every_community_and_village",
}
_DISTANCE_LABEL = {"straight": "ui.sc.distance.straight", "network": "ui.sc.distance.network"}
_SOLVER_LABEL = {"highs": "ui.sc.solver.highs", "cbc": "ui.sc.solver.cbc"}


def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def _new_draft(key: list, data: dict, saved: dict | None) -> dict:
    old = st.session_state.get(DRAFT) or {}
    draft = {"key": key, "gen": old.get("gen", 0) + 1, "data": data, "saved": saved}
    st.session_state[DRAFT] = draft
    return draft


def _draft(region: Region, scenario_id: int) -> dict:
    draft = st.session_state.get(DRAFT)
    key = [region.id, scenario_id]
    if draft is not None and draft["key"] == key:
        return draft
    if scenario_id != NEW_SCENARIO:
        record = store().get_scenario(scenario_id)
        data = record.scenario.to_dict()
        return _new_draft(key, data, copy.deepcopy(data))
    scenario = replace(default_scenario(region.id), region=region.id)
    scenario = replace(scenario, name=store().unique_name(region.id, scenario.name))
    return _new_draft(key, scenario.to_dict(), None)


def _preset_bar(region: Region) -> None:
    left, middle, _ = st.columns([2, 1, 2], vertical_alignment="bottom")
    options = list(PRESETS)
    key = f"sc_preset_{region.id}"
    if key not in st.session_state:
        st.session_state[key] = region.id if region.id in options else "defaults"
    preset = choice(
        left,
        tr("ui.sc.preset"),
        options,
        labels=translated(_PRESET_LABEL),
        key=key,
        help=tr("ui.sc.preset_help"),
    )
    if middle.button(tr("ui.sc.apply_preset"), key="sc_apply_preset"):
        target = PRESETS.get(preset) or region.id
        try:
            scenario = preset_scenario(
                preset, region.id, tr("ui.sc.default_name"), tr("ui.sc.coverage_name")
            )
        except PlannerError as err:
            st.error(err.message(lang()))
            return
        from planner.data.regions import list_regions

        if target not in {m["id"] for m in list_regions()}:
            st.error(tr("ui.sc.preset_region_missing", region=target))
            return
        scenario = replace(scenario, name=store().unique_name(target, scenario.name))
        _new_draft([target, NEW_SCENARIO], scenario.to_dict(), None)
        st.session_state[PENDING_SCENARIO] = NEW_SCENARIO
        if target != region.id:
            st.session_state[PENDING_REGION] = target
        _flash(
            "info",
            tr("ui.sc.preset_loaded", preset=tr(_PRESET_LABEL[preset]), name=scenario.name),
        )
        st.rerun()


def _county_editor(form: BoundForm, draft: dict, region: Region) -> None:
    data = form.data
    key = form.key("county_table")
    unknown = unknown_counties(region, data)
    if unknown:
        st.caption(tr("ui.sc.unknown_counties", codes=", ".join(unknown)))
    if key not in st.session_state or "county_base" not in draft:
        draft["county_base"] = county_table(region, data)
    number = {"min_value": 0, "step": 1, "format": "%d"}
    edited = st.data_editor(
        draft["county_base"],
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=["code", "county"],
        placeholder=tr("ui.sc.sum.unlimited"),
        width="stretch",
        column_config={
            "code": st.column_config.TextColumn(tr("term.code")),
            "county": st.column_config.TextColumn(tr("term.county")),
            "st_min": st.column_config.NumberColumn(tr("ui.sc.col.st_min"), **number),
            "st_max": st.column_config.NumberColumn(tr("ui.sc.col.st_max"), **number),
            "ct_min": st.column_config.NumberColumn(tr("ui.sc.col.ct_min"), **number),
            "ct_max": st.column_config.NumberColumn(tr("ui.sc.col.ct_max"), **number),
        },
    )
    form.problems += cell_problems(draft["county_base"], st.session_state.get(key), region, lang())
    limits = county_limits(edited)
    data["stations"]["county_min"] = limits["st_min"]
    data["stations"]["county_max"] = limits["st_max"]
    data["centres"]["county_min"] = limits["ct_min"]
    data["centres"]["county_max"] = limits["ct_max"]
    st.caption(tr("ui.sc.table_help"))
    for line in limit_sums(data, len(region.counties), lang()).values():
        st.markdown("- " + html.escape(line))


def _form(form: BoundForm, draft: dict, region: Region) -> None:
    data = form.data
    with st.container(border=True):
        st.subheader(tr("ui.sc.section.basic"), anchor=False)
        form.text(st, "name")
        form.text(st, "description", area=True)

    with st.container(border=True):
        st.subheader(tr("term.recycling_stations"), anchor=False)
        a, b = st.columns(2)
        derive_key = form.init("stations.derive", data["stations"]["count"] is None)
        memory = draft.setdefault("count_memory", data["stations"]["count"] or 80)
        derive = b.checkbox(
            tr("ui.sc.stations.derive"), key=derive_key, help=tr("ui.sc.stations.derive_help")
        )
        count_key = form.init("stations.count", int(data["stations"]["count"] or memory))
        count = a.number_input(
            tr("ui.sc.stations.count"),
            key=count_key,
            step=1,
            disabled=derive,
            help=tr("ui.sc.stations.count_help"),
        )
        if derive:
            data["stations"]["count"] = None
        elif count is None:  # a cleared field: say so, and keep the last value meanwhile
            form.problems.append(tr("ui.sc.empty", field=tr("ui.sc.stations.count")))
            data["stations"]["count"] = int(memory)
        else:
            data["stations"]["count"] = int(count)
            draft["count_memory"] = data["stations"]["count"]
        objective = form.choice(a, "stations.objective", OBJECTIVE_LABEL)
        if objective == "set_cover":
            b.caption(tr("ui.sc.stations.count_ignored"))
        form.choice(b, "stations.capacity_standard", _STANDARD_LABEL, standard_params)
        form.number(a, "stations.radius_urban_m", step=100.0, format="%.0f")
        form.number(b, "stations.radius_rural_m", step=100.0, format="%.0f")
        # what the radius does depends on the objective: say it where the radius is set
        st.caption(tr(_RADIUS_NOTE.get(objective, "ui.sc.radius_note.p_median")))
        form.check(a, "stations.one_per_township")
        form.check(b, "stations.use_capacity")
        form.choice(a, "stations.one_per_community", _PER_COMMUNITY_LABEL)
        form.number(b, "stations.min_village_share", scale=100.0, step=5.0, format="%.0f")

    with st.container(border=True):
        st.subheader(tr("tier.sorting_centre"), anchor=False)
        a, b = st.columns(2)
        form.number(a, "centres.count", integer=True)
        form.number(b, "centres.capacity_t_per_day", step=10.0, format="%.1f")
        form.number(a, "centres.fixed_cost", step=100.0, format="%.0f")
        form.check(b, "centres.one_per_county")

    market_section(form, region)

    with st.container(border=True):
        st.subheader(tr("ui.sc.section.counties"), anchor=False)
        _county_editor(form, draft, region)

    existing_section(form, draft, region)
    # after the county and budget tables: the page's tables keep their order
    kind_section(form)
    phasing_section(form, region)

    with st.expander(tr("ui.sc.section.advanced")):
        a, b = st.columns(2)
        form.number(a, "generation.urban_kg_per_person_day", step=0.01, format="%.3f")
        form.number(b, "generation.rural_kg_per_person_day", step=0.01, format="%.3f")
        mode = form.choice(a, "distance_mode", _DISTANCE_LABEL)
        if mode == "network":
            a.caption(tr("ui.sc.distance.network_note"))
        form.number(b, "circuity", step=0.05, format="%.2f")
        form.number(a, "dense_grid_m", step=100.0, format="%.0f")
        form.choice(b, "solver.name", _SOLVER_LABEL)
        form.number(a, "solver.time_limit_s", step=10.0, format="%.0f")
        form.number(b, "solver.gap", scale=100.0, step=0.1, format="%.2f")
        for where, path in zip((a, b, a, b), _SITE_FIELDS, strict=True):
            form.lines(where, path, parse_sites, height=90)


def _actions(panel, form: BoundForm, draft: dict, region: Region, scenario_id: int) -> None:
    data = form.data
    scenario, problems = scenario_problems(data, region, lang())
    problems = form.problems + problems
    errors, warnings, fixes = table_checks(region, data, lang())
    problems += errors
    errors, more = form_checks(region, data, lang())
    problems += errors
    warnings += more
    record = None
    if scenario_id != NEW_SCENARIO:
        try:
            record = store().get_scenario(scenario_id)
        except PlannerError as err:
            panel.error(err.message(lang()))
    problems = _name_problems(str(data.get("name", "")), region, scenario_id) + problems
    with panel:
        st.markdown(f"**{html.escape(tr('ui.sc.editing', name=str(data.get('name', ''))))}**")
        if record is not None:
            st.caption(tr("ui.sc.state_saved", time=local_time(record.updated_at)))
        else:
            st.caption(tr("ui.sc.state_new"))
        if draft.get("saved") is None or comparable(draft["saved"]) != comparable(data):
            st.caption("● " + tr("ui.sc.unsaved_changes"))
        if record is not None and jobs.running(record.id):
            st.info(tr("ui.sc.running"))
        if problems:
            st.error(
                tr("ui.sc.problems") + "\n" + "\n".join(f"- {p}" for p in problems),
                icon=":material/error:",
            )
        else:
            st.success(tr("ui.sc.valid"), icon=":material/check_circle:")
        if warnings:
            st.warning(tr("ui.sc.warnings") + "\n" + "\n".join(f"- {w}" for w in warnings))
        for tier, total in fixes.items():
            if st.button(
                tr("ui.sc.match_total", tier=tr(_TIER_LABEL[tier]), total=total),
                key=f"sc_fix_{tier}",
            ):
                data[tier]["count"] = total
                _new_draft(draft["key"], data, draft.get("saved"))
                st.rerun()

        if record is not None and st.session_state.get(STALE) == record.id:
            st.button(
                tr("ui.sc.load_latest"),
                key="sc_load_latest",
                help=tr("ui.sc.load_latest_help"),
                on_click=_load_latest,
                args=(draft["key"], record.id),
                width="stretch",
            )
        may_save = can("scenario.save")  # the store refuses it anyway
        save = st.button(
            tr("ui.sc.save"),
            key="sc_save",
            type="primary",
            disabled=bool(problems) or not may_save,
            help=tr("ui.sc.save_help"),
            width="stretch",
        )
        clone = st.button(
            tr("ui.sc.clone"),
            key="sc_clone",
            disabled=bool(problems) or not may_save,
            help=tr("ui.sc.clone_help"),
            width="stretch",
        )
        if save and scenario is not None:
            _save(draft, scenario, record, region)
        if clone and scenario is not None:
            _clone(draft, scenario, region)
        if record is not None and may_save and can("scenario.delete"):
            with st.expander(tr("ui.sc.manage")):
                new_name = st.text_input(
                    tr("ui.sc.rename_to"), value=record.name, key=f"sc_rename_to_{record.id}"
                )
                if st.button(tr("ui.sc.rename"), key="sc_rename"):
                    _rename(draft, record.id, new_name)
                confirm = st.checkbox(
                    tr("ui.sc.delete_confirm", plans=record.plans),
                    key=f"sc_delete_confirm_{record.id}",
                )
                if st.button(tr("ui.sc.delete"), key="sc_delete", disabled=not confirm):
                    _delete(record.id, record.name)
        if record is not None:
            page_link("run", tr("ui.sc.next"), icon=":material/play_circle:")


def _name_problems(name: str, region: Region, scenario_id: int) -> list[str]:
    """An empty, too long or already used scenario name, in plain words."""
    name = name.strip()
    if not name:
        return [PlannerError("store.empty_name").message(lang())]
    if len(name) > NAME_MAXIMUM:
        return [tr("ui.sc.name_too_long", length=len(name), maximum=NAME_MAXIMUM)]
    try:
        other = store().find_scenario(region.id, name)
    except PlannerError:
        return []  # the database problem is shown elsewhere
    if other is not None and other.id != scenario_id:
        return [tr("ui.sc.name_taken", name=name)]
    return []


def _save(draft: dict, scenario: Scenario, record, region: Region) -> None:
    try:
        # the edit is of the scenario as this draft last saw it: refused if it changed since
        seen = draft.get("saved")
        expected = Scenario.from_dict(seen) if record is not None and seen else None
        saved = store().save_scenario(scenario, record.id if record else None, expected)
    except PlannerError as err:
        if err.key == "store.scenario_changed" and record is not None:
            # drawn again with the button that reloads the stored scenario
            st.session_state[STALE] = record.id
            _flash("error", err.message(lang()))
            st.rerun()
        st.error(err.message(lang()))
        return
    st.session_state.pop(STALE, None)
    draft["key"] = [region.id, saved.id]
    draft["saved"] = saved.scenario.to_dict()
    draft["data"] = copy.deepcopy(draft["saved"])
    st.session_state[PENDING_SCENARIO] = saved.id
    _flash("success", tr("ui.sc.saved", name=saved.name))
    st.rerun()


def _load_latest(key: list, scenario_id: int) -> None:
    """A new draft of the stored scenario; the unsaved changes are dropped."""
    st.session_state.pop(STALE, None)
    try:
        data = store().get_scenario(scenario_id).scenario.to_dict()
    except PlannerError as err:
        _flash("error", err.message(lang()))
        return
    _new_draft(key, data, copy.deepcopy(data))


def _clone(draft: dict, scenario: Scenario, region: Region) -> None:
    db = store()
    try:
        name = db.unique_name(region.id, tr("ui.sc.copy_name", name=scenario.name))
        saved = db.save_scenario(replace(scenario, name=name))
    except PlannerError as err:
        st.error(err.message(lang()))
        return
    data = saved.scenario.to_dict()
    _new_draft([region.id, saved.id], data, copy.deepcopy(data))
    st.session_state[PENDING_SCENARIO] = saved.id
    _flash("success", tr("ui.sc.cloned", name=saved.name))
    st.rerun()


def _rename(draft: dict, scenario_id: int, name: str) -> None:
    try:
        saved = store().rename_scenario(scenario_id, name)
    except PlannerError as err:
        st.error(err.message(lang()))
        return
    data = draft["data"]
    data["name"] = saved.name
    _new_draft(draft["key"], data, saved.scenario.to_dict())
    _flash("success", tr("ui.sc.renamed", name=saved.name))
    st.rerun()


def _delete(scenario_id: int, name: str) -> None:
    try:
        store().delete_scenario(scenario_id)
    except PlannerError as err:
        st.error(err.message(lang()))
        return
    st.session_state.pop(DRAFT, None)
    _flash("success", tr("ui.sc.deleted", name=name))
    st.rerun()


def render() -> None:
    """Draw the scenario page."""
    region = current_region()
    st.title(tr("ui.sc.title", region=region.name(lang())))
    st.caption(tr("ui.sc.intro"))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        getattr(st, flash[0], st.info)(flash[1])
    _preset_bar(region)
    scenario_id = current_scenario_id()
    try:
        draft = _draft(region, scenario_id)
    except PlannerError as err:  # deleted meanwhile, or unreadable
        st.error(err.message(lang()))
        return
    form = BoundForm(draft["data"], FIELDS, _FIELD_HELP, f"sc{draft['gen']}", "ui.sc.empty")
    left, right = st.columns([2.3, 1], gap="large")
    with left:
        _form(form, draft, region)
    _actions(right, form, draft, region, scenario_id)
    compliance_panel(draft, DRAFT, region, scenario_id)

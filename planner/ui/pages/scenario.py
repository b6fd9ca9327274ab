"""Scenario page: every parameter of a run, the 2027 presets, and saved scenarios.

The form edits a *draft* (the scenario as a nested dict in the session), so edits
survive switching pages and languages; the draft is loaded from the database when the
sidebar's scenario changes and saved back with the Save button. Widget keys carry a
generation number that changes whenever the draft is replaced (preset, clone, rename),
so every widget then shows the new values.

Validation runs on every change: problems are listed in plain words next to the form
(:meth:`planner.scenario.Scenario.validate`, with field names replaced by their labels
and county codes by county names) and saving is refused until they are fixed. The checks
against the region (counts against candidate sites and townships, per-county limits,
unknown site ids) and the warnings about unlikely values are the planner's
(:mod:`planner.scenario.checks`, applied to every run as well): :func:`table_checks`
and :func:`form_checks` show them with the form's labels. The form adds what only it
can check: table cells as they were typed (:func:`cell_problems`) and a name that is
too long or another scenario has already.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.scenario import (
    CAPACITY_STANDARDS,
    CELL_MAXIMUM,
    Scenario,
    ScenarioProblem,
    default_scenario,
    shown,
)
from planner.scenario.checks import TABLE_KEYS, region_problems, value_warnings
from planner.ui.jobs import runs as jobs
from planner.ui.state import (
    NEW_SCENARIO,
    PENDING_REGION,
    PENDING_SCENARIO,
    current_region,
    current_scenario_id,
    keep_choice,
    lang,
    page_link,
    store,
    tr,
)

__all__ = [
    "PRESETS",
    "cell_problems",
    "county_limits",
    "county_table",
    "form_checks",
    "render",
    "scenario_problems",
]

DRAFT = "sc_draft"
FLASH = "sc_flash"
#: Presets: key -> region whose default scenario it is (None: the current region's).
PRESETS: dict[str, str | None] = {"jinjiang": "jinjiang", "wenzhou": "wenzhou", "defaults": None}


# Form field -> label key; also names the fields in validation messages.
FIELDS = {
    "name": "ui.sc.name",
    "description": "ui.sc.description",
    "stations.count": "ui.sc.stations.count",
    "stations.objective": "ui.sc.stations.objective",
    "stations.radius_urban_m": "ui.sc.stations.radius_urban_m",
    "stations.radius_rural_m": "ui.sc.stations.radius_rural_m",
    "stations.capacity_standard": "ui.sc.stations.capacity_standard",
    "stations.use_capacity": "ui.sc.stations.use_capacity",
    "stations.one_per_township": "ui.sc.stations.one_per_township",
    "stations.one_per_community": "ui.sc.stations.one_per_community",
    "stations.required_sites": "ui.sc.stations.required_sites",
    "stations.excluded_sites": "ui.sc.stations.excluded_sites",
    "centres.count": "ui.sc.centres.count",
    "centres.capacity_t_per_day": "ui.sc.centres.capacity_t_per_day",
    "centres.fixed_cost": "ui.sc.centres.fixed_cost",
    "centres.one_per_county": "ui.sc.centres.one_per_county",
    "centres.required_sites": "ui.sc.centres.required_sites",
    "centres.excluded_sites": "ui.sc.centres.excluded_sites",
    "generation.urban_kg_per_person_day": "ui.sc.generation.urban_kg_per_person_day",
    "generation.rural_kg_per_person_day": "ui.sc.generation.rural_kg_per_person_day",
    "distance_mode": "ui.sc.distance_mode",
    "circuity": "ui.sc.circuity",
    "dense_grid_m": "ui.sc.dense_grid_m",
    "solver.name": "ui.sc.solver.name",
    "solver.time_limit_s": "ui.sc.solver.time_limit_s",
    "solver.gap": "ui.sc.solver.gap",
}
_TABLE_KEYS = ("scenario.min_above_max", "scenario.county_sum")
#: Longest scenario name the form accepts (the value bounds are the planner's:
#: :data:`planner.scenario.MIN_GRID_M`, :mod:`planner.scenario.checks`).
NAME_MAXIMUM = 100


def _shown(value: Any) -> str:
    """A value as the planner typed it into the form (text without quotes)."""
    return value if isinstance(value, str) else shown(value)


# --- pure helpers (tested without Streamlit) ---------------------------------------------


def _get(data: dict, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def _set(data: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        data = data[part]
    data[leaf] = value


def parse_sites(text: str) -> list[str]:
    """Site ids from free text: one per line, or separated by commas, spaces or 、."""
    return [part for part in re.split(r"[\s,，、;；]+", text or "") if part]


def county_table(region: Region, data: dict) -> pd.DataFrame:
    """The per-county limits of scenario ``data`` as the editable table's rows."""
    st_, ct = data["stations"], data["centres"]
    codes = region.counties["code"].astype(str).tolist()
    frame = pd.DataFrame(
        {
            "code": codes,
            "county": region.counties["name"].astype(str).tolist(),
            "st_min": [st_["county_min"].get(c) for c in codes],
            "st_max": [st_["county_max"].get(c) for c in codes],
            "ct_min": [ct["county_min"].get(c) for c in codes],
            "ct_max": [ct["county_max"].get(c) for c in codes],
        }
    )
    for col in ("st_min", "st_max", "ct_min", "ct_max"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def county_limits(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The edited table back as ``county_min``/``county_max`` dicts per tier.

    Blank cells mean no limit; a minimum of 0 is no minimum.
    """
    out: dict[str, dict[str, int]] = {}
    for col in ("st_min", "st_max", "ct_min", "ct_max"):
        values = {}
        for code, value in zip(table["code"], table[col], strict=True):
            if value is None or pd.isna(value):
                continue
            number = int(value)
            if col.endswith("min") and number <= 0:
                continue
            values[str(code)] = number
        out[col] = values
    return out


def table_checks(
    region: Region, data: dict, lang: str
) -> tuple[list[str], list[str], dict[str, int]]:
    """Problems (block saving) and warnings about counts and per-county limits.

    The checks are :func:`planner.scenario.checks.region_problems` (the same for the
    command line, files and sweeps); this shows those of the county table.

    Returns ``(errors, warnings, fixes)``; ``fixes`` maps a tier (``stations``,
    ``centres``) to the city total that would satisfy its county minimums.
    """
    found = [p for p in region_problems(region, data) if p.key in TABLE_KEYS]
    errors, warnings = _split(found, region, lang)
    fixes = {
        p.params["tier_id"]: p.params["total"] for p in found if p.key == "scenario.min_over_total"
    }
    return errors, warnings, fixes


def form_checks(region: Region, data: dict, lang: str) -> tuple[list[str], list[str]]:
    """What :meth:`Scenario.validate` cannot know: checks against the region's
    candidate sites (:func:`planner.scenario.checks.region_problems` without the county
    table's), and values that are allowed but unlikely
    (:func:`planner.scenario.checks.value_warnings`).

    Returns ``(errors, warnings)`` in ``lang``; errors block saving.
    """
    found = [p for p in region_problems(region, data) if p.key not in TABLE_KEYS]
    return _split(value_warnings(data) + found, region, lang)


def _split(found: list[ScenarioProblem], region: Region, lang: str) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of planner findings in ``lang``, with the form's labels."""
    names = _county_names(region)
    errors = [_render(p, lang, names) for p in found if p.severity == "error"]
    warnings = [_render(p, lang, names) for p in found if p.severity == "warning"]
    return errors, warnings


def _county_names(region: Region) -> dict[str, str]:
    return dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=False))


def _render(problem: ScenarioProblem, lang: str, county_names: dict) -> str:
    """A planner message with field paths as the form's labels, counties by name."""
    from planner.i18n import t

    params = dict(problem.params)
    for key in ("field", "standard"):
        if key in params:
            params[key] = _field_label(str(params[key]), lang, county_names)
    if "county" in params:
        params["county"] = county_names.get(str(params["county"]), params["county"])
    return t(problem.key, lang, **params)


def cell_problems(table: pd.DataFrame, edits: Any, region: Region, lang: str) -> list[str]:
    """Messages for cells of the per-county table that are not whole numbers ≥ 0.

    ``edits`` is the data editor's state (``{"edited_rows": {row: {column: value}}}``):
    the editor itself turns text into a blank and 1.5 into 1 without a word, so the
    values are checked as they were typed.
    """
    from planner.i18n import t

    if not isinstance(edits, dict):
        return []
    names = dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=False))
    messages = []
    for row, cells in (edits.get("edited_rows") or {}).items():
        try:
            code = str(table["code"].iloc[int(row)])
        except (ValueError, IndexError, KeyError):
            continue
        for column, value in (cells or {}).items():
            if column not in ("st_min", "st_max", "ct_min", "ct_max") or value is None:
                continue
            if isinstance(value, str) and not value.strip():
                continue
            field = f"{names.get(code, code)} · {t(f'ui.sc.col.{column}', lang)}"
            try:
                number = float(value) if not isinstance(value, bool) else float("nan")
            except (TypeError, ValueError):
                number = float("nan")
            if not (number >= 0 and number == int(number)):
                messages.append(t("ui.sc.cell_number", lang, field=field, value=_shown(value)))
            elif number > CELL_MAXIMUM:
                messages.append(
                    t(
                        "ui.sc.cell_too_large",
                        lang,
                        field=field,
                        maximum=f"{CELL_MAXIMUM:,}",
                        value=_shown(value),
                    )
                )
    return messages


def scenario_problems(data: dict, region: Region, lang: str) -> tuple[Scenario | None, list[str]]:
    """Build the scenario from ``data``; else every problem in plain words.

    Field names become their form labels and county codes county names; the per-county
    checks are left to :func:`table_checks` (which names the tier).
    """
    from planner.i18n import t

    try:
        return Scenario.from_dict(data), []
    except PlannerError as err:
        details = list(err.details) or [err]
    names = dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=False))
    messages = []
    for problem in details:
        if not isinstance(problem, ScenarioProblem):
            messages.append(problem.message(lang))
            continue
        if problem.key in _TABLE_KEYS:
            continue
        params = dict(problem.params)
        if problem.key == "scenario.share" and params.get("field") == "solver.gap":
            value = params.get("value")  # a share; the form shows it in percent
            shown = _shown(value * 100) if isinstance(value, int | float) else value
            messages.append(
                t("ui.sc.gap_range", lang, field=t(FIELDS["solver.gap"], lang), value=shown)
            )
            continue
        messages.append(_render(problem, lang, names))
    return None, messages


def _field_label(path: str, lang: str, county_names: dict) -> str:
    from planner.i18n import t

    if path in FIELDS:
        return t(FIELDS[path], lang)
    for tier in ("stations", "centres"):
        for side, col in (("county_min", "min"), ("county_max", "max")):
            prefix = f"{tier}.{side}."
            if path.startswith(prefix):
                code = path[len(prefix) :]
                column = t(f"ui.sc.col.{'st' if tier == 'stations' else 'ct'}_{col}", lang)
                return f"{county_names.get(code, code)} · {column}"
    return path


def preset_scenario(preset: str, region_id: str, default_name: str) -> Scenario:
    """The scenario a preset loads, for ``region_id`` when the preset has no region."""
    target = PRESETS.get(preset) or region_id
    if preset == "defaults":
        return Scenario(name=default_name, region=target)
    scenario = default_scenario(target)
    return replace(scenario, region=target)


# --- the page ------------------------------------------------------------------------------


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


class _Form:
    """Widgets bound to draft paths; keys change with the draft's generation."""

    def __init__(self, draft: dict) -> None:
        self.draft = draft
        self.data = draft["data"]
        self.gen = draft["gen"]
        #: Problems found while drawing the widgets (empty fields, bad table cells).
        self.problems: list[str] = []

    def key(self, path: str) -> str:
        return f"sc{self.gen}.{path}"

    def _init(self, path: str, value: Any) -> str:
        key = self.key(path)
        if key not in st.session_state:
            st.session_state[key] = value
        return key

    def number(self, where, path: str, *, integer: bool = False, scale: float = 1.0, **kw):
        value = _get(self.data, path)
        if integer:
            initial = int(value) if value is not None else 0
        else:
            initial = float(value) * scale if value is not None else 0.0
        key = self._init(path, initial)
        out = where.number_input(
            tr(FIELDS.get(path, f"ui.sc.{path}")),
            key=key,
            step=kw.pop("step", 1 if integer else None),
            help=tr(f"{FIELDS.get(path, 'ui.sc.' + path)}_help"),
            **kw,
        )
        if out is None:  # a cleared field: say so, and keep the last value meanwhile
            self.problems.append(tr("ui.sc.empty", field=tr(FIELDS.get(path, path))))
            return initial
        _set(self.data, path, int(out) if integer else float(out) / scale)
        return out

    def choice(self, where, path: str, options: list[str], label_key: str) -> str:
        value = _get(self.data, path)
        keep_choice(self.key(path))
        key = self._init(path, value if value in options else options[0])
        out = where.selectbox(
            tr(FIELDS[path]),
            options,
            key=key,
            # labels fixed now, in this run's language (a lambda would translate later)
            format_func={o: tr(f"{label_key}.{o}", **_standard_params(o)) for o in options}.get,
            help=tr(f"{FIELDS[path]}_help"),
        )
        _set(self.data, path, out)
        return out

    def check(self, where, path: str) -> bool:
        key = self._init(path, bool(_get(self.data, path)))
        out = where.checkbox(tr(FIELDS[path]), key=key, help=tr(f"{FIELDS[path]}_help"))
        _set(self.data, path, bool(out))
        return out

    def text(self, where, path: str, area: bool = False) -> str:
        key = self._init(path, str(_get(self.data, path) or ""))
        widget = where.text_area if area else where.text_input
        out = widget(tr(FIELDS[path]), key=key, help=tr(f"{FIELDS[path]}_help"))
        _set(self.data, path, out)
        return out

    def sites(self, where, path: str) -> None:
        key = self._init(path, "\n".join(_get(self.data, path) or ()))
        out = where.text_area(tr(FIELDS[path]), key=key, help=tr("ui.sc.sites_help"), height=90)
        _set(self.data, path, parse_sites(out))


def _standard_params(option: str) -> dict:
    ratios = CAPACITY_STANDARDS.get(option)
    return {"urban": ratios[0], "rural": ratios[1]} if ratios else {}


def _preset_bar(region: Region) -> None:
    left, middle, _ = st.columns([2, 1, 2], vertical_alignment="bottom")
    options = list(PRESETS)
    key = f"sc_preset_{region.id}"
    keep_choice(key)
    if key not in st.session_state:
        st.session_state[key] = region.id if region.id in options else "defaults"
    preset = left.selectbox(
        tr("ui.sc.preset"),
        options,
        format_func={p: tr(f"ui.sc.preset.{p}") for p in options}.get,
        key=key,
        help=tr("ui.sc.preset_help"),
    )
    if middle.button(tr("ui.sc.apply_preset"), key="sc_apply_preset"):
        target = PRESETS.get(preset) or region.id
        try:
            scenario = preset_scenario(preset, region.id, tr("ui.sc.default_name"))
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
            tr("ui.sc.preset_loaded", preset=tr(f"ui.sc.preset.{preset}"), name=scenario.name),
        )
        st.rerun()


def _county_editor(form: _Form, region: Region) -> None:
    draft, data = form.draft, form.data
    key = form.key("county_table")
    known = set(region.counties["code"].astype(str))
    unknown = sorted(
        {
            code
            for tier in ("stations", "centres")
            for side in ("county_min", "county_max")
            for code in data[tier][side]
            if code not in known
        }
    )
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
            "code": st.column_config.TextColumn(tr("ui.sc.col.code")),
            "county": st.column_config.TextColumn(tr("ui.sc.col.county")),
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
    n = len(region.counties)
    for tier in ("stations", "centres"):
        part = data[tier]
        count = part.get("count")
        maximum = sum(part["county_max"].values()) if len(part["county_max"]) == n else None
        st.markdown(
            "- "
            + html.escape(
                tr(
                    f"ui.sc.sum.{tier}",
                    minimum=f"{sum(part['county_min'].values()):,}",
                    maximum=f"{maximum:,}" if maximum is not None else tr("ui.sc.sum.unlimited"),
                    count=f"{count:,}" if isinstance(count, int) else tr("ui.sc.sum.derived"),
                )
            )
        )


def _form(form: _Form, region: Region) -> None:
    data = form.data
    with st.container(border=True):
        st.subheader(tr("ui.sc.section.basic"), anchor=False)
        form.text(st, "name")
        form.text(st, "description", area=True)

    with st.container(border=True):
        st.subheader(tr("ui.sc.section.stations"), anchor=False)
        a, b = st.columns(2)
        derive_key = form._init("stations.derive", data["stations"]["count"] is None)
        memory = form.draft.setdefault("count_memory", data["stations"]["count"] or 80)
        derive = b.checkbox(
            tr("ui.sc.stations.derive"), key=derive_key, help=tr("ui.sc.stations.derive_help")
        )
        count_key = form._init("stations.count", int(data["stations"]["count"] or memory))
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
            form.draft["count_memory"] = data["stations"]["count"]
        objective = form.choice(
            a, "stations.objective", ["p_median", "mclp", "set_cover"], "ui.sc.objective"
        )
        if objective == "set_cover":
            b.caption(tr("ui.sc.stations.count_ignored"))
        form.choice(
            b,
            "stations.capacity_standard",
            ["none", "sbt10719", "zhejiang2019"],
            "ui.sc.standard",
        )
        form.number(a, "stations.radius_urban_m", step=100.0, format="%.0f")
        form.number(b, "stations.radius_rural_m", step=100.0, format="%.0f")
        form.check(a, "stations.one_per_township")
        form.check(b, "stations.use_capacity")
        form.choice(
            a,
            "stations.one_per_community",
            ["none", "community", "village", "all"],
            "ui.sc.per_community",
        )

    with st.container(border=True):
        st.subheader(tr("ui.sc.section.centres"), anchor=False)
        a, b = st.columns(2)
        form.number(a, "centres.count", integer=True)
        form.number(b, "centres.capacity_t_per_day", step=10.0, format="%.1f")
        form.number(a, "centres.fixed_cost", step=100.0, format="%.0f")
        form.check(b, "centres.one_per_county")

    with st.container(border=True):
        st.subheader(tr("ui.sc.section.counties"), anchor=False)
        _county_editor(form, region)

    with st.expander(tr("ui.sc.section.advanced")):
        a, b = st.columns(2)
        form.number(a, "generation.urban_kg_per_person_day", step=0.01, format="%.3f")
        form.number(b, "generation.rural_kg_per_person_day", step=0.01, format="%.3f")
        mode = form.choice(a, "distance_mode", ["straight", "network"], "ui.sc.distance")
        if mode == "network":
            a.caption(tr("ui.sc.distance.network_note"))
        form.number(b, "circuity", step=0.05, format="%.2f")
        form.number(a, "dense_grid_m", step=100.0, format="%.0f")
        form.choice(b, "solver.name", ["highs", "cbc"], "ui.sc.solver")
        form.number(a, "solver.time_limit_s", step=10.0, format="%.0f")
        form.number(b, "solver.gap", scale=100.0, step=0.1, format="%.2f")
        form.sites(a, "stations.required_sites")
        form.sites(b, "stations.excluded_sites")
        form.sites(a, "centres.required_sites")
        form.sites(b, "centres.excluded_sites")


def _local_time(stamp: str) -> str:
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _actions(panel, form: _Form, region: Region, scenario_id: int) -> None:
    draft, data = form.draft, form.data
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
            st.caption(tr("ui.sc.state_saved", time=_local_time(record.updated_at)))
        else:
            st.caption(tr("ui.sc.state_new"))
        if draft.get("saved") is None or _comparable(draft["saved"]) != _comparable(data):
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
                tr("ui.sc.match_total", tier=tr(f"ui.sc.tier.{tier}"), total=total),
                key=f"sc_fix_{tier}",
            ):
                data[tier]["count"] = total
                _new_draft(draft["key"], data, draft.get("saved"))
                st.rerun()

        save = st.button(
            tr("ui.sc.save"),
            key="sc_save",
            type="primary",
            disabled=bool(problems),
            help=tr("ui.sc.save_help"),
            width="stretch",
        )
        clone = st.button(
            tr("ui.sc.clone"),
            key="sc_clone",
            disabled=bool(problems),
            help=tr("ui.sc.clone_help"),
            width="stretch",
        )
        if save and scenario is not None:
            _save(draft, scenario, record, region)
        if clone and scenario is not None:
            _clone(draft, scenario, region)
        if record is not None:
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


def _comparable(data: dict) -> dict:
    return Scenario.from_dict(data).to_dict() if _valid(data) else data


def _valid(data: dict) -> bool:
    try:
        Scenario.from_dict(data)
    except PlannerError:
        return False
    return True


def _save(draft: dict, scenario: Scenario, record, region: Region) -> None:
    try:
        saved = store().save_scenario(scenario, record.id if record else None)
    except PlannerError as err:
        st.error(err.message(lang()))
        return
    draft["key"] = [region.id, saved.id]
    draft["saved"] = saved.scenario.to_dict()
    draft["data"] = copy.deepcopy(draft["saved"])
    st.session_state[PENDING_SCENARIO] = saved.id
    _flash("success", tr("ui.sc.saved", name=saved.name))
    st.rerun()


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
    form = _Form(draft)
    left, right = st.columns([2.3, 1], gap="large")
    with left:
        _form(form, region)
    _actions(right, form, region, scenario_id)

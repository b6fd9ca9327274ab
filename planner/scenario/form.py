"""The scenario as the scenario form edits it: field labels, the per-county tables
(limits and budgets), the compliance standard's summary, and every problem in the
form's words.

The form edits a scenario as a nested dict (:meth:`planner.scenario.Scenario.to_dict`).
The checks are the planner's (:meth:`planner.scenario.Scenario.validate` and
:mod:`planner.scenario.checks`, the same for the command line, files and sweeps); this
module says them with the form's labels instead of dotted paths and county names instead
of codes (:func:`scenario_problems`, :func:`table_checks`, :func:`form_checks`), and adds
what only the form can check: table cells as they were typed (:func:`cell_problems`,
:func:`budget_cell_problems`).
Nothing here draws a widget; the page (:mod:`planner.ui.pages.scenario`) does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from planner import format as fmt
from planner.data.regions import Region
from planner.data.standards import load_standard
from planner.i18n import PlannerError, t
from planner.scenario import (
    CAPACITY_STANDARDS,
    CELL_MAXIMUM,
    Costs,
    Scenario,
    ScenarioProblem,
    default_scenario,
    shown,
)
from planner.scenario.checks import TABLE_KEYS, region_problems, value_warnings

__all__ = [
    "BUDGET_LABEL",
    "COST_ROWS",
    "COVERAGE_PRESETS",
    "FIELDS",
    "LIMIT_COLUMNS",
    "NAME_MAXIMUM",
    "PRESETS",
    "assumed_costs",
    "budget_cell_problems",
    "budget_table",
    "cell_problems",
    "comparable",
    "county_budgets",
    "county_limits",
    "county_table",
    "form_checks",
    "limit_sums",
    "parse_sites",
    "preset_scenario",
    "scenario_problems",
    "standard_params",
    "standard_summary",
    "table_checks",
    "unknown_budget_counties",
    "unknown_counties",
]

#: Presets: key -> region whose default scenario it is (None: the current region's).
#: The ``_coverage`` presets are the same policy targets sited the way policies count
#: (:data:`COVERAGE_PRESETS`).
PRESETS: dict[str, str | None] = {
    "jinjiang": "jinjiang",
    "jinjiang_coverage": "jinjiang",
    "wenzhou": "wenzhou",
    "wenzhou_coverage": "wenzhou",
    "defaults": None,
}
#: Presets that site stations to put the most people within the coverage radius, then
#: shorten the distances (:class:`~planner.models.MCLP` with its distance tie-break),
#: instead of minimising the average distance (which ignores the radius).
COVERAGE_PRESETS = frozenset({"jinjiang_coverage", "wenzhou_coverage"})

#: Form field -> label key; also names the fields in validation messages.
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
    "markets.count": "ui.sc.markets.count",
    "markets.capacity_t_per_day": "ui.sc.markets.capacity_t_per_day",
    "markets.fixed_cost": "ui.sc.markets.fixed_cost",
    "markets.one_per_county": "ui.sc.markets.one_per_county",
    "markets.required_sites": "ui.sc.markets.required_sites",
    "markets.excluded_sites": "ui.sc.markets.excluded_sites",
    "generation.urban_kg_per_person_day": "ui.sc.generation.urban_kg_per_person_day",
    "generation.rural_kg_per_person_day": "ui.sc.generation.rural_kg_per_person_day",
    "distance_mode": "ui.sc.distance_mode",
    "circuity": "ui.sc.circuity",
    "dense_grid_m": "ui.sc.dense_grid_m",
    "solver.name": "ui.sc.solver.name",
    "solver.time_limit_s": "ui.sc.solver.time_limit_s",
    "solver.gap": "ui.sc.solver.gap",
    "stations.min_village_share": "ui.existing.min_village_share",
    "existing.standard": "ui.existing.standard",
    "existing.station_min_floor_area_m2": "ui.existing.station_min_floor_area_m2",
    "existing.centre_min_floor_area_m2": "ui.existing.centre_min_floor_area_m2",
    "existing.count_mode": "ui.existing.count_mode",
    "costs.station_new_yuan": "ui.existing.costs.station_new_yuan",
    "costs.station_upgrade_yuan": "ui.existing.costs.station_upgrade_yuan",
    "costs.station_closure_yuan": "ui.existing.costs.station_closure_yuan",
    "costs.station_operation_yuan_per_year": "ui.existing.costs.station_operation_yuan_per_year",
    "costs.centre_new_yuan": "ui.existing.costs.centre_new_yuan",
    "costs.centre_upgrade_yuan": "ui.existing.costs.centre_upgrade_yuan",
    "costs.centre_closure_yuan": "ui.existing.costs.centre_closure_yuan",
    "costs.centre_operation_yuan_per_year": "ui.existing.costs.centre_operation_yuan_per_year",
    "costs.budget_yuan": "ui.existing.costs.budget_yuan",
}
#: Shares (0–1) the form shows in percent, and the message for one out of range.
_PERCENT_FIELDS = {
    "solver.gap": "ui.sc.gap_range",
    "stations.min_village_share": "ui.existing.percent_range",
}
#: Findings of :meth:`Scenario.validate` about the county table (the table's checks
#: name the tier: :func:`table_checks`).
_VALIDATE_TABLE_KEYS = ("scenario.min_above_max", "scenario.county_sum")
#: Columns of the per-county table: stations / centres, minimum / maximum.
LIMIT_COLUMNS = ("st_min", "st_max", "ct_min", "ct_max")
#: Column of the per-county table -> its header.
_COLUMN_LABEL = {
    "st_min": "ui.sc.col.st_min",
    "st_max": "ui.sc.col.st_max",
    "ct_min": "ui.sc.col.ct_min",
    "ct_max": "ui.sc.col.ct_max",
}
#: Field-path prefix of a per-county limit -> its column of the table.
_LIMIT_PATHS = (
    ("stations.county_min.", "st_min"),
    ("stations.county_max.", "st_max"),
    ("centres.county_min.", "ct_min"),
    ("centres.county_max.", "ct_max"),
)
#: Tier -> the line under the per-county table.
_SUM_LABEL = {"stations": "ui.sc.sum.stations", "centres": "ui.sc.sum.centres"}
#: Longest scenario name the form accepts (the value bounds are the planner's:
#: :data:`planner.scenario.MIN_GRID_M`, :mod:`planner.scenario.checks`).
NAME_MAXIMUM = 100


def _shown(value: Any) -> str:
    """A value as the planner typed it into the form (text without quotes)."""
    return value if isinstance(value, str) else shown(value)


def parse_sites(text: str) -> list[str]:
    """Site ids from free text: one per line, or separated by commas, spaces or 、."""
    return [part for part in re.split(r"[\s,，、;；]+", text or "") if part]


def standard_params(option: str) -> dict:
    """The households per station of a capacity standard, for its label."""
    ratios = CAPACITY_STANDARDS.get(option)
    return {"urban": ratios[0], "rural": ratios[1]} if ratios else {}


def preset_scenario(
    preset: str, region_id: str, default_name: str, coverage_name: str = "{name}"
) -> Scenario:
    """The scenario a preset loads, for ``region_id`` when the preset has no region;
    ``coverage_name`` names a :data:`COVERAGE_PRESETS` scenario from the policy's
    (``{name}``)."""
    target = PRESETS.get(preset) or region_id
    if preset == "defaults":
        return Scenario(name=default_name, region=target)
    scenario = replace(default_scenario(target), region=target)
    if preset in COVERAGE_PRESETS:
        stations = replace(scenario.stations, objective="mclp")
        name = coverage_name.format(name=scenario.name)
        scenario = replace(scenario, name=name, stations=stations)
    return scenario


def comparable(data: dict) -> dict:
    """``data`` as saved when it is a valid scenario (to tell unsaved changes), else as is."""
    try:
        return Scenario.from_dict(data).to_dict()
    except PlannerError:
        return data


# --- the per-county table ----------------------------------------------------------------


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
    for col in LIMIT_COLUMNS:
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def county_limits(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The edited table back as ``county_min``/``county_max`` dicts per tier.

    Blank cells mean no limit; a minimum of 0 is no minimum.
    """
    out: dict[str, dict[str, int]] = {}
    for col in LIMIT_COLUMNS:
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


def unknown_counties(region: Region, data: dict) -> list[str]:
    """County codes with limits in ``data`` that the region does not have, sorted."""
    known = set(region.counties["code"].astype(str))
    return sorted(
        {
            code
            for tier in ("stations", "centres")
            for side in ("county_min", "county_max")
            for code in data[tier][side]
            if code not in known
        }
    )


def limit_sums(data: dict, n_counties: int, lang: str) -> dict[str, str]:
    """Per tier, the line under the table: the sum of the minimums, of the maximums
    (unlimited unless every county has one) and the city total."""
    lines = {}
    for tier in ("stations", "centres"):
        part = data[tier]
        count = part.get("count")
        maximum = (
            sum(part["county_max"].values()) if len(part["county_max"]) == n_counties else None
        )
        lines[tier] = t(
            _SUM_LABEL[tier],
            lang,
            minimum=fmt.count(sum(part["county_min"].values())),
            maximum=fmt.count(maximum) if maximum is not None else t("ui.sc.sum.unlimited", lang),
            count=fmt.count(count) if isinstance(count, int) else t("ui.sc.sum.derived", lang),
        )
    return lines


# --- the existing network and costs ------------------------------------------------------

#: The unit costs as the form lays them out: per action, the station's and the centre's.
COST_ROWS: tuple[tuple[str, str], ...] = (
    ("costs.station_new_yuan", "costs.centre_new_yuan"),
    ("costs.station_upgrade_yuan", "costs.centre_upgrade_yuan"),
    ("costs.station_closure_yuan", "costs.centre_closure_yuan"),
    ("costs.station_operation_yuan_per_year", "costs.centre_operation_yuan_per_year"),
)
#: Header of the budget column of the per-county budget table.
BUDGET_LABEL = "term.budget_yuan"
#: Field-path prefix of a county's budget.
_BUDGET_PATH = "costs.county_budget_yuan."


def assumed_costs(data: dict) -> list[str]:
    """The unit-cost fields of scenario ``data`` still at their defaults, which are
    planning assumptions (:class:`planner.scenario.Costs`), not the city's figures."""
    defaults = Costs()
    return [
        path
        for row in COST_ROWS
        for path in row
        if data["costs"].get(path.split(".")[1]) == getattr(defaults, path.split(".")[1])
    ]


def standard_summary(standard_id: str, lang: str) -> list[str]:
    """What the form says under the chosen compliance standard: its source and year, and
    per tier the minimum floor area with its source note (未规定 when it gives none)."""
    try:
        standard = load_standard(standard_id)
    except PlannerError as err:
        return [err.message(lang)]
    lines = [t("ui.existing.standard_source", lang, source=standard.source, year=standard.year)]
    for tier, label in (("station", "tier.station"), ("sorting_centre", "tier.sorting_centre")):
        rules = standard.tier(tier)
        note = rules.notes.get("min_floor_area", "")
        if rules.min_floor_area_m2 is None:
            lines.append(t("ui.existing.floor_area_unset", lang, tier=t(label, lang), note=note))
        else:
            area = fmt.number(rules.min_floor_area_m2, 1 if rules.min_floor_area_m2 % 1 else 0)
            lines.append(
                t("ui.existing.floor_area_set", lang, tier=t(label, lang), area=area, note=note)
            )
    return lines


def budget_table(region: Region, data: dict) -> pd.DataFrame:
    """The per-county budgets of scenario ``data`` as the editable table's rows."""
    budgets = data["costs"]["county_budget_yuan"]
    codes = region.counties["code"].astype(str).tolist()
    return pd.DataFrame(
        {
            "code": codes,
            "county": region.counties["name"].astype(str).tolist(),
            "budget": pd.array([budgets.get(c) for c in codes], dtype="Float64"),
        }
    )


def county_budgets(table: pd.DataFrame) -> dict[str, float]:
    """The edited budget table back as ``{county_code: yuan}``; a blank cell is no ceiling."""
    return {
        str(code): float(value)
        for code, value in zip(table["code"], table["budget"], strict=True)
        if value is not None and not pd.isna(value)
    }


def unknown_budget_counties(region: Region, data: dict) -> list[str]:
    """County codes with a budget in ``data`` that the region does not have, sorted."""
    known = set(region.counties["code"].astype(str))
    return sorted(code for code in data["costs"]["county_budget_yuan"] if code not in known)


def budget_cell_problems(table: pd.DataFrame, edits: Any, region: Region, lang: str) -> list[str]:
    """Messages for cells of the budget table that are not numbers ≥ 0, as typed
    (``edits`` is the data editor's state; see :func:`cell_problems`)."""
    if not isinstance(edits, dict):
        return []
    names = _county_names(region)
    messages = []
    for row, cells in (edits.get("edited_rows") or {}).items():
        try:
            code = str(table["code"].iloc[int(row)])
        except (ValueError, IndexError, KeyError):
            continue
        value = (cells or {}).get("budget")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        if not (number >= 0 and math.isfinite(number)):
            field = f"{names.get(code, code)} · {t(BUDGET_LABEL, lang)}"
            messages.append(t("ui.existing.cell_yuan", lang, field=field, value=_shown(value)))
    return messages


# --- problems in the form's words --------------------------------------------------------


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


def scenario_problems(data: dict, region: Region, lang: str) -> tuple[Scenario | None, list[str]]:
    """Build the scenario from ``data``; else every problem in plain words.

    Field names become their form labels and county codes county names; the per-county
    checks are left to :func:`table_checks` (which names the tier).
    """
    try:
        return Scenario.from_dict(data), []
    except PlannerError as err:
        details = list(err.details) or [err]
    names = _county_names(region)
    messages = []
    for problem in details:
        if not isinstance(problem, ScenarioProblem):
            messages.append(problem.message(lang))
            continue
        if problem.key in _VALIDATE_TABLE_KEYS:
            continue
        params = dict(problem.params)
        path = params.get("field")
        if problem.key == "scenario.share" and path in _PERCENT_FIELDS:
            value = params.get("value")  # a share; the form shows it in percent
            typed = _shown(value * 100) if isinstance(value, int | float) else value
            messages.append(
                t(_PERCENT_FIELDS[path], lang, field=t(FIELDS[path], lang), value=typed)
            )
            continue
        messages.append(_render(problem, lang, names))
    return None, messages


def cell_problems(table: pd.DataFrame, edits: Any, region: Region, lang: str) -> list[str]:
    """Messages for cells of the per-county table that are not whole numbers ≥ 0.

    ``edits`` is the data editor's state (``{"edited_rows": {row: {column: value}}}``):
    the editor itself turns text into a blank and 1.5 into 1 without a word, so the
    values are checked as they were typed.
    """
    if not isinstance(edits, dict):
        return []
    names = _county_names(region)
    messages = []
    for row, cells in (edits.get("edited_rows") or {}).items():
        try:
            code = str(table["code"].iloc[int(row)])
        except (ValueError, IndexError, KeyError):
            continue
        for column, value in (cells or {}).items():
            if column not in LIMIT_COLUMNS or value is None:
                continue
            if isinstance(value, str) and not value.strip():
                continue
            field = f"{names.get(code, code)} · {t(_COLUMN_LABEL[column], lang)}"
            try:
                number = float(value) if not isinstance(value, bool) else float("nan")
            except (TypeError, ValueError):
                number = float("nan")
            if not (number >= 0 and number == int(number)):
                messages.append(t("ui.sc.cell_number", lang, field=field, value=_shown(value)))
            elif number > CELL_MAXIMUM:
                messages.append(
                    t(
                        "scenario.at_most",
                        lang,
                        field=field,
                        maximum=fmt.count(CELL_MAXIMUM),
                        value=_shown(value),
                    )
                )
    return messages


def _split(found: list[ScenarioProblem], region: Region, lang: str) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of planner findings in ``lang``, with the form's labels."""
    names = _county_names(region)
    errors = [_render(p, lang, names) for p in found if p.severity == "error"]
    warnings = [_render(p, lang, names) for p in found if p.severity == "warning"]
    return errors, warnings


def _county_names(region: Region) -> dict[str, str]:
    return dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=False))


def _render(problem: ScenarioProblem, lang: str, county_names: Mapping[str, str]) -> str:
    """A planner message with field paths as the form's labels, counties by name."""
    params = dict(problem.params)
    for key in ("field", "standard"):
        if key in params:
            params[key] = _field_label(str(params[key]), lang, county_names)
    if "county" in params:
        params["county"] = county_names.get(str(params["county"]), params["county"])
    return t(problem.key, lang, **params)


def _field_label(path: str, lang: str, county_names: Mapping[str, str]) -> str:
    if path in FIELDS:
        return t(FIELDS[path], lang)
    for prefix, column in _LIMIT_PATHS:
        if path.startswith(prefix):
            code = path[len(prefix) :]
            return f"{county_names.get(code, code)} · {t(_COLUMN_LABEL[column], lang)}"
    if path.startswith(_BUDGET_PATH):
        code = path[len(_BUDGET_PATH) :]
        return f"{county_names.get(code, code)} · {t(BUDGET_LABEL, lang)}"
    return path

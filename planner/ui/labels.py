"""Catalogue keys of the values the pages show in words: one mapping per family, value ->
complete message key (no key is put together at run time, so every key in the
catalogues can be found by its name).

These are the families that more than one page or widget shows, and the families the
pages share with the packages below them (the data checks, the plan review, the solver's
statuses, the map's basemaps). A family only one page shows is mapped in that page.
A value outside a mapping (a file's own value) is shown as it is.
"""

from __future__ import annotations

__all__ = [
    "BASEMAP_LABEL",
    "FIELD_LABEL",
    "IMPORT_QUALITY_LABEL",
    "IMPORT_STATUS_LABEL",
    "OBJECTIVE_LABEL",
    "PLAN_STATUS_LABEL",
    "REVIEW_ACTION_LABEL",
    "REVIEW_STATUS_LABEL",
    "SEVERITY_LABEL",
    "SYSTEM_LABEL",
    "TIER_LABEL",
]

# --- the scenario -------------------------------------------------------------------------

#: Station objective (:data:`planner.scenario.model.StationObjective`).
OBJECTIVE_LABEL: dict[str, str] = {
    "p_median": "ui.sc.objective.p_median",
    "mclp": "ui.sc.objective.mclp",
    "set_cover": "ui.sc.objective.set_cover",
}

# --- plans and their review ---------------------------------------------------------------

#: Solver status of a tier or a run (:data:`planner.models.results.STATUSES`).
PLAN_STATUS_LABEL: dict[str, str] = {
    "optimal": "ui.status.optimal",
    "time_limit_feasible": "ui.status.time_limit_feasible",
    "infeasible": "ui.status.infeasible",
    "unbounded": "ui.status.unbounded",
    "error": "ui.status.error",
}
#: Tier of a reviewed site (:data:`planner.plan.review.TIERS`).
TIER_LABEL: dict[str, str] = {
    "station": "tier.station",
    "sorting_centre": "tier.sorting_centre",
}
#: Review status of a site (:data:`planner.plan.review.STATUSES`).
REVIEW_STATUS_LABEL: dict[str, str] = {
    "pending": "review.status.pending",
    "approved": "review.status.approved",
    "rejected": "review.status.rejected",
    "moved": "review.status.moved",
}
#: Review decision (:data:`planner.plan.review.ACTIONS`).
REVIEW_ACTION_LABEL: dict[str, str] = {
    "approve": "review.action.approve",
    "reject": "review.action.reject",
    "lock": "review.action.lock",
    "unlock": "review.action.unlock",
    "move": "review.action.move",
    "reset": "review.action.reset",
    "comment": "review.action.comment",
}

# --- maps ---------------------------------------------------------------------------------

#: Basemap (:data:`planner.views.BASEMAPS`).
BASEMAP_LABEL: dict[str, str] = {
    "none": "map.basemap.none",
    "osm": "map.basemap.osm",
    "amap": "map.basemap.amap",
}

# --- imports ------------------------------------------------------------------------------

#: A layer's column (:data:`planner.data.checks.COLUMNS`, and the points' coordinates).
FIELD_LABEL: dict[str, str] = {
    "code": "validate.field.code",
    "name": "validate.field.name",
    "population": "validate.field.population",
    "households": "validate.field.households",
    "urban_share": "validate.field.urban_share",
    "county_code": "validate.field.county_code",
    "township_code": "validate.field.township_code",
    "kind": "validate.field.kind",
    "geometry_quality": "validate.field.geometry_quality",
    "site_id": "validate.field.site_id",
    "tier": "validate.field.tier",
    "status": "validate.field.status",
    "capacity": "validate.field.capacity",
    "lon": "validate.field.lon",
    "lat": "validate.field.lat",
}
#: Severity of an import problem (:data:`planner.data.checks.SEVERITIES`).
SEVERITY_LABEL: dict[str, str] = {
    "error": "validate.severity.error",
    "needs_input": "validate.severity.needs_input",
    "warning": "validate.severity.warning",
    "fixed": "validate.severity.fixed",
}
#: Coordinate system by name (:data:`planner.data.crs.COORDINATE_SYSTEMS`).
SYSTEM_LABEL: dict[str, str] = {
    "wgs84": "term.wgs84_gps",
    "gcj02": "io.system.gcj02",
    "bd09": "term.bd_09_baidu",
    "cgcs2000": "io.system.cgcs2000",
}
#: Geometry quality chosen for an import (:data:`planner.data.edit.QUALITY_OPTIONS`).
IMPORT_QUALITY_LABEL: dict[str, str] = {
    "official": "ui.import.quality.official",
    "approximate": "ui.import.quality.approximate",
    "file": "ui.import.quality.file",
}
#: Status given to imported sites (:data:`planner.data.checks.STATUS_VALUES`).
IMPORT_STATUS_LABEL: dict[str, str] = {
    "existing_keep": "ui.import.status.existing_keep",
    "existing_close": "ui.import.status.existing_close",
    "candidate": "ui.import.status.candidate",
}

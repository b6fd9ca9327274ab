"""Catalogue keys of the values the pages show in words: one mapping per family, value ->
complete message key (no key is put together at run time, so every key in the
catalogues can be found by its name).

Each family lives beside the values it names, in the lowest package that shows it
(the plan's statuses and tiers, the review's actions, the map's basemaps, the data
checks' fields and severities); this module gathers them under the names the pages use
and adds the families only the pages show. A value outside a mapping (a file's own
value) is shown as it is.
"""

from __future__ import annotations

from planner.data.checks.report import FIELD_KEYS as FIELD_LABEL
from planner.data.checks.report import SEVERITY_KEYS as SEVERITY_LABEL
from planner.data.crs.convert import SYSTEM_KEYS as SYSTEM_LABEL
from planner.data.edit.uploads import QUALITY_KEYS as IMPORT_QUALITY_LABEL
from planner.data.edit.uploads import SITE_STATUS_KEYS as IMPORT_STATUS_LABEL
from planner.plan.review import REVIEW_ACTION_LABEL, REVIEW_STATUS_LABEL
from planner.plan.tables import PLAN_STATUS_LABEL, TIER_LABEL
from planner.views import BASEMAP_LABEL

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

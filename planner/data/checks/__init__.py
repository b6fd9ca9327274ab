"""Checks on imported layers, and the report a planner reads after an import.

Every check is pure: it takes frames and returns new frames plus a list of
:class:`Problem` findings; inputs are never modified. A problem carries a message key
(prefix ``validate.`` or ``io.``), a severity, how many features it concerns, a few
examples (codes or names, as the planner knows them) and the values that fill the
message. :class:`ValidationReport` collects problems and renders them in Chinese or
English.

Modules: :mod:`~planner.data.checks.report` (problems and the report),
:mod:`~planner.data.checks.schema` (levels, columns, column names),
:mod:`~planner.data.checks.codes`, :mod:`~planner.data.checks.text`,
:mod:`~planner.data.checks.numbers`, :mod:`~planner.data.checks.geometry`,
:mod:`~planner.data.checks.hierarchy` and :mod:`~planner.data.checks.sites` (sites listed
twice).

Severities
----------
``error``
    The layer cannot be used as it is; the import is refused.
``needs_input``
    The planner has to choose something (a layer, a coordinate system) and import again.
``warning``
    The layer is usable but something looks wrong or is missing.
``fixed``
    Something was repaired or filled in automatically; said so for transparency.
"""

from planner.data.checks.codes import check_duplicates, clean_codes
from planner.data.checks.geometry import (
    REGION_TOLERANCE_M,
    check_at_sea,
    check_geometries,
    check_outside_region,
    fix_axis_order,
)
from planner.data.checks.hierarchy import (
    POPULATION_TOLERANCE,
    check_hierarchy,
    check_population_parents,
    check_population_sums,
)
from planner.data.checks.numbers import POPULATION_BOUND, parse_numbers, population_bound
from planner.data.checks.report import (
    FIELD_KEYS,
    LEVEL_KEYS,
    MAX_EXAMPLES,
    SEVERITIES,
    SEVERITY_KEYS,
    SITE_VALUE_KEYS,
    Problem,
    Term,
    ValidationReport,
    feature_labels,
    field_term,
    level_term,
)
from planner.data.checks.schema import (
    CODE_LENGTH,
    COLUMNS,
    FIELD_ALIASES,
    KIND_VALUES,
    LEVELS,
    PARENT_LEVEL,
    QUALITY_VALUES,
    REQUIRED,
    SITE_ATTRIBUTES,
    SITE_KIND_OF_TIER,
    SITE_KIND_VALUES,
    SITE_TEXT_COLUMNS,
    SITE_VALUES,
    STATUS_VALUES,
    TIER_VALUES,
    complete_sites,
    match_columns,
    normalise_header,
    normalise_values,
)
from planner.data.checks.sites import DUPLICATE_DISTANCE_M, check_duplicate_sites
from planner.data.checks.text import NUL_MARK, clean_control_characters

__all__ = [
    "CODE_LENGTH",
    "COLUMNS",
    "DUPLICATE_DISTANCE_M",
    "FIELD_ALIASES",
    "FIELD_KEYS",
    "KIND_VALUES",
    "LEVELS",
    "LEVEL_KEYS",
    "MAX_EXAMPLES",
    "NUL_MARK",
    "PARENT_LEVEL",
    "POPULATION_BOUND",
    "POPULATION_TOLERANCE",
    "QUALITY_VALUES",
    "REGION_TOLERANCE_M",
    "REQUIRED",
    "SEVERITIES",
    "SEVERITY_KEYS",
    "SITE_ATTRIBUTES",
    "SITE_KIND_OF_TIER",
    "SITE_KIND_VALUES",
    "SITE_TEXT_COLUMNS",
    "SITE_VALUES",
    "SITE_VALUE_KEYS",
    "STATUS_VALUES",
    "TIER_VALUES",
    "Problem",
    "Term",
    "ValidationReport",
    "check_at_sea",
    "check_duplicate_sites",
    "check_duplicates",
    "check_geometries",
    "check_hierarchy",
    "check_outside_region",
    "check_population_parents",
    "check_population_sums",
    "clean_codes",
    "clean_control_characters",
    "complete_sites",
    "feature_labels",
    "field_term",
    "fix_axis_order",
    "level_term",
    "match_columns",
    "normalise_header",
    "normalise_values",
    "parse_numbers",
    "population_bound",
]

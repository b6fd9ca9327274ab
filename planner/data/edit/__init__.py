"""Editing regions from planners' files: a layer or population table imported into the
region on screen, a new city set up from uploads, a region saved as a user pack.

Everything that happens after an upload is a plain function taking bytes and a file
name (:class:`ImportFile`) — :func:`import_into_region`, :func:`new_city`,
:func:`save_as_region` — that never raises and never modifies the region it is given,
so a failed import changes nothing already loaded. The Data page's import panel only
draws the choices and shows the outcome.

Modules: :mod:`~planner.data.edit.uploads` (the file and the choices),
:mod:`~planner.data.edit.steps` (what an import does after the reader),
:mod:`~planner.data.edit.outcomes`, :mod:`~planner.data.edit.region` and
:mod:`~planner.data.edit.city`.
"""

from planner.data.edit.city import new_city, new_city_meta
from planner.data.edit.outcomes import CityOutcome, Outcome
from planner.data.edit.region import import_into_region, save_as_region
from planner.data.edit.uploads import (
    CRS_OPTIONS,
    POPULATION_LEVELS,
    QUALITY_KEYS,
    QUALITY_OPTIONS,
    SITE_STATUS_KEYS,
    TABLE_TYPES,
    TARGETS,
    VECTOR_TYPES,
    ImportFile,
    columns_missing,
    coordinate_system,
    has_quality_column,
    import_fields,
    source_columns,
    upload_refusal,
)

__all__ = [
    "CRS_OPTIONS",
    "POPULATION_LEVELS",
    "QUALITY_KEYS",
    "QUALITY_OPTIONS",
    "SITE_STATUS_KEYS",
    "TABLE_TYPES",
    "TARGETS",
    "VECTOR_TYPES",
    "CityOutcome",
    "ImportFile",
    "Outcome",
    "columns_missing",
    "coordinate_system",
    "has_quality_column",
    "import_fields",
    "import_into_region",
    "new_city",
    "new_city_meta",
    "save_as_region",
    "source_columns",
    "upload_refusal",
]

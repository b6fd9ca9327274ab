"""Uploads for an import: the file with the planner's choices, and what they may be.

Everything here is plain data and functions: the import panel of the Data page draws
the choices, these say what they mean (:func:`coordinate_system`), which columns a file
has (:func:`source_columns`) and whether an upload is too large
(:func:`upload_refusal`).
"""

from __future__ import annotations

import hashlib
import io as _stdio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from planner.data import io as planner_io
from planner.data.checks import COLUMNS, match_columns
from planner.i18n import LANGUAGES, PlannerError

__all__ = [
    "CRS_OPTIONS",
    "POPULATION_LEVELS",
    "QUALITY_KEYS",
    "QUALITY_OPTIONS",
    "SITE_STATUS_KEYS",
    "TABLE_TYPES",
    "TARGETS",
    "VECTOR_TYPES",
    "ImportFile",
    "columns_missing",
    "coordinate_system",
    "has_quality_column",
    "import_fields",
    "source_columns",
    "upload_refusal",
]

#: What can be imported into a region: a layer, or a population table for a layer.
TARGETS: tuple[str, ...] = ("counties", "townships", "communities", "sites", "population")
POPULATION_LEVELS: tuple[str, ...] = ("counties", "townships", "communities")
#: Coordinate-system choices offered to the planner ("auto" detects, "epsg" asks a code).
CRS_OPTIONS: tuple[str, ...] = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000", "epsg")
QUALITY_OPTIONS: tuple[str, ...] = ("official", "approximate", "file")
#: Geometry-quality choice -> its label.
QUALITY_KEYS: dict[str, str] = {
    "official": "ui.import.quality.official",
    "approximate": "ui.import.quality.approximate",
    "file": "ui.import.quality.file",
}
#: Status given to every site of a file without one
#: (:data:`~planner.data.checks.STATUS_VALUES`) -> its label.
SITE_STATUS_KEYS: dict[str, str] = {
    "existing_keep": "ui.import.status.existing_keep",
    "existing_close": "ui.import.status.existing_close",
    "candidate": "ui.import.status.candidate",
}
#: File types the uploaders accept. ``.shp`` and ``.xls`` are accepted so that the
#: planner gets the reader's explanation (zip the Shapefile, save as .xlsx), not a refusal.
VECTOR_TYPES = ["geojson", "json", "gpkg", "zip", "shp", "kml", "csv", "txt", "xlsx", "xlsm"]
TABLE_TYPES = ["csv", "txt", "xlsx", "xlsm", "xls"]


@dataclass(frozen=True)
class ImportFile:
    """An uploaded file and the planner's choices for it.

    Parameters
    ----------
    name
        File name as uploaded (its suffix selects the reader).
    data
        The file's bytes.
    layer
        Layer, Shapefile or worksheet to read when the file holds several.
    coordinate_system
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"``, ``"EPSG:nnnn"`` or None to
        use the declared system or detect it.
    column_map
        ``{field: source column}`` overrides of the recognised column names.
    """

    name: str
    data: bytes
    layer: str | None = None
    coordinate_system: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)

    def handle(self) -> _stdio.BytesIO:
        """A fresh file object with ``.name``, as :mod:`planner.data.io` expects."""
        buffer = _stdio.BytesIO(self.data)
        buffer.name = self.name
        return buffer

    def signature(self) -> tuple:
        """A hashable fingerprint of the file and the choices."""
        digest = hashlib.sha1(self.data).hexdigest()
        return (
            self.name,
            digest,
            self.layer,
            self.coordinate_system,
            tuple(sorted(self.column_map.items())),
        )


def coordinate_system(option: str, epsg: str = "") -> str | None:
    """The ``coordinate_system`` argument for :mod:`planner.data.io` from the panel's choice.

    ``"auto"`` gives None (declared or detected); ``"epsg"`` gives ``"EPSG:<code>"`` from
    the typed code (``4549``, ``EPSG:4549``); an empty code also gives None.
    """
    if option in (None, "", "auto"):
        return None
    if option == "epsg":
        code = re.sub(r"(?i)^\s*epsg\s*:?\s*", "", str(epsg or "")).strip()
        return f"EPSG:{code}" if code else None
    return option


def source_columns(upload: ImportFile, table: bool = False) -> list[str]:
    """Column names of the uploaded file (for the mapping choices); [] when unreadable."""
    try:
        if table:
            frame = planner_io.read_table(upload.handle(), sheet=upload.layer)
            return [str(c) for c in frame.columns]
        gdf = planner_io.read_vector(upload.handle(), layer=upload.layer)
        return [str(c) for c in gdf.columns if c != gdf.geometry.name]
    except Exception:  # the import itself explains why the file cannot be read
        return []


def upload_refusal(size: int, limit_name: str = "upload_mb") -> dict[str, str] | None:
    """Why an upload of ``size`` bytes is refused (``limit.exceeded`` in every language).

    None when it fits.

    Parameters
    ----------
    size
        The uploaded file's size in bytes (Streamlit's ``UploadedFile.size``).
    limit_name
        The limit of :mod:`planner.limits` it is held to.
    """
    try:
        planner_io.check_file_size(size, limit_name)
    except PlannerError as err:
        return {code: err.message(code) for code in LANGUAGES}
    return None


def import_fields(level: str, table: bool = False) -> list[str]:
    """The fields of ``level`` a file can feed: all its columns, or for a population
    table code, name, population and households."""
    if table:
        return [c for c in ("code", "name", "population", "households") if c in COLUMNS[level]]
    return list(COLUMNS[level])


def has_quality_column(columns: Sequence[str], level: str) -> bool:
    """Whether one of ``columns`` holds the geometry quality of ``level``."""
    mapping, _ = match_columns(columns, level, wanted=("geometry_quality",), required=())
    return "geometry_quality" in mapping


def columns_missing(
    columns: Sequence[str], level: str, chosen: Mapping[str, str], table: bool = False
) -> bool:
    """Whether a field the import needs is not found among ``columns``, with the
    planner's ``chosen`` columns (``{field: column}``) taken first.

    For a population table the population is needed and a code or name to join on;
    for a layer the required columns of ``level``. False when there are no columns
    (an unreadable file: the import says why).
    """
    if not columns:
        return False
    wanted = import_fields(level, table) if table else None
    required = ("population",) if table else None
    mapping, problems = match_columns(columns, level, chosen, wanted=wanted, required=required)
    no_key = table and "code" not in mapping and "name" not in mapping
    return no_key or any(p.blocking for p in problems)

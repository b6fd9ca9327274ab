"""A folder of constraint and point layers read into a region (``plan --layers DIR``).

The command line plans with layers a region does not store, as the Data page imports
them: a folder with

* ``zones.<anything>.<ext>`` or ``zones.<ext>`` — constraint zones (polygons with
  ``category`` and ``name``; GeoJSON, GPKG, zipped SHP);
* ``pois.<anything>.<ext>`` or ``pois.<ext>`` — points of interest (a CSV/XLSX with
  coordinates too);
* ``tables/<name>.<anything>.csv`` — demand tables per county (``county_code``,
  ``count``), ``<name>`` being the table a kind names (``vehicles``).

The part of a file name after the first dot and before the extension is free, so an
example can say what it is in its name (``zones.made_up.geojson``). Coordinates are
read as WGS84 (how the planner stores geometry) unless ``coordinate_system`` says
otherwise: points this far inside a region cannot tell WGS84 from GCJ-02 by themselves.
Each file is read and checked by the importers (:mod:`planner.data.io.constraints`); a
file with errors stops with its report, nothing half-read is planned on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planner.data.io.constraints import import_demand_table, import_pois, import_zones
from planner.data.regions import Region
from planner.i18n import DEFAULT_LANGUAGE, PlannerError

__all__ = ["LAYER_SUFFIXES", "read_layer_folder"]

#: File types a layer of the folder may have.
LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx")


def _name(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _one(folder: Path, layer: str) -> Path | None:
    found = sorted(
        p for p in folder.iterdir()
        if p.is_file() and _name(p) == layer and p.suffix.lower() in LAYER_SUFFIXES
    )  # fmt: skip
    if len(found) > 1:
        raise PlannerError("layers.several", layer=layer, files=", ".join(p.name for p in found))
    return found[0] if found else None


def read_layer_folder(
    region: Region,
    folder: str | Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    say: Callable[[str], None] | None = None,
    coordinate_system: str = "wgs84",
) -> Region:
    """``region`` with the zones, points of interest and demand tables in ``folder``.

    Parameters
    ----------
    say
        Called with each warning of the imports (in ``lang``).
    coordinate_system
        System of the files' coordinates (``wgs84``, ``gcj02``, an EPSG code).

    Raises
    ------
    PlannerError
        ``layers.not_folder``; ``layers.several`` (two files for one layer);
        ``layers.refused`` (a file with errors, its report as details).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PlannerError("layers.not_folder", path=folder)
    say = say or (lambda message: None)
    parents = {
        "counties": region.counties,
        "townships": region.townships,
        "communities": region.communities,
    }
    for layer, reader in (("zones", import_zones), ("pois", import_pois)):
        path = _one(folder, layer)
        if path is None:
            continue
        result = reader(
            path,
            parents=parents,
            region_boundary=region.boundary(),
            lang=lang,
            coordinate_system=coordinate_system,
        )
        if not result.ok or result.data is None:
            raise PlannerError("layers.refused", path=path, details=result.report.problems)
        for message in result.messages(lang):
            say(message)
        region = region.with_layer(layer, result.data)
    tables = folder / "tables"
    if tables.is_dir():
        for path in sorted(tables.glob("*.csv")):
            table, report = import_demand_table(path, region.counties, lang=lang)
            if table is None or not report.ok:
                raise PlannerError("layers.refused", path=path, details=report.problems)
            for message in report.messages(lang):
                say(message)
            region = region.with_table(_name(path), table)
    return region

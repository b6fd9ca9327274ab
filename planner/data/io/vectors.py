"""Vector files of any supported format, read as they are: :func:`read_vector`.

GeoJSON, GeoPackage and KML go through GDAL (:mod:`~planner.data.io.ogr`), zipped
Shapefiles through :mod:`~planner.data.io.archives`, CSV/XLSX with coordinates through
:mod:`~planner.data.io.tables` and :mod:`~planner.data.io.points`.
"""

from __future__ import annotations

import io as _stdio
import tempfile
import zipfile
from typing import Any

import geopandas as gpd

from planner.data.checks import Problem
from planner.data.io.archives import _read_zip, _shapefile_stems, _zip_members
from planner.data.io.encodings import _decode, _encoding_note, _mark_nul
from planner.data.io.ogr import _list_ogr_layers, _read_ogr
from planner.data.io.points import _has_coordinates, _points_from_table
from planner.data.io.shapefiles import _read_shapefile
from planner.data.io.sources import (
    _OGR_FORMATS,
    _SHAPEFILE_PARTS,
    TABLE_FORMATS,
    VECTOR_FORMATS,
    _bytes,
    _materialised,
    _open_source,
    _opened,
    _Source,
)
from planner.data.io.tables import _excel_sheets, _read_table
from planner.i18n import PlannerError

__all__ = ["list_layers", "read_vector"]


def _geojson_text(src: _Source) -> tuple[_Source, list[Problem]]:
    """A GeoJSON as UTF-8 without BOM, its NUL characters marked (GDAL reads the rest).

    GBK text is re-encoded (with a note); a file that does not decode and does not
    start like JSON is corrupt rather than of an unknown encoding.
    """
    data = _bytes(src)
    try:
        text, used = _decode(data, src.name, None)
    except PlannerError as exc:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
            raise PlannerError(
                "io.corrupt_file", name=src.name, error=exc.params.get("error", "")
            ) from exc
        raise
    marked = _mark_nul(text)
    if used == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") and marked is text:
        return src, []
    notes = [] if used == "utf-8-sig" else _encoding_note(used)
    return _Source(src.name, src.suffix, data=marked.encode("utf-8")), notes


def _read_vector(
    source: Any,
    *,
    encoding: str | None = None,
    layer: str | int | None = None,
    size_limit: str = "upload_mb",
    count_rows: bool = True,
) -> tuple[gpd.GeoDataFrame, list[Problem], str]:
    src = _opened(source, VECTOR_FORMATS, size_limit=size_limit, parts=_SHAPEFILE_PARTS)
    suffix = src.suffix
    if suffix in TABLE_FORMATS:
        frame, notes, _ = _read_table(src, encoding=encoding, sheet=layer, prefer=_has_coordinates)
        gdf, more = _points_from_table(frame, src.name)
        return gdf, notes + more, src.name
    if suffix in _SHAPEFILE_PARTS and (suffix != ".shp" or src.path is None):
        raise PlannerError("io.shp_needs_zip", name=src.name)
    with tempfile.TemporaryDirectory(prefix="planner-import-") as directory:
        notes: list[Problem] = []
        if suffix in (".geojson", ".json") and encoding is None:
            src, notes = _geojson_text(src)
        with _materialised(src, directory) as path:
            if suffix == ".zip":
                gdf, more = _read_zip(
                    path,
                    src.name,
                    directory,
                    layer=layer,
                    encoding=encoding,
                    count_rows=count_rows,
                )
            elif suffix == ".shp":
                gdf, more = _read_shapefile(
                    path, src.name, encoding=encoding, count_rows=count_rows
                )
            else:
                gdf, more = _read_ogr(
                    path, src.name, layer=layer, encoding=encoding, count_rows=count_rows
                )
    return gdf, notes + more, src.name


def read_vector(
    source: Any,
    *,
    encoding: str | None = None,
    layer: str | int | None = None,
    size_limit: str = "upload_mb",
    count_rows: bool = True,
) -> gpd.GeoDataFrame:
    """Read a vector file as it is (source coordinates, source columns).

    Parameters
    ----------
    source
        A path, or an uploaded file (file-like with ``.name``): GeoJSON, GeoPackage,
        KML, zipped Shapefile (or a ``.shp`` path with its sibling files), or CSV/XLSX
        with longitude/latitude columns (lon/lng/longitude/经度/x and
        lat/latitude/纬度/y), a single "lon,lat" column (location/经纬度) or WKT.
    encoding
        Text encoding of attributes. By default a Shapefile's ``.cpg`` (or the code
        page in its DBF) is honoured; without one UTF-8 and then GBK/GB18030 are tried
        and the one that decodes cleanly is used.
    layer
        Layer of a GeoPackage/KML, Shapefile in a zip (by name), or sheet of a workbook.
    size_limit
        The limit of :mod:`planner.limits` the file's size is checked against
        (``"road_mb"`` for road files).
    count_rows
        Whether the row limit applies (road networks have more lines than any layer
        of units; their file size bounds them instead).

    Returns
    -------
    geopandas.GeoDataFrame
        With the file's CRS, or ``crs=None`` when the file declares none (Shapefile
        without ``.prj``, tables): :func:`import_layer` then detects or asks.

    Raises
    ------
    PlannerError
        ``io.*`` keys for files that cannot be read; ``io.multiple_layers`` (with the
        layer names as ``examples``) when a choice is needed; ``limit.exceeded`` for a
        file, archive or table over a limit of :mod:`planner.limits`.
    """
    gdf, _, _ = _read_vector(
        source, encoding=encoding, layer=layer, size_limit=size_limit, count_rows=count_rows
    )
    return gdf


def list_layers(source: Any) -> list[str]:
    """Names of the layers (or worksheets, or Shapefiles in a zip) a planner can choose.

    Returns an empty list for files that cannot be read; :func:`import_layer` says why.
    """
    try:
        src = _open_source(source)
        if src.suffix in (".xlsx", ".xlsm"):
            return [k for k, v in _excel_sheets(src).items() if not v.empty]
        if src.suffix == ".zip":
            with zipfile.ZipFile(_stdio.BytesIO(_bytes(src))) as archive:
                stems = _shapefile_stems(_zip_members(archive))
            return [stem.rsplit("/", 1)[-1] for stem in stems]
        if src.suffix in _OGR_FORMATS:
            with (
                tempfile.TemporaryDirectory(prefix="planner-import-") as directory,
                _materialised(src, directory) as path,
            ):
                return [n for n, _ in _list_ogr_layers(path, src.name)]
    except Exception:
        return []
    return []

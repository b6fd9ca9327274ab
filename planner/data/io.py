"""Reading planners' files into validated layers.

A planner can replace any layer of a city with the files their bureau holds, or set a
city up from uploads alone. This module reads those files (GeoJSON, GeoPackage, zipped
Shapefile, KML, CSV/XLSX with coordinates, CSV/XLSX attribute tables), recognises the
usual Chinese and English column names, converts coordinates to WGS84 and runs the
checks of :mod:`planner.data.validation`.

Contract
--------
* :func:`import_layer` and :func:`import_population` never raise for bad input: every
  problem, including library errors, ends up in the :class:`ImportResult` report, with
  the original error text kept as "details".
* They are pure: inputs (sources, parent layers, the layer to update) are not modified;
  a failed import returns ``data=None`` and so changes nothing already loaded.
* Codes are strings; a layer's geometry is in EPSG:4326.
* Resources are bounded (:mod:`planner.limits`): a file over the upload size, an
  archive that unpacks too large, is packed too tightly (a zip bomb) or holds too many
  files, and a table or layer of too many rows are refused (``limit.exceeded``, naming
  the variable that raises the limit) before they are parsed in full or extracted.
* Numbers are read strictly (:func:`planner.data.validation.parse_numbers`): ambiguous
  separators and scientific notation are refused, fractions rounded with a warning;
  control characters in text are removed with a warning naming the rows.

The lower-level readers :func:`read_vector` and :func:`read_table` raise
:class:`~planner.i18n.PlannerError` (with an ``io.*`` key) for files they cannot read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io as _stdio
import math
import os
import re
import shutil
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from planner.data import crs as crs_mod
from planner.data.validation import (
    CODE_LENGTH,
    COLUMNS,
    FIELD_ALIASES,
    KIND_VALUES,
    LEVELS,
    QUALITY_VALUES,
    REGION_TOLERANCE_M,
    STATUS_VALUES,
    TIER_VALUES,
    Problem,
    Term,
    ValidationReport,
    check_duplicates,
    check_geometries,
    check_hierarchy,
    check_outside_region,
    check_population_parents,
    check_population_sums,
    clean_codes,
    clean_control_characters,
    feature_labels,
    field_term,
    fix_axis_order,
    level_term,
    match_columns,
    normalise_header,
    normalise_values,
    parse_numbers,
)
from planner.i18n import DEFAULT_LANGUAGE, PlannerError
from planner.limits import check_limit, limit

__all__ = [
    "TABLE_FORMATS",
    "VECTOR_FORMATS",
    "ImportResult",
    "check_file_size",
    "import_layer",
    "import_population",
    "list_layers",
    "read_table",
    "read_vector",
]

VECTOR_FORMATS: tuple[str, ...] = (
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
    ".shp",
    ".kml",
    ".csv",
    ".txt",
    ".xlsx",
    ".xlsm",
)
TABLE_FORMATS: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xlsm")
_OGR_FORMATS = (".geojson", ".json", ".gpkg", ".kml")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml")
#: Encodings tried, in order, for text without a declared encoding.
_FALLBACK_ENCODINGS = ("utf-8", "gb18030")
_MB = 1 << 20
#: An archive's compression ratio is checked only once it unpacks to more than this: a
#: few megabytes are harmless however well they compress (a DBF of empty text fields
#: packs 100× and more).
_RATIO_FLOOR_BYTES = 10 * _MB
_HEADER_SCAN_ROWS = 10
#: Bytes of a table read to guess its delimiter.
_SNIFF_BYTES = 1 << 16

#: Problems raised by readers that ask the planner to choose rather than fix a file.
_NEEDS_INPUT_KEYS = frozenset({"io.multiple_layers"})

_LON_ALIASES = (
    *("lon", "lng", "long", "longitude", "经度", "x", "pointx", "x坐标", "横坐标"),
    *("坐标x", "经度wgs84", "gpslon", "gps经度"),
)
_LAT_ALIASES = (
    *("lat", "latitude", "纬度", "y", "pointy", "y坐标", "纵坐标", "坐标y", "纬度wgs84"),
    *("gpslat", "gps纬度"),
)
_PAIR_ALIASES = ("location", "lnglat", "lonlat", "经纬度", "坐标", "coordinates", "gps坐标")
_WKT_ALIASES = ("wkt", "geometry", "geom", "thegeom", "shape", "几何")
_TOTAL_NAMES = frozenset(
    normalise_header(n)
    for n in ("合计", "总计", "小计", "全市", "全区", "全县", "全市合计", "total", "sum", "总数")
)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ImportResult:
    """What an import produced.

    Attributes
    ----------
    data
        The new layer (EPSG:4326, contract columns), or None when the report has errors
        or questions for the planner.
    report
        Everything found, renderable in Chinese or English.
    coordinate_system
        The system the source coordinates were read as (``"wgs84"``, ``"gcj02"``,
        ``"EPSG:4549"``...), None if undecided or not applicable.
    columns
        Which source column was used for each field, ``{field: column}``.
    """

    data: gpd.GeoDataFrame | None
    report: ValidationReport
    coordinate_system: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def ok(self) -> bool:
        """Whether the import succeeded."""
        return self.data is not None and self.report.ok

    def messages(self, lang: str | None = None) -> list[str]:
        """The report as lines of text."""
        return self.report.messages(lang)


def _problem_from_error(error: PlannerError) -> Problem:
    """A reader's error as a report problem (``error=`` text becomes the details)."""
    params = dict(error.params)
    examples = tuple(str(e) for e in params.pop("examples", ()) or ())
    count = int(params.pop("count", 1))
    texts = [str(params.pop("error"))] if params.get("error") else []
    texts += [d.message(DEFAULT_LANGUAGE) for d in getattr(error, "details", ())]
    if texts:
        params["details"] = "; ".join(texts)
    severity = "needs_input" if error.key in _NEEDS_INPUT_KEYS else "error"
    return Problem(error.key, severity, count=count, examples=examples, params=params)


def _unexpected(exc: BaseException, name: str = "") -> Problem:
    return Problem(
        "io.unexpected_error",
        "error",
        params={"name": name, "details": f"{type(exc).__name__}: {exc}"[:1000]},
    )


# --------------------------------------------------------------------------- sources


@dataclass
class _Source:
    name: str
    suffix: str
    path: Path | None = None
    data: bytes | None = None


def check_file_size(size: int, limit_name: str = "upload_mb") -> None:
    """Refuse a file of ``size`` bytes that is over the limit ``limit_name`` (in MB).

    Parameters
    ----------
    size
        The file's size in bytes.
    limit_name
        ``"upload_mb"`` for imports and uploads, ``"road_mb"`` for road files.

    Raises
    ------
    PlannerError
        ``limit.exceeded`` naming the size, the limit and its environment variable.
    """
    check_limit(limit_name, size / _MB)


def _upload_size(source: Any) -> int | None:
    """The size of an uploaded file without reading it (None if it cannot tell)."""
    size = getattr(source, "size", None)  # Streamlit's UploadedFile
    if isinstance(size, int):
        return size
    with contextlib.suppress(Exception):
        position = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(position)
        return int(end)
    return None


def _open_source(source: Any, size_limit: str = "upload_mb") -> _Source:
    """Normalise a path or an uploaded file (BytesIO-like with ``.name``).

    The size is checked against ``size_limit`` before anything is read.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise PlannerError("io.file_not_found", name=str(source))
        if path.is_dir():
            raise PlannerError(
                "io.unsupported_format",
                name=path.name,
                ext="(folder)",
                supported=list(VECTOR_FORMATS),
            )
        check_file_size(path.stat().st_size, size_limit)
        return _Source(path.name, path.suffix.lower(), path=path)
    reader = getattr(source, "getvalue", None) or getattr(source, "read", None)
    if reader is None:
        raise PlannerError("io.unreadable", name=str(type(source).__name__))
    name = Path(str(getattr(source, "name", "") or "")).name
    size = _upload_size(source)
    if size is not None:
        check_file_size(size, size_limit)
    position = None
    with contextlib.suppress(Exception):
        position = source.tell()
        source.seek(0)
    try:
        data = reader()
    except Exception as exc:
        raise PlannerError("io.unreadable", name=name, error=str(exc)) from exc
    finally:
        if position is not None:
            with contextlib.suppress(Exception):
                source.seek(position)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PlannerError("io.unreadable", name=name)
    check_file_size(len(data), size_limit)
    return _Source(name or "upload", Path(name).suffix.lower(), data=bytes(data))


def _size(src: _Source) -> int:
    return len(src.data) if src.data is not None else src.path.stat().st_size  # type: ignore[union-attr]


def _bytes(src: _Source) -> bytes:
    if src.data is not None:
        return src.data
    try:
        return src.path.read_bytes()  # type: ignore[union-attr]
    except OSError as exc:
        raise PlannerError("io.unreadable", name=src.name, error=str(exc)) from exc


@contextlib.contextmanager
def _materialised(src: _Source, directory: str) -> Iterator[Path]:
    """A path on disk holding the source (uploads are written to ``directory``)."""
    if src.path is not None:
        yield src.path
        return
    path = Path(directory) / f"upload{src.suffix}"
    path.write_bytes(src.data or b"")
    yield path


# --------------------------------------------------------------------------- text


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode text: the given encoding, else UTF-8 (with or without BOM), else GB18030."""
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    errors = []
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            errors.append(f"{enc}: {exc}")
            continue
        return text, enc
    raise PlannerError(
        "io.encoding_failed",
        name=name,
        tried=[c.replace("-sig", "") for c in candidates],
        error="; ".join(errors)[:500],
    )


def _text_encoding(data: bytes, name: str, encoding: str | None) -> str:
    """The encoding :func:`_decode` would choose, checked without holding the text.

    The bytes are decoded a megabyte at a time and the text dropped: a table is then
    parsed straight from its bytes, so a large file is never held twice more as text.
    """
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    errors = []
    view = memoryview(data)
    for enc in candidates:
        start = 0
        try:
            decoder = codecs.getincrementaldecoder(enc)()
            for start in range(0, len(data), _MB):
                decoder.decode(view[start : start + _MB])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason} at byte {start + exc.start}")
            continue
        except LookupError as exc:
            errors.append(f"{enc}: {exc}")
            continue
        return enc
    raise PlannerError(
        "io.encoding_failed",
        name=name,
        tried=[c.replace("-sig", "") for c in candidates],
        error="; ".join(errors)[:500],
    )


def _encoding_note(encoding: str) -> list[Problem]:
    if encoding.replace("-sig", "").lower() in ("utf-8", "utf8", "ascii"):
        return []
    return [Problem("io.encoding_guessed", "fixed", params={"encoding": "GBK/GB18030"})]


# --------------------------------------------------------------------------- tables


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _known_header_names() -> set[str]:
    names: set[str] = set()
    for aliases in FIELD_ALIASES.values():
        names.update(normalise_header(a) for a in aliases)
    for aliases in (_LON_ALIASES, _LAT_ALIASES, _PAIR_ALIASES, _WKT_ALIASES):
        names.update(normalise_header(a) for a in aliases)
    return names


_KNOWN_HEADERS = _known_header_names()


def _apply_header(raw: pd.DataFrame) -> pd.DataFrame:
    """Pick the header row (skipping title rows above it) and name the columns."""
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        return pd.DataFrame()
    best, best_score = 0, -1
    for i in range(min(_HEADER_SCAN_ROWS, len(raw))):
        cells = [c for c in raw.iloc[i] if isinstance(c, str) and c.strip()]
        score = sum(normalise_header(c) in _KNOWN_HEADERS for c in cells)
        if len(cells) >= 2 and score > best_score:
            best, best_score = i, score
    if best_score <= 0:
        best = 0
    header = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(raw.iloc[best]):
        name = str(cell).strip() if isinstance(cell, str) and cell.strip() else f"column{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        header.append(name)
    body = raw.iloc[best + 1 :].copy()
    body.columns = header
    body = body.dropna(how="all").reset_index(drop=True)
    return body.astype("str") if not body.empty else body


def _row_cap() -> int:
    """Raw rows to parse at most: one more than the row limit allows, title rows included."""
    return int(limit("rows")) + _HEADER_SCAN_ROWS + 1


def _check_rows(rows: int, total: int | None = None) -> None:
    """Refuse a table or layer of more than the row limit.

    ``rows`` were read (perhaps stopped at :func:`_row_cap`); ``total`` is the file's
    own count, when known, so that the message gives the real size.
    """
    if rows > limit("rows"):
        check_limit("rows", max(rows, total or 0))


def _read_csv(data: bytes, encoding: str, name: str) -> pd.DataFrame:
    # Parsing stops after the row limit: a table of millions of rows is refused in
    # seconds instead of being built in full (minutes, gigabytes) first.
    lines = _line_count(data)
    cap = _row_cap()
    head = data[:_SNIFF_BYTES].decode(encoding, errors="ignore")
    if len(data) > _SNIFF_BYTES:
        head = head.rsplit("\n", 1)[0]  # no cut-off last line
    try:
        raw = pd.read_csv(
            _stdio.BytesIO(data),
            encoding=encoding,
            sep=_sniff_delimiter(head),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            skipinitialspace=True,
            nrows=cap if lines > cap else None,
        )
    except pd.errors.EmptyDataError as exc:
        raise PlannerError("io.empty_file", name=name) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise PlannerError("io.corrupt_file", name=name, error=str(exc)[:500]) from exc
    frame = _apply_header(raw)
    _check_rows(len(frame), lines - 1)
    return frame


def _line_count(data: bytes) -> int:
    """Lines of a text file (an upper bound of its rows: cells may hold line breaks)."""
    return data.count(b"\n") + (not data.endswith(b"\n"))


def _check_archive(archive: zipfile.ZipFile, packed: int) -> None:
    """Refuse an archive (zip, XLSX) that unpacks too large, before extracting anything.

    The sizes are those of the archive's directory. :mod:`zipfile` never unpacks a
    member beyond its stated size (a member that lies fails its checksum), so they
    bound what extracting can produce.
    """
    infos = archive.infolist()
    check_limit("zip_members", len(infos))
    unpacked = sum(info.file_size for info in infos)
    check_limit("unzipped_mb", unpacked / _MB)
    if unpacked > _RATIO_FLOOR_BYTES:
        check_limit("zip_ratio", unpacked / max(packed, 1))


def _excel_sheets(src: _Source) -> dict[str, pd.DataFrame]:
    data = _bytes(src)
    try:
        with zipfile.ZipFile(_stdio.BytesIO(data)) as archive:
            _check_archive(archive, len(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PlannerError(
            "io.corrupt_file", name=src.name, error=f"{type(exc).__name__}: {exc}"[:500]
        ) from exc
    cap = _row_cap()
    try:
        sheets = pd.read_excel(
            _stdio.BytesIO(data),
            sheet_name=None,
            header=None,
            dtype=str,
            engine="openpyxl",
            nrows=cap,
        )
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise PlannerError(
            "io.corrupt_file", name=src.name, error=f"{type(exc).__name__}: {exc}"[:500]
        ) from exc
    frames = {str(k): _apply_header(v) for k, v in sheets.items()}
    for sheet, frame in frames.items():
        if len(frame) > limit("rows"):
            _check_rows(len(frame), _excel_rows(data, sheet))
    return frames


def _excel_rows(data: bytes, sheet: str) -> int | None:
    """Rows of a worksheet as its own dimension says (header included), without reading it."""
    import openpyxl

    with contextlib.suppress(Exception):
        book = openpyxl.load_workbook(_stdio.BytesIO(data), read_only=True)
        try:
            rows = book[sheet].max_row
        finally:
            book.close()
        return None if rows is None else int(rows) - 1
    return None


def _choose_sheet(
    sheets: Mapping[str, pd.DataFrame],
    name: str,
    sheet: str | int | None,
    prefer: Any = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    names = list(sheets)
    if sheet is not None:
        if isinstance(sheet, int) and 0 <= sheet < len(names):
            return sheets[names[sheet]], []
        if str(sheet) in sheets:
            return sheets[str(sheet)], []
        raise PlannerError("io.layer_not_found", name=name, layer=str(sheet), examples=names)
    filled = [n for n in names if not sheets[n].empty]
    if not filled:
        raise PlannerError("io.empty_file", name=name)
    if len(filled) == 1:
        return sheets[filled[0]], []
    if prefer is not None:
        preferred = [n for n in filled if prefer(sheets[n])]
        if len(preferred) == 1:
            return sheets[preferred[0]], [
                Problem("io.layer_chosen", "fixed", params={"layer": preferred[0]})
            ]
    raise PlannerError("io.multiple_layers", name=name, examples=filled, count=len(filled))


def _read_table(
    source: Any,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    prefer: Any = None,
) -> tuple[pd.DataFrame, list[Problem], str]:
    src = source if isinstance(source, _Source) else _open_source(source)
    if _size(src) == 0:
        raise PlannerError("io.empty_file", name=src.name)
    if src.suffix == ".xls":
        raise PlannerError("io.old_excel", name=src.name)
    if src.suffix not in TABLE_FORMATS:
        raise PlannerError(
            "io.unsupported_format",
            name=src.name,
            ext=src.suffix or "?",
            supported=list(TABLE_FORMATS),
        )
    notes: list[Problem] = []
    if src.suffix in (".xlsx", ".xlsm"):
        frame, notes = _choose_sheet(_excel_sheets(src), src.name, sheet, prefer)
    else:
        data = _bytes(src)
        used = _text_encoding(data, src.name, encoding)
        if not encoding:
            notes.extend(_encoding_note(used))
        frame = _read_csv(data, used, src.name)
    if frame.empty:
        raise PlannerError("io.empty_file", name=src.name)
    return frame, notes, src.name


def read_table(
    source: Any, *, encoding: str | None = None, sheet: str | int | None = None
) -> pd.DataFrame:
    """Read a CSV or XLSX attribute table; every column as text.

    Parameters
    ----------
    source
        A path, or an uploaded file (file-like with ``.name``).
    encoding
        Text encoding of a CSV; by default UTF-8 (with or without BOM), then GBK/GB18030.
    sheet
        Worksheet name or index of an XLSX with several filled sheets.

    Returns
    -------
    pandas.DataFrame
        Columns named from the header row (title rows above it are skipped), values as
        strings (missing cells NaN), so codes keep their leading digits.

    Raises
    ------
    PlannerError
        ``io.*`` for empty, corrupt, undecodable or unsupported files, and
        ``io.multiple_layers`` for a workbook with several filled sheets and no choice.
    """
    frame, _, _ = _read_table(source, encoding=encoding, sheet=sheet)
    return frame


# --------------------------------------------------------------------------- points from tables

_DMS = re.compile(
    r"^(?P<hemi1>[EWNS东西南北])?\s*(?P<deg>-?\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*['′’分])?\s*(?:(?P<sec>\d+(?:\.\d+)?)\s*[\"″”秒])?\s*"
    r"(?P<hemi2>[EWNS东西南北])?$",
    re.IGNORECASE,
)


def _parse_coordinate(value: Any) -> float | None:
    """A coordinate from a cell: decimal degrees, metres or degrees-minutes-seconds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text or text.lower() == "nan":
        return math.nan
    try:
        number = float(text)
    except ValueError:
        match = _DMS.match(text)
        if not match:
            return None
        number = (
            float(match["deg"]) + float(match["min"] or 0) / 60 + float(match["sec"] or 0) / 3600
        )
        hemi = (match["hemi1"] or match["hemi2"] or "").upper()
        if hemi in ("W", "S", "西", "南"):
            number = -abs(number)
    return number if math.isfinite(number) else None


def _find_column(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    normalised = {c: normalise_header(c) for c in columns}
    for alias in (normalise_header(a) for a in aliases):
        for column in columns:
            if normalised[column] == alias:
                return column
    return None


def _has_coordinates(frame: pd.DataFrame) -> bool:
    columns = [str(c) for c in frame.columns]
    return bool(
        (_find_column(columns, _LON_ALIASES) and _find_column(columns, _LAT_ALIASES))
        or _find_column(columns, _PAIR_ALIASES)
        or _find_column(columns, _WKT_ALIASES)
    )


def _points_from_table(frame: pd.DataFrame, name: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    columns = [str(c) for c in frame.columns]
    lon_col = _find_column(columns, _LON_ALIASES)
    lat_col = _find_column(columns, _LAT_ALIASES)
    pair_col = _find_column(columns, _PAIR_ALIASES)
    wkt_col = _find_column(columns, _WKT_ALIASES)
    problems: list[Problem] = []
    n = len(frame)
    if lon_col and lat_col:
        raw_x, raw_y = list(frame[lon_col]), list(frame[lat_col])
    elif pair_col:
        raw_x, raw_y = [], []
        for cell in frame[pair_col]:
            parts = re.split(r"[,，;；\s]+", str(cell).strip()) if isinstance(cell, str) else []
            parts = [p for p in parts if p]
            if len(parts) == 2:
                raw_x.append(parts[0])
                raw_y.append(parts[1])
            else:
                raw_x.append(cell if isinstance(cell, str) else None)
                raw_y.append(None if not isinstance(cell, str) else "?")
    elif wkt_col:
        geoms = []
        bad = []
        for i, cell in enumerate(frame[wkt_col]):
            if not isinstance(cell, str) or not cell.strip():
                geoms.append(None)
                continue
            try:
                geoms.append(shapely.from_wkt(cell.strip()))
            except shapely.errors.ShapelyError:
                geoms.append(None)
                bad.append(f"#{i + 1}")
        if bad:
            problems.append(
                Problem("io.wkt_invalid", "error", count=len(bad), examples=tuple(bad[:5]))
            )
        gdf = gpd.GeoDataFrame(frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index))
        return gdf, problems
    else:
        raise PlannerError("io.no_coordinate_columns", name=name, columns=columns[:15])

    xs = [_parse_coordinate(v) for v in raw_x]
    ys = [_parse_coordinate(v) for v in raw_y]
    bad = [i for i in range(n) if xs[i] is None or ys[i] is None]
    if bad:
        examples = tuple(f"#{i + 1}: {raw_x[i]}, {raw_y[i]}" for i in bad[:5])
        problems.append(
            Problem("io.coords_not_numeric", "error", count=len(bad), examples=examples)
        )
    geoms = [
        None
        if xs[i] is None or ys[i] is None or math.isnan(xs[i]) or math.isnan(ys[i])
        else shapely.Point(xs[i], ys[i])
        for i in range(n)
    ]
    gdf = gpd.GeoDataFrame(frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index))
    return gdf, problems


# --------------------------------------------------------------------------- vector readers


def _ogr_error(exc: Exception, name: str) -> PlannerError:
    if isinstance(exc, UnicodeDecodeError):
        return PlannerError(
            "io.encoding_failed", name=name, tried=["utf-8", "GBK/GB18030"], error=str(exc)[:500]
        )
    return PlannerError("io.corrupt_file", name=name, error=f"{type(exc).__name__}: {exc}"[:500])


def _list_ogr_layers(path: Path, name: str) -> list[tuple[str, str | None]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise _ogr_error(exc, name) from exc
    return [(str(row[0]), None if row[1] is None else str(row[1])) for row in layers]


def _read_ogr(
    path: Path, name: str, *, layer: str | int | None, encoding: str | None, count_rows: bool
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    layers = _list_ogr_layers(path, name)
    notes: list[Problem] = []
    names = [n for n, _ in layers]
    spatial = [n for n, kind in layers if kind is not None]
    if layer is not None:
        if isinstance(layer, int) and 0 <= layer < len(names):
            chosen = names[layer]
        elif str(layer) in names:
            chosen = str(layer)
        else:
            raise PlannerError("io.layer_not_found", name=name, layer=str(layer), examples=names)
    elif not layers:
        raise PlannerError("io.empty_file", name=name)
    elif not spatial:
        raise PlannerError("io.no_geometry", name=name, examples=names)
    elif len(spatial) > 1:
        raise PlannerError("io.multiple_layers", name=name, examples=spatial, count=len(spatial))
    else:
        chosen = spatial[0]
        if len(layers) > 1:
            notes.append(Problem("io.layer_chosen", "fixed", params={"layer": chosen}))
    gdf = _read_dataframe(path, name, layer=chosen, encoding=encoding, count_rows=count_rows)
    return gdf, notes


def _feature_count(path: Path, layer: str | None) -> int | None:
    """Features of a layer as the file states them (None if the driver cannot tell)."""
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        count = pyogrio.read_info(path, layer=layer).get("features")
        return int(count) if count is not None and count >= 0 else None
    return None


def _read_dataframe(
    path: Path,
    name: str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    count_rows: bool = True,
) -> gpd.GeoDataFrame:
    max_features = None
    if count_rows:
        # The stated count refuses a big layer before any frame is built; reading stops
        # after the limit in case the count was unknown or wrong.
        count = _feature_count(path, layer)
        if count is not None:
            _check_rows(count)
        max_features = int(limit("rows")) + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(
                path, layer=layer, encoding=encoding, max_features=max_features
            )
    except Exception as exc:
        raise _ogr_error(exc, name) from exc
    if count_rows:
        _check_rows(len(frame))
    if not isinstance(frame, gpd.GeoDataFrame):
        raise PlannerError("io.no_geometry", name=name, examples=[str(layer or name)])
    return frame


def _dbf_language_id(dbf: Path) -> int:
    try:
        with dbf.open("rb") as handle:
            header = handle.read(32)
    except OSError:
        return 0
    return header[29] if len(header) >= 30 else 0


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _read_shapefile(
    shp: Path, name: str, *, encoding: str | None, count_rows: bool = True
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    missing = [s for s in (".shx", ".dbf") if _sibling(shp, s) is None]
    if missing:
        raise PlannerError("io.shp_incomplete", name=name, missing=missing)
    if shp.stat().st_size <= 100:  # the header alone: no features
        raise PlannerError("io.empty_file", name=name)
    if encoding or _sibling(shp, ".cpg") is not None:
        return _read_dataframe(shp, name, encoding=encoding, count_rows=count_rows), []
    dbf = _sibling(shp, ".dbf")
    if dbf is not None and _dbf_language_id(dbf) not in (0, 0x57):
        # The DBF declares its code page (e.g. 0x4D = GBK); GDAL applies it.
        return _read_dataframe(shp, name, count_rows=count_rows), []
    if count_rows:  # before the DBF's text is scanned for its encoding
        _check_rows(_feature_count(shp, None) or 0)
    values = _dbf_text_values(dbf) if dbf is not None else []
    for candidate in _FALLBACK_ENCODINGS:
        if all(_decodes(value, candidate) for value in values):
            frame = _read_dataframe(shp, name, encoding=candidate, count_rows=count_rows)
            return frame, _encoding_note(candidate)
    bad = next((v for v in values if not _decodes(v, "utf-8")), b"")
    raise PlannerError(
        "io.encoding_failed",
        name=name,
        tried=["UTF-8", "GBK/GB18030"],
        error=f"undecodable bytes such as {bad[:40]!r}",
    )


def _dbf_text_values(dbf: Path) -> list[bytes]:
    """Raw bytes of the field names and text values of a DBF file."""
    try:
        data = dbf.read_bytes()
    except OSError:
        return []
    if len(data) < 32:
        return []
    n_records = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    values: list[bytes] = []
    fields: list[tuple[int, int]] = []
    pos, offset = 32, 1  # each record starts with a deletion flag
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        descriptor = data[pos : pos + 32]
        values.append(descriptor[:11].split(b"\0", 1)[0])
        length = descriptor[16]
        if descriptor[11:12] == b"C":
            fields.append((offset, length))
        offset += length
        pos += 32
    for record in range(n_records):
        start = header_len + record * record_len
        row = data[start : start + record_len]
        values.extend(row[o : o + n].rstrip(b" \0") for o, n in fields)
    return [v for v in values if v and max(v) >= 0x80]


def _decodes(value: bytes, encoding: str) -> bool:
    """Whether ``value`` is text in ``encoding``; a character cut off at the end is fine."""
    try:
        value.decode(encoding)
    except UnicodeDecodeError as exc:
        return (
            exc.start >= len(value) - 3
            and exc.end == len(value)
            and ("end" in exc.reason or "incomplete" in exc.reason)
        )
    return True


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: Chinese Windows zips use GBK
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name


def _read_zip(
    zip_path: Path,
    name: str,
    directory: str,
    *,
    layer: str | int | None,
    encoding: str | None,
    count_rows: bool = True,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PlannerError("io.corrupt_zip", name=name, error=str(exc)[:500]) from exc
    with archive:
        _check_archive(archive, zip_path.stat().st_size)
        members = {}
        for info in archive.infolist():
            member = _zip_member_name(info)
            base = member.rsplit("/", 1)[-1]
            if info.is_dir() or member.startswith("__MACOSX/") or base.startswith("._"):
                continue
            members[member] = info
        shps = sorted(m for m in members if m.lower().endswith(".shp"))
        if not shps:
            raise PlannerError(
                "io.zip_no_shp", name=name, examples=sorted(members)[:10], count=len(members)
            )
        stems = [m[: -len(".shp")] for m in shps]
        labels = [s.rsplit("/", 1)[-1] for s in stems]
        if layer is not None:
            wanted = str(layer)
            if isinstance(layer, int) and 0 <= layer < len(stems):
                chosen = stems[layer]
            elif wanted in labels or wanted in stems:
                chosen = stems[labels.index(wanted)] if wanted in labels else wanted
            else:
                raise PlannerError("io.layer_not_found", name=name, layer=wanted, examples=labels)
        elif len(stems) > 1:
            raise PlannerError("io.multiple_layers", name=name, examples=labels, count=len(labels))
        else:
            chosen = stems[0]
        parts = {
            member[len(chosen) :].lower(): info
            for member, info in members.items()
            if member[: len(chosen)] == chosen and member[len(chosen) :].lower() in _SHAPEFILE_PARTS
        }
        out_dir = Path(directory) / "shapefile"
        out_dir.mkdir(exist_ok=True)
        try:
            for suffix, info in parts.items():
                # Streamed: a member never sits in memory whole.
                with archive.open(info) as member, (out_dir / f"layer{suffix}").open("wb") as out:
                    shutil.copyfileobj(member, out, _MB)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
            raise PlannerError("io.corrupt_zip", name=name, error=str(exc)[:500]) from exc
        except Exception as exc:  # zlib.error and friends
            raise PlannerError("io.corrupt_zip", name=name, error=str(exc)[:500]) from exc
    label = chosen.rsplit("/", 1)[-1]
    return _read_shapefile(
        out_dir / "layer.shp", f"{name} › {label}", encoding=encoding, count_rows=count_rows
    )


#: A NUL escaped in JSON text (``\u0000``), not preceded by an escaped backslash.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _mark_nul(text: str) -> str:
    r"""GeoJSON text with its NUL characters replaced by :data:`~planner.data.validation.NUL_MARK`.

    GDAL reads text as C strings, so a NUL ends a name there ("五马\u0000社区" arrives
    as "五马", silently). Marked, the characters reach :func:`_build_layer`, which removes
    them and names the features. Returns ``text`` itself when it holds no NUL.
    """
    if "\\u0000" not in text and "\x00" not in text:
        return text
    text = _JSON_NUL.sub(lambda m: m.group(1) + "\\uffff", text)
    return text.replace("\x00", "\\uffff")


def _read_vector(
    source: Any,
    *,
    encoding: str | None = None,
    layer: str | int | None = None,
    size_limit: str = "upload_mb",
    count_rows: bool = True,
) -> tuple[gpd.GeoDataFrame, list[Problem], str]:
    src = source if isinstance(source, _Source) else _open_source(source, size_limit)
    suffix = src.suffix
    if suffix == ".xls":
        raise PlannerError("io.old_excel", name=src.name)
    if suffix not in VECTOR_FORMATS and suffix not in _SHAPEFILE_PARTS:
        raise PlannerError(
            "io.unsupported_format",
            name=src.name,
            ext=suffix or "?",
            supported=list(VECTOR_FORMATS),
        )
    if _size(src) == 0:
        raise PlannerError("io.empty_file", name=src.name)
    if suffix in TABLE_FORMATS:
        frame, notes, _ = _read_table(src, encoding=encoding, sheet=layer, prefer=_has_coordinates)
        gdf, more = _points_from_table(frame, src.name)
        return gdf, notes + more, src.name
    if suffix in _SHAPEFILE_PARTS and (suffix != ".shp" or src.path is None):
        raise PlannerError("io.shp_needs_zip", name=src.name)
    with tempfile.TemporaryDirectory(prefix="planner-import-") as directory:
        notes: list[Problem] = []
        if suffix in (".geojson", ".json") and encoding is None:
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
            if used != "utf-8-sig" or data.startswith(b"\xef\xbb\xbf") or marked is not text:
                src = _Source(src.name, suffix, data=marked.encode("utf-8"))
                if used != "utf-8-sig":
                    notes.extend(_encoding_note(used))
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
                return [
                    _zip_member_name(i).rsplit("/", 1)[-1][:-4]
                    for i in archive.infolist()
                    if _zip_member_name(i).lower().endswith(".shp")
                    and not _zip_member_name(i).startswith("__MACOSX/")
                ]
        if src.suffix in _OGR_FORMATS:
            with (
                tempfile.TemporaryDirectory(prefix="planner-import-") as directory,
                _materialised(src, directory) as path,
            ):
                return [n for n, _ in _list_ogr_layers(path, src.name)]
    except Exception:
        return []
    return []


# --------------------------------------------------------------------------- coordinate systems


def _system_label(system: str) -> Term | str:
    if system in crs_mod.COORDINATE_SYSTEMS:
        return Term(f"io.system.{system}")
    if system.upper().startswith("EPSG:"):
        with contextlib.suppress(pyproj.exceptions.CRSError):
            return f"{system.upper()}（{pyproj.CRS.from_user_input(system).name}）"
    return system


def _declared_system(crs: pyproj.CRS | None) -> str | None:
    if crs is None:
        return None
    with contextlib.suppress(PlannerError):
        return crs_mod.normalise_system(crs)
    return crs.name


def _region_geometry(region: Any) -> shapely.Geometry | None:
    if region is None:
        return None
    if isinstance(region, (gpd.GeoDataFrame, gpd.GeoSeries)):
        series = region.geometry if isinstance(region, gpd.GeoDataFrame) else region
        if series.crs is not None and _declared_system(series.crs) != "wgs84":
            series = series.to_crs("EPSG:4326")
        geoms = series.dropna()
        return shapely.union_all(geoms.to_numpy()) if len(geoms) else None
    if isinstance(region, shapely.Geometry):
        return None if region.is_empty else region
    return None


def _reference(
    region: shapely.Geometry | None, parents: Mapping[str, gpd.GeoDataFrame] | None
) -> gpd.GeoDataFrame | None:
    if region is not None and region.geom_type in ("Polygon", "MultiPolygon"):
        return gpd.GeoDataFrame(geometry=[region], crs="EPSG:4326")
    for level in ("counties", "townships"):
        layer = (parents or {}).get(level)
        if (
            isinstance(layer, gpd.GeoDataFrame)
            and layer.crs is not None
            and len(layer)
            and layer.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any()
        ):
            return layer[[layer.geometry.name]]
    return None


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> bool:
    bounds = gdf.total_bounds
    if np.isnan(bounds).all():
        return True
    return bool(bounds[0] >= -180 and bounds[2] <= 180 and bounds[1] >= -90 and bounds[3] <= 90)


def _resolve_crs(
    gdf: gpd.GeoDataFrame,
    coordinate_system: Any,
    reference: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame | None, str | None, list[Problem]]:
    """Convert ``gdf`` to WGS84: the planner's system, else the declared one, else detected."""
    problems: list[Problem] = []
    declared = _declared_system(gdf.crs)
    try:
        if coordinate_system not in (None, ""):
            system = crs_mod.normalise_system(coordinate_system)
            if (
                declared is not None
                and declared != system
                and {declared, system} != {"wgs84", "cgcs2000"}
            ):
                problems.append(
                    Problem(
                        "io.crs_overridden",
                        "warning",
                        params={
                            "declared": _system_label(declared),
                            "system": _system_label(system),
                        },
                    )
                )
            return crs_mod.to_wgs84(gdf, system), system, problems
        if gdf.crs is not None and gdf.crs.is_geographic and not _lonlat_bounds(gdf):
            problems.append(
                Problem(
                    "io.crs_declared_wrong",
                    "warning",
                    params={"declared": _system_label(declared or "?")},
                )
            )
            gdf = gdf.set_crs(None, allow_override=True)
        detection = crs_mod.detect_coordinate_system(gdf, reference)
        reason = Term(detection.reason, detection.params)
        if detection.system is None:
            if gdf.crs is not None:  # a custom CRS without EPSG code: use as declared
                return crs_mod.to_wgs84(gdf), gdf.crs.name, problems
            candidates = list(detection.candidates)
            labels = [_system_label(c) for c in candidates[:6]]
            # "(N possibilities, e.g. …)", "(possibly …)" for one, nothing for none
            choices = "io.crs_choices" if len(candidates) > 1 else "io.crs_choice"
            problems.append(
                Problem(
                    "io.crs_ambiguous",
                    "needs_input",
                    count=max(len(candidates), 1),
                    examples=tuple(candidates),
                    params={
                        "choices": Term(choices, {"count": len(candidates), "candidates": labels})
                        if candidates
                        else "",
                        "reason": reason,
                    },
                )
            )
            return None, None, problems
        if detection.reason == "crs.detect.declared":
            pass
        elif detection.reason == "crs.detect.declared_contradicted":
            problems.append(
                Problem(
                    "io.crs_detected",
                    "warning",
                    params={"system": _system_label(detection.system), "reason": reason},
                )
            )
        else:
            problems.append(
                Problem(
                    "io.crs_detected",
                    "fixed",
                    params={"system": _system_label(detection.system), "reason": reason},
                )
            )
        return crs_mod.to_wgs84(gdf, detection.system), detection.system, problems
    except PlannerError as exc:
        problems.append(
            Problem(exc.key, "error", params={**exc.params})
            if exc.key != "crs.not_lonlat"
            else Problem(
                "io.crs_mismatch",
                "error",
                params={
                    "system": _system_label(str(exc.params.get("system", "?"))),
                    "bounds": exc.params.get("bounds", ""),
                },
            )
        )
    except Exception as exc:
        problems.append(
            Problem(
                "io.crs_failed", "error", params={"details": f"{type(exc).__name__}: {exc}"[:500]}
            )
        )
    return None, None, problems


# --------------------------------------------------------------------------- attribute rules


def _alias_map(words: Mapping[str, str]) -> dict[str, str]:
    """``{value: "alias alias ..."}`` -> ``{alias: value}`` (compact alias tables)."""
    return {alias: value for value, text in words.items() for alias in text.split()}


_KIND_ALIASES = {
    "townships": _alias_map(
        {
            "street": "街道 街道办事处 办事处",
            "town": "镇 建制镇",
            "township": "乡 民族乡 苏木 民族苏木",
            "zone": "开发区 园区 工业园区 农场 林场 管委会 管理区 其他 类似乡级单位 area",
        }
    ),
    "communities": _alias_map(
        {
            "community": "社区 居委会 居民委员会 社区居委会",
            "village": "村 行政村 村委会 村民委员会 嘎查",
        }
    ),
}
_TIER_ALIASES = _alias_map(
    {
        "station": "回收站点 回收站 回收点 站点 回收网点 网点 交投点 社区回收站 回收亭",
        "sorting_centre": "sorting_center sorting_centre centre center "
        "分拣中心 分拣站 分拣场 中转站 集散场 集散中心",
    }
)
_STATUS_ALIASES = _alias_map(
    {
        "existing_keep": "保留 现有 现状 现状保留 已建 在用 运营 运营中 existing keep",
        "existing_close": "关闭 撤销 拟关闭 拟撤销 取消 close closed",
        "candidate": "候选 备选 拟建 规划 新建 规划新建",
    }
)
_QUALITY_ALIASES = _alias_map(
    {
        "official": "官方 正式 实测 权威",
        "approximate": "近似 估算 示意 模拟",
    }
)


def _infer_kind(level: str, name: str, code: str) -> str:
    name = (name or "").strip()
    if level == "townships":
        if name.endswith(("街道", "街道办事处", "办事处")):
            return "street"
        if name.endswith("镇"):
            return "town"
        if name.endswith(("乡", "苏木")):
            return "township"
        if len(code) == 9 and code.isdigit():
            number = int(code[6:])
            if number < 100:
                return "street"
            if number < 200:
                return "town"
            if number < 400:
                return "township"
        return "zone"
    if name.endswith(("村", "村委会", "村民委员会", "嘎查")):
        return "village"
    if name.endswith(("社区", "居委会", "居民委员会")):
        return "community"
    if len(code) == 12 and code.isdigit() and 200 <= int(code[9:]) < 400:
        return "village"
    return "community"


def _unit_scale(column: str | None) -> float:
    if column and "万" in str(column):
        return 1e4
    return 1.0


def _str_series(values: Sequence[str], index: pd.Index) -> pd.Series:
    return pd.Series(list(values), index=index, dtype="str")


def _site_ids(ids: pd.Series) -> tuple[pd.Series, int]:
    taken = set(ids[ids != ""])
    out, generated, counter = [], 0, 0
    for value in ids:
        if value:
            out.append(value)
            continue
        counter += 1
        while f"S{counter:04d}" in taken:
            counter += 1
        new = f"S{counter:04d}"
        taken.add(new)
        out.append(new)
        generated += 1
    return _str_series(out, ids.index), generated


def _spatial_codes(points: gpd.GeoDataFrame, parent: gpd.GeoDataFrame | None) -> pd.Series | None:
    """Code of the parent polygon containing each point ('' when none)."""
    if parent is None or "code" not in parent or parent.crs is None or not len(parent):
        return None
    polygons = parent[["code", parent.geometry.name]]
    if _declared_system(polygons.crs) != "wgs84":
        polygons = polygons.to_crs("EPSG:4326")
    polygons = polygons.rename(columns={"code": "__parent_code"})
    joined = gpd.sjoin(points[[points.geometry.name]], polygons, how="left", predicate="intersects")
    first = joined[~joined.index.duplicated(keep="first")]["__parent_code"]
    return first.reindex(points.index).map(lambda c: "" if pd.isna(c) else str(c)).astype("str")


# --------------------------------------------------------------------------- import_layer


def _check_level(level: str, allowed: Sequence[str] = LEVELS) -> None:
    if level not in allowed:
        raise ValueError(f"level must be one of {tuple(allowed)}, not {level!r}")


def import_layer(
    source: Any,
    level: str,
    *,
    coordinate_system: str | None = None,
    column_map: Mapping[str, str] | None = None,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    region_boundary: Any = None,
    lang: str = DEFAULT_LANGUAGE,
    layer: str | int | None = None,
    encoding: str | None = None,
    tolerance_m: float = REGION_TOLERANCE_M,
) -> ImportResult:
    """Read, check and convert a file into a layer of ``level``.

    Parameters
    ----------
    source
        A path or an uploaded file (see :func:`read_vector` for formats).
    level
        ``"counties"``, ``"townships"``, ``"communities"`` or ``"sites"``.
    coordinate_system
        The system the planner says the file uses (``"wgs84"``, ``"gcj02"``, ``"bd09"``,
        ``"cgcs2000"``, ``"EPSG:4549"``...). It overrides the file's own declaration.
        Without it the declared system is used (checked against the region when WGS84),
        else the system is detected; when detection cannot decide the report asks
        (``io.crs_ambiguous``, severity ``needs_input``, candidates as examples).
    column_map
        ``{field: source column}`` choices that override recognised column names.
    parents
        Already-loaded layers by level (``{"counties": ..., "townships": ...}``) for the
        hierarchy and population checks, to fill ``county_code`` from ``township_code``
        and to locate sites.
    region_boundary
        The region in WGS84 (shapely geometry or GeoSeries/GeoDataFrame), for the
        "outside the region" check and to decide between coordinate systems.
    lang
        Default language of the report's messages.
    layer
        Layer, Shapefile or worksheet to read when the file holds several.
    encoding
        Text encoding of the attributes, when automatic detection is not wanted.
    tolerance_m
        Features farther than this outside the region are reported.

    Returns
    -------
    ImportResult
        ``data`` is None when the report has errors or needs the planner's input.
    """
    _check_level(level)
    problems: list[Problem] = []
    name = ""
    try:
        raw, notes, name = _read_vector(source, encoding=encoding, layer=layer)
        problems.extend(notes)
        data, system, columns, more = _build_layer(
            raw,
            level,
            name=name,
            coordinate_system=coordinate_system,
            column_map=column_map,
            parents=parents,
            region_boundary=region_boundary,
            tolerance_m=tolerance_m,
        )
        problems.extend(more)
    except PlannerError as exc:
        problems.append(_problem_from_error(exc))
        return ImportResult(None, ValidationReport(tuple(problems), lang=lang))
    except Exception as exc:  # last line of defence: never a traceback for the planner
        problems.append(_unexpected(exc, name))
        return ImportResult(None, ValidationReport(tuple(problems), lang=lang))
    report = ValidationReport(tuple(problems), lang=lang)
    return ImportResult(data if report.ok else None, report, system, columns)


def _build_layer(
    raw: gpd.GeoDataFrame,
    level: str,
    *,
    name: str,
    coordinate_system: Any,
    column_map: Mapping[str, str] | None,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    region_boundary: Any,
    tolerance_m: float,
) -> tuple[gpd.GeoDataFrame | None, str | None, dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    if len(raw) == 0:
        raise PlannerError("io.empty_file", name=name)
    geometry_name = raw.geometry.name
    source_columns = [c for c in raw.columns if c != geometry_name]
    mapping, more = match_columns(source_columns, level, column_map)
    problems.extend(more)
    index = pd.RangeIndex(len(raw))
    values = {f: raw[c].to_numpy() for f, c in mapping.items()}
    frame = pd.DataFrame(
        {f: pd.Series(v, index=index, dtype=object) for f, v in values.items()}, index=index
    )
    geometry = gpd.GeoSeries(raw.geometry.to_numpy(), index=index, crs=raw.crs)
    frame, more = clean_control_characters(frame, {f: f for f in frame.columns}, level=level)
    problems.extend(more)

    # ---- codes
    code_field = "site_id" if level == "sites" else "code"
    length = CODE_LENGTH.get(level)
    if code_field in frame:
        codes, more = clean_codes(
            frame[code_field], length, level=level, field_name=code_field, required=level != "sites"
        )
        problems.extend(more)
        frame[code_field] = codes
    elif level == "sites":
        frame["site_id"] = _str_series([""] * len(frame), index)
    if level == "sites":
        frame["site_id"], generated = _site_ids(frame["site_id"])
        if generated:
            first = next(v for v in frame["site_id"] if v.startswith("S"))
            problems.append(
                Problem("validate.ids_generated", "fixed", count=generated, params={"first": first})
            )
    for parent_field, parent_len in (("county_code", 6), ("township_code", 9)):
        if parent_field in frame:
            cleaned, more = clean_codes(
                frame[parent_field],
                parent_len,
                level=level,
                field_name=parent_field,
                required=False,
            )
            problems.extend(more)
            frame[parent_field] = cleaned

    # ---- names
    if "name" in frame:
        names = frame["name"].map(lambda v: "" if pd.isna(v) else str(v).strip())
        empty = names == ""
        if empty.any() and code_field in frame:
            names = names.where(~empty, frame[code_field])
            if level != "sites":
                problems.append(
                    Problem(
                        "validate.name_missing",
                        "warning",
                        count=int(empty.sum()),
                        examples=tuple(frame.loc[empty, code_field][:5]),
                        params={"level": level_term(level)},
                    )
                )
        frame["name"] = names.astype("str")
    elif level == "sites":
        frame["name"] = frame["site_id"]

    labels = feature_labels(frame)

    # ---- geometry in source coordinates
    gdf = gpd.GeoDataFrame(frame, geometry=geometry)
    geographic = None if raw.crs is None else bool(raw.crs.is_geographic)
    gdf, more, looks_projected = fix_axis_order(gdf, labels, geographic=geographic)
    problems.extend(more)
    if looks_projected and geographic:
        gdf = gdf.set_crs(None, allow_override=True)
        problems.append(
            Problem(
                "io.crs_declared_wrong",
                "warning",
                params={"declared": _system_label(_declared_system(raw.crs) or "?")},
            )
        )
    gdf, more = check_geometries(gdf, level, labels)
    problems.extend(more)

    # ---- coordinate system (not asked when there is nothing to place)
    region = _region_geometry(region_boundary)
    reference = _reference(region, parents)
    converted, system = None, None
    if not (gdf.geometry.isna() | gdf.geometry.is_empty).all():
        converted, system, more = _resolve_crs(gdf, coordinate_system, reference)
        problems.extend(more)
    if converted is not None:
        gdf = converted

    # ---- duplicates (may merge multi-part features) and labels after merging
    if code_field in gdf:
        gdf, more = check_duplicates(gdf, code_field, level=level)
        problems.extend(more)
    gdf = gdf.reset_index(drop=True)
    labels = feature_labels(gdf)

    # ---- parents
    problems.extend(_fill_parent_codes(gdf, level, parents, converted is not None, labels))
    problems.extend(check_hierarchy(gdf, level, parents, labels))

    # ---- numbers
    problems.extend(_numbers(gdf, level, mapping, labels))

    # ---- categories
    problems.extend(_categories(gdf, level, mapping, labels))

    # ---- region
    if converted is not None and region is not None:
        problems.extend(
            check_outside_region(gdf, region, level=level, labels=labels, tolerance_m=tolerance_m)
        )

    # ---- population against parents
    if level in ("townships", "communities"):
        problems.extend(check_population_parents(gdf, level, parents, labels))
        problems.extend(check_population_sums(gdf, level, parents))

    if converted is None:
        return None, system, dict(mapping), problems
    attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reindex(
        columns=list(COLUMNS[level])
    )
    out = gpd.GeoDataFrame(attributes, geometry=gdf.geometry.to_numpy(), crs="EPSG:4326")
    return out, system, dict(mapping), problems


def _fill_parent_codes(
    gdf: gpd.GeoDataFrame,
    level: str,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    in_wgs84: bool,
    labels: Sequence[str],
) -> list[Problem]:
    """Fill parent codes in place (``gdf`` is this module's own copy)."""
    problems: list[Problem] = []
    n = len(gdf)
    blank = _str_series([""] * n, gdf.index)
    parents = parents or {}

    def derive(field_name: str, source_field: str, length: int) -> None:
        current = gdf.get(field_name, blank)
        source = gdf.get(source_field, blank)
        full = CODE_LENGTH.get(level, 9) if source_field == "code" else 9
        empty = current == ""
        derived = source.map(lambda c: c[:length] if len(c) == full and c.isdigit() else "")
        gdf[field_name] = current.where(~empty, derived).astype("str")
        filled = int((empty & (derived != "")).sum())
        if filled:
            problems.append(
                Problem(
                    "validate.parent_derived",
                    "fixed",
                    count=filled,
                    params={
                        "field": field_term(field_name),
                        "source": field_term(source_field),
                        "level": level_term(level),
                        "length": length,
                    },
                )
            )

    if level == "townships":
        derive("county_code", "code", 6)
    elif level == "communities":
        derive("township_code", "code", 9)
        towns = parents.get("townships")
        current = gdf.get("county_code", blank)
        if towns is not None and {"code", "county_code"} <= set(towns.columns):
            lookup = dict(
                zip(towns["code"].astype(str), towns["county_code"].astype(str), strict=False)
            )
            from_layer = gdf["township_code"].map(lambda c: lookup.get(c, ""))
            use = (current == "") & (from_layer != "")
            if use.any():
                gdf["county_code"] = current.where(~use, from_layer).astype("str")
                problems.append(
                    Problem(
                        "validate.parent_from_layer",
                        "fixed",
                        count=int(use.sum()),
                        params={"field": field_term("county_code"), "level": level_term(level)},
                    )
                )
        derive("county_code", "code", 6)
    elif level == "sites":
        for field_name, parent_level in (
            ("county_code", "counties"),
            ("township_code", "townships"),
        ):
            current = gdf.get(field_name, blank)
            if not (current == "").any():
                continue
            located = _spatial_codes(gdf, parents.get(parent_level)) if in_wgs84 else None
            if located is None:
                gdf[field_name] = current
                continue
            use = (current == "") & (located != "")
            gdf[field_name] = current.where(~use, located).astype("str")
            if use.any():
                problems.append(
                    Problem(
                        "validate.parent_by_location",
                        "fixed",
                        count=int(use.sum()),
                        params={"field": field_term(field_name)},
                    )
                )
            lost = (gdf[field_name] == "").to_numpy()
            if lost.any() and field_name == "county_code":
                problems.append(
                    Problem(
                        "validate.parent_location_missing",
                        "warning",
                        count=int(lost.sum()),
                        examples=tuple(lab for lab, m in zip(labels, lost, strict=False) if m)[:5],
                        params={
                            "field": field_term(field_name),
                            "parent_level": level_term(parent_level),
                        },
                    )
                )
        derive("county_code", "township_code", 6)
        if (gdf["county_code"] == "").all():
            problems.append(Problem("validate.site_county_unknown", "warning", count=n))
    return problems


def _numbers(
    gdf: gpd.GeoDataFrame, level: str, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    problems: list[Problem] = []
    wanted = [c for c in ("population", "households", "capacity") if c in COLUMNS[level]]
    for name in wanted:
        integer = name != "capacity"
        if name in gdf:
            scale = _unit_scale(mapping.get(name))
            if scale != 1.0:
                problems.append(
                    Problem("validate.number_scaled", "fixed", params={"column": mapping[name]})
                )
            numbers, more = parse_numbers(
                gdf[name],
                field_name=name,
                level=level,
                labels=labels,
                integer=integer,
                scale=scale,
                missing_severity="warning" if name == "population" else None,
            )
            problems.extend(more)
            gdf[name] = numbers
        else:
            if name == "population":
                problems.append(
                    Problem(
                        "validate.optional_column_missing",
                        "warning",
                        params={"field": field_term(name), "level": level_term(level)},
                    )
                )
            gdf[name] = (
                pd.Series(pd.NA, index=gdf.index, dtype="Int64")
                if integer
                else pd.Series(np.nan, index=gdf.index, dtype="float64")
            )
    if level == "counties":
        if "urban_share" in gdf:
            share, more = parse_numbers(
                gdf["urban_share"],
                field_name="urban_share",
                level=level,
                labels=labels,
                integer=False,
                missing_severity=None,
            )
            problems.extend(more)
            valid = share.dropna()
            raw_text = " ".join(str(v) for v in gdf["urban_share"].dropna())
            if len(valid) and ((valid > 1).all() or "%" in raw_text) and (valid <= 100).all():
                share = share / 100.0
                problems.append(Problem("validate.urban_share_percent", "fixed"))
            bad = ((share < 0) | (share > 1)).fillna(False).to_numpy()
            if bad.any():
                problems.append(
                    Problem(
                        "validate.urban_share_out_of_range",
                        "error",
                        count=int(bad.sum()),
                        examples=tuple(
                            f"{lab}: {v:g}"
                            for lab, v, m in zip(labels, share, bad, strict=False)
                            if m
                        )[:5],
                    )
                )
            gdf["urban_share"] = share.astype("float64")
        else:
            problems.append(
                Problem(
                    "validate.optional_column_missing",
                    "warning",
                    params={"field": field_term("urban_share"), "level": level_term(level)},
                )
            )
            gdf["urban_share"] = np.nan
    return problems


def _categories(
    gdf: gpd.GeoDataFrame, level: str, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    problems: list[Problem] = []
    n = len(gdf)
    names = gdf["name"] if "name" in gdf else _str_series([""] * n, gdf.index)
    codes = gdf["code"] if "code" in gdf else _str_series([""] * n, gdf.index)
    if level in KIND_VALUES:
        allowed = KIND_VALUES[level]
        if "kind" in gdf:
            kinds, unknown = normalise_values(gdf["kind"], allowed, _KIND_ALIASES[level])
            redo = np.array(unknown) | (kinds == "").to_numpy()
        else:
            kinds = _str_series([""] * n, gdf.index)
            redo = np.ones(n, dtype=bool)
        if redo.any():
            inferred = [_infer_kind(level, nm, cd) for nm, cd in zip(names, codes, strict=True)]
            kinds = _str_series(
                [inferred[i] if redo[i] else kinds.iloc[i] for i in range(n)], gdf.index
            )
            problems.append(
                Problem(
                    "validate.kind_inferred",
                    "fixed",
                    count=int(redo.sum()),
                    params={"level": level_term(level)},
                )
            )
        gdf["kind"] = kinds
    if "geometry_quality" in COLUMNS[level]:
        is_point = (gdf.geometry.geom_type == "Point").to_numpy()
        default = np.where(is_point, "approximate", "official")
        if "geometry_quality" in gdf:
            quality, unknown = normalise_values(
                gdf["geometry_quality"], QUALITY_VALUES, _QUALITY_ALIASES
            )
            unknown_arr = np.array(unknown)
            if unknown_arr.any():
                problems.append(
                    Problem(
                        "validate.unknown_quality",
                        "warning",
                        count=int(unknown_arr.sum()),
                        examples=tuple(
                            sorted(set(gdf["geometry_quality"][unknown_arr].astype(str)))
                        )[:5],
                        params={"level": level_term(level), "value": Term("io.quality.default")},
                    )
                )
            fill = unknown_arr | (quality == "").to_numpy()
            gdf["geometry_quality"] = _str_series(
                [default[i] if fill[i] else quality.iloc[i] for i in range(n)], gdf.index
            )
        else:
            gdf["geometry_quality"] = _str_series(list(default), gdf.index)
            if is_point.any():
                problems.append(
                    Problem(
                        "validate.points_only",
                        "fixed",
                        count=int(is_point.sum()),
                        params={"level": level_term(level)},
                    )
                )
    if level == "sites":
        for name, allowed, aliases, default, key in (
            ("tier", TIER_VALUES, _TIER_ALIASES, "station", "validate.unknown_tier"),
            ("status", STATUS_VALUES, _STATUS_ALIASES, "existing_keep", "validate.unknown_status"),
        ):
            if name not in gdf:
                gdf[name] = _str_series([default] * n, gdf.index)
                problems.append(
                    Problem(
                        "validate.default_value",
                        "warning",
                        count=n,
                        params={
                            "field": field_term(name),
                            "level": level_term(level),
                            "value": default,
                        },
                    )
                )
                continue
            values, unknown = normalise_values(gdf[name], allowed, aliases)
            unknown_arr = np.array(unknown)
            if unknown_arr.any():
                raw = gdf[name].astype(str).to_numpy()
                problems.append(
                    Problem(
                        key,
                        "error",
                        count=int(unknown_arr.sum()),
                        examples=tuple(
                            f"{lab}: {r}"
                            for lab, r, m in zip(labels, raw, unknown_arr, strict=False)
                            if m
                        )[:5],
                    )
                )
            empty = (values == "").to_numpy()
            if empty.any():
                problems.append(
                    Problem(
                        "validate.default_value_some",
                        "warning",
                        count=int(empty.sum()),
                        examples=tuple(lab for lab, m in zip(labels, empty, strict=False) if m)[:5],
                        params={"field": field_term(name), "value": default},
                    )
                )
                values = values.where(~empty, default)
            gdf[name] = values.astype("str")
    return problems


# --------------------------------------------------------------------------- population


def _int_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as nullable integers (all NA when absent)."""
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    numbers = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    return numbers.round().astype("Int64")


def _name_key(value: Any) -> str:
    """A name reduced for joining: no spaces, committee suffixes unified."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for long, short in (
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("街道办事处", "街道"),
    ):
        if text.endswith(long):
            text = text[: -len(long)] + short
            break
    return text


def import_population(
    source: Any,
    level: str,
    layer: gpd.GeoDataFrame,
    *,
    join_on: str | None = None,
    column_map: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> ImportResult:
    """Join a population table (and households, where the level has them) onto a layer.

    Parameters
    ----------
    source
        CSV/XLSX table (path or upload) with a code and/or name column and population.
    level
        ``"counties"``, ``"townships"`` or ``"communities"``.
    layer
        The loaded layer to update; it is not modified.
    join_on
        ``"code"``, ``"name"`` or None to choose the one that matches more rows.
    column_map
        ``{field: column}`` choices overriding recognised column names.
    lang
        Default language of the report.
    parents
        Loaded parent layers, to compare the new totals with the parents' populations.
    sheet
        Worksheet of a workbook with several filled sheets.
    encoding
        Text encoding of a CSV when automatic detection is not wanted.

    Returns
    -------
    ImportResult
        ``data`` is a copy of ``layer`` with population (``Int64``) and households set
        for the matched features (others keep their values), or None on errors.
        Unmatched rows in either direction are warnings.
    """
    _check_level(level, ("counties", "townships", "communities"))
    if join_on not in (None, "code", "name"):
        raise ValueError(f"join_on must be 'code', 'name' or None, not {join_on!r}")
    problems: list[Problem] = []
    try:
        frame, notes, name = _read_table(source, encoding=encoding, sheet=sheet)
        problems.extend(notes)
        data, columns, more = _join_population(
            frame, level, layer, join_on=join_on, column_map=column_map, parents=parents, name=name
        )
        problems.extend(more)
    except PlannerError as exc:
        problems.append(_problem_from_error(exc))
        return ImportResult(None, ValidationReport(tuple(problems), lang=lang))
    except Exception as exc:
        problems.append(_unexpected(exc))
        return ImportResult(None, ValidationReport(tuple(problems), lang=lang))
    report = ValidationReport(tuple(problems), lang=lang)
    return ImportResult(data if report.ok else None, report, None, columns)


def _join_population(
    frame: pd.DataFrame,
    level: str,
    layer: gpd.GeoDataFrame,
    *,
    join_on: str | None,
    column_map: Mapping[str, str] | None,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    name: str,
) -> tuple[gpd.GeoDataFrame | None, dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    wanted = ["code", "name", "population"]
    if "households" in COLUMNS[level]:
        wanted.append("households")
    mapping, more = match_columns(
        list(frame.columns), level, column_map, wanted=wanted, required=("population",)
    )
    problems.extend(more)
    if join_on is not None and join_on not in mapping:
        _, missing = match_columns(
            list(frame.columns), level, column_map, wanted=wanted, required=(join_on,)
        )
        problems.extend(p for p in missing if p.params.get("field_id") == join_on)
    if join_on is None and "code" not in mapping and "name" not in mapping:
        problems.append(
            Problem(
                "io.join_column_missing",
                "error",
                params={"columns": [str(c) for c in frame.columns][:12]},
            )
        )
    if any(p.blocking for p in problems):
        return None, mapping, problems

    table = frame.reset_index(drop=True)
    table, more = clean_control_characters(
        table,
        {column: field_name for field_name, column in mapping.items()},
        level=level,
        labels=[f"#{i + 1}" for i in range(len(table))],
    )
    problems.extend(more)
    # Total rows ("合计") of statistical tables are not units.
    if "name" in mapping:
        key_names = table[mapping["name"]].map(normalise_header)
        totals = key_names.isin(_TOTAL_NAMES)
        if "code" in mapping:
            totals &= table[mapping["code"]].isna() | (
                table[mapping["code"]].astype(str).str.strip() == ""
            )
        if totals.any():
            problems.append(Problem("io.total_rows_dropped", "fixed", count=int(totals.sum())))
            table = table[~totals].reset_index(drop=True)

    layer_codes = layer["code"].astype(str) if "code" in layer else None
    layer_names = layer["name"].map(_name_key) if "name" in layer else None
    keys: dict[str, pd.Series] = {}
    if "code" in mapping and layer_codes is not None:
        codes, _ = clean_codes(
            table[mapping["code"]], CODE_LENGTH[level], level=level, required=False
        )
        keys["code"] = codes
    if "name" in mapping and layer_names is not None:
        keys["name"] = table[mapping["name"]].map(_name_key).astype("str")
    if join_on is None:
        scores = {
            k: int(v.isin(set(layer_codes if k == "code" else layer_names)).sum())
            for k, v in keys.items()
        }
        if not scores:
            problems.append(
                Problem(
                    "io.join_column_missing",
                    "error",
                    params={"columns": [str(c) for c in frame.columns][:12]},
                )
            )
            return None, mapping, problems
        join_on = max(scores, key=lambda k: (scores[k], k == "code"))
    elif join_on not in keys:
        problems.append(
            Problem(
                "io.join_column_missing",
                "error",
                params={"columns": [str(c) for c in frame.columns][:12]},
            )
        )
        return None, mapping, problems
    key = keys[join_on]
    layer_key = layer_codes if join_on == "code" else layer_names
    labels = [k or f"#{i + 1}" for i, k in enumerate(key)]

    population, more = parse_numbers(
        table[mapping["population"]],
        field_name="population",
        level=level,
        labels=labels,
        scale=_unit_scale(mapping["population"]),
    )
    problems.extend(more)
    if _unit_scale(mapping["population"]) != 1.0:
        problems.append(
            Problem("validate.number_scaled", "fixed", params={"column": mapping["population"]})
        )
    households = None
    if "households" in mapping:
        households, more = parse_numbers(
            table[mapping["households"]],
            field_name="households",
            level=level,
            labels=labels,
            scale=_unit_scale(mapping["households"]),
            missing_severity=None,
        )
        problems.extend(more)

    present = key != ""
    duplicated = key.duplicated(keep=False) & present
    if duplicated.any():
        dups = sorted(set(key[duplicated]))
        problems.append(
            Problem(
                "io.population_duplicates",
                "error",
                count=len(dups),
                examples=tuple(dups[:5]),
                params={"field": field_term(join_on)},
            )
        )
    ambiguous: set[str] = set()
    if join_on == "name":
        repeated = layer_key[layer_key.duplicated(keep=False) & (layer_key != "")]
        ambiguous = set(repeated)
        used_ambiguous = sorted(ambiguous & set(key))
        if used_ambiguous:
            problems.append(
                Problem(
                    "io.ambiguous_names",
                    "warning",
                    count=len(used_ambiguous),
                    examples=tuple(used_ambiguous[:5]),
                    params={"level": level_term(level)},
                )
            )
    layer_set = set(layer_key) - ambiguous
    matched = key.isin(layer_set) & present
    unmatched_rows = present & ~key.isin(set(layer_key))
    if not matched.any():
        problems.append(
            Problem(
                "io.population_no_match",
                "error",
                count=int(present.sum()),
                examples=tuple(key[present][:3]) + tuple(layer_key[:2]),
                params={"field": field_term(join_on), "level": level_term(level)},
            )
        )
        return None, mapping, problems
    if unmatched_rows.any():
        problems.append(
            Problem(
                "io.population_unmatched_rows",
                "warning",
                count=int(unmatched_rows.sum()),
                examples=tuple(key[unmatched_rows][:5]),
                params={"level": level_term(level), "field": field_term(join_on)},
            )
        )
    got = set(key[matched])
    without = ~layer_key.isin(got)
    if without.any():
        examples = feature_labels(layer.reset_index(drop=True))
        problems.append(
            Problem(
                "io.population_missing_features",
                "warning",
                count=int(without.sum()),
                examples=tuple(lab for lab, m in zip(examples, without, strict=False) if m)[:5],
                params={"level": level_term(level)},
            )
        )

    first = ~key.duplicated(keep="first") & matched
    by_key = pd.DataFrame({"key": key[first], "population": population[first]})
    if households is not None:
        by_key["households"] = households[first]
    by_key = by_key.set_index("key")
    out = layer.copy()
    lookup_key = layer_key.where(~layer_key.isin(ambiguous), "")
    hit = lookup_key.isin(by_key.index)
    out["population"] = _int_column(out, "population").mask(
        hit, lookup_key.map(by_key["population"]).astype("Int64")
    )
    if households is not None:
        new_households = lookup_key.map(by_key["households"]).astype("Int64")
        out["households"] = _int_column(out, "households").mask(
            hit & new_households.notna(), new_households
        )
    if level in ("townships", "communities"):
        named = feature_labels(out.reset_index(drop=True))
        problems.extend(check_population_parents(out, level, parents, named))
        problems.extend(check_population_sums(out, level, parents))
    return out, dict(mapping), problems


# --------------------------------------------------------------------------- catalogue


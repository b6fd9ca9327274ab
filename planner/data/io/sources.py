"""Where an import's file comes from, the formats read, and the limits on its size.

A source is a path or an uploaded file (file-like with ``.name``). It is opened once,
its size checked against :mod:`planner.limits` before anything is read, and refused at
once when no reader takes it (:func:`_opened`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.i18n import PlannerError
from planner.limits import check_limit, limit

__all__ = ["TABLE_FORMATS", "VECTOR_FORMATS", "check_file_size"]

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
_MB = 1 << 20
#: An archive's compression ratio is checked only once it unpacks to more than this: a
#: few megabytes are harmless however well they compress (a DBF of empty text fields
#: packs 100× and more).
_RATIO_FLOOR_BYTES = 10 * _MB
#: Rows above a table's header that may hold titles (the header is looked for there).
_HEADER_SCAN_ROWS = 10


@dataclass
class _Source:
    """A file to read: a path on disk, or the bytes of an upload."""

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


def _opened(
    source: Any,
    formats: Sequence[str],
    *,
    size_limit: str = "upload_mb",
    parts: Sequence[str] = (),
) -> _Source:
    """``source`` opened for a reader of ``formats`` (and of the files in ``parts``).

    Raises
    ------
    PlannerError
        ``io.old_excel`` for an ``.xls`` workbook, ``io.unsupported_format`` for any
        other format, ``io.empty_file`` for an empty file, and what :func:`_open_source`
        raises.
    """
    src = source if isinstance(source, _Source) else _open_source(source, size_limit)
    if src.suffix == ".xls":
        raise PlannerError("io.old_excel", name=src.name)
    if src.suffix not in formats and src.suffix not in parts:
        raise PlannerError(
            "io.unsupported_format",
            name=src.name,
            ext=src.suffix or "?",
            supported=list(formats),
        )
    if _size(src) == 0:
        raise PlannerError("io.empty_file", name=src.name)
    return src


def _pick(
    wanted: str | int, names: Sequence[str], name: str, labels: Sequence[str] | None = None
) -> int:
    """Index of the layer (worksheet, Shapefile) the planner asked for: ``wanted`` is a
    position, one of ``labels`` (the names shown) or one of ``names``.

    Raises
    ------
    PlannerError
        ``io.layer_not_found`` listing the labels.
    """
    labels = list(names if labels is None else labels)
    if isinstance(wanted, int) and 0 <= wanted < len(names):
        return wanted
    if str(wanted) in labels:
        return labels.index(str(wanted))
    if str(wanted) in names:
        return list(names).index(str(wanted))
    raise PlannerError("io.layer_not_found", name=name, layer=str(wanted), examples=labels)


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

"""Shapefiles: the sibling files a Shapefile needs, and the encoding of its DBF.

A DBF's text is read in the encoding its ``.cpg`` or its code-page byte declares;
without either, UTF-8 and then GBK/GB18030 are tried on the DBF's own bytes and the one
that decodes every value is used.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from planner.data.checks import Problem
from planner.data.io.encodings import _FALLBACK_ENCODINGS, _encoding_note
from planner.data.io.ogr import _feature_count, _read_dataframe
from planner.data.io.sources import _check_rows
from planner.i18n import PlannerError


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

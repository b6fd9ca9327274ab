"""Attribute tables: CSV (any delimiter, UTF-8 or GBK) and XLSX workbooks.

The header row is found below any title rows by the column names it holds; every cell
is read as text, so codes keep their leading digits. Parsing stops after the row limit,
so a table of millions of rows is refused without being built in full.
"""

from __future__ import annotations

import contextlib
import csv
import io as _stdio
import zipfile
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.data.checks import FIELD_ALIASES, Problem, normalise_header
from planner.data.io.archives import _check_archive
from planner.data.io.encodings import _encoding_note, _text_encoding
from planner.data.io.points import _COORDINATE_ALIASES
from planner.data.io.sources import (
    _HEADER_SCAN_ROWS,
    TABLE_FORMATS,
    _bytes,
    _check_rows,
    _opened,
    _pick,
    _row_cap,
    _Source,
)
from planner.i18n import PlannerError
from planner.limits import limit

#: Bytes of a table read to guess its delimiter.
_SNIFF_BYTES = 1 << 16


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
    names.update(normalise_header(a) for a in _COORDINATE_ALIASES)
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


def _read_csv(data: bytes, encoding: str, name: str) -> pd.DataFrame:
    # Parsing stops after the row limit: a table of millions of rows is refused
    # without being built in full first.
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
        return sheets[names[_pick(sheet, names, name)]], []
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
    src = _opened(source, TABLE_FORMATS)
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

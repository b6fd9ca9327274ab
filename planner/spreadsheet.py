"""Text that a spreadsheet shows as text: the CSV/formula-injection rule in one place.

Names in a plan come from other people's files (a colleague's GeoJSON, a cooperative's
Excel list). A name such as ``=HYPERLINK("http://x","y")`` or ``=cmd|' /C calc'!A0``
must never become a live formula when a planner opens an export in Excel, LibreOffice
or WPS. Every CSV and XLSX the project writes goes through this module and follows the
OWASP CSV-injection rule for *text* cells:

* a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
  leading single quote (``'=1+1``), which spreadsheets show as text; the quote stays
  in the file, so a CSV re-saved from Excel is still safe;
* text cells are written quoted (``"..."``) so that a ``;`` or ``,`` inside a name
  cannot start a new cell in a spreadsheet that splits on another separator;
* numbers (including negative ones), booleans and empty cells are written as they are:
  only text is ever changed, and a number stays a number;
* in an XLSX the same quoted text is written as a string cell (:func:`xlsx_text`),
  never a formula or an error value (``#REF!`` stays text); control characters XML
  cannot hold are shown as ``\\ufffd`` and a CR as the line break XML reads it as.

The escaped text is for people reading exports. Nothing in the project reads these
CSV files back: a stored plan is read from ``plan.gpkg`` and ``kpis.json``
(:meth:`planner.plan.Plan.read`), which keep the names unchanged.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "csv_bytes",
    "safe_table",
    "spreadsheet_text",
    "spreadsheet_value",
    "write_csv",
    "xlsx_text",
    "xml_text",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Control characters an XLSX (XML 1.0) cell cannot hold; tab, LF and CR it can.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_text(text: str) -> str:
    """``text`` with a leading ``'`` when it starts like a formula, else unchanged.

    >>> spreadsheet_text('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> spreadsheet_text("-12"), spreadsheet_text("青阳街道")
    ("'-12", '青阳街道')
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def spreadsheet_value(value: Any) -> Any:
    """A cell value ready for a spreadsheet: text escaped, anything else untouched."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def xml_text(text: str) -> str:
    """``text`` as a workbook stores it: XML 1.0 control characters shown as ``\\ufffd``
    (�), carriage returns as the line breaks XML reads them as.

    A workbook is XML: openpyxl refuses a control character such as BEL in a cell and
    writes it unescaped into the document properties, which leaves a file Excel cannot
    open; replacing it keeps the rest of the name and shows where it was. Tab and LF
    are kept; a CR (or CR LF) would come back as LF anyway, so it is written as one.
    """
    return _XML_ILLEGAL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def xlsx_text(text: str) -> str:
    """Text for an XLSX cell: escaped as in a CSV (:func:`spreadsheet_text`), XML-safe."""
    return xml_text(spreadsheet_text(text))


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header escaped for spreadsheets.

    Numeric and boolean columns are not touched; in text (object, string or
    category) columns only the ``str`` cells change, so a number held in an object
    column stays a number.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        out[name] = pd.Series(
            [spreadsheet_value(v) for v in column], index=column.index, dtype=object
        )
    out.columns = [spreadsheet_value(c) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as a spreadsheet-safe CSV file's bytes.

    UTF-8 with a byte-order mark (Excel opens Chinese text correctly), no index, text
    cells escaped (:func:`safe_table`) and quoted, numbers unquoted.
    """
    text = safe_table(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return text.encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as a spreadsheet-safe CSV (:func:`csv_bytes`); returns the path."""
    path = Path(path)
    path.write_bytes(csv_bytes(frame))
    return path

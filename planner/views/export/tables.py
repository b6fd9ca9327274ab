"""Site lists and the county summary as XLSX and CSV.

The workbook has one sheet per tier (回收站点, 分拣中心), a per-county summary with a
city total row, and a sheet about the export (region, scenario, dates, caveats).
Headers are in the export language. Codes are written as text cells (number format
``@``) so Excel keeps leading zeros and never shows 3.50582E+11. The CSV files are
UTF-8 with a byte-order mark so Excel opens the Chinese text correctly.

Names come from other people's files, so every text cell, in every sheet and CSV, is
escaped by :mod:`planner.spreadsheet` (``=…``, ``+…``, ``-…``, ``@…``, tab, CR get a
leading ``'``) and XLSX text cells are typed as strings: a name is never a formula
(nor an error value such as ``#REF!``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.plan.kpi import distance_mode_text
from planner.spreadsheet import write_csv, xlsx_text, xml_text
from planner.views.export.common import (
    CENTRE_COLUMNS,
    COUNTY_COLUMNS,
    STATION_COLUMNS,
    Column,
    county_table,
    dates_line,
    site_table,
    sources_line,
    tier_label,
)

__all__ = ["export_csv", "export_xlsx"]


NUMBER_FORMATS = {
    "code": "@",
    "text": "@",
    "int": "#,##0",
    "float": "#,##0.00",
    "float3": "0.000",
    "pct": "0.0%",
    "coord": "0.0000000",
}
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def _append(ws, values: list) -> None:
    """Append a row; text cells escaped and typed as strings, numbers as numbers.

    openpyxl reads a string starting with ``=`` as a formula and ``#REF!`` & co. as
    error values; setting the type after the value keeps both as the text they are.
    """
    ws.append([xlsx_text(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _write_sheet(ws, table: pd.DataFrame, columns: tuple[Column, ...]) -> None:
    """Header row plus typed cells; code columns as strings with format ``@``."""
    _append(ws, list(table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in table.itertuples(index=False):
        _append(
            ws,
            [
                str(v) if c.kind in ("code", "text") and v is not None else v
                for v, c in zip(row, columns, strict=True)
            ],
        )
    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        for cell in ws[letter][1:]:
            cell.number_format = NUMBER_FORMATS[col.kind]
        values = [str(v) for v in table.iloc[:, j - 1] if v is not None][:500]
        width = max(
            [_display_width(str(table.columns[j - 1]))] + [_display_width(v) for v in values]
        )
        ws.column_dimensions[letter].width = min(max(8, width + 2), 40)
    ws.freeze_panes = "B2" if len(columns) > 1 else "A2"
    ws.auto_filter.ref = ws.dimensions


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def export_xlsx(
    plan: Plan, path: str | Path, region: Region | None = None, lang: str = "zh"
) -> Path:
    """Write the site lists and county summary workbook; returns the path."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    first = True
    for tier, columns in (("station", STATION_COLUMNS), ("sorting_centre", CENTRE_COLUMNS)):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = tier_label(tier, lang)[:31]
        _write_sheet(ws, site_table(plan, tier, lang, region), columns)
    ws = wb.create_sheet(t("export.sheet.counties", lang)[:31])
    _write_sheet(ws, county_table(plan, lang, region), COUNTY_COLUMNS)
    ws = wb.create_sheet(t("export.sheet.about", lang)[:31])
    rows = [
        (t("term.region", lang), region.name(lang) if region else plan.scenario.region),
        (t("export.about.scenario", lang), plan.scenario.name),
        (t("export.about.description", lang), plan.scenario.description),
        (t("kpi.distance_mode", lang), distance_mode_text(plan.kpis, lang)),
        ("", dates_line(plan, lang)),
    ]
    if region is not None:
        rows.append(("", sources_line(region, lang)))
        if region.is_approximate:
            rows.append(("", t("export.approximate", lang)))
    rows.append(("", t("export.about.codes", lang)))
    for key, value in rows:
        _append(ws, [key, str(value) if value is not None else ""])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 120
    for cell in ws["A"]:
        cell.font = Font(bold=True)
    wb.properties.title = xml_text(plan.scenario.name or plan.scenario.region)
    wb.properties.creator = "recycling-planner"
    wb.save(path)
    return path


def csv_tables(
    plan: Plan, region: Region | None = None, lang: str = "zh"
) -> dict[str, pd.DataFrame]:
    """The CSV exports by file suffix: ``stations``, ``sorting_centres``, ``counties``."""
    return {
        "stations": site_table(plan, "station", lang, region),
        "sorting_centres": site_table(plan, "sorting_centre", lang, region),
        "counties": county_table(plan, lang, region),
    }


def export_csv(
    plan: Plan, folder: str | Path, stem: str, region: Region | None = None, lang: str = "zh"
) -> list[Path]:
    """Write ``{stem}_stations.csv``, ``…_sorting_centres.csv`` and ``…_counties.csv``."""
    folder = Path(folder)
    paths = []
    for name, table in csv_tables(plan, region, lang).items():
        paths.append(write_csv(table, folder / f"{stem}_{name}.csv"))
    return paths

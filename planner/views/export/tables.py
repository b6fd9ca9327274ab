"""Site lists, the county summary and the plan's actions and costs as XLSX and CSV.

The workbook has one sheet per tier (回收站点, 分拣中心; every site with its action —
新建 / 标准化改造 / 保留 / 关停 — its reasons and its cost, the existing sites the plan
closes included, greyed), a per-county summary with a city total row (village coverage
included), the villages and communities without a station in reach with their nearest
station (the list for mobile collection, 流动回收), a sheet of the
actions and costs (sites per action, one-off costs by action per tier and per county,
the yearly running cost, the budgets, the unit costs and, while they are the defaults,
the note that they are planning assumptions), and a sheet about the export (region,
scenario, dates, caveats).
Headers are in the export language. Codes are written as text cells (number format
``@``) so Excel keeps leading zeros and never shows 3.50582E+11. The CSV files are
UTF-8 with a byte-order mark so Excel opens the Chinese text correctly.

Names come from other people's files, so every text cell, in every sheet and CSV, is
escaped by :mod:`planner.spreadsheet` (``=…``, ``+…``, ``-…``, ``@…``, tab, CR get a
leading ``'``) and XLSX text cells are typed as strings: a name is never a formula
(nor an error value such as ``#REF!``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.plan.actions import TIERS, costs_assumed
from planner.plan.kpi import distance_mode_text
from planner.spreadsheet import write_csv, xlsx_text, xml_text
from planner.views.export.common import (
    ACTION_COLUMNS,
    COST_COLUMNS,
    COUNTY_COLUMNS,
    TIER_COST_COLUMNS,
    UNCOVERED_COLUMNS,
    UNIT_COST_COLUMNS,
    Column,
    action_table,
    cost_tables,
    county_table,
    dates_line,
    run_summary,
    scenario_summary,
    site_columns,
    site_table,
    sources_line,
    tier_label,
    uncovered_table,
)

__all__ = ["export_csv", "export_xlsx", "uncovered_xlsx"]


NUMBER_FORMATS = {
    "code": "@",
    "text": "@",
    "int": "#,##0",
    "float": "#,##0.00",
    "float3": "0.000",
    "pct": "0.0%",
    "coord": "0.0000000",
    "money": "#,##0",
}
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
#: Rows of the existing sites a plan closes: grey text.
CLOSED_FONT = Font(color="7F7F7F")


def _append(ws, values: list) -> None:
    """Append a row; text cells escaped and typed as strings, numbers as numbers.

    openpyxl reads a string starting with ``=`` as a formula and ``#REF!`` & co. as
    error values; setting the type after the value keeps both as the text they are.
    """
    ws.append([xlsx_text(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _write_table(ws, table: pd.DataFrame, columns: tuple[Column, ...]) -> int:
    """Append a header row and typed cells below what ``ws`` holds; code columns as
    strings with format ``@``. Returns the header's row number."""
    _append(ws, list(table.columns))
    top = ws.max_row
    for cell in ws[top]:
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
        for cell, col in zip(ws[ws.max_row], columns, strict=False):
            cell.number_format = NUMBER_FORMATS[col.kind]
    return top


def _fit_columns(ws, skip: set[int]) -> None:
    """Column widths from the cells' text (CJK counts double), but rows ``skip``."""
    widths: dict[str, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.row in skip:
                continue
            if cell.value is not None:
                text = f"{cell.value:,.0f}" if isinstance(cell.value, float) else str(cell.value)
                letter = cell.column_letter
                widths[letter] = max(widths.get(letter, 0), _display_width(text))
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = min(max(8, width + 2), 40)


def _write_sheet(
    ws, table: pd.DataFrame, columns: tuple[Column, ...], closed: str | None = None
) -> None:
    """A sheet of one table: header row, typed cells, frozen header, filter; rows whose
    ``action`` cell reads ``closed`` (关停) in grey."""
    _write_table(ws, table, columns)
    for j in range(1, len(columns) + 1):
        letter = get_column_letter(j)
        values = [str(v) for v in table.iloc[:, j - 1] if v is not None][:500]
        width = max(
            [_display_width(str(table.columns[j - 1]))] + [_display_width(v) for v in values]
        )
        ws.column_dimensions[letter].width = min(max(8, width + 2), 40)
    ws.freeze_panes = "B2" if len(columns) > 1 else "A2"
    ws.auto_filter.ref = ws.dimensions
    keys = [c.key for c in columns]
    if closed is not None and "action" in keys:
        at = keys.index("action")
        for row in ws.iter_rows(min_row=2):
            if row[at].value == closed:
                for cell in row:
                    cell.font = CLOSED_FONT


def _unique(title: str, taken: set[str]) -> str:
    """``title``, or with a number when a sheet has it (kind names are the planner's)."""
    n = 2
    out = title
    while out in taken:
        suffix = f" ({n})"
        out = title[: 31 - len(suffix)] + suffix
        n += 1
    return out


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def export_xlsx(
    plan: Plan,
    path: str | Path,
    region: Region | None = None,
    lang: str = "zh",
    review: Mapping[tuple[str, str], Any] | None = None,
) -> Path:
    """Write the site lists and county summary workbook; returns the path.

    ``review``: the scenario's review states by ``(tier, site_id)``, for each site's
    review status, reviewer and reason (:func:`~planner.views.export.common.site_table`)."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    first = True
    # a sheet of markets only in plans with a market tier
    tiers = ("station", "sorting_centre", "market") if len(plan.markets) else TIERS
    for tier in tiers:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = tier_label(tier, lang)[:31]
        closed = t("action.close", lang)
        table = site_table(plan, tier, lang, region, review)
        _write_sheet(ws, table, site_columns(plan, tier), closed)
    from planner.views.export.kind_tables import kind_tables

    titles = {w.title for w in wb.worksheets}
    for title, table, columns in kind_tables(plan, lang, region):
        ws = wb.create_sheet(_unique(title[:31], titles))
        titles.add(ws.title)
        _write_sheet(ws, table, columns)
    ws = wb.create_sheet(t("export.sheet.counties", lang)[:31])
    _write_sheet(ws, county_table(plan, lang, region), COUNTY_COLUMNS)
    ws = wb.create_sheet(t("export.sheet.uncovered", lang)[:31])
    _write_sheet(ws, uncovered_table(plan, lang, region), UNCOVERED_COLUMNS)
    _costs_sheet(wb.create_sheet(t("export.sheet.actions", lang)[:31]), plan, region, lang)
    if plan.kpis.get("years"):
        from planner.views.export.phasing_tables import YEAR_SHEET_COLUMNS, year_table

        ws = wb.create_sheet(t("phasing.sheet.years", lang)[:31])
        _write_sheet(ws, year_table(plan, lang), YEAR_SHEET_COLUMNS)
    ws = wb.create_sheet(t("export.sheet.about", lang)[:31])
    rows = [
        (t("term.region", lang), region.name(lang) if region else plan.scenario.region),
        (t("export.about.scenario", lang), plan.scenario.name),
        (t("export.about.description", lang), plan.scenario.description),
        (t("export.about.parameters", lang), scenario_summary(plan, lang)),
        (t("export.about.run", lang), run_summary(plan, lang)),
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


def uncovered_xlsx(
    plan: Plan, region: Region | None = None, lang: str = "zh", county: str | None = None
) -> bytes:
    """A workbook of one sheet, the villages and communities without a station in reach
    (of one county when ``county`` is given), as the full export writes it."""
    wb = Workbook()
    ws = wb.active
    ws.title = t("export.sheet.uncovered", lang)[:31]
    _write_sheet(ws, uncovered_table(plan, lang, region, county), UNCOVERED_COLUMNS)
    wb.properties.title = xml_text(plan.scenario.name or plan.scenario.region)
    wb.properties.creator = "recycling-planner"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _title(ws, text: str, colour: str = "000000", first: bool = False) -> int:
    """A bold line above a block (escaped like any text cell), after a blank row unless
    ``first``; returns its row number."""
    if not first:
        ws.append([])
    _append(ws, [text])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=12, color=colour)
    return ws.max_row


def _costs_sheet(ws, plan: Plan, region: Region | None, lang: str) -> None:
    """Sites per action per county and tier; one-off costs by action and the yearly
    running cost per tier and per county with the budgets; the city budget, the unit
    costs and, while they are the defaults, the note that they are assumptions."""
    titles = {_title(ws, t("term.actions_heading", lang), first=True)}
    _write_table(ws, action_table(plan, lang, region), ACTION_COLUMNS)
    tables = cost_tables(plan, lang, region)
    if tables:
        if costs_assumed(plan.kpis):
            titles.add(_title(ws, t("term.costs_assumed", lang), "8A4B00"))
        titles.add(_title(ws, t("export.costs.by_tier", lang)))
        _write_table(ws, tables["tiers"], TIER_COST_COLUMNS)
        titles.add(_title(ws, t("export.costs.by_county", lang)))
        _write_table(ws, tables["counties"], COST_COLUMNS)
        titles.add(_title(ws, t("export.costs.units", lang)))
        _write_table(ws, tables["units"], UNIT_COST_COLUMNS)
    _fit_columns(ws, titles)


def csv_tables(
    plan: Plan,
    region: Region | None = None,
    lang: str = "zh",
    review: Mapping[tuple[str, str], Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """The CSV exports by file suffix: ``stations``, ``sorting_centres``, ``markets``
    (plans with a market tier only), ``counties``; ``review`` as :func:`export_xlsx`."""
    out = {
        "stations": site_table(plan, "station", lang, region, review),
        "sorting_centres": site_table(plan, "sorting_centre", lang, region, review),
    }
    if len(plan.markets):
        out["markets"] = site_table(plan, "market", lang, region, review)
    return out | {"counties": county_table(plan, lang, region)}


def export_csv(
    plan: Plan,
    folder: str | Path,
    stem: str,
    region: Region | None = None,
    lang: str = "zh",
    review: Mapping[tuple[str, str], Any] | None = None,
) -> list[Path]:
    """Write ``{stem}_stations.csv``, ``…_sorting_centres.csv`` and ``…_counties.csv``."""
    folder = Path(folder)
    paths = []
    for name, table in csv_tables(plan, region, lang, review).items():
        paths.append(write_csv(table, folder / f"{stem}_{name}.csv"))
    return paths

"""Exports of a plan: maps, site lists, GIS layers and the scenario report.

::

    from planner.views.export import export_plan, read_plan
    plan = read_plan("out/jinjiang")            # or planner.run.run_plan(...)
    written = export_plan(plan, "out/jinjiang/exports", formats="all", lang="zh", paper="a4")

writes into the folder (``<stem>`` is the region id, e.g. ``jinjiang``):

========== ============================================================================
format     files
========== ============================================================================
html       ``<stem>_map.html`` — interactive map, self-contained, opens offline
png        ``<stem>_map_a4.png`` — print map, 300 dpi, A4 (or A3) landscape
pdf        ``<stem>_map_a4.pdf`` — the same map as a vector PDF
xlsx       ``<stem>_sites.xlsx`` — a sheet per tier, per-county summary, about sheet
csv        ``<stem>_stations.csv``, ``_sorting_centres.csv``, ``_counties.csv`` (BOM)
gpkg       ``<stem>_layers.gpkg`` — sites, demand, links, counties, townships
shp        ``<stem>_shp.zip`` — the same layers as Shapefiles (UTF-8 .cpg, README)
geojson    ``<stem>_<layer>.geojson`` — one RFC 7946 file per layer
report     ``<stem>_report.pdf`` — parameters, indicators, map, county tables
========== ============================================================================

Headers, titles and notes follow ``lang`` (``zh`` default, or ``en``); names from the
data stay as they are. Static maps and the report need a CJK font
(:mod:`planner.views.export.fonts`). From the shell: ``python -m planner export``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.data.regions import Region, load_region
from planner.i18n import LANGUAGES, PlannerError
from planner.plan import Plan
from planner.views.export.common import MapNotice, county_table, file_stem, site_table
from planner.views.export.fonts import cjk_family
from planner.views.export.gis import export_geojson, export_gpkg, export_shapefile, gis_layers
from planner.views.export.html import export_html
from planner.views.export.report import export_report
from planner.views.export.static_map import PAPERS, export_map_pdf, export_map_png, map_figure
from planner.views.export.tables import export_csv, export_xlsx

__all__ = [
    "FORMATS",
    "PAPERS",
    "MapNotice",
    "cjk_family",
    "county_table",
    "export_csv",
    "export_geojson",
    "export_gpkg",
    "export_html",
    "export_map_pdf",
    "export_map_png",
    "export_plan",
    "export_report",
    "export_shapefile",
    "export_xlsx",
    "gis_layers",
    "map_figure",
    "parse_formats",
    "read_plan",
    "site_table",
]

FORMATS = ("html", "png", "pdf", "xlsx", "csv", "gpkg", "shp", "geojson", "report")


def read_plan(folder: str | Path) -> Plan:
    """:meth:`Plan.read`, with unreadable files reported as a :class:`PlannerError`."""
    try:
        return Plan.read(folder)
    except PlannerError:
        raise
    except Exception as err:  # a damaged GeoPackage or kpis.json, of many kinds
        raise PlannerError("export.bad_plan", path=folder, error=err) from err


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """``"all"`` or a comma list (or an iterable) → known formats, in canonical order.

    Raises
    ------
    PlannerError
        ``export.bad_format`` for an unknown name.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = {str(f).strip().lower() for f in items if str(f).strip()}
    if not wanted or "all" in wanted:
        return list(FORMATS)
    for name in sorted(wanted):
        if name not in FORMATS:
            raise PlannerError("export.bad_format", format=name, choices=", ".join(FORMATS))
    return [f for f in FORMATS if f in wanted]


def export_plan(
    plan: Plan,
    out: str | Path,
    formats: str | Iterable[str] = "all",
    lang: str = "zh",
    paper: str = "a4",
    region: Region | None = None,
    review: Mapping[tuple[str, str], Any] | None = None,
    notice: MapNotice | None = None,
) -> dict[str, list[Path]]:
    """Write the requested exports of ``plan`` into folder ``out`` (created if needed).

    Parameters
    ----------
    plan
        The plan (:func:`planner.run.run_plan` or :meth:`Plan.read`).
    out
        Output folder.
    formats
        ``"all"``, a comma list such as ``"html,xlsx"``, or an iterable of
        :data:`FORMATS`.
    lang
        ``zh`` (default) or ``en``: headers, titles, legends and notes.
    paper
        ``a4`` or ``a3``: landscape sheet of the static map (PNG, PDF, report page).
    region
        The plan's region; loaded from ``plan.scenario.region`` when not given.
    review
        The scenario's review states by ``(tier, site_id)``
        (:meth:`planner.store.Store.review_states`), for the site tables' review
        columns (XLSX, CSV); without it those columns stay empty.
    notice
        The map approval number (审图号) and base-map statement for the printed map
        and the report (:class:`~planner.views.export.common.MapNotice`).

    Returns
    -------
    dict
        Written files by format.

    Raises
    ------
    PlannerError
        Unknown format, language or paper; the region cannot be loaded; or no CJK
        font for the static map and report.
    """
    wanted = parse_formats(formats)
    if lang not in LANGUAGES:
        raise PlannerError("export.bad_lang", lang=lang, choices=", ".join(LANGUAGES))
    paper = str(paper).lower()
    if paper not in PAPERS:
        raise PlannerError("export.bad_paper", paper=paper, choices=", ".join(PAPERS))
    if region is None:
        region = load_region(plan.scenario.region)
    elif region.id != plan.scenario.region:
        raise PlannerError(
            "export.region_mismatch", region=region.id, plan_region=plan.scenario.region
        )
    if {"png", "pdf", "report"} & set(wanted):
        cjk_family()  # fail before writing anything when Chinese cannot be drawn
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PlannerError("export.bad_out", path=folder, error=err) from err
    stem = file_stem(plan)
    written: dict[str, list[Path]] = {}
    for fmt in wanted:
        if fmt == "html":
            paths = [export_html(plan, folder / f"{stem}_map.html", region, lang)]
        elif fmt == "png":
            png = folder / f"{stem}_map_{paper}.png"
            paths = [export_map_png(plan, png, region, lang, paper, notice)]
        elif fmt == "pdf":
            pdf = folder / f"{stem}_map_{paper}.pdf"
            paths = [export_map_pdf(plan, pdf, region, lang, paper, notice)]
        elif fmt == "xlsx":
            paths = [export_xlsx(plan, folder / f"{stem}_sites.xlsx", region, lang, review)]
        elif fmt == "csv":
            paths = export_csv(plan, folder, stem, region, lang, review)
        elif fmt == "gpkg":
            paths = [export_gpkg(plan, folder / f"{stem}_layers.gpkg", region)]
        elif fmt == "shp":
            paths = [export_shapefile(plan, folder / f"{stem}_shp.zip", region, lang)]
        elif fmt == "geojson":
            paths = export_geojson(plan, folder, stem, region)
        else:
            report = folder / f"{stem}_report.pdf"
            paths = [export_report(plan, report, region, lang, paper, notice)]
        written[fmt] = paths
    return written

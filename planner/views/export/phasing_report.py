"""The scenario report's section on phasing (分年度建设安排, issue 17).

Written only for plans planned with a ``phasing`` section (``kpis["years"]``, see
:mod:`planner.run.phasing`): the roll-out in one sentence per year, the per-year table
(sites in service, new sites, coverage, villages covered, the year's one-off cost, the
cost so far and the budget), how good the roll-out is (proven gap, price of phasing
against the single-period plan) and one small map per year: the network in service
that year, the sites new that year highlighted, with a shared legend, north arrow and
scale bar (all maps share one extent and scale).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.data.regions import Region
from planner.format import clauses, count, number, share
from planner.i18n import t
from planner.plan import Plan
from planner.views.export.common import metric_layers
from planner.views.export.static_map import (
    _dots,
    _fit_extent,
    _handle,
    _north_arrow,
    _scale_bar,
    fontprops,
    wrap_text,
)
from planner.views.style import PRINT, Dot

__all__ = ["phasing_section", "year_maps"]

#: Sites already in service before the year drawn: the print colours, muted.
_EARLIER_STATION = Dot("#9aa5b1", "white", 2.2, 0.2)
_EARLIER_CENTRE = Dot("#9aa5b1", "black", 6.5, 0.5, shape="s")
#: Maps per page (two columns); the last cell of each page holds the legend.
_CELLS = 6


def phasing_section(w: Any, plan: Plan, region: Region, lang: str) -> None:
    """Add the section to the report writer ``w`` (nothing without ``kpis["years"]``)."""
    years = plan.kpis.get("years") or []
    if not years:
        return
    w.heading(t("phasing.report.heading", lang))
    end = "。" if lang == "zh" else "."
    sentences = clauses((_year_sentence(y, lang) for y in years), lang) + end
    w.paragraph(sentences[:1].upper() + sentences[1:], 9.5, color="#222")  # "By 2025: …"
    header = [
        t("phasing.col.year", lang),
        t("export.col.stations", lang),
        t("export.col.sorting_centres", lang),
        t("phasing.report.col_new", lang),
        t("phasing.report.col_coverage", lang),
        t("phasing.col.villages_covered", lang),
        t("phasing.report.col_cost", lang),
        t("phasing.report.col_cumulative", lang),
        t("phasing.report.col_budget", lang),
    ]
    rows = [
        [
            str(y["year"]),
            count(y.get("stations")),
            count(y.get("sorting_centres")),
            f"{count(y.get('new_stations'))} / {count(y.get('new_sorting_centres'))}",
            share(y.get("coverage_share")),
            count(y.get("villages_covered")),
            _wan(y.get("cost_yuan")),
            _wan(y.get("cumulative_cost_yuan")),
            _wan(y.get("budget_yuan")),
        ]
        for y in years
    ]
    widths = [0.08, 0.1, 0.1, 0.12, 0.11, 0.11, 0.12, 0.13, 0.13]
    w.table(header, rows, widths, [False] + [True] * 8, size=7.5)
    w.paragraph(t("phasing.report.table_note", lang), 8, color="#444")
    w.paragraph(_quality(plan.kpis.get("phasing") or {}, lang), 9.5, color="#222")
    for fig in year_maps(plan, region, lang):
        w.add_figure(fig)


def _wan(value: Any) -> str:
    """Yuan in 万元 (10,000 yuan), the unit of planning budgets; blank when not set."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return number(float(value) / 1e4, 1)


def _year_sentence(y: dict, lang: str) -> str:
    return t(
        "phasing.report.year_sentence",
        lang,
        year=y["year"],
        stations=count(y.get("stations")),
        centres=count(y.get("sorting_centres")),
        new=count(y.get("new_stations")),
        coverage=share(y.get("coverage_share")),
        villages=count(y.get("villages_covered")),
    )


def _quality(ph: dict, lang: str) -> str:
    """The roll-out's proven gap and its price against the single-period plan, in words."""
    gap = ph.get("gap")
    if ph.get("status") == "optimal" or (gap is not None and gap <= 1e-9):
        parts = [t("phasing.report.optimal", lang)]
    elif gap is not None and math.isfinite(gap):
        parts = [t("phasing.report.gap", lang, gap=share(gap, 2))]
    else:
        parts = [t("phasing.report.no_gap", lang)]
    price = ph.get("price_of_phasing_pct")
    if price is None:
        parts.append(t("phasing.report.price_unknown", lang))
    elif abs(price) < 0.05:
        parts.append(t("phasing.report.price_none", lang))
    else:
        parts.append(t("phasing.report.price", lang, price=f"{price:.1f}%"))
    return " ".join(parts) if lang == "en" else "".join(parts)


# --- the maps ----------------------------------------------------------------------------


def _year_of(sites: gpd.GeoDataFrame, first: int) -> pd.Series:
    """Each site's year in service; a site without one (existing, never phased) is
    counted from the first year."""
    if "year" not in sites.columns:
        return pd.Series([first] * len(sites), index=sites.index)
    return sites["year"].astype("Int64").fillna(first).astype(int)


def year_maps(plan: Plan, region: Region, lang: str) -> list[Figure]:
    """A4 portrait pages of small maps, one per year of ``kpis["years"]``."""
    years = [y for y in plan.kpis.get("years") or []]
    if not years:
        return []
    layers = metric_layers(region, plan)
    first = int(years[0]["year"])
    per_page = _CELLS - 1
    pages = [years[i : i + per_page] for i in range(0, len(years), per_page)]
    return [_page(layers, chunk, first, lang) for chunk in pages]


def _page(layers: dict, years: list[dict], first: int, lang: str) -> Figure:
    from planner.views.export.report import PAGE_SIZE  # the report's page size

    fig = Figure(figsize=PAGE_SIZE)
    fig.text(0.5, 0.955, t("phasing.report.maps_title", lang), ha="center", va="center",
             fontproperties=fontprops(15, "bold"), parse_math=False)  # fmt: skip
    rows = math.ceil((len(years) + 1) / 2)
    left, right, top, bottom, gap_x, gap_y = 0.07, 0.93, 0.91, 0.06, 0.03, 0.045
    cell_w = (right - left - gap_x) / 2
    cell_h = min(0.42, (top - bottom - gap_y * (rows - 1)) / rows)
    counties = layers["counties"]
    stations, centres = layers["stations"], layers["centres"]
    s_year, c_year = _year_of(stations, first), _year_of(centres, first)
    dense = len(stations) > PRINT.dense_above
    new_station = PRINT.dense_station if dense else PRINT.station
    earlier_station = Dot(_EARLIER_STATION.fill, "white", new_station.size, 0)
    k = 1.5  # small maps: dots a little larger than on the full sheet
    axes, captions = [], []
    for i, y in enumerate(years):
        col, row = i % 2, i // 2
        x0 = left + col * (cell_w + gap_x)
        y0 = top - (row + 1) * cell_h - row * gap_y
        ax = fig.add_axes((x0, y0, cell_w, cell_h - 0.025))
        axes.append(ax)
        label = int(y["year"])
        counties.plot(ax=ax, facecolor=PRINT.county_fill, edgecolor="none", zorder=1)
        towns = layers["townships"].boundary
        towns.plot(ax=ax, color=PRINT.township.colour, linewidth=PRINT.township.width * 0.6,
                   zorder=2)  # fmt: skip
        counties.boundary.plot(
            ax=ax, color=PRINT.county.colour, linewidth=PRINT.county.width * 0.7, zorder=3
        )
        # stations a little larger than on the full sheet, centres as there (a city's
        # thirty squares would hide the stations otherwise)
        for frame, years_of, new, old, z, kk in (
            (stations, s_year, new_station, earlier_station, 5, k),
            (centres, c_year, PRINT.centre, _EARLIER_CENTRE, 7, 1.0),
        ):
            before = frame[(years_of < label).to_numpy()]
            now = frame[(years_of == label).to_numpy()]
            if len(before):
                _dots(ax, before, old, kk, z)
            if len(now):
                _dots(ax, now, new, kk, z + 1)
        _fit_extent(fig, ax, counties.total_bounds)
        caption = t(
            "phasing.report.map_caption",
            lang,
            year=label,
            stations=count(y.get("stations")),
            new=count(y.get("new_stations")),
            centres=count(y.get("sorting_centres")),
            coverage=share(y.get("coverage_share")),
        )
        captions.append((x0, y0 + cell_h - 0.018, caption))
    # the last cell: north arrow, legend and the scale bar every map shares
    i = len(years)
    col, row = i % 2, i // 2
    x0 = left + col * (cell_w + gap_x)
    y0 = top - (row + 1) * cell_h - row * gap_y
    panel = fig.add_axes((x0 + 0.02, y0, cell_w * 0.8, cell_h - 0.025))
    panel.set_axis_off()
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    # captions wrapped to the map's width (a canvas only now: see static_map)
    renderer = fig.canvas.get_renderer()
    fp = fontprops(8, "bold")
    for x, y, caption in captions:
        text = wrap_text(caption, fp, cell_w * fig.bbox.width, renderer)
        fig.text(x, y, text, ha="left", va="bottom", fontproperties=fp, linespacing=1.45,
                 parse_math=False)  # fmt: skip
    _north_arrow(panel, lang, k)
    handles = [
        _handle(new_station, t("phasing.report.legend_new_station", lang), k),
        _handle(earlier_station, t("phasing.report.legend_earlier_station", lang), k),
        _handle(PRINT.centre, t("phasing.report.legend_new_centre", lang), 1.0),
        _handle(_EARLIER_CENTRE, t("phasing.report.legend_earlier_centre", lang), 1.0),
        _handle(PRINT.county, t("export.map.county", lang), 1.0),
    ]
    legend = panel.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.8),
                          frameon=True, prop=fontprops(8), title=t("map.legend", lang),
                          title_fontproperties=fontprops(9, "bold"), alignment="left",
                          edgecolor=PRINT.frame, fancybox=False)  # fmt: skip
    legend.get_frame().set_linewidth(0.6)
    _scale_bar(fig, axes[0], panel, lang, 1.0, y=0.12)  # text as on the text pages
    return fig

"""Print-ready static map of a plan (PNG at 300 dpi, vector PDF), A4 or A3 landscape.

Drawn with matplotlib in the region's metric CRS (a UTM zone), so the scale bar and
the stated scale are true on the page. The sheet carries a title, a legend, a scale
bar, a north arrow, county (and, for small regions, township) names in the export
language's script, the data sources and dates, and the approximate-geometry note when
the region's township/community geometry is generated.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from planner.data.regions import Region
from planner.format import clauses, count, number, share
from planner.i18n import PlannerError, t
from planner.plan import Plan
from planner.plan.actions import actions_present, site_actions
from planner.plan.location import schematic_note
from planner.views.export.common import (
    MapNotice,
    dates_line,
    map_title,
    metric_layers,
    sources_line,
)
from planner.views.export.fonts import font_families
from planner.views.kind_layers import draw_kinds, kind_sheet_legend
from planner.views.markets import draw_markets, has_markets
from planner.views.style import (
    PRINT,
    Dot,
    Stroke,
    market_sheet_legend,
    sheet_legend,
    site_symbol,
)

__all__ = [
    "PAPERS",
    "export_map_pdf",
    "export_map_png",
    "fontprops",
    "map_figure",
    "paper_size",
    "wrap_text",
]


# Landscape sheets (width, height) in millimetres.
PAPERS: dict[str, tuple[float, float]] = {"a4": (297.0, 210.0), "a3": (420.0, 297.0)}
DPI = 300

# Township names are drawn when a region has at most this many townships.
MAX_TOWNSHIP_LABELS = 60
# Names keep clear of station dots when there are at most this many stations.
MAX_STATION_OBSTACLES = 400
# Width of the side panel's legend and boxes, as a fraction of the panel.
PANEL_BOX_WIDTH = 0.96
# Punctuation that may not start a line.
NO_BREAK_BEFORE = frozenset("，。、；：？！）》」』”’%,.;:?!)")
# ... nor end one.
NO_BREAK_AFTER = frozenset("（《「『“‘(")


def paper_size(paper: str) -> tuple[float, float]:
    """Figure size in inches of a landscape ``paper`` (``a4`` / ``a3``).

    Rounded to whole pixels at 300 dpi (A4: 3508 × 2480 px), a hair over so that
    matplotlib's truncation to pixels keeps the count.
    """
    key = str(paper).lower()
    if key not in PAPERS:
        raise PlannerError("export.bad_paper", paper=paper, choices=", ".join(PAPERS))
    return tuple((round(mm / 25.4 * DPI) + 0.01) / DPI for mm in PAPERS[key])  # type: ignore[return-value]


def fontprops(size: float, weight: str = "normal") -> FontProperties:
    """Font of the exports (CJK face with a Latin fallback) at ``size`` points."""
    return FontProperties(family=font_families(), size=size, weight=weight)


def _nice_length(target_m: float) -> float:
    """Largest 1/2/5 × 10ⁿ metres not above ``target_m``."""
    exp = 10 ** math.floor(math.log10(max(target_m, 1.0)))
    return max(m * exp for m in (1, 2, 5) if m * exp <= max(target_m, 1.0))


def _halo(width: float = 2.5) -> list:
    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _place_labels(ax, renderer, items, placed: list, soft: list = ()) -> None:
    """Draw ``(x, y, text, fontprops, colour)`` labels where they overlap nothing placed.

    A label is tried at its point, then above, below, right and left of it. Positions
    clear of the ``soft`` obstacles (station dots) are preferred; a label that fits
    nowhere among the ``placed`` ones (labels, centres) is left out.
    """
    frame = ax.get_window_extent(renderer)
    for x, y, text, fp, colour in items:
        label = ax.text(
            x,
            y,
            text,
            fontproperties=fp,
            color=colour,
            ha="center",
            va="center",
            path_effects=_halo(),
            zorder=6,
            parse_math=False,
            clip_on=True,
        )
        extent = label.get_window_extent(renderer)
        px, py = ax.transData.transform((x, y))
        shifts = [(0.0, 0.0)]
        for step in (0.9, 1.8):
            shifts += [(0.0, step * extent.height), (0.0, -step * extent.height)]
        shifts += [(0.6 * extent.width, 0.0), (-0.6 * extent.width, 0.0)]
        boxes = []
        for dx, dy in shifts:
            box = extent.translated(dx, dy).expanded(1.08, 1.2)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in placed):
                boxes.append((any(box.overlaps(other) for other in soft), (dx, dy), box))
        if not boxes:
            label.remove()
            continue
        _, (dx, dy), box = min(boxes, key=lambda b: b[0])  # first clear of dots, if any
        label.set_position(ax.transData.inverted().transform((px + dx, py + dy)))
        placed.append(box)


def map_figure(
    plan: Plan,
    region: Region,
    lang: str = "zh",
    paper: str = "a4",
    figure: Figure | None = None,
    notice: MapNotice | None = None,
) -> Figure:
    """Draw the plan sheet on a landscape ``paper`` figure and return it.

    Parameters
    ----------
    plan, region
        The plan and its region (``load_region(plan.scenario.region)``).
    lang
        ``zh`` or ``en``: title, legend and notes.
    paper
        ``a4`` or ``a3`` (landscape).
    figure
        Draw on this figure instead of a new one (its size is set to the paper).
    notice
        The map approval number and base-map statement, printed in the footer when set.
    """
    width_in, height_in = paper_size(paper)
    fig = figure or Figure()
    fig.set_size_inches(width_in, height_in)
    fig.set_dpi(DPI)
    k = math.sqrt(width_in / paper_size("a4")[0])  # text grows a little on A3
    layers = metric_layers(region, plan)

    # --- frame: title band, map, side panel, footer -----------------------------------
    mx = 0.025
    ax = fig.add_axes((mx, 0.115, 0.755, 0.775))
    panel = fig.add_axes((0.80, 0.115, 0.175, 0.775))
    panel.set_axis_off()
    title, subtitle = map_title(plan, region, lang)
    fig.text(
        0.5,
        0.955,
        title,
        ha="center",
        va="center",
        fontproperties=fontprops(20 * k, "bold"),
        parse_math=False,
    )
    fig.text(
        0.5,
        0.913,
        subtitle,
        ha="center",
        va="center",
        fontproperties=fontprops(10.5 * k),
        color=PRINT.subtitle,
        parse_math=False,
    )

    # --- map content -----------------------------------------------------------------
    counties, towns = layers["counties"], layers["townships"]
    counties.plot(ax=ax, facecolor=PRINT.county_fill, edgecolor="none", zorder=1)
    towns.boundary.plot(ax=ax, color=PRINT.township.colour, linewidth=PRINT.township.width * k,
                        zorder=2)  # fmt: skip
    counties.boundary.plot(ax=ax, color=PRINT.county.colour, linewidth=PRINT.county.width * k,
                           zorder=3)  # fmt: skip
    links = layers["links"]
    if len(links):
        links.plot(ax=ax, color=PRINT.link.colour, linewidth=PRINT.link.width * k,
                   alpha=PRINT.link.opacity, zorder=3)  # fmt: skip
    stations = layers["stations"]
    dot = PRINT.dense_station if len(stations) > PRINT.dense_above else PRINT.station
    station_size = dot.size * k
    centres = layers["centres"]
    # each action its symbol (site_symbol): closed sites under the open ones
    closed = layers["closed"]
    for tier, base, zorder in (("station", dot, 7), ("sorting_centre", PRINT.centre, 8)):
        part = closed[(closed["tier"] == tier).to_numpy()] if len(closed) else closed
        if len(part):
            _dots(ax, part, site_symbol(base, "close"), k, 6)
        sites = stations if tier == "station" else centres
        actions = site_actions(sites).to_numpy()
        for action in ("new", "upgrade", "keep"):
            part = sites[actions == action]
            if len(part):
                _dots(ax, part, site_symbol(base, action), k, zorder)

    draw_markets(ax, plan, counties.crs, k)  # nothing without a market tier
    draw_kinds(ax, plan, counties.crs, k)  # nor without standalone kinds
    _fit_extent(fig, ax, counties.total_bounds)
    # An Agg canvas only now: attached earlier, every geopandas plot call would redraw.
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    placed = _marker_box(ax, renderer, centres, PRINT.centre.size * k) if len(centres) else []
    dots = (
        _marker_box(ax, renderer, stations, station_size)
        if 0 < len(stations) <= MAX_STATION_OBSTACLES
        else []
    )

    # --- names: counties first, then townships where they fit ------------------------
    county_points = counties.geometry.representative_point()
    items = [
        (p.x, p.y, str(name), fontprops(12 * k, "bold"), PRINT.county_label)
        for p, name in zip(county_points, counties["name"], strict=True)
    ]
    _place_labels(ax, renderer, items, placed)
    if len(towns) <= MAX_TOWNSHIP_LABELS:
        order = np.argsort(-towns.geometry.area.to_numpy())
        town_points = towns.geometry.representative_point()
        items = [
            (
                town_points.iloc[i].x,
                town_points.iloc[i].y,
                str(towns["name"].iloc[i]),
                fontprops(6.5 * k),
                PRINT.township_label,
            )
            for i in order
        ]
        _place_labels(ax, renderer, items, placed, dots)

    # --- side panel, top to bottom: north arrow, legend, key figures, caveat, scale ----
    _north_arrow(panel, lang, k)
    handles = [
        _handle(symbol, t(key, lang), k)
        for key, symbol in sheet_legend(actions_present(plan.sites))
        + (market_sheet_legend(plan.market_links is not None) if has_markets(plan) else [])
    ]
    kinds = kind_sheet_legend(plan, lang)
    handles += [_handle(symbol, name, k) for name, symbol in kinds]
    # Legend and boxes share the panel's width (mode="expand" widens the legend).
    legend = panel.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.83, PANEL_BOX_WIDTH, 0.0),
        mode="expand",
        borderaxespad=0.0,
        frameon=True,
        prop=fontprops(8.5 * k),
        title=t("map.legend", lang),
        title_fontproperties=fontprops(10 * k, "bold"),
        alignment="left",
        borderpad=0.8,
        # a plan with standalone kinds has many entries: closer rows keep the key
        # figures, the note and the scale bar apart in the panel
        labelspacing=0.35 if kinds else 0.8,
        handlelength=1.8,
        edgecolor=PRINT.frame,
        fancybox=False,
    )
    legend.get_frame().set_linewidth(0.6)
    frame = legend.get_window_extent(renderer)  # = its frame (which has no pad)
    y = panel.transAxes.inverted().transform((frame.x0, frame.y0))[1] - 0.025
    y = _boxed_text(panel, renderer, y, _key_figures(plan, lang), fontprops(8 * k), *PRINT.box,
                    PRINT.frame)  # fmt: skip
    if region.is_approximate:
        note = " ".join(filter(None, [t("export.approximate", lang),
                                      schematic_note(plan.sites, lang)]))  # fmt: skip
        y = _boxed_text(panel, renderer, y - 0.025, note, fontprops(7.5 * k), *PRINT.note)
    # Near the foot of the panel, lower still when the boxes above reach down that far.
    _scale_bar(fig, ax, panel, lang, k, y=max(0.04, min(0.12, y - 0.09)))

    # --- footer: sources, dates and CRS ------------------------------------------------
    lines = [
        sources_line(region, lang),
        clauses([dates_line(plan, lang), t("export.map.crs", lang, crs=region.metric_crs)], lang),
    ]
    if notice is not None and notice.lines(lang):
        lines.append(clauses(notice.lines(lang), lang))
    width = fig.bbox.width * (1 - 2 * mx)
    footer = "\n".join(wrap_text(line, fontprops(6.5 * k), width, renderer) for line in lines)
    fig.text(
        mx,
        0.088,
        footer,
        ha="left",
        va="top",
        fontproperties=fontprops(6.5 * k),
        color=PRINT.footer,
        linespacing=1.5,
        parse_math=False,
    )
    return fig


def _dots(ax, points, dot: Dot, k: float, zorder: int) -> None:
    """Point markers of ``dot`` (sizes in points at A4, times ``k``)."""
    ax.plot(
        points.geometry.x,
        points.geometry.y,
        dot.shape,
        color=dot.fill,
        markersize=dot.size * k,
        markeredgecolor=dot.edge,
        markeredgewidth=(dot.edge_width or 0) * k,
        zorder=zorder,
        linestyle="none",
    )


def _handle(symbol: Dot | Stroke, text: str, k: float) -> Line2D:
    """A legend entry drawn like ``symbol`` (sizes in points at A4, times ``k``)."""
    if isinstance(symbol, Stroke):
        return Line2D([], [], color=symbol.colour, linewidth=symbol.width * k, label=text)
    return Line2D(
        [], [], marker=symbol.shape, linestyle="none", color=symbol.fill,
        markersize=symbol.size * k, markeredgecolor=symbol.edge, label=text,
    )  # fmt: skip


def _boxed_text(
    panel, renderer, top: float, text: str, fp: FontProperties, colour: str, face: str, edge: str
) -> float:
    """Wrapped ``text`` in a box as wide as the legend, from panel-y ``top`` down.

    Returns the panel-y of the box's bottom edge.
    """
    width_px = panel.get_window_extent(renderer).width * PANEL_BOX_WIDTH
    pad_px = 0.8 * fp.get_size_in_points() * renderer.points_to_pixels(1.0)
    to_panel = panel.transAxes.inverted()
    pad_x = pad_px / panel.get_window_extent(renderer).width
    pad_y = pad_px / panel.get_window_extent(renderer).height
    label = panel.text(
        pad_x, top - pad_y, wrap_text(text, fp, width_px - 2 * pad_px, renderer),
        transform=panel.transAxes, ha="left", va="top", fontproperties=fp, color=colour,
        linespacing=1.55, parse_math=False, zorder=3,
    )  # fmt: skip
    bottom = to_panel.transform((0, label.get_window_extent(renderer).y0))[1] - pad_y
    panel.add_patch(
        Rectangle((0, bottom), PANEL_BOX_WIDTH, top - bottom, transform=panel.transAxes,
                  facecolor=face, edgecolor=edge, linewidth=0.6, zorder=2)
    )  # fmt: skip
    return bottom


def _fit_extent(fig: Figure, ax, bounds) -> None:
    """Limits around ``bounds`` (plus a margin) with the axes' width/height ratio.

    Equal scale in x and y without matplotlib moving limits or shrinking the frame.
    """
    minx, miny, maxx, maxy = bounds
    pad = 0.04 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    pos = ax.get_position(original=True)
    box_ratio = (pos.width * fig.get_figwidth()) / (pos.height * fig.get_figheight())
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = maxx - minx, maxy - miny
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_facecolor(PRINT.background)
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)


def _marker_box(ax, renderer, points, size_pt: float):
    """Display-space box around point markers (kept clear of labels)."""
    from matplotlib.transforms import Bbox

    xy = ax.transData.transform(np.column_stack([points.geometry.x, points.geometry.y]))
    r = 0.6 * size_pt * renderer.points_to_pixels(1.0)
    return [Bbox([[x - r, y - r], [x + r, y + r]]) for x, y in xy]


def _below(panel, renderer, artist) -> float:
    """Panel-axes y of the bottom of ``artist`` (including its frame)."""
    box = artist.get_window_extent(renderer)
    if hasattr(artist, "get_bbox_patch") and artist.get_bbox_patch() is not None:
        artist.update_bbox_position_size(renderer)
        box = artist.get_bbox_patch().get_window_extent(renderer)
    return panel.transAxes.inverted().transform((box.x0, box.y0))[1]


def wrap_text(text: str, fp: FontProperties, width_px: float, renderer) -> str:
    """Break ``text`` into lines no wider than ``width_px`` (CJK breaks anywhere).

    Widths are summed per word or character (measured once each), a close and fast
    estimate of the laid-out line.
    """
    if "\n" in text:
        return "\n".join(wrap_text(part, fp, width_px, renderer) for part in text.split("\n"))
    widths: dict[str, float] = {}

    def width(token: str) -> float:
        if token not in widths:
            widths[token] = renderer.get_text_width_height_descent(token, fp, ismath=False)[0]
        return widths[token]

    tokens = re.findall(r"[A-Za-z0-9][\w.,:;()/'+%²-]*|\s+|.", text)
    lines, line, used = [], "", 0.0
    for token in tokens:
        w = width(token) if token.strip() else width("a a") - width("aa")
        breakable = (
            token.strip() and token not in NO_BREAK_BEFORE and line[-1:] not in NO_BREAK_AFTER
        )
        if line and used + w > 0.97 * width_px and breakable:
            lines.append(line.rstrip())
            line, used = token, w
        else:
            line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def _key_figures(plan: Plan, lang: str) -> str:
    k = plan.kpis
    rows = [
        ("export.col.stations", count(k.get("stations"))),
        ("export.col.sorting_centres", count(k.get("sorting_centres"))),
    ]
    if isinstance(k.get("markets"), dict):  # plans with a market tier
        rows.append(("markets.col.markets", count(k["markets"].get("count"))))
    rows += [
        ("term.population", count(k.get("population"))),
        ("term.population_within_radius", share(k.get("coverage_share"))),
        ("term.mean_distance_m", count(k.get("mean_distance_m"))),
        ("export.col.p95_distance_m", count(k.get("p95_distance_m"))),
    ]
    sep = "：" if lang == "zh" else ": "
    return "\n".join(f"{t(key, lang)}{sep}{value}" for key, value in rows)


def _north_arrow(panel, lang: str, k: float) -> None:
    """A north arrow at the top of the side panel (grid north of the UTM map)."""
    x, y0, y1 = 0.18, 0.86, 0.98
    panel.add_patch(
        Polygon(
            [(x - 0.05, y0), (x, y1), (x, y0 + 0.03)],
            closed=True,
            facecolor="black",
            edgecolor="black",
            transform=panel.transAxes,
        )
    )
    panel.add_patch(
        Polygon(
            [(x + 0.05, y0), (x, y1), (x, y0 + 0.03)],
            closed=True,
            facecolor="white",
            edgecolor="black",
            linewidth=0.8,
            transform=panel.transAxes,
        )
    )
    panel.text(
        x,
        y1 + 0.005,
        t("export.map.north", lang),
        transform=panel.transAxes,
        ha="center",
        va="bottom",
        fontproperties=fontprops(11 * k, "bold"),
    )


def _scale_bar(fig: Figure, ax, panel, lang: str, k: float, y: float = 0.12) -> None:
    """Segmented scale bar in the panel, true to the map's scale, and the 1:N scale."""
    x0, x1 = ax.get_xlim()
    ax_width_in = ax.get_position().width * fig.get_figwidth()
    metres_per_inch = (x1 - x0) / ax_width_in
    panel_width_in = panel.get_position().width * fig.get_figwidth()
    length = _nice_length(0.8 * panel_width_in * metres_per_inch)
    frac = length / metres_per_inch / panel_width_in  # bar length in panel axes units
    h = 0.012
    segments = 4 if length / 10 ** math.floor(math.log10(length)) in (1, 2) else 5
    for i in range(segments):
        panel.add_patch(
            Rectangle(
                (i * frac / segments, y),
                frac / segments,
                h,
                transform=panel.transAxes,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
            )
        )
    km = length >= 1000
    unit = t("export.map.km", lang) if km else t("export.map.m", lang)

    def fmt(value: float) -> str:
        value = value / 1000 if km else value
        return f"{value:g}"

    for i in (0, segments // 2 if segments == 4 else 0, segments):
        panel.text(
            i * frac / segments,
            y + h + 0.008,
            fmt(length * i / segments),
            transform=panel.transAxes,
            ha="center",
            va="bottom",
            fontproperties=fontprops(7 * k),
        )
    panel.text(
        frac + 0.03,
        y + h / 2,
        unit,
        transform=panel.transAxes,
        ha="left",
        va="center",
        fontproperties=fontprops(7 * k),
    )
    denominator = metres_per_inch / 0.0254
    digits = 10 ** max(0, math.floor(math.log10(denominator)) - 1)
    panel.text(
        0.0,
        y - 0.03,
        t("export.map.scale", lang, denominator=number(round(denominator / digits) * digits)),
        transform=panel.transAxes,
        ha="left",
        va="top",
        fontproperties=fontprops(7.5 * k),
    )


def export_map_png(
    plan: Plan,
    path: str | Path,
    region: Region,
    lang: str = "zh",
    paper: str = "a4",
    notice: MapNotice | None = None,
) -> Path:
    """Write the map sheet as a 300 dpi PNG; returns the path."""
    path = Path(path)
    fig = map_figure(plan, region, lang, paper, notice=notice)
    fig.savefig(path, dpi=DPI, format="png", metadata={"Software": "recycling-planner"})
    return path


def export_map_pdf(
    plan: Plan,
    path: str | Path,
    region: Region,
    lang: str = "zh",
    paper: str = "a4",
    notice: MapNotice | None = None,
) -> Path:
    """Write the map sheet as a one-page vector PDF; returns the path."""
    path = Path(path)
    fig = map_figure(plan, region, lang, paper, notice=notice)
    title, _ = map_title(plan, region, lang)
    fig.savefig(path, format="pdf", metadata={"Title": title, "Creator": "recycling-planner"})
    return path

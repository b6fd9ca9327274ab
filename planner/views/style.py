"""How the maps look: every colour, symbol, line width and legend entry.

Four kinds of map draw from here: the app's web maps (region map, plan map, import
preview), the review map, the exported HTML map and the printed sheet (PNG, PDF and
the report's map page). The exported HTML map is coloured like the printed sheet, so a
file and a print of one plan look alike; the app's plan map has its own look (townships
coloured by coverage, round station markers and square sorting-centre markers).

Leaflet sizes are CSS pixels; sizes on the printed sheet are points at A4 (the sheet
scales them up a little on A3).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from planner.data.edit.uploads import SITE_STATUS_KEYS
from planner.format import number
from planner.i18n import t
from planner.plan.actions import ACTION_ORDER
from planner.plan.review import REVIEW_STATUS_LABEL
from planner.views.labels import SHEET_ACTION_LABEL

__all__ = [
    "APP_COUNTY_LINE",
    "APP_PLAN",
    "AREA_LABEL_CSS",
    "BOX_CSS",
    "CLOSED_COLOUR",
    "COMMUNITY_FILL_OPACITY",
    "COMMUNITY_LINE",
    "COMPARE_MOVE_DASH",
    "COMPARE_MOVE_LINE",
    "COMPARE_SITES",
    "COVERAGE_COLOURS",
    "DENSITY_COLOURS",
    "FILE_PLAN",
    "INVENTORY_CSS",
    "INVENTORY_SITES",
    "MARKET_COLOUR",
    "MARKET_LINK",
    "MARKET_SYMBOL",
    "MAX_SHOWN_DENSITY",
    "MOVE_CANDIDATE",
    "MOVE_REACH",
    "MOVE_SITE",
    "NOTICE_COLOURS",
    "PLAN_CSS",
    "PREVIEW_AREA_FILL",
    "PREVIEW_AREA_LINE",
    "PREVIEW_BOUNDARY_LINE",
    "PREVIEW_POINT",
    "PRINT",
    "RADIUS_STYLE",
    "REGION_TOWNSHIP_LINE",
    "REVIEW_LOCK_COLOUR",
    "REVIEW_MOVE_DASH",
    "REVIEW_MOVE_LINE",
    "REVIEW_OPACITY",
    "REVIEW_RADIUS",
    "REVIEW_RING",
    "REVIEW_STATUS_COLOURS",
    "REVIEW_TARGET",
    "ROAD_LINE",
    "SEARCH_CSS",
    "SWATCH_BORDER",
    "UNCOVERED",
    "UNREACHED",
    "UPGRADE_COLOUR",
    "DensityScale",
    "Dot",
    "PlanStyle",
    "PrintStyle",
    "Stroke",
    "coverage_colour",
    "density_scale",
    "density_text",
    "inventory_legend",
    "market_legend",
    "market_sheet_legend",
    "plan_legend",
    "review_legend",
    "sheet_legend",
    "site_symbol",
    "symbol_colour",
    "unreached_entry",
]


@dataclass(frozen=True)
class Stroke:
    """A line: colour, width and opacity (``None``: the drawing library's default)."""

    colour: str
    width: float
    opacity: float | None = None

    def leaflet(self) -> dict[str, Any]:
        """Leaflet path options: ``color``, ``weight`` (and ``opacity`` when set)."""
        out: dict[str, Any] = {"color": self.colour, "weight": self.width}
        if self.opacity is not None:
            out["opacity"] = self.opacity
        return out


@dataclass(frozen=True)
class Dot:
    """A point symbol: fill, edge, size and shape.

    ``size`` is a Leaflet radius or marker width in pixels, or a matplotlib marker size
    in points; ``shape`` is a matplotlib marker (``o`` round, ``s`` square).
    ``edge_width`` ``None`` leaves the library's default.
    """

    fill: str
    edge: str
    size: float
    edge_width: float | None = 1.0
    opacity: float = 1.0
    shape: str = "o"

    def leaflet(self) -> dict[str, Any]:
        """Leaflet circle-marker options (the radius is added by the caller)."""
        out: dict[str, Any] = {"color": self.edge}
        if self.edge_width is not None:
            out["weight"] = self.edge_width
        return out | {"fill": True, "fillColor": self.fill, "fillOpacity": self.opacity}


# --- colours every output shares ----------------------------------------------------------

STATION_COLOUR = "#1f78b4"
CENTRE_COLOUR = "#e31a1c"
#: Map background where no basemap is drawn (printed sheet).
SHEET_BACKGROUND = "#eef3f7"
#: The printed sheet's and exported map's county fill, county, township and link lines.
COUNTY_FILL = "#f5f2ea"
COUNTY_EDGE = "#222222"
TOWNSHIP_EDGE = "#a6a6a6"
SHEET_LINK_COLOUR = "#8c8c8c"
#: An existing station kept: green on the printed sheet and exported map, purple in the app.
SHEET_EXISTING_COLOUR = "#33a02c"
APP_EXISTING_COLOUR = "#6a3d9a"
#: What a plan does with an existing site: an upgraded site (标准化改造) is amber on the
#: printed sheet and exported map and wears an amber ring in the app; a closed one (关停)
#: is a grey cross on the sheet, grey on the exported map, hollow with a cross in the app.
UPGRADE_COLOUR = "#f0a30a"
CLOSED_COLOUR = "#7f7f7f"
#: Distribution and trading markets (集散交易市场), the third tier, and their
#: centre → market lines: dark teal on every map, a diamond (a square turned 45°).
MARKET_COLOUR = "#01665e"


def site_symbol(dot: Dot, action: str, app: bool = False) -> Dot:
    """The symbol of a site the plan gives ``action``, from ``dot``, its tier's symbol of
    a new site: the printed sheet's and exported map's, or with ``app`` the app map's."""
    if action == "keep":
        return replace(dot, fill=APP_EXISTING_COLOUR if app else SHEET_EXISTING_COLOUR)
    if action == "upgrade":
        if app:
            return replace(dot, edge=UPGRADE_COLOUR, edge_width=3)
        return replace(dot, fill=UPGRADE_COLOUR)
    if action == "close":
        if app:
            return replace(dot, fill="#ffffff", edge=CLOSED_COLOUR, edge_width=2)
        return replace(dot, fill=CLOSED_COLOUR, edge="#ffffff", size=dot.size * 1.15, shape="X")
    return dot


#: Boxes pinned to a web map (legend, title): background and border, as CSS; and the
#: border of a legend's colour swatch.
BOX_CSS = "background:rgba(255,255,255,.92);border:1px solid #999;"
SWATCH_BORDER = "#777"
#: The approximate-geometry note: (text, background, border) on web maps.
NOTICE_COLOURS = ("#664d03", "#fff3cd", "#ffc107")
#: The same note on the printed sheet and in the report: (text, background, border).
PRINT_NOTE_COLOURS = ("#8a4b00", "#fff3cd", "#e0b000")


# --- areas: density (region map) and coverage (plan map) ---------------------------------

DENSITY_COLOURS = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"]

#: Township fill by coverage share: (lower bound, colour, label).
COVERAGE_COLOURS: tuple[tuple[float, str, str], ...] = (
    (0.9, "#1a9850", "≥ 90%"),
    (0.7, "#a6d96a", "70–90%"),
    (0.5, "#fee08b", "50–70%"),
    (0.0, "#f46d43", "< 50%"),
)
NO_DATA_COLOUR = "#d9d9d9"


def coverage_colour(share: float | None) -> str:
    """Fill colour of a township whose population is ``share`` covered."""
    if share is None or not np.isfinite(share):
        return NO_DATA_COLOUR
    for lower, colour, _ in COVERAGE_COLOURS:
        if share >= lower:
            return colour
    return COVERAGE_COLOURS[-1][1]


#: The highest population density a map states as a figure (people/km²). Generated
#: community outlines can be tiny (an islet, a sliver), which gives figures no city
#: reaches; above this a map says "more than" instead of an impossible number. Dense
#: Chinese city cores reach about 30,000–50,000 people/km² at district scale.
MAX_SHOWN_DENSITY = 50_000.0


def _round_break(value: float) -> float:
    """A class break as a reader writes it: two significant figures (3,471 → 3,500)."""
    if value <= 0:
        return 0.0
    step = 10.0 ** (int(np.floor(np.log10(value))) - 1)
    return float(np.round(value / step) * step)


class DensityScale:
    """Stepped colour scale over population density with quantile breaks.

    Breaks are the 20/40/60/80 % quantiles, rounded to two significant figures, so a
    few outliers (tiny generated outlines) never stretch the scale; the lowest class
    is "below" its upper break and the highest "at least" its lower one, so the legend
    states no extreme it cannot vouch for.
    """

    def __init__(self, values: np.ndarray) -> None:
        finite = values[np.isfinite(values) & (values > 0)]
        if finite.size == 0:
            finite = np.array([1.0])
        inner = np.quantile(finite, [0.2, 0.4, 0.6, 0.8])
        breaks = np.unique([_round_break(min(v, MAX_SHOWN_DENSITY)) for v in inner])
        breaks = breaks[breaks > 0]
        if breaks.size == 0:
            breaks = np.array([_round_break(float(finite.max())) or 1.0])
        #: Inner breaks: class i holds values in [breaks[i-1], breaks[i]).
        self.breaks = breaks
        self.colours = DENSITY_COLOURS[: len(breaks) + 1]

    def __call__(self, value: float) -> str:
        i = int(np.searchsorted(self.breaks, value, side="right"))
        return self.colours[min(max(i, 0), len(self.colours) - 1)]

    def legend_items(self) -> list[tuple[str, str]]:
        b = self.breaks
        items = [(self.colours[0], f"< {number(b[0])}")]
        items += [
            (self.colours[i + 1], f"{number(b[i])} – {number(b[i + 1])}") for i in range(len(b) - 1)
        ]
        items.append((self.colours[len(b)], f"≥ {number(b[-1])}"))
        return items


def density_text(value: float | None) -> str:
    """A density as a map states it: ``3,471``, or ``> 50,000`` above
    :data:`MAX_SHOWN_DENSITY` (see there why)."""
    if value is not None and np.isfinite(value) and value > MAX_SHOWN_DENSITY:
        return f"> {number(MAX_SHOWN_DENSITY)}"
    return number(value)


def density_scale(values: np.ndarray) -> DensityScale:
    """A stepped colour scale over population density, with quantile breaks."""
    return DensityScale(np.asarray(values, dtype=float))


# --- the app's web maps: region map, import preview, roads --------------------------------

#: Region map: community fill opacity and edge; township and county outlines.
COMMUNITY_LINE = Stroke("#888", 0.3)
COMMUNITY_FILL_OPACITY = 0.7
REGION_TOWNSHIP_LINE = Stroke("#2166ac", 1.2)
APP_COUNTY_LINE = Stroke("#111", 2.5)
#: Import preview: the boundary under the layer, the layer's points and areas.
PREVIEW_BOUNDARY_LINE = Stroke("#111", 2)
PREVIEW_POINT = Dot("#d6604d", "#b2182b", 4, edge_width=None, opacity=0.9)
PREVIEW_AREA_LINE = Stroke("#2166ac", 1.2)
PREVIEW_AREA_FILL = ("#67a9cf", 0.25)
#: A road network drawn over a map.
ROAD_LINE = Stroke("#5a5a5a", 1.0, 0.75)
#: Region map: the region's inventory of existing sites, per tier (a round station, a
#: square sorting centre, in colours of their own); a site to close is drawn grey and a
#: candidate white, in the shape of its tier.
INVENTORY_SITES = {
    "station": Dot(APP_EXISTING_COLOUR, "#fff", 10, 1.5),
    "sorting_centre": Dot("#b15928", "#fff", 16, 2, shape="s"),
}
INVENTORY_STATUS_FILL = {"existing_close": "#9e9e9e", "candidate": "#ffffff"}
#: The inventory's CSS marker class per tier.
INVENTORY_CLASS = {"station": "planner-inv-station", "sorting_centre": "planner-inv-centre"}


#: The review's move map: the site being moved, the free candidates near it, and the
#: ring of the distance the nearby choices reach.
MOVE_SITE = {"radius": 9, "color": "#fff", "weight": 2, "fill": True,
             "fill_color": "#d7301f", "fill_opacity": 1.0}  # fmt: skip
MOVE_CANDIDATE = {"radius": 5, "color": "#fff", "weight": 1, "fill": True,
                  "fill_color": "#1f78b4", "fill_opacity": 0.9}  # fmt: skip
MOVE_REACH = {"color": "#d7301f", "weight": 1.5, "fill": False, "dash_array": "6 4"}


#: The compare page's overlay of two plans: sites in both, only in the baseline (A),
#: only in the variant (B), and the line from a moved site to where it went.
COMPARE_SITES = {
    "both": Dot("#9e9e9e", "#ffffff", 4, 1, 0.8),
    "removed": Dot("#d7301f", "#ffffff", 6, 1.5),
    "added": Dot("#1a9850", "#ffffff", 6, 1.5),
}
COMPARE_MOVE_LINE = Stroke("#6a3d9a", 2)
COMPARE_MOVE_DASH = "5 4"


#: Web maps: county and township names (planner.views.find), white-haloed so they read
#: over any fill, and the search box with its list of matches.
AREA_LABEL_CSS = (
    "<style>.planner-area-label{background:none;border:none;white-space:nowrap;"
    "transform:translate(-50%,-50%);pointer-events:none;font-family:sans-serif;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}"
    ".planner-area-label.county span{font-size:14px;font-weight:bold;color:#111}"
    ".planner-area-label.township span{font-size:11px;color:#2166ac}</style>"
)
SEARCH_CSS = (
    "<style>.planner-search{background:#fff;border:1px solid #999;border-radius:4px;"
    "padding:4px;font:13px sans-serif;width:220px}"
    ".planner-search input{width:100%;box-sizing:border-box;font:13px sans-serif}"
    ".planner-search-hit{padding:3px 4px;cursor:pointer;border-top:1px solid #eee}"
    ".planner-search-hit:hover{background:#e8f0fb}"
    ".planner-search-hit small{color:#666}</style>"
)


# --- plan maps: the app's and the exported file's -----------------------------------------


@dataclass(frozen=True)
class PlanStyle:
    """How a plan map looks (:func:`planner.views.plan_map.plan_map`).

    Attributes
    ----------
    county, township, link
        County outlines, township outlines, station → centre lines.
    township_fill
        Fill colour and opacity of townships; colour ``None`` colours each township by
        its coverage share (:data:`COVERAGE_COLOURS`).
    station, existing_station, centre
        Site symbols. With ``icons`` they are CSS markers (``size`` their width,
        ``shape`` ``s`` a rounded square); without, Leaflet circle markers.
    icons
        Draw sites as CSS markers (:data:`PLAN_CSS`) rather than circle markers.
    zoom_snap
        Zoom steps the view snaps to (1: whole levels, which leave a margin around the
        region, room for the exported map's title box).
    scale_position
        Corner of the metric scale bar.
    notice_bottom_px, notice_max_width
        Where the approximate-geometry note sits, and how wide it may grow.
    """

    county: Stroke
    township: Stroke
    township_fill: tuple[str | None, float]
    link: Stroke
    station: Dot
    existing_station: Dot
    centre: Dot
    icons: bool
    zoom_snap: float
    scale_position: str
    notice_bottom_px: int
    notice_max_width: str | None


#: The app's plan map (results, compare, sweep and review pages).
APP_PLAN = PlanStyle(
    county=APP_COUNTY_LINE,
    township=Stroke("#2166ac", 1),
    township_fill=(None, 0.45),
    link=Stroke("#555555", 1, 0.55),
    station=Dot(STATION_COLOUR, "#fff", 12, 2),
    existing_station=Dot(APP_EXISTING_COLOUR, "#fff", 12, 2),
    centre=Dot(CENTRE_COLOUR, "#fff", 18, 2, shape="s"),
    icons=True,
    zoom_snap=0.25,
    scale_position="topleft",
    notice_bottom_px=28,
    notice_max_width=None,
)
#: The exported HTML map: the printed sheet's colours, sites as dots.
FILE_PLAN = PlanStyle(
    county=Stroke(COUNTY_EDGE, 2.5),
    township=Stroke(TOWNSHIP_EDGE, 0.8),
    township_fill=(COUNTY_FILL, 0.6),
    link=Stroke(SHEET_LINK_COLOUR, 1, 0.7),
    station=Dot(STATION_COLOUR, "#ffffff", 4, 1, 0.95),
    existing_station=Dot(SHEET_EXISTING_COLOUR, "#ffffff", 4, 1, 0.95),
    centre=Dot(CENTRE_COLOUR, "#000000", 8, 1.5, 0.95),
    icons=False,
    zoom_snap=1,
    scale_position="bottomleft",
    notice_bottom_px=40,
    notice_max_width="45%",
)

#: App plan map: coverage-radius circles, and the swatch the legend shows for them.
RADIUS_COLOUR = STATION_COLOUR
RADIUS_STYLE = {
    "color": RADIUS_COLOUR,
    "weight": 1,
    "opacity": 0.6,
    "fillColor": RADIUS_COLOUR,
    "fillOpacity": 0.08,
    "interactive": False,
}
RADIUS_SWATCH = "#d2e3f0"
#: App plan map: communities outside their station's radius.
UNCOVERED = Dot("#ff7f00", "#b35806", 4, 1, 0.9)
#: Plan maps: villages and communities with no station within their radius (the list
#: for mobile collection), small hollow red rings; filled invisibly so that a click
#: inside the ring opens the popup.
UNREACHED = Dot("#ffffff", "#d7191c", 6, 2, 0.0)


#: Market symbol per output: the app's map (CSS marker, ``size`` its width), the exported
#: map (circle marker) and the printed sheet (points at A4); ``legend`` is the printed
#: legend's.
MARKET_SYMBOL = {
    "app": Dot(MARKET_COLOUR, "#fff", 18, 2, shape="D"),
    "file": Dot(MARKET_COLOUR, "#000000", 10, 1.5, 0.95, shape="D"),
    "print": Dot(MARKET_COLOUR, "black", 8.5, 0.7, shape="D"),
    "legend": Dot(MARKET_COLOUR, "black", 7, None, shape="D"),
}
#: Centre → market lines per output: thicker than the station → centre lines (a market
#: link carries a whole centre's tonnage).
MARKET_LINK = {
    "app": Stroke(MARKET_COLOUR, 2.5, 0.8),
    "file": Stroke(MARKET_COLOUR, 2.5, 0.8),
    "print": Stroke(MARKET_COLOUR, 1.0, 0.85),
}


def market_legend(lang: str, output: str, links: bool = True) -> list[tuple[str, str]]:
    """Legend entries of the market tier on a web map (``output`` ``app`` or ``file``):
    ``(colour, label)`` for the markets and, with ``links``, the centre → market lines."""
    items = [(MARKET_SYMBOL[output].fill, t("tier.market", lang))]
    if links:
        items.append((MARKET_LINK[output].colour, t("map.market_links", lang)))
    return items


def market_sheet_legend(links: bool = True) -> list[tuple[str, Dot | Stroke]]:
    """The market tier's entries of the printed legend: ``(message key, symbol)``."""
    items: list[tuple[str, Dot | Stroke]] = [("tier.market", MARKET_SYMBOL["legend"])]
    if links:
        items.append(("map.market_links", Stroke(MARKET_COLOUR, 1.4)))
    return items


def _css(name: str, dot: Dot, shadow: str) -> str:
    radius = "3px" if dot.shape == "s" else "50%"
    return (
        f".{name}{{background:{dot.fill};border:{dot.edge_width:g}px solid {dot.edge};"
        f"border-radius:{radius};box-shadow:{shadow};box-sizing:border-box}}"
    )


#: A site's popup (:func:`planner.views.text.popup`).
_POPUP_CSS = (
    ".planner-popup td{padding:1px 6px 1px 0;font:12px sans-serif;vertical-align:top}"
    ".planner-popup b{font:bold 13px sans-serif}"
)
#: CSS of the app's site markers, popups and station clusters.
PLAN_CSS = (
    "<style>"
    + _css("planner-station", APP_PLAN.station, "0 0 2px rgba(0,0,0,.8)")
    + f".planner-station.existing{{background:{APP_PLAN.existing_station.fill}}}"
    + _css("planner-centre", APP_PLAN.centre, "0 0 3px rgba(0,0,0,.9)")
    + f".planner-centre.existing{{background:{APP_PLAN.existing_station.fill}}}"
    + f".planner-station.upgrade,.planner-centre.upgrade{{border:3px solid {UPGRADE_COLOUR}}}"
    + f".planner-closed{{background:#fff;border:2px solid {CLOSED_COLOUR};border-radius:50%;"
    f"color:{CLOSED_COLOUR};box-sizing:border-box;display:flex;align-items:center;"
    "justify-content:center;font:bold 12px/1 sans-serif;box-shadow:0 0 2px rgba(0,0,0,.5)}"
    ".planner-closed.centre{border-radius:3px;font-size:16px}"
    '.planner-closed::after{content:"\\00d7"}'
    + _css("planner-market", MARKET_SYMBOL["app"], "0 0 3px rgba(0,0,0,.9)")
    + ".planner-market{transform:rotate(45deg)}"
    + _POPUP_CSS
    + ".planner-cluster{background:rgba(31,120,180,.3);border-radius:50%}"
    f".planner-cluster div{{background:{STATION_COLOUR};color:#fff;border-radius:50%;"
    "width:calc(100% - 8px);height:calc(100% - 8px);margin:4px;display:flex;"
    "align-items:center;justify-content:center;font:bold 11px sans-serif}"
    "</style>"
)


#: CSS of the region map's inventory markers and their popups.
INVENTORY_CSS = (
    "<style>"
    + "".join(
        _css(INVENTORY_CLASS[tier], dot, "0 0 2px rgba(0,0,0,.8)")
        for tier, dot in INVENTORY_SITES.items()
    )
    + "".join(
        f".planner-inv-station.{status},.planner-inv-centre.{status}"
        f"{{background:{fill};border-color:{INVENTORY_SITES['station'].fill}}}"
        for status, fill in INVENTORY_STATUS_FILL.items()
    )
    + _POPUP_CSS
    + "</style>"
)


def inventory_legend(lang: str, tiers: set[str], statuses: set[str]) -> list[tuple[str, str, str]]:
    """Legend entries of the region map's inventory: ``(colour, label, shape)`` for each
    tier and each status other than kept that the sites have (``shape``: ``round`` or
    ``square``, see :func:`planner.views.layers.add_legend`)."""
    tier_keys = {"station": "map.station", "sorting_centre": "map.centre"}
    items = [
        (dot.fill, t(tier_keys[tier], lang), "square" if dot.shape == "s" else "round")
        for tier, dot in INVENTORY_SITES.items()
        if tier in tiers
    ]
    items += [
        (fill, t(SITE_STATUS_KEYS[status], lang), "round")
        for status, fill in INVENTORY_STATUS_FILL.items()
        if status in statuses
    ]
    return items


def _acted(actions: Mapping[str, Collection[str]] | None) -> bool:
    """Whether a plan gives any site an action other than ``new``."""
    return any(set(found) - {"new"} for found in (actions or {}).values())


def unreached_entry(lang: str) -> tuple[str, str, str]:
    """Legend entry of the villages and communities with no station in reach."""
    return (UNREACHED.fill, t("map.unreached", lang), UNREACHED.edge)


def plan_legend(
    lang: str,
    *,
    links: bool,
    uncovered: bool,
    radius: bool,
    coverage: bool,
    actions: Mapping[str, Collection[str]] | None = None,
    villages: bool = False,
) -> list[tuple[str, ...]]:
    """Legend of the app's plan map: ``(colour, label)`` per entry shown, or
    ``(colour, label, ring)`` for a symbol with a coloured edge (``villages``: the
    villages and communities with no station in reach, :data:`UNREACHED`).

    ``actions`` are the actions each tier's sites have
    (:func:`planner.plan.actions.actions_present`): a plan that acts on existing sites
    gets an entry per tier and action present; one whose sites are all new, the two
    tiers as before.
    """
    items: list[tuple[str, ...]] = []
    if _acted(actions):
        for key, symbol in _site_entries(actions or {}, app=True):
            ring = symbol.edge if symbol.edge != APP_PLAN.station.edge else None
            items.append((symbol.fill, t(key, lang), ring) if ring else (symbol.fill, t(key, lang)))
    else:
        items += [
            (APP_PLAN.station.fill, t("term.recycling_stations", lang)),
            (APP_PLAN.centre.fill, t("tier.sorting_centre", lang)),
        ]
    if links:
        items.append((APP_PLAN.link.colour, t("map.links", lang)))
    if uncovered:
        items.append((UNCOVERED.fill, t("map.uncovered", lang)))
    if villages:
        items.append(unreached_entry(lang))
    if radius:
        items.append((RADIUS_SWATCH, t("map.radius", lang)))
    if coverage:
        items += [
            (colour, t("map.coverage_bin", lang, label=label))
            for _, colour, label in COVERAGE_COLOURS
        ]
    return items


# --- the printed sheet (PNG, PDF, the report's map page) ----------------------------------


@dataclass(frozen=True)
class PrintStyle:
    """How the printed sheet draws a plan; sizes in points at A4.

    ``dense_station`` replaces ``station`` (smaller, no edge) above ``dense_above``
    stations; upgraded, kept and closed sites are drawn as :func:`site_symbol` makes
    them from these. ``frame`` edges the legend and the panel's boxes; ``box`` is the key
    figures' (text, background), ``note`` the approximate-geometry note's (text,
    background, border).
    """

    county: Stroke
    county_fill: str
    township: Stroke
    link: Stroke
    station: Dot
    dense_station: Dot
    centre: Dot
    dense_above: int
    county_label: str
    township_label: str
    subtitle: str
    footer: str
    background: str
    frame: str
    box: tuple[str, str]
    note: tuple[str, str, str]


PRINT = PrintStyle(
    county=Stroke(COUNTY_EDGE, 1.2),
    county_fill=COUNTY_FILL,
    township=Stroke(TOWNSHIP_EDGE, 0.35),
    link=Stroke(SHEET_LINK_COLOUR, 0.35, 0.7),
    station=Dot(STATION_COLOUR, "white", 2.6, 0.25),
    dense_station=Dot(STATION_COLOUR, "white", 1.6, 0),
    centre=Dot(CENTRE_COLOUR, "black", 7.5, 0.7, shape="s"),
    dense_above=400,
    county_label="#111",
    township_label="#555",
    subtitle="#333",
    footer="#444",
    background=SHEET_BACKGROUND,
    frame="#999",
    box=("#000", "white"),
    note=PRINT_NOTE_COLOURS,
)


#: The printed legend's symbols of a new station and a new sorting centre.
_LEGEND_DOTS = {
    "station": Dot(STATION_COLOUR, "white", 5, None),
    "sorting_centre": Dot(CENTRE_COLOUR, "black", 7, None, shape="s"),
}


def _site_entries(
    actions: Mapping[str, Collection[str]], app: bool = False
) -> list[tuple[str, Dot]]:
    """``(message key, symbol)`` per tier and action present (a tier without sites:
    its new sites); sorting centres that are all new are ``map.centre``, as before."""
    items = []
    for tier in ("station", "sorting_centre"):
        found = set(actions.get(tier) or ()) or {"new"}
        base = _LEGEND_DOTS[tier]
        if app:
            base = APP_PLAN.station if tier == "station" else APP_PLAN.centre
        if tier == "sorting_centre" and found == {"new"}:
            items.append(("map.centre", base))
            continue
        items += [
            (SHEET_ACTION_LABEL[(tier, action)], site_symbol(base, action, app))
            for action in ACTION_ORDER
            if action in found
        ]
    return items


def sheet_legend(
    actions: Mapping[str, Collection[str]] | None = None, townships: bool = True
) -> list[tuple[str, Dot | Stroke]]:
    """Legend of the printed sheet and the exported map: ``(message key, symbol)``.

    Symbol sizes are the printed legend's (points at A4); the exported map shows each
    entry's colour. ``actions`` are the actions each tier's sites have
    (:func:`planner.plan.actions.actions_present`): one entry per tier and action
    present (新建 / 标准化改造 / 保留 / 关停), so a plan of new sites only shows new
    stations and sorting centres. ``townships`` adds the township outline (the
    exported map leaves it out).
    """
    items: list[tuple[str, Dot | Stroke]] = [*_site_entries(actions or {})]
    items += [
        ("export.map.link", Stroke(SHEET_LINK_COLOUR, 1.0)),
        ("export.map.county", Stroke(COUNTY_EDGE, 1.4)),
    ]
    if townships:
        items.append(("export.map.township", Stroke(TOWNSHIP_EDGE, 0.8)))
    return items


def symbol_colour(symbol: Dot | Stroke) -> str:
    """The colour a legend swatch shows for ``symbol``."""
    return symbol.fill if isinstance(symbol, Dot) else symbol.colour


# --- the review map -----------------------------------------------------------------------

#: Marker colour per review status (locked sites get a thick dark ring).
REVIEW_STATUS_COLOURS = {
    "pending": "#9e9e9e",
    "approved": "#2e7d32",
    "rejected": "#c62828",
    "moved": "#ef6c00",
}
REVIEW_LOCK_COLOUR = "#0d47a1"
#: Marker radius of a reviewed (or locked) site and of a pending one.
REVIEW_RADIUS = {True: 8, False: 4}
#: Fill opacity of a reviewed site and of a pending one.
REVIEW_OPACITY = {True: 0.9, False: 0.5}
#: Ring width of a locked site and of any other.
REVIEW_RING = {True: 4, False: 1}
#: Dashed line from a moved site to its target, and the target's marker.
REVIEW_MOVE_LINE = Stroke(REVIEW_STATUS_COLOURS["moved"], 2)
REVIEW_MOVE_DASH = "6 4"
REVIEW_TARGET = Dot("#ffffff", REVIEW_STATUS_COLOURS["moved"], 7, 2)


def review_legend(lang: str) -> list[tuple[str, str, str]]:
    """Legend of the review map: ``(fill, ring, label)`` per status, then the lock."""
    rows = [
        (REVIEW_STATUS_COLOURS[s], REVIEW_STATUS_COLOURS[s], t(REVIEW_STATUS_LABEL[s], lang))
        for s in REVIEW_STATUS_COLOURS
    ]
    rows.append(("#ffffff", REVIEW_LOCK_COLOUR, t("map.review.locked", lang)))
    return rows

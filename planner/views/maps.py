"""Folium maps of regions and plans.

Maps work offline: boundaries are drawn on a plain background and online tile layers
are optional. Every map has a layer control and a legend; approximate geometry is
labelled on the map itself, so a screenshot or an exported HTML keeps the caveat.

One rule keeps data from running as script: Leaflet and Folium put tooltip, popup,
legend and layer-control strings into the page as HTML, so every string that comes from
data (area and site names and codes, review reasons, raw values of an import) is passed
through :func:`escape_html` (or :func:`escaped_columns`) before it reaches Folium, and
no HTML is built from data. Numbers are shown as formatted numbers. In the app a map is
embedded with :func:`isolate_map`, in a frame that cannot reach the app's page.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from planner.data.regions import Region
from planner.i18n import t

__all__ = [
    "BASEMAPS",
    "BASEMAP_SYSTEMS",
    "COVERAGE_COLOURS",
    "MAP_SANDBOX",
    "PointLayer",
    "add_basemap",
    "add_legend",
    "add_notice",
    "add_road_layer",
    "coverage_colour",
    "density_scale",
    "escape_html",
    "escaped_columns",
    "for_display",
    "isolate_map",
    "layer_map",
    "offline",
    "plan_map",
    "region_map",
    "road_display_lines",
    "to_html",
]


# Basemaps: None draws boundaries on a plain background and needs no network.
BASEMAPS: dict[str, str | None] = {
    "none": None,
    "osm": "OpenStreetMap",
    "amap": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}",
}
#: Coordinate system of a basemap's tiles when it is not WGS84: our WGS84 layers are
#: shifted into it for display so that they land on the right street.
BASEMAP_SYSTEMS: dict[str, str] = {"amap": "gcj02"}
_BASEMAP_ATTRIBUTION = {"amap": "&copy; 高德地图 AutoNavi"}
_BASEMAP_SUBDOMAINS = {"amap": "1234"}
# Display simplification (metres): keeps the embedded HTML small; storage is untouched.
DISPLAY_TOLERANCE_M = 25.0
DENSITY_COLOURS = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"]


# --- text from data -------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def escape_html(value: Any) -> str:
    """``value`` as HTML-escaped text; a missing value (None, NaN, NA) is ``""``.

    The one rule for every string that comes from data on a map: Leaflet inserts
    tooltip, popup and layer-control strings as HTML, so a name ``<img onerror=…>``
    must arrive as ``&lt;img onerror=…&gt;`` to show as the text it is.
    """
    return "" if _missing(value) else html.escape(str(value), quote=True)


def escaped_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` as :func:`escape_html` text (absent columns are empty)."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col] if col in frame else [None] * len(frame)
        out[col] = [escape_html(v) for v in values]
    return out


def _label(key: str, lang: str, **params: Any) -> str:
    """A translated label for a place Leaflet fills as HTML (layer names, aliases)."""
    return escape_html(t(key, lang, **params))


def _num_or_text(value: Any, digits: int = 0) -> str:
    """A number formatted with separators; any other value as escaped text (raw imports)."""
    if isinstance(value, bool | np.bool_) or _missing(value):
        return escape_html(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return _num(value, digits)
    return escape_html(value)


class DensityScale:
    """Stepped colour scale over population density with quantile breaks."""

    def __init__(self, values: np.ndarray) -> None:
        finite = values[np.isfinite(values) & (values > 0)]
        if finite.size == 0:
            finite = np.array([0.0, 1.0])
        breaks = np.unique(np.quantile(finite, [0, 0.2, 0.4, 0.6, 0.8, 1.0]).round(0))
        if len(breaks) < 2:
            breaks = np.array([breaks[0], breaks[0] + 1])
        self.breaks = breaks
        self.colours = DENSITY_COLOURS[: len(breaks) - 1]

    def __call__(self, value: float) -> str:
        i = int(np.searchsorted(self.breaks, value, side="right")) - 1
        return self.colours[min(max(i, 0), len(self.colours) - 1)]

    def legend_items(self) -> list[tuple[str, str]]:
        b = self.breaks
        return [(c, f"{b[i]:,.0f} – {b[i + 1]:,.0f}") for i, c in enumerate(self.colours)]


def density_scale(values: np.ndarray) -> DensityScale:
    """A stepped colour scale over population density, with quantile breaks."""
    return DensityScale(np.asarray(values, dtype=float))


def _with_density(layer: gpd.GeoDataFrame, metric_crs: str) -> gpd.GeoDataFrame:
    metric = layer.to_crs(metric_crs)
    out = layer.copy()
    out["density"] = (layer["population"] / (metric.geometry.area / 1e6)).round(0)
    out["geometry"] = metric.geometry.simplify(DISPLAY_TOLERANCE_M).to_crs(4326).values
    return out


def _area_tooltip(
    layer: gpd.GeoDataFrame, lang: str
) -> tuple[gpd.GeoDataFrame, folium.GeoJsonTooltip]:
    """An area layer's tooltip data (escaped names, formatted numbers) and its tooltip.

    ``density`` stays a number for the fill colour; the tooltip shows ``density_text``.
    """
    est = t("map.estimate", lang) if "population_quality" in layer else ""
    data = escaped_columns(layer, ["name", "code"])
    fields, aliases = ["name", "code"], ["", _label("map.code", lang)]
    for col, key in (("population", "map.population"), ("households", "map.households")):
        if col in layer:
            data[col] = [_num(v) for v in layer[col]]
            fields.append(col)
            aliases.append(escape_html(t(key, lang) + est))
    data["density"] = layer["density"].to_numpy()
    data["density_text"] = [_num(v) for v in layer["density"]]
    fields.append("density_text")
    aliases.append(_label("map.density_short", lang))
    shown = gpd.GeoDataFrame(data, geometry=layer.geometry.to_numpy(), crs=layer.crs)
    return shown, folium.GeoJsonTooltip(fields=fields, aliases=aliases)


def region_map(
    region: Region,
    lang: str = "zh",
    basemap: str = "none",
    show_communities: bool = True,
) -> folium.Map:
    """Map of a region: counties, townships and communities, coloured by density.

    Parameters
    ----------
    region
        The region to draw.
    lang
        UI language for labels and legend.
    basemap
        Key of :data:`BASEMAPS`; ``"none"`` needs no network.
    show_communities
        Whether the community layer starts visible (it is the heaviest).

    Returns
    -------
    folium.Map
        With a layer control, a density legend and, when any geometry is generated,
        an on-map "approximate" notice.
    """
    system = BASEMAP_SYSTEMS.get(basemap)
    bounds = for_display(region.counties, system).total_bounds
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=BASEMAPS.get(basemap) if basemap not in _BASEMAP_ATTRIBUTION else None,
        control_scale=True,
        prefer_canvas=True,
    )
    if basemap in _BASEMAP_ATTRIBUTION:
        add_basemap(fmap, basemap, lang)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    metric = region.metric_crs
    comms = for_display(_with_density(region.communities, metric), system)
    towns = for_display(_with_density(region.townships, metric), system)
    counties = for_display(_with_density(region.counties, metric), system)
    scale = density_scale(comms["density"].to_numpy(dtype=float))

    def fill(feature):
        value = feature["properties"].get("density") or 0
        return {"fillColor": scale(value), "fillOpacity": 0.7, "color": "#888", "weight": 0.3}

    layers = (
        (comms, "map.communities", fill, show_communities),
        (
            towns,
            "map.townships",
            lambda _: {"fill": False, "color": "#2166ac", "weight": 1.2},
            True,
        ),
        (counties, "map.counties", lambda _: {"fill": False, "color": "#111", "weight": 2.5}, True),
    )
    for layer, name, style, show in layers:
        shown, tooltip = _area_tooltip(layer, lang)
        folium.GeoJson(
            shown,
            name=_label(name, lang),
            style_function=style,
            tooltip=tooltip,
            show=show,
        ).add_to(fmap)
    add_legend(fmap, t("map.density", lang), scale.legend_items())
    folium.LayerControl(collapsed=False).add_to(fmap)
    if region.is_approximate:
        add_notice(fmap, t("map.approximate", lang))
    return fmap


#: At most this many road pieces are drawn (the longest); more makes the page heavy.
ROAD_MAX_LINES = 10_000
#: Road lines are simplified to this tolerance (metres) for display.
ROAD_TOLERANCE_M = 20.0


def road_display_lines(
    lines: gpd.GeoDataFrame,
    metric_crs: str | None = None,
    max_lines: int = ROAD_MAX_LINES,
    tolerance_m: float = ROAD_TOLERANCE_M,
) -> tuple[gpd.GeoDataFrame, int]:
    """Road lines made light enough to draw: the longest ``max_lines``, simplified.

    Parameters
    ----------
    lines
        Road lines with a CRS (e.g. :meth:`planner.instance.network.RoadNetwork.lines` or a road
        file as read); other geometry types are ignored.
    metric_crs
        CRS in metres for lengths and simplification (default: UTM of the data).
    max_lines
        Keep at most this many pieces, longest first (short pieces add little to a
        city-wide view).
    tolerance_m
        Douglas-Peucker tolerance in metres.

    Returns
    -------
    (GeoDataFrame, int)
        One row per drawn line in WGS84 (coordinates rounded to ~1 m), and the number
        of lines there were.
    """
    from planner.data.crs import local_metric_crs

    if lines.crs is None:
        lines = lines.set_crs("EPSG:4326")
    shown = lines[lines.geometry.notna() & ~lines.geometry.is_empty]
    shown = shown[shown.geom_type.isin(["LineString", "MultiLineString"])]
    total = len(shown)
    if total == 0:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), 0
    metric_crs = metric_crs or local_metric_crs(tuple(shown.to_crs(4326).total_bounds))
    geom = shown.geometry.to_crs(metric_crs).to_numpy()
    if total > max_lines:
        keep = np.argpartition(-shapely.length(geom), max_lines - 1)[:max_lines]
        geom = geom[np.sort(keep)]
    geom = shapely.simplify(geom, tolerance_m, preserve_topology=False)
    out = gpd.GeoSeries(geom, crs=metric_crs).to_crs(4326)
    out = shapely.transform(out.to_numpy(), lambda xy: np.round(xy, 5))
    return gpd.GeoDataFrame(geometry=out, crs="EPSG:4326"), total


def add_road_layer(
    fmap: folium.Map,
    lines: gpd.GeoDataFrame,
    lang: str = "zh",
    *,
    basemap: str = "none",
    metric_crs: str | None = None,
    max_lines: int = ROAD_MAX_LINES,
    tolerance_m: float = ROAD_TOLERANCE_M,
    total: int | None = None,
    show: bool = True,
) -> int:
    """Draw a road network on ``fmap`` as one light, toggleable layer.

    Big networks are limited and simplified first (:func:`road_display_lines`); the
    layer's name says when not every road is drawn. Pass lines already prepared by
    :func:`road_display_lines` together with their ``total`` to skip that step.

    Parameters
    ----------
    fmap
        The map (its layer control, added before or after, lists the layer).
    lines
        Road lines with a CRS.
    lang
        Language of the layer name.
    basemap
        Key of :data:`BASEMAPS`; lines are shifted for GCJ-02 tiles.
    metric_crs, max_lines, tolerance_m
        See :func:`road_display_lines`.
    total
        Number of lines before limiting, when ``lines`` are prepared already.
    show
        Whether the layer starts visible.

    Returns
    -------
    int
        Number of lines drawn.
    """
    if total is None:
        lines, total = road_display_lines(lines, metric_crs, max_lines, tolerance_m)
    if not len(lines):
        return 0
    shown = for_display(lines, BASEMAP_SYSTEMS.get(basemap))
    name = (
        _label("map.roads", lang)
        if len(shown) >= total
        else _label("map.roads_limited", lang, shown=len(shown), total=total)
    )
    merged = shapely.multilinestrings(shapely.get_parts(shown.geometry.to_numpy()))
    folium.GeoJson(
        gpd.GeoDataFrame(geometry=[merged], crs="EPSG:4326"),
        name=name,
        style_function=lambda _: {"color": "#5a5a5a", "weight": 1.0, "opacity": 0.75},
        show=show,
        interactive=False,
    ).add_to(fmap)
    return len(shown)


def add_notice(fmap: folium.Map, text: str) -> None:
    """Pin a notice box to the bottom-left corner of ``fmap`` (escaped)."""
    box = (
        '<div style="position:absolute;bottom:28px;left:10px;z-index:9999;'
        "background:#fff3cd;color:#664d03;border:1px solid #ffc107;border-radius:4px;"
        'padding:4px 8px;font:13px sans-serif;">'
        f"{escape_html(text)}</div>"
    )
    fmap.get_root().html.add_child(Element(box))


def add_legend(fmap: folium.Map, title: str, items: Sequence[tuple[str, str]]) -> None:
    """Pin a legend (colour swatch + label per item) to the bottom-right corner."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
        f'background:{escape_html(colour)};border:1px solid #777"></span>{escape_html(label)}</div>'
        for colour, label in items
    )
    box = (
        '<div class="planner-legend" style="position:absolute;bottom:28px;right:10px;'
        "z-index:9999;background:rgba(255,255,255,.92);border:1px solid #999;"
        'border-radius:4px;padding:6px 8px;font:12px sans-serif;">'
        f"<b>{escape_html(title)}</b>{rows}</div>"
    )
    fmap.get_root().html.add_child(Element(box))


_STATIC = Path(__file__).resolve().parents[1] / "static"
# Folium asset names -> vendored copies. Assets not listed (jQuery, Bootstrap, Font
# Awesome, awesome-markers) are not used by our maps and are dropped, so nothing is
# fetched from a CDN.
_LOCAL_ASSETS = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}


def _data_uri(relative: str) -> str:
    path = _STATIC / relative
    if path.suffix != ".css":
        return "data:text/javascript;base64," + base64.b64encode(path.read_bytes()).decode()
    # Inline the images the stylesheet refers to, since a data: URI has no base URL.
    text = path.read_text(encoding="utf-8")
    for name in sorted(set(re.findall(r"url\((images/[^)]+\.png)\)", text))):
        encoded = base64.b64encode((path.parent / name).read_bytes()).decode()
        text = text.replace(f"url({name})", f"url(data:image/png;base64,{encoded})")
    return "data:text/css;base64," + base64.b64encode(text.encode("utf-8")).decode()


def offline(fmap: folium.Map) -> folium.Map:
    """Point every script and stylesheet of ``fmap`` at vendored copies (in place).

    The rendered HTML then opens with no network at all: in the app, in an exported
    file and in a headless browser.
    """
    stack = [fmap.get_root()]
    while stack:
        element = stack.pop()
        stack.extend(element._children.values())
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if assets:
                setattr(
                    element,
                    attr,
                    [
                        (name, _data_uri(_LOCAL_ASSETS[name]))
                        for name, _ in assets
                        if name in _LOCAL_ASSETS
                    ],
                )
    return fmap


def to_html(fmap: folium.Map) -> str:
    """Self-contained HTML of ``fmap`` that needs no network."""
    return offline(fmap).get_root().render()


#: Sandbox of the frame a map runs in inside the app: scripts (Leaflet) but no same
#: origin, so the map's document has an opaque origin of its own.
MAP_SANDBOX = "allow-scripts"


def isolate_map(page: str) -> str:
    """A page that shows ``page`` (a map's HTML) in a frame that cannot reach its parent.

    Streamlit's ``st.iframe`` gives an HTML string a ``srcdoc`` frame sandboxed with
    ``allow-scripts allow-same-origin``: a script in it runs with the app's own origin
    and can read and change the app's page (``window.parent.document``). The map is
    therefore put one frame deeper, in an ``<iframe sandbox="allow-scripts">``: Leaflet
    runs, but the document's origin is opaque, so the app's page, its cookies and
    storage are out of reach, and no top-level navigation or popup is allowed (nested
    sandboxes only ever add restrictions). The outer page holds no script at all.

    Parameters
    ----------
    page
        A complete HTML document, e.g. :func:`to_html`.

    Returns
    -------
    str
        An HTML document for ``st.iframe``; ``html.unescape`` of its ``srcdoc``
        attribute gives ``page`` back.
    """
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "html,body{margin:0;padding:0;height:100%;overflow:hidden}"
        "iframe{display:block;border:0;width:100%;height:100%}"
        f'</style></head><body><iframe sandbox="{MAP_SANDBOX}" title="map" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe></body></html>'
    )


def layer_map(
    layer: gpd.GeoDataFrame, lang: str = "zh", boundary: gpd.GeoDataFrame | None = None
) -> folium.Map:
    """Offline preview of one layer (polygons outlined, points as dots) over ``boundary``.

    Used to check an imported layer before it is applied; tooltips show name, code and
    population where the layer has them. The layer is as read from a file nobody has
    vetted yet: every value is shown as escaped text (numbers formatted).
    """
    shown = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]
    frames = [f for f in (shown, boundary) if f is not None and len(f)]
    bounds = np.array([f.total_bounds for f in frames] or [[-180.0, -90.0, 180.0, 90.0]])
    minx, miny = bounds[:, :2].min(axis=0)
    maxx, maxy = bounds[:, 2:].max(axis=0)
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    if boundary is not None and len(boundary):
        outline = boundary[[boundary.geometry.name]].copy()
        outline["geometry"] = outline.geometry.simplify(DISPLAY_TOLERANCE_M / 1e5)
        folium.GeoJson(
            outline,
            name=_label("map.counties", lang),
            style_function=lambda _: {"fill": False, "color": "#111", "weight": 2},
        ).add_to(fmap)
    labels = {"name": "", "code": "map.code", "site_id": "map.code", "population": "map.population"}
    cols = [c for c in labels if c in shown]
    data = escaped_columns(shown, [c for c in cols if c != "population"])
    if "population" in cols:
        data["population"] = [_num_or_text(v) for v in shown["population"]]
    data = data[cols]
    points = shown.geometry.geom_type.isin(["Point", "MultiPoint"])
    geometry = shown.geometry.where(points, shown.geometry.simplify(DISPLAY_TOLERANCE_M / 1e5))

    def style(feature):
        if feature["geometry"]["type"] in ("Point", "MultiPoint"):
            return {"color": "#b2182b", "fill": True, "fillColor": "#d6604d", "fillOpacity": 0.9}
        return {"color": "#2166ac", "weight": 1.2, "fillColor": "#67a9cf", "fillOpacity": 0.25}

    aliases = [_label(labels[c], lang) if labels[c] else "" for c in cols]
    folium.GeoJson(
        gpd.GeoDataFrame(data, geometry=geometry.to_numpy(), crs=shown.crs),
        style_function=style,
        marker=folium.CircleMarker(radius=4),
        tooltip=folium.GeoJsonTooltip(fields=cols, aliases=aliases) if cols else None,
    ).add_to(fmap)
    return fmap


# --- basemaps and display coordinates ---------------------------------------------------


def for_display(gdf: gpd.GeoDataFrame, system: str | None) -> gpd.GeoDataFrame:
    """``gdf`` (WGS84) as drawn over a basemap in ``system`` (``None`` = WGS84, as is).

    For GCJ-02 tiles (Amap) the geometry is shifted with :func:`planner.data.crs.from_wgs84`
    and labelled EPSG:4326 again so that Folium draws it unchanged: the shift is for the
    screen only, stored data stays WGS84.
    """
    if not system or gdf is None or not len(gdf):
        return gdf
    from planner.data.crs import from_wgs84

    wgs = gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    shifted = from_wgs84(wgs, system)
    return shifted.set_crs("EPSG:4326", allow_override=True)


def add_basemap(fmap: folium.Map, basemap: str, lang: str = "zh") -> None:
    """Add the online tile layer ``basemap`` (a key of :data:`BASEMAPS`) to ``fmap``.

    ``"none"`` adds nothing: the map keeps its plain background and needs no network.
    """
    tiles = BASEMAPS.get(basemap)
    if tiles is None:
        return
    folium.TileLayer(
        tiles=tiles,
        attr=_BASEMAP_ATTRIBUTION.get(basemap),
        subdomains=_BASEMAP_SUBDOMAINS.get(basemap, "abc"),
        name=_label(f"map.basemap.{basemap}", lang),
        max_zoom=18,
        control=True,
    ).add_to(fmap)


# --- plan maps ------------------------------------------------------------------------


#: Township fill by coverage share: (lower bound, colour, label).
COVERAGE_COLOURS: tuple[tuple[float, str, str], ...] = (
    (0.9, "#1a9850", "≥ 90%"),
    (0.7, "#a6d96a", "70–90%"),
    (0.5, "#fee08b", "50–70%"),
    (0.0, "#f46d43", "< 50%"),
)
NO_DATA_COLOUR = "#d9d9d9"
STATION_COLOUR = "#1f78b4"
CENTRE_COLOUR = "#e31a1c"
LINK_COLOUR = "#555555"
UNCOVERED_COLOUR = "#ff7f00"
RADIUS_COLOUR = "#1f78b4"
#: Above this many stations they are clustered (Leaflet.markercluster).
CLUSTER_ABOVE = 300

_PLAN_CSS = (
    "<style>"
    f".planner-station{{background:{STATION_COLOUR};border:2px solid #fff;border-radius:50%;"
    "box-shadow:0 0 2px rgba(0,0,0,.8);box-sizing:border-box}"
    ".planner-station.existing{background:#6a3d9a}"
    f".planner-centre{{background:{CENTRE_COLOUR};border:2px solid #fff;border-radius:3px;"
    "box-shadow:0 0 3px rgba(0,0,0,.9);box-sizing:border-box}"
    ".planner-popup td{padding:1px 6px 1px 0;font:12px sans-serif;vertical-align:top}"
    ".planner-popup b{font:bold 13px sans-serif}"
    ".planner-cluster{background:rgba(31,120,180,.3);border-radius:50%}"
    f".planner-cluster div{{background:{STATION_COLOUR};color:#fff;border-radius:50%;"
    "width:calc(100% - 8px);height:calc(100% - 8px);margin:4px;display:flex;"
    "align-items:center;justify-content:center;font:bold 11px sans-serif}"
    "</style>"
)
# Station clusters in the station colour (the plugin's default green/yellow/orange would
# read as coverage classes).
_CLUSTER_ICON = """
function(cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? 28 : (n < 100 ? 34 : 40);
    return L.divIcon({
        html: '<div>' + n + '</div>', className: 'planner-cluster',
        iconSize: L.point(size, size)
    });
}"""


class _Refit(folium.MacroElement):
    """Fit the bounds again once the frame has its final size (until the user moves).

    A map in an iframe that is laid out late (side-by-side columns) is first fitted to
    a tiny box and would stay zoomed out.
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var bounds = L.latLngBounds({{ this.bounds_json }});
            var moved = false;
            var box = map.getContainer();
            ["mousedown", "wheel", "touchstart", "keydown"].forEach(function(name) {
                box.addEventListener(name, function() { moved = true; }, {passive: true});
            });
            function fit() {
                map.invalidateSize();
                if (!moved) { map.fitBounds(bounds); }
            }
            window.addEventListener("resize", fit);
            setTimeout(fit, 250);
            setTimeout(fit, 1000);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "PlannerRefit"
        self.bounds_json = _script_json(bounds)


class _MetricScale(folium.MacroElement):
    """A metric-only scale bar at the top left (the notice box sits bottom left)."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "topleft"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def coverage_colour(share: float | None) -> str:
    """Fill colour of a township whose population is ``share`` covered."""
    if share is None or not np.isfinite(share):
        return NO_DATA_COLOUR
    for lower, colour, _ in COVERAGE_COLOURS:
        if share >= lower:
            return colour
    return COVERAGE_COLOURS[-1][1]


class PointLayer(folium.MacroElement):
    """Many points added to the parent layer by one loop (compact, fast, offline).

    ``rows`` are ``[lat, lon, tooltip_html, popup_html, extra]``; ``kind`` is
    ``marker`` (an ``L.divIcon`` with ``css_class``; ``extra`` adds a class),
    ``circle`` (``L.circle`` of radius ``extra`` metres) or ``circle_marker``
    (``L.circleMarker``; ``extra`` is the row's path style over ``style``). Tooltip and
    popup HTML must be built with :func:`escape_html` by the caller; the JSON is made
    safe to sit inside a ``<script>`` element. Unlike ``folium.Popup`` this needs no
    jQuery (which :func:`offline` leaves out).
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var parent = {{ this._parent.get_name() }};
            var rows = {{ this.rows_json }};
            var opts = {{ this.options_json }};
            var layers = rows.map(function(r) {
                var layer;
                if (opts.kind === "circle") {
                    layer = L.circle([r[0], r[1]], Object.assign({radius: r[4]}, opts.style));
                } else if (opts.kind === "circle_marker") {
                    layer = L.circleMarker([r[0], r[1]], Object.assign({}, opts.style, r[4]));
                } else {
                    var icon = L.divIcon({
                        className: opts.css_class + (r[4] ? " " + r[4] : ""),
                        iconSize: [opts.size, opts.size],
                        iconAnchor: [opts.size / 2, opts.size / 2],
                        popupAnchor: [0, -opts.size / 2]
                    });
                    layer = L.marker([r[0], r[1]], {icon: icon, riseOnHover: true});
                }
                if (r[2]) { layer.bindTooltip(r[2]); }
                if (r[3]) { layer.bindPopup(r[3], {maxWidth: 320}); }
                return layer;
            });
            if (parent.addLayers) { parent.addLayers(layers); }
            else { layers.forEach(function(l) { parent.addLayer(l); }); }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list], kind: str = "marker", **options) -> None:
        super().__init__()
        self._name = "PlannerPoints"
        self.rows_json = _script_json(rows)
        self.options_json = _script_json({"kind": kind, **options})


def _script_json(value) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _num(value, digits: int = 0) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if not np.isfinite(number):
        return "—"
    return f"{number:,.{digits}f}"


def _popup(title: str, subtitle: str, rows: Sequence[tuple[str, str]]) -> str:
    """A site's popup: every piece is escaped here, so callers pass plain text."""
    body = "".join(
        f"<tr><td>{escape_html(label)}</td><td>{escape_html(value)}</td></tr>"
        for label, value in rows
    )
    return (
        f'<div class="planner-popup"><b>{escape_html(title)}</b><br>'
        f"<i>{escape_html(subtitle)}</i><table>{body}</table></div>"
    )


def _plain(value: Any) -> str:
    """``value`` as plain (not yet escaped) text; missing values are ``""``."""
    return "" if _missing(value) else str(value)


def _names(region: Region | None) -> tuple[dict, dict]:
    if region is None:
        return {}, {}
    counties = dict(zip(region.counties["code"], region.counties["name"], strict=False))
    towns = dict(zip(region.townships["code"], region.townships["name"], strict=False))
    return counties, towns


def plan_map(
    plan,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    show_radius: bool = False,
    show_links: bool = True,
    show_uncovered: bool = True,
    cluster: bool | None = None,
    compact: bool = False,
    layer_control: bool = True,
) -> folium.Map:
    """Map of a :class:`~planner.plan.Plan`: sites, assignments and coverage.

    Parameters
    ----------
    plan
        The plan to draw.
    region
        Its region, for county and township boundaries (townships are coloured by the
        share of their population within the coverage radius); ``None`` draws the plan
        alone.
    lang
        Language of labels, popups and legend.
    basemap
        Key of :data:`BASEMAPS`. ``"none"`` needs no network; ``"amap"`` tiles are
        GCJ-02, so every layer is shifted for display (:func:`for_display`).
    show_radius
        Draw each station's coverage radius (urban or rural, by where it stands).
    show_links
        Draw the station → sorting-centre assignment lines.
    show_uncovered
        Mark the communities outside their station's radius.
    cluster
        Cluster stations (Leaflet.markercluster); default: above :data:`CLUSTER_ABOVE`.
    compact
        For small maps side by side: the layer control starts collapsed.
    layer_control
        Add the layer control. A caller adding layers of its own passes ``False`` and
        adds the control last: Folium's control refers to the layers added before it,
        and a layer added after it stops the map's script.

    Returns
    -------
    folium.Map
        With a layer control, a legend and, for generated geometry, the approximate-data
        notice. Names in tooltips and popups are HTML-escaped.
    """
    system = BASEMAP_SYSTEMS.get(basemap)
    fmap = folium.Map(
        tiles=None, control_scale=False, prefer_canvas=True, maxZoom=18, zoomSnap=0.25
    )
    fmap.add_child(_MetricScale())
    add_basemap(fmap, basemap, lang)
    fmap.get_root().header.add_child(Element(_PLAN_CSS))
    county_names, town_names = _names(region)

    frames = [f for f in (plan.sites, plan.demand) if f is not None and len(f)]
    if region is not None:
        frames.append(region.counties)
    if frames:
        bounds = np.array([for_display(f, system).total_bounds for f in frames])
        minx, miny = bounds[:, :2].min(axis=0)
        maxx, maxy = bounds[:, 2:].max(axis=0)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
        fmap.add_child(_Refit([[float(miny), float(minx)], [float(maxy), float(maxx)]]))

    if region is not None:
        _township_layer(fmap, plan, region, lang, system)
        counties = region.counties
        outline = gpd.GeoDataFrame(
            escaped_columns(counties, ["name"]),
            geometry=counties.to_crs(region.metric_crs)
            .geometry.simplify(DISPLAY_TOLERANCE_M)
            .to_crs(4326)
            .to_numpy(),
            crs="EPSG:4326",
        )
        folium.GeoJson(
            for_display(outline, system),
            name=_label("map.counties", lang),
            style_function=lambda _: {"fill": False, "color": "#111", "weight": 2.5},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[""]),
        ).add_to(fmap)

    stations = for_display(plan.stations, system)
    centres = for_display(plan.centres, system)
    if show_radius and len(stations):
        radius = _station_radius(plan)
        group = folium.FeatureGroup(name=_label("map.radius", lang), show=True)
        rows = [
            [round(g.y, 6), round(g.x, 6), "", "", float(r)]
            for g, r in zip(stations.geometry, radius, strict=True)
        ]
        style = {
            "color": RADIUS_COLOUR,
            "weight": 1,
            "opacity": 0.6,
            "fillColor": RADIUS_COLOUR,
            "fillOpacity": 0.08,
            "interactive": False,
        }
        group.add_child(PointLayer(rows, kind="circle", style=style))
        group.add_to(fmap)

    if show_links and plan.links is not None and len(plan.links):
        links = for_display(plan.links[["distance_m", "geometry"]], system)
        folium.GeoJson(
            links,
            name=_label("map.links", lang),
            style_function=lambda _: {"color": LINK_COLOUR, "weight": 1, "opacity": 0.55},
            interactive=False,
        ).add_to(fmap)

    if show_uncovered and plan.demand is not None and len(plan.demand):
        _uncovered_layer(fmap, plan, lang, system)

    if len(stations):
        clustered = len(stations) > CLUSTER_ABOVE if cluster is None else cluster
        if clustered:
            from folium.plugins import MarkerCluster

            group = MarkerCluster(
                name=_label("map.stations", lang),
                options={
                    "disableClusteringAtZoom": 14,
                    "maxClusterRadius": 45,
                    "showCoverageOnHover": False,
                    "chunkedLoading": True,
                },
                icon_create_function=_CLUSTER_ICON,
            )
        else:
            group = folium.FeatureGroup(name=_label("map.stations", lang))
        group.add_child(
            PointLayer(
                _station_rows(plan, stations, lang, county_names, town_names),
                css_class="planner-station",
                size=12,
            )
        )
        group.add_to(fmap)
    if len(centres):
        group = folium.FeatureGroup(name=_label("map.centres", lang))
        group.add_child(
            PointLayer(
                _centre_rows(centres, lang, county_names, town_names),
                css_class="planner-centre",
                size=18,
            )
        )
        group.add_to(fmap)

    items = [
        (STATION_COLOUR, t("map.stations", lang)),
        (CENTRE_COLOUR, t("map.centres", lang)),
    ]
    if show_links:
        items.append((LINK_COLOUR, t("map.links", lang)))
    if show_uncovered:
        items.append((UNCOVERED_COLOUR, t("map.uncovered", lang)))
    if show_radius:
        items.append(("#d2e3f0", t("map.radius", lang)))
    if region is not None:
        items += [
            (colour, t("map.coverage_bin", lang, label=label))
            for _, colour, label in COVERAGE_COLOURS
        ]
    add_legend(fmap, t("map.legend", lang), items)
    if layer_control:
        folium.LayerControl(collapsed=compact).add_to(fmap)
    if region is not None and region.is_approximate:
        add_notice(fmap, t("map.approximate", lang))
    return fmap


def _station_radius(plan) -> np.ndarray:
    demand = plan.demand
    radius = dict(zip(demand["demand_id"], demand["radius_m"], strict=False))
    fallback = float(plan.scenario.stations.radius_rural_m)
    stations = plan.stations
    if "community_code" in stations:
        values = [radius.get(code, fallback) for code in stations["community_code"]]
    else:
        values = [fallback] * len(stations)
    out = np.asarray(values, dtype=float)
    return np.where(np.isfinite(out), out, fallback)


def _station_rows(plan, stations, lang, county_names, town_names) -> list[list]:
    centre_names = {
        sid: _plain(name)
        for sid, name in zip(plan.centres["site_id"], plan.centres["name"], strict=False)
    }
    rows = []
    for rec, geom in zip(stations.to_dict("records"), stations.geometry, strict=True):
        name = _plain(rec.get("name")) or _plain(rec.get("site_id"))
        status = str(rec.get("status") or "proposed")
        details = [
            (t("map.county", lang), _plain(county_names.get(rec.get("county_code")))),
            (t("map.township", lang), _plain(town_names.get(rec.get("township_code")))),
            (t("map.served_population", lang), _num(rec.get("served_population"))),
            (t("map.served_households", lang), _num(rec.get("served_households"))),
            (
                t("map.tonnage", lang),
                t("map.t_per_day", lang, value=_num(rec.get("tonnage_t_per_day"), 1)),
            ),
            (t("map.served_communities", lang), _num(rec.get("served_communities"))),
        ]
        centre = rec.get("centre_id")
        if centre:
            distance = rec.get("distance_to_centre_m")
            km = _num(float(distance) / 1000, 1) if distance is not None else "—"
            where = t("map.distance_km", lang, value=km)
            details.append(
                (
                    t("map.to_centre", lang),
                    f"{centre_names.get(centre) or _plain(centre)} · {where}",
                )
            )
        subtitle = f"{t('map.station', lang)} · {t(f'map.status.{status}', lang)}"
        rows.append(
            [
                round(geom.y, 6),
                round(geom.x, 6),
                escape_html(name),
                _popup(name, subtitle, details),
                "existing" if status == "existing_keep" else "",
            ]
        )
    return rows


def _centre_rows(centres, lang, county_names, town_names) -> list[list]:
    rows = []
    for rec, geom in zip(centres.to_dict("records"), centres.geometry, strict=True):
        name = _plain(rec.get("name")) or _plain(rec.get("site_id"))
        status = str(rec.get("status") or "proposed")
        load, capacity = rec.get("load_t_per_day"), rec.get("capacity_t_per_day")
        use = ""
        try:
            if capacity and float(capacity) > 0:
                use = f" ({float(load) / float(capacity):.0%})"
        except (TypeError, ValueError):
            use = ""
        details = [
            (t("map.county", lang), _plain(county_names.get(rec.get("county_code")))),
            (t("map.township", lang), _plain(town_names.get(rec.get("township_code")))),
            (
                t("map.load", lang),
                t("map.t_per_day", lang, value=f"{_num(load, 1)} / {_num(capacity, 0)}") + use,
            ),
            (t("map.served_stations", lang), _num(rec.get("served_stations"))),
            (t("map.served_population", lang), _num(rec.get("served_population"))),
        ]
        subtitle = f"{t('map.centre', lang)} · {t(f'map.status.{status}', lang)}"
        rows.append(
            [
                round(geom.y, 6),
                round(geom.x, 6),
                escape_html(name),
                _popup(name, subtitle, details),
                "",
            ]
        )
    return rows


def _township_layer(fmap, plan, region: Region, lang: str, system: str | None) -> None:
    townships = region.townships
    kpis = plan.township_kpis
    share, stations = {}, {}
    if kpis is not None and len(kpis) and "township_code" in kpis:
        codes = kpis["township_code"].astype(str)
        share = dict(zip(codes, kpis["coverage_share"], strict=False))
        stations = dict(zip(codes, kpis["stations"], strict=False))
    codes = townships["code"].astype(str)
    coverage = [
        None if share.get(c) is None or not np.isfinite(share.get(c)) else float(share[c])
        for c in codes
    ]
    towns = escaped_columns(townships, ["name"])
    towns["coverage_text"] = ["—" if v is None else f"{v:.0%}" for v in coverage]
    towns["stations"] = [int(stations.get(c, 0) or 0) for c in codes]
    towns["colour"] = [coverage_colour(v) for v in coverage]
    geometry = townships.to_crs(region.metric_crs).geometry.simplify(DISPLAY_TOLERANCE_M)
    towns = gpd.GeoDataFrame(towns, geometry=geometry.to_crs(4326).to_numpy(), crs="EPSG:4326")
    folium.GeoJson(
        for_display(towns, system),
        name=_label("map.township_coverage", lang),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.45,
            "color": "#2166ac",
            "weight": 1,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "coverage_text", "stations"],
            aliases=["", _label("map.coverage", lang), _label("map.station_count", lang)],
        ),
    ).add_to(fmap)


def _uncovered_layer(fmap, plan, lang: str, system: str | None) -> None:
    demand = plan.demand
    out = demand[~demand["covered"].astype(bool)]
    if not len(out):
        return
    shown = escaped_columns(out, ["name"])
    shown["population"] = [_num(v) for v in out["population"]]
    for col in ("distance_m", "radius_m"):
        shown[col] = [_label("map.distance_m", lang, value=_num(v)) for v in out[col]]
    folium.GeoJson(
        for_display(gpd.GeoDataFrame(shown, geometry=out.geometry.to_numpy(), crs=out.crs), system),
        name=_label("map.uncovered", lang),
        marker=folium.CircleMarker(radius=4),
        style_function=lambda _: {
            "color": "#b35806",
            "weight": 1,
            "fillColor": UNCOVERED_COLOUR,
            "fillOpacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "population", "distance_m", "radius_m"],
            aliases=[
                "",
                _label("map.population", lang),
                _label("map.distance_to_station", lang),
                _label("map.radius_label", lang),
            ],
        ),
    ).add_to(fmap)

"""Building blocks of every web map: basemaps, display coordinates, boxes and layers.

Basemaps are optional: ``"none"`` draws on a plain background and needs no network.
The boxes pinned to a map (legend, notice, title) escape their text; the point layer
and the refit script carry data as JSON made safe to sit inside a ``<script>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import geopandas as gpd
from branca.element import Element

from planner.views.style import BOX_CSS, NOTICE_COLOURS, SWATCH_BORDER
from planner.views.text import escape_html, label

__all__ = [
    "BASEMAPS",
    "BASEMAP_ATTRIBUTION",
    "BASEMAP_LABEL",
    "BASEMAP_SYSTEMS",
    "DISPLAY_TOLERANCE_M",
    "MetricScale",
    "PointLayer",
    "Refit",
    "add_basemap",
    "add_legend",
    "add_notice",
    "add_title",
    "for_display",
    "framed_map",
    "pin_box",
    "script_json",
]


# Basemaps: None draws boundaries on a plain background and needs no network.
BASEMAPS: dict[str, str | None] = {
    "none": None,
    "osm": "OpenStreetMap",
    "amap": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}",
}
#: Catalogue key of each basemap's name (layer control, the data page's choice).
BASEMAP_LABEL = {
    "none": "map.basemap.none",
    "osm": "map.basemap.osm",
    "amap": "map.basemap.amap",
}
#: Coordinate system of a basemap's tiles when it is not WGS84: our WGS84 layers are
#: shifted into it for display so that they land on the right street.
BASEMAP_SYSTEMS: dict[str, str] = {"amap": "gcj02"}
BASEMAP_ATTRIBUTION = {"amap": "&copy; 高德地图 AutoNavi"}
_BASEMAP_SUBDOMAINS = {"amap": "1234"}
#: Display simplification (metres): keeps the embedded HTML small; storage is untouched.
DISPLAY_TOLERANCE_M = 25.0


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
        attr=BASEMAP_ATTRIBUTION.get(basemap),
        subdomains=_BASEMAP_SUBDOMAINS.get(basemap, "abc"),
        name=label(BASEMAP_LABEL[basemap], lang),
        max_zoom=18,
        control=True,
    ).add_to(fmap)


# --- boxes pinned to a map -----------------------------------------------------------


def framed_map(bounds, basemap: str = "none", lang: str = "zh") -> folium.Map:
    """A map fitted to ``bounds`` (minx, miny, maxx, maxy as drawn), now and once its
    frame has its size, over ``basemap``, with a kilometre-only scale top left (clear
    of the notes in the bottom corners)."""
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=BASEMAPS.get(basemap) if basemap not in BASEMAP_ATTRIBUTION else None,
        control_scale=False,
        prefer_canvas=True,
    )
    fmap.add_child(MetricScale("topleft"))
    if basemap in BASEMAP_ATTRIBUTION:
        add_basemap(fmap, basemap, lang)
    fit = [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]]
    fmap.fit_bounds(fit)
    fmap.add_child(Refit(fit))
    return fmap


#: How wide a notice may grow by default: it wraps short of the legend in the
#: bottom-right corner (a legend and its margin take up to about 300 px) instead of
#: covering it.
NOTICE_MAX_WIDTH = "calc(100% - 340px)"


def add_notice(
    fmap: folium.Map, text: str, bottom_px: int = 28, max_width: str | None = None
) -> None:
    """Pin a notice box (escaped ``text``) near the bottom-left corner of ``fmap``.

    ``bottom_px`` lifts it above a scale bar in that corner; ``max_width`` (CSS, by
    default :data:`NOTICE_MAX_WIDTH`) makes a long note wrap.
    """
    colour, background, border = NOTICE_COLOURS
    box = (
        f'<div class="planner-notice" style="position:absolute;bottom:{bottom_px}px;left:10px;'
        f"z-index:9999;max-width:{max_width or NOTICE_MAX_WIDTH};"
        f"background:{background};color:{colour};border:1px solid {border};border-radius:4px;"
        'padding:4px 8px;font:13px sans-serif;">'
        f"{escape_html(text)}</div>"
    )
    fmap.get_root().html.add_child(Element(box))


def pin_box(
    fmap: folium.Map,
    css_class: str,
    where: str,
    body: str,
    padding: str = "6px 8px",
    font: str = "12px sans-serif",
) -> None:
    """Pin a white box holding ``body`` (HTML the caller escaped) to ``fmap``.

    ``where`` places it (CSS, e.g. ``bottom:28px;right:10px``).
    """
    box = (
        f'<div class="{css_class}" style="position:absolute;{where};z-index:9999;{BOX_CSS}'
        f'border-radius:4px;padding:{padding};font:{font};">{body}</div>'
    )
    fmap.get_root().html.add_child(Element(box))


def add_title(fmap: folium.Map, title: str, subtitle: str) -> None:
    """Pin a title box (escaped) to the top of ``fmap`` and name the page after it."""
    body = f"<b style='font-size:15px'>{escape_html(title)}</b><br>{escape_html(subtitle)}"
    pin_box(fmap, "planner-title", "top:10px;left:55px;max-width:60%", body, "6px 10px",
            "13px sans-serif")  # fmt: skip
    fmap.get_root().header.add_child(Element(f"<title>{escape_html(title)}</title>"))


#: Legend swatch sizes and corners: an area's colour, a round or a square point symbol.
_SWATCH = {
    "box": "width:14px;height:10px;",
    "round": "width:10px;height:10px;margin-left:2px;border-radius:50%;",
    "square": "width:10px;height:10px;margin-left:2px;border-radius:2px;",
}


def _swatch_style(item: Sequence[str]) -> str:
    """Size, corners and border of a legend swatch.

    A third element is a point symbol's shape (``round`` / ``square``) or the colour of
    a ring drawn round the swatch (an upgraded site's ring, a closed site's outline).
    """
    extra = item[2] if len(item) > 2 else ""
    if extra == "dashed":  # a schematic zone's outline
        return f"{_SWATCH['box']}border:2px dashed {SWATCH_BORDER}"
    if extra in _SWATCH:
        return f"{_SWATCH[extra]}border:1px solid {SWATCH_BORDER}"
    if extra:
        return f"width:12px;height:8px;border:2px solid {escape_html(extra)}"
    return f"{_SWATCH['box']}border:1px solid {SWATCH_BORDER}"


def _legend_rows(items: Sequence[tuple[str, ...]]) -> str:
    return "".join(
        f'<div><span style="display:inline-block;{_swatch_style(item)};margin-right:6px;'
        f'background:{escape_html(item[0])}"></span>{escape_html(item[1])}</div>'
        for item in items
    )


def add_legend(
    fmap: folium.Map,
    title: str,
    items: Sequence[tuple[str, ...]],
    sections: Sequence[tuple[str, Sequence[tuple[str, ...]]]] = (),
) -> None:
    """Pin a legend (colour swatch + label per item) to the bottom-right corner.

    ``items`` are ``(colour, label)``, ``(colour, label, shape)`` for a point symbol
    (``shape`` ``round`` or ``square``), ``(colour, label, "dashed")`` for a dashed
    outline or ``(colour, label, ring)`` for a symbol whose edge is coloured.
    ``sections`` adds ``(title, items)`` groups below, in the same box.
    """
    body = f"<b>{escape_html(title)}</b>{_legend_rows(items)}"
    for heading, rows in sections:
        body += f'<b style="display:block;margin-top:4px">{escape_html(heading)}</b>'
        body += _legend_rows(rows)
    pin_box(fmap, "planner-legend", "bottom:28px;right:10px", body)


# --- layers and scripts --------------------------------------------------------------


class Refit(folium.MacroElement):
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
        self.bounds_json = script_json(bounds)


class MetricScale(folium.MacroElement):
    """A metric-only scale bar in a corner (``topleft``: the app's notice sits bottom left)."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "{{ this.position }}"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, position: str = "topleft") -> None:
        super().__init__()
        self.position = position


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
        self.rows_json = script_json(rows)
        self.options_json = script_json({"kind": kind, **options})


def script_json(value) -> str:
    """``value`` as JSON that can sit inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")

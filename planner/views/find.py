"""Finding one's way on a web map: county and township names at sensible zooms, and a
search box for sites, townships and communities by name or code.

Both are plain Leaflet in the page (no plugin from a CDN), so they work in the offline
pages the app embeds and exports.
"""

from __future__ import annotations

from collections.abc import Iterable

import folium
import geopandas as gpd

from planner.data.regions import Region
from planner.i18n import t
from planner.views.layers import for_display, script_json
from planner.views.style import AREA_LABEL_CSS, SEARCH_CSS
from planner.views.text import escape_html

__all__ = ["AreaLabels", "MapSearch", "add_area_labels", "add_search", "search_rows"]

#: Zoom from which each level's names are shown: counties over the whole city,
#: townships once a county fills the screen.
LABEL_ZOOM = {"counties": 8, "townships": 11}


class AreaLabels(folium.MacroElement):
    """Names drawn at each area's inner point, each shown from its zoom on.

    ``rows`` are ``[lat, lon, escaped_name, min_zoom, css_class]``.
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var names = {{ this.rows_json }};
            var labels = names.map(function(r) {
                var icon = L.divIcon({className: "planner-area-label " + r[4],
                                      html: "<span>" + r[2] + "</span>", iconSize: null});
                return [L.marker([r[0], r[1]], {icon: icon, interactive: false,
                                                keyboard: false}), r[3]];
            });
            function show() {
                var z = map.getZoom();
                labels.forEach(function(l) {
                    if (z >= l[1]) { if (!map.hasLayer(l[0])) { l[0].addTo(map); } }
                    else if (map.hasLayer(l[0])) { map.removeLayer(l[0]); }
                });
            }
            map.on("zoomend", show);
            map.whenReady(show);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list]) -> None:
        super().__init__()
        self._name = "AreaLabels"
        self.rows_json = script_json(rows)


class MapSearch(folium.MacroElement):
    """A search box (top right): typing part of a name or code lists matches; choosing
    one flies there and shows what it is.

    ``rows`` are ``[lat, lon, escaped_name, code, escaped_kind]``.
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var entries = {{ this.rows_json }};
            var box = L.control({position: "topright"});
            box.onAdd = function() {
                var div = L.DomUtil.create("div", "planner-search");
                div.innerHTML = '<input type="search" placeholder="' + {{ this.hint_json }} +
                    '"><div class="planner-search-hits"></div>';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                var input = div.querySelector("input"), hits = div.lastChild;
                input.addEventListener("input", function() {
                    var q = input.value.trim().toLowerCase();
                    hits.innerHTML = "";
                    if (!q) { return; }
                    entries.filter(function(r) {
                        return r[2].toLowerCase().indexOf(q) >= 0 || r[3].indexOf(q) === 0;
                    }).slice(0, 12).forEach(function(r) {
                        var hit = L.DomUtil.create("div", "planner-search-hit", hits);
                        hit.innerHTML = r[2] + " <small>" + r[4] + " " + r[3] + "</small>";
                        hit.addEventListener("click", function() {
                            map.flyTo([r[0], r[1]], Math.max(map.getZoom(), 14));
                            L.popup().setLatLng([r[0], r[1]])
                                .setContent("<b>" + r[2] + "</b><br>" + r[4] + " " + r[3])
                                .openOn(map);
                            hits.innerHTML = "";
                        });
                    });
                });
                return div;
            };
            box.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list], hint: str) -> None:
        super().__init__()
        self._name = "MapSearch"
        self.rows_json = script_json(rows)
        self.hint_json = script_json(hint)


def _points(layer: gpd.GeoDataFrame, system: str | None) -> gpd.GeoSeries:
    """An inner point of each area (or the point itself), as drawn over ``system``."""
    points = layer.geometry.representative_point()
    shown = gpd.GeoDataFrame(geometry=points, crs=layer.crs or "EPSG:4326")
    return for_display(shown, system).geometry


def add_area_labels(fmap: folium.Map, region: Region, system: str | None = None) -> None:
    """County names over the whole city, township names once zoomed in."""
    rows: list[list] = []
    for level, css in (("counties", "county"), ("townships", "township")):
        layer = getattr(region, level)
        for name, point in zip(layer["name"], _points(layer, system), strict=True):
            rows.append([round(point.y, 6), round(point.x, 6), escape_html(name),
                         LABEL_ZOOM[level], css])  # fmt: skip
    fmap.get_root().header.add_child(folium.Element(AREA_LABEL_CSS))
    fmap.add_child(AreaLabels(rows))


def search_rows(
    groups: Iterable[tuple[gpd.GeoDataFrame, str, str]], system: str | None, lang: str
) -> list[list]:
    """Search entries of each ``(layer, code column, kind label key)``."""
    rows: list[list] = []
    for layer, code, kind in groups:
        if layer is None or not len(layer) or code not in layer:
            continue
        word = escape_html(t(kind, lang))
        names = layer["name"] if "name" in layer else layer[code]
        for name, value, point in zip(names, layer[code], _points(layer, system), strict=True):
            shown = name if isinstance(name, str) and name else value
            rows.append([round(point.y, 6), round(point.x, 6), escape_html(shown),
                         escape_html(value), word])  # fmt: skip
    return rows


def add_search(
    fmap: folium.Map,
    region: Region | None,
    sites: gpd.GeoDataFrame | None,
    lang: str,
    system: str | None = None,
) -> None:
    """A search box over the plan's sites and the region's townships and communities."""
    groups = [(sites, "site_id", "ui.rev.audit_site")]
    if region is not None:
        groups += [
            (region.townships, "code", "term.township"),
            (region.communities, "code", "map.search.community"),
        ]
    rows = search_rows(groups, system, lang)
    if rows:
        fmap.get_root().header.add_child(folium.Element(SEARCH_CSS))
        fmap.add_child(MapSearch(rows, escape_html(t("map.search.hint", lang))))

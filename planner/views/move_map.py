"""The small map a reviewer clicks to move a site: the site, its surroundings within
reach, the free candidates there and the township outlines around it.

Like every map of the app it is shown isolated (:func:`planner.views.embed.isolate_map`),
so a click cannot reach the page: it opens a popup with the spot's coordinates, written
as the paste field reads them, to copy there."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from planner.data.regions import Region
from planner.i18n import t
from planner.views.layers import (
    BASEMAP_SYSTEMS,
    BASEMAPS,
    MetricScale,
    add_basemap,
    for_display,
    script_json,
)
from planner.views.style import MOVE_CANDIDATE, MOVE_REACH, MOVE_SITE, REGION_TOWNSHIP_LINE
from planner.views.text import escape_html, escaped_columns

__all__ = ["move_map"]


def move_map(
    lon: float,
    lat: float,
    candidates: gpd.GeoDataFrame,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    reach_m: float = 1000.0,
) -> folium.Map:
    """A map centred on the site being moved.

    Parameters
    ----------
    lon, lat
        The site (WGS84).
    candidates
        Free candidate sites near it (WGS84 points with ``site_id`` and ``name``).
    region
        For the township outlines around the site.
    lang, basemap
        Language of the tooltips; background (:data:`~planner.views.layers.BASEMAPS`).
        Over GCJ-02 tiles everything is drawn shifted and a click comes back in GCJ-02:
        convert it with the basemap's system
        (:data:`~planner.views.layers.BASEMAP_SYSTEMS`).
    reach_m
        Radius of the ring drawn around the site.

    Returns
    -------
    folium.Map
    """
    system = BASEMAP_SYSTEMS.get(basemap)
    site = for_display(
        gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs="EPSG:4326"), system
    )
    centre = site.geometry.iloc[0]
    online = basemap in BASEMAPS and BASEMAPS.get(basemap) is not None
    fmap = folium.Map(location=[centre.y, centre.x], zoom_start=15, tiles=None, control_scale=False)
    fmap.add_child(MetricScale("topleft"))  # kilometres only, clear of notes
    if online:
        add_basemap(fmap, basemap, lang)
    if region is not None:
        near = region.townships.cx[lon - 0.03 : lon + 0.03, lat - 0.03 : lat + 0.03]
        if len(near):
            outlines = for_display(near[["geometry"]], system)
            outlines["name"] = escaped_columns(near, ["name"])["name"].to_numpy()
            folium.GeoJson(
                outlines,
                style_function=lambda _: {"fill": False, **REGION_TOWNSHIP_LINE.leaflet()},
                tooltip=folium.GeoJsonTooltip(["name"], labels=False),
            ).add_to(fmap)
    folium.Circle([centre.y, centre.x], radius=reach_m, **MOVE_REACH).add_to(fmap)
    shown = for_display(candidates, system) if len(candidates) else candidates
    for row in shown.itertuples():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            tooltip=escape_html(f"{row.name or ''} {row.site_id}".strip()),
            **MOVE_CANDIDATE,
        ).add_to(fmap)
    folium.CircleMarker(
        [centre.y, centre.x], tooltip=escape_html(t("ui.rev.move.site", lang)), **MOVE_SITE
    ).add_to(fmap)
    spot = "ui.rev.click_spot_gcj" if system == "gcj02" else "ui.rev.click_spot"
    fmap.add_child(ClickedSpot(escape_html(t(spot, lang))))
    return fmap


class ClickedSpot(folium.MacroElement):
    """A click on the map opens a popup with the spot as ``lon,lat`` (six decimals),
    under ``heading`` (already escaped HTML)."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var heading = {{ this.heading_json }};
            map.on("click", function(e) {
                var text = e.latlng.lng.toFixed(6) + "," + e.latlng.lat.toFixed(6);
                L.popup().setLatLng(e.latlng)
                    .setContent(heading + "<br><b style='user-select:all'>" + text + "</b>")
                    .openOn(map);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, heading: str) -> None:
        super().__init__()
        self._name = "ClickedSpot"
        self.heading_json = script_json(heading)

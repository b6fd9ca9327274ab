"""The region map: counties, townships and communities, coloured by population density.

Works offline: boundaries are drawn on a plain background and online tile layers are
optional. Generated (approximate) geometry is labelled on the map itself, so a
screenshot keeps the caveat.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from planner.data.regions import Region
from planner.format import number
from planner.i18n import t
from planner.views.layers import (
    BASEMAP_ATTRIBUTION,
    BASEMAP_SYSTEMS,
    BASEMAPS,
    DISPLAY_TOLERANCE_M,
    Refit,
    add_basemap,
    add_legend,
    add_notice,
    for_display,
)
from planner.views.style import (
    APP_COUNTY_LINE,
    COMMUNITY_FILL_OPACITY,
    COMMUNITY_LINE,
    REGION_TOWNSHIP_LINE,
    density_scale,
)
from planner.views.text import escape_html, escaped_columns, label

__all__ = ["region_map"]


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
    fields, aliases = ["name", "code"], ["", label("term.code", lang)]
    for col, key in (("population", "term.population"), ("households", "term.households")):
        if col in layer:
            data[col] = [number(v) for v in layer[col]]
            fields.append(col)
            aliases.append(escape_html(t(key, lang) + est))
    data["density"] = layer["density"].to_numpy()
    data["density_text"] = [number(v) for v in layer["density"]]
    fields.append("density_text")
    aliases.append(label("map.density_short", lang))
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
        tiles=BASEMAPS.get(basemap) if basemap not in BASEMAP_ATTRIBUTION else None,
        control_scale=True,
        prefer_canvas=True,
    )
    if basemap in BASEMAP_ATTRIBUTION:
        add_basemap(fmap, basemap, lang)
    fit = [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]]
    fmap.fit_bounds(fit)
    fmap.add_child(Refit(fit))
    metric = region.metric_crs
    comms = for_display(_with_density(region.communities, metric), system)
    towns = for_display(_with_density(region.townships, metric), system)
    counties = for_display(_with_density(region.counties, metric), system)
    scale = density_scale(comms["density"].to_numpy(dtype=float))

    def fill(feature):
        value = feature["properties"].get("density") or 0
        return {
            "fillColor": scale(value),
            "fillOpacity": COMMUNITY_FILL_OPACITY,
            **COMMUNITY_LINE.leaflet(),
        }

    layers = (
        (comms, "map.communities", fill, show_communities),
        (
            towns,
            "term.townships",
            lambda _: {"fill": False, **REGION_TOWNSHIP_LINE.leaflet()},
            True,
        ),
        (counties, "term.counties", lambda _: {"fill": False, **APP_COUNTY_LINE.leaflet()}, True),
    )
    for layer, name, style, show in layers:
        shown, tooltip = _area_tooltip(layer, lang)
        folium.GeoJson(
            shown,
            name=label(name, lang),
            style_function=style,
            tooltip=tooltip,
            show=show,
        ).add_to(fmap)
    add_legend(fmap, t("map.density", lang), scale.legend_items())
    folium.LayerControl(collapsed=False).add_to(fmap)
    if region.is_approximate:
        add_notice(fmap, t("map.approximate", lang))
    return fmap

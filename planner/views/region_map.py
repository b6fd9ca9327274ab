"""The region map: counties, townships and communities, coloured by population density,
and the region's inventory of existing sites.

Works offline: boundaries are drawn on a plain background and online tile layers are
optional. Generated (approximate) geometry is labelled on the map itself, so a
screenshot keeps the caveat. Existing sites are drawn with symbols of their own (a
round station, a square sorting centre; grey when to be closed) and a popup with the
inventory's columns.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from branca.element import Element

from planner.data.checks import FIELD_KEYS, SITE_VALUE_KEYS, SITE_VALUES
from planner.data.edit.uploads import SITE_STATUS_KEYS
from planner.data.regions import Region
from planner.format import number
from planner.i18n import t, value_label
from planner.views.find import add_area_labels, add_search
from planner.views.layers import (
    BASEMAP_SYSTEMS,
    DISPLAY_TOLERANCE_M,
    PointLayer,
    add_legend,
    add_notice,
    for_display,
    framed_map,
)
from planner.views.schematic import dashed_if_schematic, schematic_flags, schematic_section
from planner.views.style import (
    APP_COUNTY_LINE,
    COMMUNITY_FILL_OPACITY,
    COMMUNITY_LINE,
    INVENTORY_CLASS,
    INVENTORY_CSS,
    INVENTORY_SITES,
    INVENTORY_STATUS_FILL,
    REGION_TOWNSHIP_LINE,
    density_scale,
    density_text,
    inventory_legend,
)
from planner.views.text import area_names, escape_html, escaped_columns, label, plain, popup

__all__ = ["add_inventory_layer", "region_map"]


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
    if "schematic" in layer:  # drawn dashed (planner.views.schematic)
        data["schematic"] = layer["schematic"].to_numpy()
    data["density_text"] = [density_text(v) for v in layer["density"]]
    fields.append("density_text")
    aliases.append(label("map.density_short", lang))
    shown = gpd.GeoDataFrame(data, geometry=layer.geometry.to_numpy(), crs=layer.crs)
    return shown, folium.GeoJsonTooltip(fields=fields, aliases=aliases)


#: One site of each tier, for the popup's subtitle.
_TIER_ONE = {"station": "map.station", "sorting_centre": "map.centre"}


def _site_details(rec: dict, lang: str, towns: dict[str, str]) -> list[tuple[str, str]]:
    """A site's popup rows: where it is, who runs it, its size and its answers."""
    area = rec.get("floor_area_m2")
    rows = [
        (t("term.township", lang), towns.get(plain(rec.get("township_code")), "")),
        (t(FIELD_KEYS["address"], lang), plain(rec.get("address"))),
        (t(FIELD_KEYS["operator"], lang), plain(rec.get("operator"))),
        (t(FIELD_KEYS["floor_area_m2"], lang), number(area, missing="")),
    ]
    rows += [
        (t(FIELD_KEYS[name], lang), value_label(SITE_VALUE_KEYS[name], plain(rec.get(name)), lang))
        for name in SITE_VALUES
        if name in rec
    ]
    return [(name, value) for name, value in rows if value]


def add_inventory_layer(fmap: folium.Map, region: Region, lang: str, system: str | None) -> list:
    """The region's existing sites as markers of their tier's symbol, one layer.

    Returns the legend entries of the symbols drawn (none without sites).
    """
    sites = region.sites
    if sites is None or not len(sites):
        return []
    sites = sites[~(sites.geometry.isna() | sites.geometry.is_empty)]
    shown = for_display(sites if sites.crs is not None else sites.set_crs(4326), system)
    towns = area_names(region, "townships")
    group = folium.FeatureGroup(name=label("map.inventory", lang))
    tiers = [str(v) for v in shown.get("tier", ["station"] * len(shown))]
    statuses = [str(v) for v in shown.get("status", ["existing_keep"] * len(shown))]
    for tier in INVENTORY_SITES:
        rows = []
        for rec, geom, site_tier, status in zip(
            shown.to_dict("records"), shown.geometry, tiers, statuses, strict=True
        ):
            if site_tier != tier:
                continue
            name = plain(rec.get("name")) or plain(rec.get("site_id"))
            subtitle = f"{t(_TIER_ONE[tier], lang)} · {value_label(SITE_STATUS_KEYS, status, lang)}"
            html = popup(name, subtitle, _site_details(rec, lang, towns))
            extra = status if status in INVENTORY_STATUS_FILL else ""
            rows.append([round(geom.y, 6), round(geom.x, 6), escape_html(name), html, extra])
        if rows:
            size = INVENTORY_SITES[tier].size
            group.add_child(PointLayer(rows, css_class=INVENTORY_CLASS[tier], size=size))
    group.add_to(fmap)
    fmap.get_root().header.add_child(Element(INVENTORY_CSS))
    return inventory_legend(lang, set(tiers), set(statuses))


def region_map(
    region: Region,
    lang: str = "zh",
    basemap: str = "none",
    show_communities: bool = True,
    show_sites: bool = True,
) -> folium.Map:
    """Map of a region: counties, townships and communities, coloured by density, and
    the region's existing sites.

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
    show_sites
        Draw the region's existing sites (when it has any).

    Returns
    -------
    folium.Map
        With a layer control, a legend (density, and the sites' symbols) and, when any
        geometry is generated, an on-map "approximate" notice.
    """
    system = BASEMAP_SYSTEMS.get(basemap)
    bounds = for_display(region.counties, system).total_bounds
    fmap = framed_map(bounds, basemap, lang)
    metric = region.metric_crs
    comms = for_display(_with_density(region.communities, metric), system)
    towns = for_display(_with_density(region.townships, metric), system)
    comms["schematic"] = schematic_flags(region.communities)
    towns["schematic"] = schematic_flags(region.townships)
    counties = for_display(_with_density(region.counties, metric), system)
    scale = density_scale(comms["density"].to_numpy(dtype=float))

    def fill(feature):
        value = feature["properties"].get("density") or 0
        paint = {
            "fillColor": scale(value),
            "fillOpacity": COMMUNITY_FILL_OPACITY,
            **COMMUNITY_LINE.leaflet(),
        }
        return dashed_if_schematic(paint, feature)

    layers = (
        (comms, "map.communities", fill, show_communities),
        (
            towns,
            "term.townships",
            lambda f: dashed_if_schematic({"fill": False, **REGION_TOWNSHIP_LINE.leaflet()}, f),
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
    sites = add_inventory_layer(fmap, region, lang, system) if show_sites else []
    sections = [(t("map.inventory", lang), sites)] if sites else []
    zones = bool(schematic_flags(region.townships).any() or comms["schematic"].any())
    sections += schematic_section(lang, zones)
    add_legend(fmap, t("map.density", lang), scale.legend_items(), sections)
    add_area_labels(fmap, region, system)
    add_search(fmap, region, region.sites if show_sites else None, lang, system)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if region.is_approximate:
        add_notice(fmap, t("map.approximate", lang))
    return fmap

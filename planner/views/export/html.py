"""Interactive HTML map of a plan: one self-contained file that opens offline.

County and township boundaries, stations, sorting centres and station → centre links
on a plain background, with a layer control, a legend, a title box and the
approximate-geometry notice. Leaflet is inlined by :func:`planner.views.maps.to_html`.

Every name or text that comes from data or from the planner (site and area names,
scenario name) is HTML-escaped before it reaches the page, with the same rule as the
app's maps (:func:`planner.views.maps.escape_html`): Leaflet puts tooltip and popup strings
into the page as HTML, so a site named ``<script>…`` must arrive as ``&lt;script&gt;…``
to show as text.
"""

from __future__ import annotations

import math
from pathlib import Path

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from jinja2 import Template

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.views.export.common import tier_label
from planner.views.export.static_map import (
    CENTRE_COLOUR,
    COUNTY_EDGE,
    EXISTING_COLOUR,
    LINK_COLOUR,
    STATION_COLOUR,
    TOWNSHIP_EDGE,
    map_title,
)
from planner.views.maps import (
    DISPLAY_TOLERANCE_M,
    add_legend,
    escape_html,
    escaped_columns,
    to_html,
)

__all__ = ["export_html", "plan_map"]


def _number(value, digits: int = 0) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{number:,.{digits}f}" if math.isfinite(number) else ""


def _outline(layer: gpd.GeoDataFrame, region: Region) -> gpd.GeoDataFrame:
    """Names and simplified outlines (display only) of an area layer."""
    metric = layer.to_crs(region.metric_crs).geometry.simplify(DISPLAY_TOLERANCE_M)
    out = escaped_columns(layer, ["name", "code"])
    return gpd.GeoDataFrame(out, geometry=metric.to_crs(4326).to_numpy(), crs="EPSG:4326")


def _points(sites: gpd.GeoDataFrame, lang: str, tier: str) -> gpd.GeoDataFrame:
    """Point layer with escaped, preformatted tooltip fields."""
    out = escaped_columns(sites, ["name", "site_id"])
    out["status"] = [escape_html(t(f"export.status.{s}", lang)) for s in sites["status"]]
    if tier == "station":
        out["served"] = [_number(v) for v in sites.get("served_population", [])]
        out["tonnage"] = [_number(v, 2) for v in sites.get("tonnage_t_per_day", [])]
        out["centre"] = escaped_columns(sites, ["centre_id"])["centre_id"].to_numpy()
        out["existing"] = (sites["status"].astype(str) == "existing_keep").to_numpy()
    else:
        out["served"] = [_number(v) for v in sites.get("served_stations", [])]
        out["tonnage"] = [_number(v, 1) for v in sites.get("load_t_per_day", [])]
        out["capacity"] = [_number(v, 0) for v in sites.get("capacity_t_per_day", [])]
    return gpd.GeoDataFrame(out, geometry=sites.geometry.to_numpy(), crs="EPSG:4326")


class _MetricScale(MacroElement):
    """Leaflet scale bar in metres and kilometres only."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


def plan_map(plan: Plan, region: Region, lang: str = "zh") -> folium.Map:
    """Folium map of ``plan`` over ``region`` (offline-ready with :func:`to_html`)."""
    bounds = region.counties.total_bounds
    fmap = folium.Map(tiles=None, control_scale=False, prefer_canvas=True)
    _MetricScale().add_to(fmap)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])

    def label(key: str) -> str:
        return escape_html(t(key, lang))

    folium.GeoJson(
        _outline(region.townships, region),
        name=label("export.map.township"),
        style_function=lambda _: {
            "fill": True,
            "fillColor": "#f5f2ea",
            "fillOpacity": 0.6,
            "color": TOWNSHIP_EDGE,
            "weight": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code"], aliases=[label("export.col.township"), label("map.code")]
        ),
    ).add_to(fmap)
    folium.GeoJson(
        _outline(region.counties, region),
        name=label("export.map.county"),
        style_function=lambda _: {"fill": False, "color": COUNTY_EDGE, "weight": 2.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code"], aliases=[label("export.col.county"), label("map.code")]
        ),
    ).add_to(fmap)
    if len(plan.links):
        links = plan.links.to_crs(4326)
        data = escaped_columns(links, ["station_id", "centre_id"])
        data["distance"] = [_number(v) for v in links["distance_m"]]
        folium.GeoJson(
            gpd.GeoDataFrame(data, geometry=links.geometry.to_numpy(), crs="EPSG:4326"),
            name=label("export.map.link"),
            style_function=lambda _: {"color": LINK_COLOUR, "weight": 1, "opacity": 0.7},
            tooltip=folium.GeoJsonTooltip(
                fields=["station_id", "centre_id", "distance"],
                aliases=[
                    label("export.col.site_id"),
                    label("export.col.centre_id"),
                    label("export.col.distance_to_centre_m"),
                ],
            ),
        ).add_to(fmap)
    tiers = (
        ("station", plan.stations.to_crs(4326), 4),
        ("sorting_centre", plan.centres.to_crs(4326), 8),
    )
    for tier, sites, radius in tiers:
        if not len(sites):
            continue
        points = _points(sites, lang, tier)
        if tier == "station":
            fields = ["name", "site_id", "status", "served", "tonnage", "centre"]
            aliases = [
                "export.col.name",
                "export.col.site_id",
                "export.col.status",
                "export.col.served_population",
                "export.col.tonnage_t_per_day",
                "export.col.centre_id",
            ]

            def style(feature):
                colour = EXISTING_COLOUR if feature["properties"]["existing"] else STATION_COLOUR
                return {
                    "color": "#ffffff",
                    "weight": 1,
                    "fill": True,
                    "fillColor": colour,
                    "fillOpacity": 0.95,
                }
        else:
            fields = ["name", "site_id", "status", "served", "tonnage", "capacity"]
            aliases = [
                "export.col.name",
                "export.col.site_id",
                "export.col.status",
                "export.col.served_stations",
                "export.col.load_t_per_day",
                "export.col.capacity_t_per_day",
            ]

            def style(feature):
                return {
                    "color": "#000000",
                    "weight": 1.5,
                    "fill": True,
                    "fillColor": CENTRE_COLOUR,
                    "fillOpacity": 0.95,
                }

        folium.GeoJson(
            points,
            name=escape_html(tier_label(tier, lang)),
            marker=folium.CircleMarker(radius=radius),
            style_function=style,
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[label(a) for a in aliases]),
            popup=folium.GeoJsonPopup(fields=fields, aliases=[label(a) for a in aliases]),
        ).add_to(fmap)

    items = [(STATION_COLOUR, t("export.map.station_proposed", lang))]
    if (plan.stations["status"].astype(str) == "existing_keep").any():
        items.append((EXISTING_COLOUR, t("export.map.station_existing", lang)))
    items += [
        (CENTRE_COLOUR, t("export.map.centre", lang)),
        (LINK_COLOUR, t("export.map.link", lang)),
        (COUNTY_EDGE, t("export.map.county", lang)),
    ]
    add_legend(fmap, t("export.map.legend", lang), items)
    folium.LayerControl(collapsed=False).add_to(fmap)
    title, subtitle = map_title(plan, region, lang)
    box = (
        '<div class="planner-title" style="position:absolute;top:10px;left:55px;z-index:9999;'
        "max-width:60%;background:rgba(255,255,255,.92);border:1px solid #999;"
        'border-radius:4px;padding:6px 10px;font:13px sans-serif;">'
        f"<b style='font-size:15px'>{escape_html(title)}</b><br>{escape_html(subtitle)}</div>"
    )
    fmap.get_root().html.add_child(Element(box))
    fmap.get_root().header.add_child(Element(f"<title>{escape_html(title)}</title>"))
    if region.is_approximate:
        notice = (
            '<div class="planner-notice" style="position:absolute;bottom:40px;left:10px;'
            "z-index:9999;max-width:45%;background:#fff3cd;color:#664d03;"
            'border:1px solid #ffc107;border-radius:4px;padding:4px 8px;font:13px sans-serif;">'
            f"{escape_html(t('export.approximate', lang))}</div>"
        )
        fmap.get_root().html.add_child(Element(notice))
    return fmap


def export_html(plan: Plan, path: str | Path, region: Region, lang: str = "zh") -> Path:
    """Write the interactive map as one self-contained, offline HTML file."""
    path = Path(path)
    path.write_text(to_html(plan_map(plan, region, lang)), encoding="utf-8")
    return path

"""Folium maps of regions and plans.

Maps work offline: boundaries are drawn on a plain background and online tile layers
are optional. Every map has a layer control and a legend; approximate geometry is
labelled on the map itself, so a screenshot or an exported HTML keeps the caveat.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element

from planner.i18n import register, t
from planner.regions import Region

__all__ = [
    "BASEMAPS",
    "add_legend",
    "add_notice",
    "density_scale",
    "offline",
    "region_map",
    "to_html",
]

register(
    {
        "map.counties": {"zh": "区县", "en": "Counties"},
        "map.townships": {"zh": "乡镇/街道", "en": "Townships"},
        "map.communities": {"zh": "村/社区", "en": "Communities / villages"},
        "map.density": {"zh": "人口密度（人/平方公里）", "en": "Population density (people/km²)"},
        "map.approximate": {
            "zh": "⚠ 乡镇与村/社区边界为近似生成，非官方数据",
            "en": "⚠ Township and community boundaries are approximate, not official",
        },
        "map.population": {"zh": "人口", "en": "Population"},
        "map.households": {"zh": "户数", "en": "Households"},
        "map.density_short": {"zh": "密度", "en": "Density"},
        "map.code": {"zh": "编码", "en": "Code"},
        "map.kind": {"zh": "类型", "en": "Kind"},
        "map.estimate": {"zh": "（估算）", "en": " (estimate)"},
        "map.basemap.none": {"zh": "无底图（离线）", "en": "No basemap (offline)"},
        "map.basemap.osm": {"zh": "OpenStreetMap（需联网）", "en": "OpenStreetMap (online)"},
    }
)

# Basemaps: None draws boundaries on a plain background and needs no network.
BASEMAPS: dict[str, str | None] = {
    "none": None,
    "osm": "OpenStreetMap",
}
# Display simplification (metres): keeps the embedded HTML small; storage is untouched.
DISPLAY_TOLERANCE_M = 25.0
TOOLTIP_COLUMNS = ("name", "code", "population", "households", "population_quality", "density")
DENSITY_COLOURS = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"]


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


def _tooltip_fields(layer: pd.DataFrame, lang: str) -> folium.GeoJsonTooltip:
    est = t("map.estimate", lang) if "population_quality" in layer else ""
    fields, aliases = ["name", "code"], ["", t("map.code", lang)]
    for col, key in (("population", "map.population"), ("households", "map.households")):
        if col in layer:
            fields.append(col)
            aliases.append(t(key, lang) + est)
    fields.append("density")
    aliases.append(t("map.density_short", lang))
    return folium.GeoJsonTooltip(fields=fields, aliases=aliases, localize=True)


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
    bounds = region.counties.total_bounds
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=BASEMAPS.get(basemap),
        control_scale=True,
        prefer_canvas=True,
    )
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    metric = region.metric_crs
    comms = _with_density(region.communities, metric)
    towns = _with_density(region.townships, metric)
    counties = _with_density(region.counties, metric)
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
        cols = [c for c in TOOLTIP_COLUMNS if c in layer]
        folium.GeoJson(
            layer[[*cols, "geometry"]],
            name=t(name, lang),
            style_function=style,
            tooltip=_tooltip_fields(layer[cols], lang),
            show=show,
        ).add_to(fmap)
    add_legend(fmap, t("map.density", lang), scale.legend_items())
    folium.LayerControl(collapsed=False).add_to(fmap)
    if region.is_approximate:
        add_notice(fmap, t("map.approximate", lang))
    return fmap


def add_notice(fmap: folium.Map, text: str) -> None:
    """Pin a notice box to the bottom-left corner of ``fmap`` (escaped)."""
    box = (
        '<div style="position:absolute;bottom:28px;left:10px;z-index:9999;'
        "background:#fff3cd;color:#664d03;border:1px solid #ffc107;border-radius:4px;"
        'padding:4px 8px;font:13px sans-serif;">'
        f"{html.escape(text)}</div>"
    )
    fmap.get_root().html.add_child(Element(box))


def add_legend(fmap: folium.Map, title: str, items: Sequence[tuple[str, str]]) -> None:
    """Pin a legend (colour swatch + label per item) to the bottom-right corner."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
        f'background:{html.escape(colour)};border:1px solid #777"></span>{html.escape(label)}</div>'
        for colour, label in items
    )
    box = (
        '<div class="planner-legend" style="position:absolute;bottom:28px;right:10px;'
        "z-index:9999;background:rgba(255,255,255,.92);border:1px solid #999;"
        'border-radius:4px;padding:6px 8px;font:12px sans-serif;">'
        f"<b>{html.escape(title)}</b>{rows}</div>"
    )
    fmap.get_root().html.add_child(Element(box))


_STATIC = Path(__file__).resolve().parent / "static"
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


def layer_map(
    layer: gpd.GeoDataFrame, lang: str = "zh", boundary: gpd.GeoDataFrame | None = None
) -> folium.Map:
    """Offline preview of one layer (polygons outlined, points as dots) over ``boundary``.

    Used to check an imported layer before it is applied; tooltips show name, code and
    population where the layer has them.
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
            name=t("map.counties", lang),
            style_function=lambda _: {"fill": False, "color": "#111", "weight": 2},
        ).add_to(fmap)
    labels = {"name": "", "code": "map.code", "site_id": "map.code", "population": "map.population"}
    cols = [c for c in labels if c in shown]
    data = shown[cols].astype(object).where(shown[cols].notna(), None)
    points = shown.geometry.geom_type.isin(["Point", "MultiPoint"])
    geometry = shown.geometry.where(points, shown.geometry.simplify(DISPLAY_TOLERANCE_M / 1e5))

    def style(feature):
        if feature["geometry"]["type"] in ("Point", "MultiPoint"):
            return {"color": "#b2182b", "fill": True, "fillColor": "#d6604d", "fillOpacity": 0.9}
        return {"color": "#2166ac", "weight": 1.2, "fillColor": "#67a9cf", "fillOpacity": 0.25}

    aliases = [t(labels[c], lang) if labels[c] else "" for c in cols]
    folium.GeoJson(
        gpd.GeoDataFrame(data, geometry=geometry.to_numpy(), crs=shown.crs),
        style_function=style,
        marker=folium.CircleMarker(radius=4),
        tooltip=folium.GeoJsonTooltip(fields=cols, aliases=aliases) if cols else None,
    ).add_to(fmap)
    return fmap

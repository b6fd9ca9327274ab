"""Preview of a layer being imported, drawn before it is applied."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from planner.views.layers import DISPLAY_TOLERANCE_M, MetricScale, Refit
from planner.views.style import (
    PREVIEW_AREA_FILL,
    PREVIEW_AREA_LINE,
    PREVIEW_BOUNDARY_LINE,
    PREVIEW_POINT,
)
from planner.views.text import escaped_columns, label, number_or_text

__all__ = ["layer_map"]


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
    fmap = folium.Map(tiles=None, control_scale=False, prefer_canvas=True)
    fmap.add_child(MetricScale("topleft"))  # kilometres only, clear of notes
    fit = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    fmap.fit_bounds(fit)
    fmap.add_child(Refit(fit))
    if boundary is not None and len(boundary):
        outline = boundary[[boundary.geometry.name]].copy()
        outline["geometry"] = outline.geometry.simplify(DISPLAY_TOLERANCE_M / 1e5)
        folium.GeoJson(
            outline,
            name=label("term.counties", lang),
            style_function=lambda _: {"fill": False, **PREVIEW_BOUNDARY_LINE.leaflet()},
        ).add_to(fmap)
    labels = {
        "name": "",
        "code": "term.code",
        "site_id": "term.code",
        "population": "term.population",
    }
    cols = [c for c in labels if c in shown]
    data = escaped_columns(shown, [c for c in cols if c != "population"])
    if "population" in cols:
        data["population"] = [number_or_text(v) for v in shown["population"]]
    data = data[cols]
    points = shown.geometry.geom_type.isin(["Point", "MultiPoint"])
    geometry = shown.geometry.where(points, shown.geometry.simplify(DISPLAY_TOLERANCE_M / 1e5))

    def style(feature):
        if feature["geometry"]["type"] in ("Point", "MultiPoint"):
            return PREVIEW_POINT.leaflet()
        fill, opacity = PREVIEW_AREA_FILL
        return {**PREVIEW_AREA_LINE.leaflet(), "fillColor": fill, "fillOpacity": opacity}

    aliases = [label(labels[c], lang) if labels[c] else "" for c in cols]
    folium.GeoJson(
        gpd.GeoDataFrame(data, geometry=geometry.to_numpy(), crs=shown.crs),
        style_function=style,
        marker=folium.CircleMarker(radius=4),
        tooltip=folium.GeoJsonTooltip(fields=cols, aliases=aliases) if cols else None,
    ).add_to(fmap)
    return fmap

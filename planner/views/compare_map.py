"""One map of two plans: the sites both keep, those only the baseline has, those only
the variant adds, and lines from a moved site to where it went."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.plan.tables import TIER_LABEL
from planner.views.layers import (
    BASEMAP_SYSTEMS,
    PointLayer,
    add_legend,
    for_display,
    framed_map,
)
from planner.views.style import (
    APP_COUNTY_LINE,
    COMPARE_MOVE_DASH,
    COMPARE_MOVE_LINE,
    COMPARE_SITES,
)
from planner.views.text import escape_html

__all__ = ["compare_map"]

#: Legend label of each overlay class.
_LABEL = {
    "both": "map.compare.both",
    "removed": "map.compare.removed",
    "added": "map.compare.added",
}


def compare_map(
    base: Plan,
    other: Plan,
    changes: pd.DataFrame,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    names: tuple[str, str] = ("A", "B"),
) -> folium.Map:
    """The two plans on one map.

    Parameters
    ----------
    base, other
        The baseline plan (A) and the variant (B).
    changes
        :func:`planner.plan.compare.site_changes` of the two.
    region
        For the county outlines.
    lang, basemap
        Language of the legend and tooltips; background
        (:data:`~planner.views.layers.BASEMAPS`).
    names
        How the two plans are called in the legend.

    Returns
    -------
    folium.Map
        Closed existing sites are not drawn (neither plan uses them).
    """
    system = BASEMAP_SYSTEMS.get(basemap)
    a = base.open_sites
    b = other.open_sites
    shown = gpd.GeoDataFrame(pd.concat([a, b]), crs="EPSG:4326")
    bounds = for_display(shown if len(shown) else base.sites, system).total_bounds
    fmap = framed_map(bounds, basemap, lang)
    if region is not None:
        folium.GeoJson(
            for_display(region.counties[["name", "geometry"]], system),
            style_function=lambda _: {"fill": False, **APP_COUNTY_LINE.leaflet()},
            tooltip=folium.GeoJsonTooltip(["name"], labels=False),
        ).add_to(fmap)
    in_a = set(zip(a["tier"], a["site_id"], strict=True))
    in_b = set(zip(b["tier"], b["site_id"], strict=True))
    groups = {
        "both": b[[k in in_a for k in zip(b["tier"], b["site_id"], strict=True)]],
        "removed": a[[k not in in_b for k in zip(a["tier"], a["site_id"], strict=True)]],
        "added": b[[k not in in_a for k in zip(b["tier"], b["site_id"], strict=True)]],
    }
    for group, sites in groups.items():
        if sites.empty:
            continue
        symbol = COMPARE_SITES[group]
        layer = folium.FeatureGroup(
            name=escape_html(t(_LABEL[group], lang, a=names[0], b=names[1]))
        )
        drawn = for_display(sites, system)
        rows = []
        for rec, geom in zip(sites.to_dict("records"), drawn.geometry, strict=True):
            tip = escape_html(
                f"{t(TIER_LABEL.get(rec['tier'], 'tier.station'), lang)} "
                f"{rec.get('name') or ''} {rec['site_id']}".strip()
            )
            rows.append([round(geom.y, 6), round(geom.x, 6), tip, "", {}])
        style = {**symbol.leaflet(), "radius": symbol.size}
        layer.add_child(PointLayer(rows, kind="circle_marker", style=style))
        layer.add_to(fmap)
    moved = changes[changes["change"] == "moved"] if len(changes) else changes
    if len(moved):
        old = a.set_index("site_id").geometry
        new = b.set_index("site_id").geometry
        lines = folium.FeatureGroup(name=escape_html(t("map.compare.moved", lang)))
        for rec in moved.to_dict("records"):
            p, q = old.get(rec["site_id"]), new.get(rec["new_site_id"])
            if p is None or q is None:
                continue
            pts = for_display(gpd.GeoDataFrame(geometry=[p, q], crs="EPSG:4326"), system).geometry
            folium.PolyLine(
                [[pts.iloc[0].y, pts.iloc[0].x], [pts.iloc[1].y, pts.iloc[1].x]],
                dash_array=COMPARE_MOVE_DASH,
                **COMPARE_MOVE_LINE.leaflet(),
            ).add_to(lines)
        lines.add_to(fmap)
    items = [
        (COMPARE_SITES[g].fill, t(_LABEL[g], lang, a=names[0], b=names[1]), "round")
        for g in ("both", "removed", "added")
    ]
    if len(moved):
        items.append((COMPARE_MOVE_LINE.colour, t("map.compare.moved", lang)))
    add_legend(fmap, t("map.compare.title", lang), items)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap

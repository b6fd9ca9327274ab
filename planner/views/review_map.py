"""The review map: a plan's map with each reviewed site marked by its decision."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.plan.review import REVIEW_STATUS_LABEL
from planner.views.layers import BASEMAP_SYSTEMS, PointLayer, for_display
from planner.views.plan_map import plan_map
from planner.views.style import (
    REVIEW_LOCK_COLOUR,
    REVIEW_MOVE_DASH,
    REVIEW_MOVE_LINE,
    REVIEW_OPACITY,
    REVIEW_RADIUS,
    REVIEW_RING,
    REVIEW_STATUS_COLOURS,
    REVIEW_TARGET,
    review_legend,
)
from planner.views.text import escape_html

__all__ = ["review_map"]


def review_map(
    plan: Plan,
    table: pd.DataFrame,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    targets: dict[str, tuple[float, float]] | None = None,
    focus: Sequence[str] = (),
) -> folium.Map:
    """The plan's map with a layer of reviewed sites coloured by status.

    Parameters
    ----------
    plan
        The reviewed plan.
    table
        :func:`planner.plan.review.site_table` rows to mark (e.g. the filtered ones);
        pending sites are drawn small, reviewed ones large.
    region, lang, basemap
        As :func:`planner.views.plan_map.plan_map`.
    targets
        ``{site_id: (lon, lat)}`` of move targets (WGS84), drawn with a dashed line
        from the site.
    focus
        County codes to zoom to (the review's county filter).

    Returns
    -------
    folium.Map
        Names, reasons and reviewers are HTML-escaped in popups.
    """
    fmap = plan_map(
        plan,
        region,
        lang,
        basemap=basemap,
        show_links=False,
        show_uncovered=False,
        layer_control=False,
        focus=focus,
        legend_sections=[
            (t("term.review_status", lang), [(fill, text, ring) for fill, ring, text in
                                              review_legend(lang)])
        ],
    )  # fmt: skip
    system = BASEMAP_SYSTEMS.get(basemap)
    group = folium.FeatureGroup(name=escape_html(t("term.review_status", lang)), show=True)
    rows: list[list] = []
    if len(table):
        points = for_display(
            gpd.GeoDataFrame(
                table[["site_id"]].copy(),
                geometry=gpd.points_from_xy(table["lon"], table["lat"]),
                crs="EPSG:4326",
            ),
            system,
        )
        for row, geom in zip(table.itertuples(index=False), points.geometry, strict=True):
            status = str(row.status)
            reviewed = status != "pending" or bool(row.locked)
            colour = REVIEW_STATUS_COLOURS[status]
            popup = t(
                "map.review.popup",
                lang,
                name=escape_html(row.name),
                site=escape_html(row.site_id),
                status=escape_html(t(REVIEW_STATUS_LABEL[status], lang)),
                locked=" · " + escape_html(t("review.action.lock", lang)) if row.locked else "",
                reviewer=escape_html(row.reviewer),
                at=escape_html(str(row.at or "")[:16].replace("T", " ")),
                reason=escape_html(row.reason),
            )
            rows.append(
                [
                    round(geom.y, 7),
                    round(geom.x, 7),
                    "",
                    popup,
                    {
                        "radius": REVIEW_RADIUS[reviewed],
                        "color": REVIEW_LOCK_COLOUR if row.locked else colour,
                        "weight": REVIEW_RING[bool(row.locked)],
                        "fillColor": colour,
                        "fillOpacity": REVIEW_OPACITY[reviewed],
                    },
                ]
            )
            target = (targets or {}).get(str(row.site_id))
            if status == "moved" and target is not None:
                (to,) = for_display(
                    gpd.GeoDataFrame(
                        geometry=gpd.points_from_xy([target[0]], [target[1]]), crs="EPSG:4326"
                    ),
                    system,
                ).geometry
                folium.PolyLine(
                    [[geom.y, geom.x], [to.y, to.x]],
                    color=REVIEW_MOVE_LINE.colour,
                    weight=REVIEW_MOVE_LINE.width,
                    dash_array=REVIEW_MOVE_DASH,
                ).add_to(group)
                rows.append(
                    [
                        round(to.y, 7),
                        round(to.x, 7),
                        escape_html(t("map.review.target", lang)),
                        "",
                        {"radius": REVIEW_TARGET.size, **REVIEW_TARGET.leaflet()},
                    ]
                )
    if rows:
        # not folium.CircleMarker(popup=...): folium.Popup needs jQuery, which the offline
        # maps leave out, and would stop the map's script at the first popup
        group.add_child(PointLayer(rows, kind="circle_marker", style={"fill": True}))
    group.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)  # last: it lists the layers above
    return fmap

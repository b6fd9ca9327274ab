"""The review map: a plan's map with each reviewed site marked by its decision."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element

from planner.data.regions import Region
from planner.i18n import t
from planner.plan import Plan
from planner.views.maps import BASEMAP_SYSTEMS, PointLayer, escape_html, for_display, plan_map

__all__ = ["STATUS_COLOURS", "review_map"]

#: Marker colour per review status (locked sites get a thick dark ring).
STATUS_COLOURS = {
    "pending": "#9e9e9e",
    "approved": "#2e7d32",
    "rejected": "#c62828",
    "moved": "#ef6c00",
}
LOCK_COLOUR = "#0d47a1"



def review_map(
    plan: Plan,
    table: pd.DataFrame,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    targets: dict[str, tuple[float, float]] | None = None,
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
        As :func:`planner.views.maps.plan_map`.
    targets
        ``{site_id: (lon, lat)}`` of move targets (WGS84), drawn with a dashed line
        from the site.

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
    )
    system = BASEMAP_SYSTEMS.get(basemap)
    group = folium.FeatureGroup(name=escape_html(t("map.review", lang)), show=True)
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
            popup = t(
                "map.review.popup",
                lang,
                name=escape_html(row.name),
                site=escape_html(row.site_id),
                status=escape_html(t(f"review.status.{status}", lang)),
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
                        "radius": 8 if reviewed else 4,
                        "color": LOCK_COLOUR if row.locked else STATUS_COLOURS[status],
                        "weight": 4 if row.locked else 1,
                        "fillColor": STATUS_COLOURS[status],
                        "fillOpacity": 0.9 if reviewed else 0.5,
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
                    color=STATUS_COLOURS["moved"],
                    weight=2,
                    dash_array="6 4",
                ).add_to(group)
                rows.append(
                    [
                        round(to.y, 7),
                        round(to.x, 7),
                        escape_html(t("map.review.target", lang)),
                        "",
                        {
                            "radius": 7,
                            "color": STATUS_COLOURS["moved"],
                            "weight": 2,
                            "fillColor": "#ffffff",
                            "fillOpacity": 1.0,
                        },
                    ]
                )
    if rows:
        # not folium.CircleMarker(popup=...): folium.Popup needs jQuery, which the offline
        # maps leave out, and would stop the map's script at the first popup
        group.add_child(PointLayer(rows, kind="circle_marker", style={"fill": True}))
    group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)  # last: it lists the layers above
    _legend(fmap, lang)
    return fmap


def _legend(fmap: folium.Map, lang: str) -> None:
    rows = [
        (STATUS_COLOURS[s], STATUS_COLOURS[s], t(f"review.status.{s}", lang))
        for s in STATUS_COLOURS
    ]
    rows.append(("#ffffff", LOCK_COLOUR, t("map.review.locked", lang)))
    body = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'margin-right:6px;background:{fill};border:2px solid {ring}"></span>'
        f"{escape_html(label)}</div>"
        for fill, ring, label in rows
    )
    box = (
        '<div class="planner-review-legend" style="position:absolute;bottom:64px;left:10px;'
        "z-index:9999;background:rgba(255,255,255,.92);border:1px solid #999;"
        'border-radius:4px;padding:6px 8px;font:12px sans-serif;">'
        f"<b>{escape_html(t('map.review', lang))}</b>{body}</div>"
    )
    fmap.get_root().html.add_child(Element(box))

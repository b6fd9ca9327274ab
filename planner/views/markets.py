"""The market tier (集散交易市场) on the maps: the app's and the exported web map, and
the printed sheet.

Plans without markets draw nothing from here. Markets are diamonds in
:data:`planner.views.style.MARKET_COLOUR` with their centre → market lines; their
popups give the tonnage taken against the capacity and the centres served. Every
name and id reaches the page through :func:`planner.views.text.escape_html`.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from planner.format import figure, number, share
from planner.i18n import t
from planner.views.layers import PointLayer, for_display
from planner.views.style import MARKET_LINK, MARKET_SYMBOL
from planner.views.text import escape_html, escaped_columns, label, plain, popup

__all__ = ["add_market_layers", "draw_markets", "has_markets"]


def has_markets(plan) -> bool:
    """Whether ``plan`` has market rows to draw."""
    sites = plan.sites
    return sites is not None and len(sites) > 0 and bool((sites["tier"] == "market").any())


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame if frame.crs is None else frame.to_crs(4326)


def add_market_layers(
    fmap: folium.Map, plan, lang: str, system: str | None, export: bool, links: bool
) -> None:
    """Add the centre → market lines (with ``links``) and the markets to ``fmap``."""
    output = "file" if export else "app"
    if links and plan.market_links is not None and len(plan.market_links):
        lines = _wgs84(plan.market_links)
        data = escaped_columns(lines, ["centre_id", "market_id"])
        data["distance"] = [number(v, missing="") for v in lines["distance_m"]]
        data["tonnage"] = [number(v, 1, missing="") for v in lines["tonnage_t_per_day"]]
        lines = gpd.GeoDataFrame(data, geometry=lines.geometry.to_numpy(), crs="EPSG:4326")
        folium.GeoJson(
            for_display(lines, system),
            name=label("map.market_links", lang),
            style_function=lambda _: MARKET_LINK[output].leaflet(),
            tooltip=folium.GeoJsonTooltip(
                fields=["centre_id", "market_id", "distance", "tonnage"],
                aliases=[
                    label("export.col.centre_id", lang),
                    label("export.col.market_id", lang),
                    label("export.col.distance_to_market_m", lang),
                    label("map.tonnage", lang),
                ],
            ),
        ).add_to(fmap)
    markets = for_display(_wgs84(plan.markets), system)
    if not len(markets):
        return
    centre_names = {
        plain(sid): plain(name)
        for sid, name in zip(plan.centres["site_id"], plan.centres["name"], strict=False)
    }
    served = {}
    if "market_id" in plan.centres:
        for cid, mid in zip(plan.centres["site_id"], plan.centres["market_id"], strict=True):
            if mid:
                served.setdefault(plain(mid), []).append(centre_names.get(plain(cid), plain(cid)))
    rows = []
    for rec, geom in zip(markets.to_dict("records"), markets.geometry, strict=True):
        name = plain(rec.get("name")) or plain(rec.get("site_id"))
        load, capacity = figure(rec.get("load_t_per_day")), figure(rec.get("capacity_t_per_day"))
        use = f" ({share(load / capacity, 0)})" if load is not None and capacity else ""
        value = f"{number(load, 1)} / {number(capacity, 0)}"
        details = [
            (t("export.col.site_id", lang), plain(rec.get("site_id"))),
            (t("map.load", lang), t("map.t_per_day", lang, value=value) + use),
            (t("map.market_centres", lang), "、".join(served.get(plain(rec.get("site_id")), []))),
        ]
        html = popup(name, t("tier.market", lang), details)
        rows.append([round(geom.y, 6), round(geom.x, 6), escape_html(name), html, {}])
    group = folium.FeatureGroup(name=label("tier.market", lang))
    dot = MARKET_SYMBOL[output]
    if export:
        group.add_child(
            PointLayer(rows, kind="circle_marker", style={"radius": dot.size, **dot.leaflet()})
        )
    else:
        for row in rows:
            row[4] = ""
        group.add_child(PointLayer(rows, css_class="planner-market", size=dot.size))
    group.add_to(fmap)


def draw_markets(ax, plan, crs, k: float) -> None:
    """The printed sheet's centre → market lines and markets, in ``crs`` (sizes in
    points at A4, times ``k``)."""
    if plan.market_links is not None and len(plan.market_links):
        stroke = MARKET_LINK["print"]
        plan.market_links.to_crs(crs).plot(
            ax=ax, color=stroke.colour, linewidth=stroke.width * k, alpha=stroke.opacity, zorder=4
        )
    markets = plan.markets
    if not len(markets):
        return
    pts = markets.to_crs(crs)
    dot = MARKET_SYMBOL["print"]
    ax.plot(
        pts.geometry.x, pts.geometry.y, dot.shape, color=dot.fill, markersize=dot.size * k,
        markeredgecolor=dot.edge, markeredgewidth=(dot.edge_width or 0) * k, zorder=9,
        linestyle="none",
    )  # fmt: skip

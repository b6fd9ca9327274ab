"""The plan map: sites, assignments and coverage, in the app and as an exported file.

One function draws both: the app's map (results, compare, sweep and review pages) and,
with ``export=True``, the map of the exported HTML file, coloured like the printed
sheet (:data:`planner.views.style.FILE_PLAN`). Each site is drawn by what the plan does
with it (:func:`planner.views.style.site_symbol`: new, upgraded, kept; the existing
sites it closes in a layer of their own, linked to nothing), its popup giving the
reasons and costs. On request the villages and communities with no station within
their radius are drawn as small hollow red rings (:data:`planner.views.style.UNREACHED`),
their popups naming the nearest station and its distance: where a county would send
mobile collection (流动回收). Every name and code from data reaches the page through
:func:`planner.views.text.escape_html`.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element

from planner.data.regions import Region
from planner.format import clauses, figure, metres, number, share
from planner.i18n import t, value_label
from planner.plan.actions import actions_present, costs_assumed, reasons_text, site_actions
from planner.plan.location import schematic_note
from planner.plan.villages import KIND_LABEL, uncovered_villages
from planner.views.find import add_area_labels, add_search
from planner.views.kind_layers import add_kind_layers, kind_legend
from planner.views.labels import ACTION_LABEL, COLUMN_LABEL, EXPORT_TIER_ONE_LABEL
from planner.views.layers import (
    BASEMAP_SYSTEMS,
    DISPLAY_TOLERANCE_M,
    MetricScale,
    PointLayer,
    Refit,
    add_basemap,
    add_legend,
    add_notice,
    add_title,
    for_display,
)
from planner.views.markets import add_market_layers, has_markets
from planner.views.schematic import dashed_if_schematic, schematic_flags, schematic_section
from planner.views.style import (
    APP_PLAN,
    FILE_PLAN,
    PLAN_CSS,
    RADIUS_STYLE,
    UNCOVERED,
    UNREACHED,
    PlanStyle,
    coverage_colour,
    market_legend,
    plan_legend,
    sheet_legend,
    site_symbol,
    symbol_colour,
    unreached_entry,
)
from planner.views.text import area_names, escape_html, escaped_columns, label, plain, popup

__all__ = ["CLUSTER_ABOVE", "plan_map"]

#: Above this many stations they are clustered (Leaflet.markercluster).
CLUSTER_ABOVE = 300

# Station clusters in the station colour (the plugin's default green/yellow/orange would
# read as coverage classes).
_CLUSTER_ICON = """
function(cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? 28 : (n < 100 ? 34 : 40);
    return L.divIcon({
        html: '<div>' + n + '</div>', className: 'planner-cluster',
        iconSize: L.point(size, size)
    });
}"""

#: Message keys of the layer names, the legend title and the approximate-geometry note:
#: the app's map and the exported file's.
_NAMES = {
    False: {
        "townships": "map.township_coverage",
        "counties": "term.counties",
        "links": "map.links",
        "station": "term.recycling_stations",
        "sorting_centre": "tier.sorting_centre",
        "closed": "map.closed_sites",
        "legend": "map.legend",
        "approximate": "map.approximate",
    },
    True: {
        "townships": "export.map.township",
        "counties": "export.map.county",
        "links": "export.map.link",
        "station": "term.recycling_stations",
        "sorting_centre": "tier.sorting_centre",
        "closed": "map.closed_sites",
        "legend": "map.legend",
        "approximate": "export.approximate",
    },
}


def plan_map(
    plan,
    region: Region | None = None,
    lang: str = "zh",
    basemap: str = "none",
    show_radius: bool = False,
    show_links: bool = True,
    show_uncovered: bool = True,
    cluster: bool | None = None,
    compact: bool = False,
    layer_control: bool = True,
    *,
    export: bool = False,
    title: tuple[str, str] | None = None,
    show_villages: bool = False,
    focus: Sequence[str] = (),
    legend_sections: Sequence[tuple[str, Sequence[tuple[str, ...]]]] = (),
) -> folium.Map:
    """Map of a :class:`~planner.plan.Plan`: sites, assignments and coverage.

    Parameters
    ----------
    plan
        The plan to draw.
    region
        Its region, for county and township boundaries (in the app, townships are
        coloured by the share of their population within the coverage radius); ``None``
        draws the plan alone.
    lang
        Language of labels, popups and legend.
    basemap
        Key of :data:`planner.views.layers.BASEMAPS`. ``"none"`` needs no network;
        ``"amap"`` tiles are GCJ-02, so every layer is shifted for display
        (:func:`planner.views.layers.for_display`).
    show_radius
        Draw each station's coverage radius (urban or rural, by where it stands).
    show_links
        Draw the station → sorting-centre assignment lines.
    show_uncovered
        Mark the communities outside their station's radius.
    cluster
        Cluster stations (Leaflet.markercluster); default: above :data:`CLUSTER_ABOVE`.
    compact
        For small maps side by side: the layer control starts collapsed.
    layer_control
        Add the layer control. A caller adding layers of its own passes ``False`` and
        adds the control last: Folium's control refers to the layers added before it,
        and a layer added after it stops the map's script.
    export
        The exported file's map (:func:`planner.views.export.html.export_html`): the
        printed sheet's colours and legend (:data:`planner.views.style.FILE_PLAN`),
        townships outlined and named with their codes instead of coloured by
        coverage, county codes and link details in tooltips, each site's export
        columns in its popup.
    title
        ``(title, subtitle)`` of a title box pinned to the top, which also names the
        page (the exported file's: :func:`planner.views.export.static_map.map_title`).
    show_villages
        Draw the villages and communities with no station within their radius
        (:func:`planner.plan.villages.uncovered_villages`) as hollow red rings with a
        legend entry; each popup names the nearest station and the distance to it.

    focus
        County codes to zoom to (the whole plan when empty or unknown).
    legend_sections
        More ``(title, items)`` groups for the legend box (one box, never two that
        overlap), as :func:`~planner.views.layers.add_legend` takes them.

    Returns
    -------
    folium.Map
        With a layer control, a legend and, for generated geometry, the approximate-data
        notice. Names in tooltips and popups are HTML-escaped.
    """
    style = FILE_PLAN if export else APP_PLAN
    names = _NAMES[export]
    system = BASEMAP_SYSTEMS.get(basemap)
    fmap = folium.Map(
        tiles=None, control_scale=False, prefer_canvas=True, maxZoom=18, zoomSnap=style.zoom_snap
    )
    fmap.add_child(MetricScale(style.scale_position))
    add_basemap(fmap, basemap, lang)
    fmap.get_root().header.add_child(Element(PLAN_CSS))
    _fit(fmap, plan, region, system, focus)

    if region is not None:
        _township_layer(fmap, plan, region, lang, system, style, names["townships"])
        _county_layer(fmap, region, lang, system, style, names["counties"], export)
        add_area_labels(fmap, region, system)

    stations = for_display(_wgs84(plan.stations), system)
    centres = for_display(_wgs84(plan.centres), system)
    if show_radius and len(stations):
        group = folium.FeatureGroup(name=label("map.radius", lang), show=True)
        rows = [
            [round(g.y, 6), round(g.x, 6), "", "", float(r)]
            for g, r in zip(stations.geometry, _station_radius(plan), strict=True)
        ]
        group.add_child(PointLayer(rows, kind="circle", style=RADIUS_STYLE))
        group.add_to(fmap)
    if show_links and plan.links is not None and len(plan.links):
        _link_layer(fmap, plan, lang, system, style, names["links"], export)
    if show_uncovered and plan.demand is not None and len(plan.demand):
        _uncovered_layer(fmap, plan, lang, system)
    if show_villages and plan.demand is not None and len(plan.demand):
        _unreached_layer(fmap, plan, region, lang, system)

    counties, towns = area_names(region, "counties"), area_names(region, "townships")
    closed = for_display(_wgs84(plan.closed), system)
    rows = {
        tier: _site_rows(plan, closed[closed["tier"] == tier], tier, lang, style, export,
                         counties, towns)
        for tier in ("station", "sorting_centre")
    }  # fmt: skip
    if rows["station"] or rows["sorting_centre"]:
        _closed_layer(fmap, rows, style, label(names["closed"], lang))
    rows = _site_rows(plan, stations, "station", lang, style, export, counties, towns)
    if rows:
        clustered = len(stations) > CLUSTER_ABOVE if cluster is None else cluster
        _site_layer(fmap, rows, style, "station", label(names["station"], lang), clustered)
    rows = _site_rows(plan, centres, "sorting_centre", lang, style, export, counties, towns)
    if rows:
        _site_layer(fmap, rows, style, "sorting_centre", label(names["sorting_centre"], lang))
    markets = has_markets(plan)
    if markets:
        add_market_layers(fmap, plan, lang, system, export, show_links)
    add_kind_layers(fmap, plan, lang, system, export)  # nothing without standalone kinds

    legend = _legend(plan, lang, export, show_links, show_uncovered, show_radius, region,
                     show_villages)  # fmt: skip
    if markets:
        legend += market_legend(lang, "file" if export else "app", show_links)
    legend += kind_legend(plan, lang)
    zones = region is not None and bool(schematic_flags(region.townships).any())
    schematic = schematic_section(lang, zones, plan.sites, style.station.fill)
    add_legend(fmap, t(names["legend"], lang), legend, [*legend_sections, *schematic])
    add_search(fmap, region, plan.open_sites, lang, system)
    if layer_control:
        folium.LayerControl(collapsed=compact).add_to(fmap)
    if title is not None:
        add_title(fmap, *title)
    if region is not None and region.is_approximate:
        note = clauses([t(names["approximate"], lang), schematic_note(plan.sites, lang)], lang)
        add_notice(fmap, note, style.notice_bottom_px, style.notice_max_width)
    return fmap


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame if frame.crs is None else frame.to_crs(4326)


def _fit(
    fmap: folium.Map, plan, region: Region | None, system: str | None, focus: Sequence[str] = ()
) -> None:
    """Fit the view to the plan and region (or to the ``focus`` counties), now and once
    the frame has its size."""
    frames = [f for f in (plan.sites, plan.demand) if f is not None and len(f)]
    if region is not None:
        frames.append(region.counties)
        chosen = region.counties[region.counties["code"].astype(str).isin(list(focus))]
        if len(chosen):
            frames = [chosen]
    if not frames:
        return
    bounds = np.array([for_display(f, system).total_bounds for f in frames])
    minx, miny = bounds[:, :2].min(axis=0)
    maxx, maxy = bounds[:, 2:].max(axis=0)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap.add_child(Refit([[float(miny), float(minx)], [float(maxy), float(maxx)]]))


def _outline(layer: gpd.GeoDataFrame, region: Region, columns: list[str]) -> gpd.GeoDataFrame:
    """Escaped ``columns`` and simplified outlines (display only) of an area layer."""
    metric = layer.to_crs(region.metric_crs).geometry.simplify(DISPLAY_TOLERANCE_M)
    out = escaped_columns(layer, columns)
    return gpd.GeoDataFrame(out, geometry=metric.to_crs(4326).to_numpy(), crs="EPSG:4326")


def _county_layer(fmap, region, lang, system, style: PlanStyle, name: str, codes: bool) -> None:
    """County outlines; the tooltip names the county (and its code, with ``codes``)."""
    fields, aliases = ["name"], [""]
    if codes:
        fields.append("code")
        aliases = [label("term.county", lang), label("term.code", lang)]
    folium.GeoJson(
        for_display(_outline(region.counties, region, fields), system),
        name=label(name, lang),
        style_function=lambda _: {"fill": False, **style.county.leaflet()},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(fmap)


def _township_layer(fmap, plan, region, lang, system, style: PlanStyle, name: str) -> None:
    """Townships: coloured by coverage (tooltip: coverage and stations) or in one fill
    colour (tooltip: name and code), as ``style.township_fill`` says."""
    fill, opacity = style.township_fill
    if fill is not None:
        towns = _outline(region.townships, region, ["name", "code"])
        towns["schematic"] = schematic_flags(region.townships)
        fields = ["name", "code"]
        aliases = [label("term.township", lang), label("term.code", lang)]
        paint = {"fill": True, "fillColor": fill, "fillOpacity": opacity}
        folium.GeoJson(
            for_display(towns, system),
            name=label(name, lang),
            style_function=lambda f: dashed_if_schematic({**paint, **style.township.leaflet()}, f),
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        ).add_to(fmap)
        return
    kpis = plan.township_kpis
    shares, stations = {}, {}
    if kpis is not None and len(kpis) and "township_code" in kpis:
        codes = kpis["township_code"].astype(str)
        shares = dict(zip(codes, kpis["coverage_share"], strict=False))
        stations = dict(zip(codes, kpis["stations"], strict=False))
    codes = region.townships["code"].astype(str)
    coverage = [figure(shares.get(c)) for c in codes]
    towns = _outline(region.townships, region, ["name"])
    towns["coverage_text"] = [share(v, 0) for v in coverage]
    towns["stations"] = [int(stations.get(c, 0) or 0) for c in codes]
    towns["colour"] = [coverage_colour(v) for v in coverage]
    towns["schematic"] = schematic_flags(region.townships)
    folium.GeoJson(
        for_display(towns, system),
        name=label(name, lang),
        style_function=lambda f: dashed_if_schematic(
            {
                "fillColor": f["properties"]["colour"],
                "fillOpacity": opacity,
                **style.township.leaflet(),
            },
            f,
        ),
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "coverage_text", "stations"],
            aliases=["", label("term.coverage", lang), label("map.station_count", lang)],
        ),
    ).add_to(fmap)


def _link_layer(fmap, plan, lang, system, style: PlanStyle, name: str, details: bool) -> None:
    """Station → centre lines; with ``details`` a tooltip gives both ids and the distance."""
    links = _wgs84(plan.links)
    tooltip = None
    if details:
        data = escaped_columns(links, ["station_id", "centre_id"])
        data["distance"] = [number(v, missing="") for v in links["distance_m"]]
        links = gpd.GeoDataFrame(data, geometry=links.geometry.to_numpy(), crs="EPSG:4326")
        tooltip = folium.GeoJsonTooltip(
            fields=["station_id", "centre_id", "distance"],
            aliases=[
                label("export.col.site_id", lang),
                label("export.col.centre_id", lang),
                label("export.col.distance_to_centre_m", lang),
            ],
        )
    else:
        links = links[["distance_m", "geometry"]]
    folium.GeoJson(
        for_display(links, system),
        name=label(name, lang),
        style_function=lambda _: style.link.leaflet(),
        interactive=details,
        tooltip=tooltip,
    ).add_to(fmap)


def _uncovered_layer(fmap, plan, lang: str, system: str | None) -> None:
    demand = plan.demand
    out = demand[~demand["covered"].astype(bool)]
    if not len(out):
        return
    shown = escaped_columns(out, ["name"])
    shown["population"] = [number(v) for v in out["population"]]
    for col in ("distance_m", "radius_m"):
        shown[col] = [label("unit.m", lang, value=number(v)) for v in out[col]]
    folium.GeoJson(
        for_display(gpd.GeoDataFrame(shown, geometry=out.geometry.to_numpy(), crs=out.crs), system),
        name=label("map.uncovered", lang),
        marker=folium.CircleMarker(radius=UNCOVERED.size),
        style_function=lambda _: {
            "color": UNCOVERED.edge,
            "weight": UNCOVERED.edge_width,
            "fillColor": UNCOVERED.fill,
            "fillOpacity": UNCOVERED.opacity,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "population", "distance_m", "radius_m"],
            aliases=[
                "",
                label("term.population", lang),
                label("map.distance_to_station", lang),
                label("map.radius_label", lang),
            ],
        ),
    ).add_to(fmap)


def _unreached_layer(fmap, plan, region: Region | None, lang: str, system: str | None) -> None:
    """The villages and communities with no station within their radius: hollow red
    rings; the popup gives 村/社区, township and county, population, radius, the nearest
    station and the distance to it."""
    table = uncovered_villages(_wgs84(plan.demand), plan.sites, region)
    if not len(table):
        return
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )
    points = for_display(points, system)
    rows = []
    for rec, geom in zip(table.to_dict("records"), points.geometry, strict=True):
        name = plain(rec["name"]) or plain(rec["code"])
        where = [value_label(KIND_LABEL, rec["kind"], lang)]
        where += [plain(rec.get(k) or rec.get(f"{k}_code")) for k in ("township", "county")]
        nearest = plain(rec["station_name"]) or plain(rec["station_id"])
        details = [
            (t("term.population", lang), number(rec["population"])),
            (t("map.radius_label", lang), metres(rec["radius_m"], lang)),
            (t("term.nearest_station", lang), nearest or "—"),
            (t("map.distance_to_station", lang), metres(rec["distance_m"], lang)),
            ("", t("map.unreached_popup", lang)),
        ]
        html = popup(name, " · ".join(w for w in where if w), details)
        rows.append([round(geom.y, 6), round(geom.x, 6), escape_html(name), html, {}])
    group = folium.FeatureGroup(name=label("map.unreached", lang))
    style = {"radius": UNREACHED.size, **UNREACHED.leaflet()}
    group.add_child(PointLayer(rows, kind="circle_marker", style=style))
    group.add_to(fmap)


def _station_radius(plan) -> np.ndarray:
    demand = plan.demand
    radius = dict(zip(demand["demand_id"], demand["radius_m"], strict=False))
    fallback = float(plan.scenario.stations.radius_rural_m)
    stations = plan.stations
    if "community_code" in stations:
        values = [radius.get(code, fallback) for code in stations["community_code"]]
    else:
        values = [fallback] * len(stations)
    out = np.asarray(values, dtype=float)
    return np.where(np.isfinite(out), out, fallback)


def _site_layer(fmap, rows, style: PlanStyle, tier: str, name: str, clustered=False) -> None:
    """One layer of sites: CSS markers or circle markers, as ``style.icons`` says."""
    if clustered:
        from folium.plugins import MarkerCluster

        group = MarkerCluster(
            name=name,
            options={
                "disableClusteringAtZoom": 14,
                "maxClusterRadius": 45,
                "showCoverageOnHover": False,
                "chunkedLoading": True,
            },
            icon_create_function=_CLUSTER_ICON,
        )
    else:
        group = folium.FeatureGroup(name=name)
    dot = style.station if tier == "station" else style.centre
    if style.icons:
        css = "planner-station" if tier == "station" else "planner-centre"
        group.add_child(PointLayer(rows, css_class=css, size=dot.size))
    else:
        marker = {"radius": dot.size, **dot.leaflet()}
        group.add_child(PointLayer(rows, kind="circle_marker", style=marker))
    group.add_to(fmap)


def _closed_layer(fmap, rows: dict[str, list], style: PlanStyle, name: str) -> None:
    """The existing sites the plan closes: linked to nothing, one layer for both tiers
    (the app's ``planner-closed`` markers, or the exported map's grey dots)."""
    group = folium.FeatureGroup(name=name)
    for tier, mine in rows.items():
        if not mine:
            continue
        dot = style.station if tier == "station" else style.centre
        if style.icons:
            css = "planner-closed" if tier == "station" else "planner-closed centre"
            group.add_child(PointLayer(mine, css_class=css, size=dot.size))
        else:
            closed = site_symbol(dot, "close")
            marker = {"radius": closed.size, **closed.leaflet()}
            group.add_child(PointLayer(mine, kind="circle_marker", style=marker))
    group.add_to(fmap)


#: Extra CSS class of an app marker by action (``planner-station existing`` …).
_ACTION_CLASS = {"new": "", "upgrade": "upgrade", "keep": "existing", "close": ""}


def _site_rows(plan, sites, tier, lang, style: PlanStyle, export, counties, towns) -> list[list]:
    """``[lat, lon, tooltip, popup, extra]`` per site (see :class:`PointLayer`)."""
    centre_names = {
        plain(sid): plain(name)
        for sid, name in zip(plan.centres["site_id"], plan.centres["name"], strict=False)
    }
    assumed = costs_assumed(plan.kpis or {})
    base = style.station if tier == "station" else style.centre
    rows = []
    actions = site_actions(sites)
    for rec, geom, action in zip(sites.to_dict("records"), sites.geometry, actions, strict=True):
        name = plain(rec.get("name")) or plain(rec.get("site_id"))
        what = value_label(ACTION_LABEL, action, lang)
        acted = _action_details(rec, lang, assumed)
        if export:
            one = value_label(EXPORT_TIER_ONE_LABEL, tier, lang)
            subtitle = f"{one} · {what}"
            details = _file_details(rec, tier, lang) + acted
        else:
            kind = t("map.station" if tier == "station" else "map.centre", lang)
            subtitle = f"{kind} · {what}"
            area = [
                (t("term.county", lang), counties.get(plain(rec.get("county_code")), "")),
                (t("term.township", lang), towns.get(plain(rec.get("township_code")), "")),
            ]
            if action == "close":  # serves nobody
                own = []
            elif tier == "station":
                own = _station_details(rec, lang, centre_names)
            else:
                own = _centre_details(rec, lang)
            details = area + own + acted
        html = popup(name, subtitle, details)
        if style.icons:
            extra = _ACTION_CLASS.get(action, "")
        else:
            dot = site_symbol(base, action)
            extra = {} if dot == base else {"fillColor": dot.fill, "color": dot.edge}
        rows.append([round(geom.y, 6), round(geom.x, 6), escape_html(name), html, extra])
    return rows


def _action_details(rec, lang, assumed: bool) -> list[tuple[str, str]]:
    """Why the plan acts on an existing site, and what the action costs (plans priced
    with the default unit costs say so)."""
    out = []
    why = reasons_text(rec.get("reasons"), lang)
    if why:
        out.append((t(COLUMN_LABEL["reasons"], lang), why))
    cost = figure(rec.get("cost_yuan"))
    if cost is not None:
        out.append((t(COLUMN_LABEL["cost_yuan"], lang), number(cost)))
        running = figure(rec.get("operation_yuan_per_year"))
        if running:
            out.append((t(COLUMN_LABEL["operation_yuan_per_year"], lang), number(running)))
        if assumed:
            out.append(("", t("term.costs_assumed_short", lang)))
    return out


def _station_details(rec, lang, centre_names) -> list[tuple[str, str]]:
    details = [
        (t("map.served_population", lang), number(rec.get("served_population"))),
        (t("map.served_households", lang), number(rec.get("served_households"))),
        (
            t("map.tonnage", lang),
            t("map.t_per_day", lang, value=number(rec.get("tonnage_t_per_day"), 1)),
        ),
        (t("map.served_communities", lang), number(rec.get("served_communities"))),
    ]
    centre = rec.get("centre_id")
    if centre:
        metres = figure(rec.get("distance_to_centre_m"))
        km = number(None if metres is None else metres / 1000, 1)
        where = t("map.distance_km", lang, value=km)
        to = centre_names.get(plain(centre)) or plain(centre)
        details.append((t("map.to_centre", lang), f"{to} · {where}"))
    return details


def _centre_details(rec, lang) -> list[tuple[str, str]]:
    load, capacity = figure(rec.get("load_t_per_day")), figure(rec.get("capacity_t_per_day"))
    use = ""
    if load is not None and capacity is not None and capacity > 0:
        use = f" ({share(load / capacity, 0)})"
    value = f"{number(load, 1)} / {number(capacity, 0)}"
    return [
        (t("map.load", lang), t("map.t_per_day", lang, value=value) + use),
        (t("map.served_stations", lang), number(rec.get("served_stations"))),
        (t("map.served_population", lang), number(rec.get("served_population"))),
    ]


def _file_details(rec, tier, lang) -> list[tuple[str, str]]:
    """The exported map's site details: the export columns a planner looks up."""
    if tier == "station":
        values = [
            ("served_population", number(rec.get("served_population"), missing="")),
            ("tonnage_t_per_day", number(rec.get("tonnage_t_per_day"), 2, missing="")),
            ("centre_id", plain(rec.get("centre_id"))),
        ]
    else:
        values = [
            ("served_stations", number(rec.get("served_stations"), missing="")),
            ("load_t_per_day", number(rec.get("load_t_per_day"), 1, missing="")),
            ("capacity_t_per_day", number(rec.get("capacity_t_per_day"), 0, missing="")),
        ]
    if rec.get("action") == "close":
        values = []
    rows = [("site_id", plain(rec.get("site_id"))), *values]
    return [(t(COLUMN_LABEL[key], lang), value) for key, value in rows]


def _legend(
    plan, lang, export, links, uncovered, radius, region, villages=False
) -> list[tuple[str, ...]]:
    """``(colour, label[, ring])`` per legend entry: the app's, or the printed sheet's;
    an entry per tier and action present (none for closing when nothing closes), and
    one for the villages with no station in reach when they are drawn."""
    actions = actions_present(plan.sites)
    if not export:
        coverage = region is not None
        return plan_legend(
            lang, links=links, uncovered=uncovered, radius=radius, coverage=coverage,
            actions=actions, villages=villages,
        )  # fmt: skip
    items: list[tuple[str, ...]] = [
        (symbol_colour(symbol), t(key, lang))
        for key, symbol in sheet_legend(actions, townships=False)
    ]
    return [*items, unreached_entry(lang)] if villages else items

"""Data page: the region on a map, with its tables, its inventory of existing sites, its
road network and imports.

The road-network part lets a planner upload a road file (OSM XML, GraphML, road lines
as GeoJSON/GeoPackage/KML or a zipped Shapefile), has it checked by building the
routable network (:func:`planner.instance.road_check.check_road_file`), stores it with
the region (:func:`planner.instance.road_check.store_road_file`) so runs in ``network``
distance mode use it, and draws it on the region map. The import panel is
:mod:`planner.ui.pages.imports`.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from planner import format as fmt
from planner.data.edit import upload_refusal
from planner.data.regions import Region
from planner.data.roads import RoadFile, remove_road_file, road_file
from planner.i18n import PlannerError, t
from planner.ui.auth import can, current_actor
from planner.ui.labels import BASEMAP_LABEL
from planner.ui.pages.imports import render_import_panel
from planner.ui.state import current_region, lang, tr
from planner.ui.widgets.choices import translated
from planner.ui.widgets.crs import system_picker
from planner.ui.widgets.inventory import show_inventory
from planner.ui.widgets.inventory_edit import edit_panel
from planner.ui.widgets.start_panel import start_panel
from planner.ui.widgets.views import show_map
from planner.views import BASEMAPS, add_road_layer, region_map, road_display_lines, to_html

__all__ = ["render"]

#: Road file types the uploader offers (``.shp`` alone is accepted so that the reader
#: can explain that a Shapefile must come zipped with its sibling files).
ROAD_TYPES = ["osm", "xml", "graphml", "geojson", "json", "gpkg", "zip", "shp", "kml"]
#: Coordinate-system choices for road lines whose file does not say (or says wrongly),
#: with their label keys.
ROAD_CRS_OPTIONS: dict[str, str] = {
    "auto": "ui.roads.crs.auto",
    "wgs84": "ui.roads.crs.wgs84",
    "gcj02": "ui.roads.crs.gcj02",
    "bd09": "term.bd_09_baidu",
    "cgcs2000": "ui.roads.crs.cgcs2000",
}
#: Township kind (:data:`planner.data.checks.KIND_VALUES`) -> label key.
_KIND_LABEL: dict[str, str] = {
    "street": "ui.kind.street",
    "town": "ui.kind.town",
    "township": "ui.kind.township",
    "zone": "ui.kind.zone",
    "county_direct": "ui.kind.county_direct",
}
#: Geometry quality (:data:`planner.data.checks.QUALITY_VALUES`) -> label key.
_QUALITY_LABEL: dict[str, str] = {
    "official": "ui.quality.official",
    "approximate": "ui.quality.approximate",
}
_UPLOAD = "roads_upload"
_CHECK = "roads_check"
_FLASH = "roads_flash"
_ROUND = "roads_round"


# --------------------------------------------------------------------------- roads


def _download(region: Region) -> None:
    """Download OSM roads for the region and store them; offline says so at once."""
    from planner.instance.road_check import download_road_file

    with st.spinner(tr("ui.roads.downloading")):
        download_road_file(region)
    st.session_state[_FLASH] = "ui.roads.downloaded"


# --------------------------------------------------------------------------- drawing


@st.cache_resource(max_entries=4, show_spinner=False)
def _road_display(path: str, stamp: int, crs: str | None, metric_crs: str):
    # ``stamp`` is part of the cache key: a replaced file is drawn anew.
    from planner.instance.network import read_road_lines

    return road_display_lines(read_road_lines(path, crs), metric_crs)


# --------------------------------------------------------------------------- page


def _county_table(region: Region) -> pd.DataFrame:
    towns = region.townships.groupby("county_code").size()
    comms = region.communities.groupby("county_code").size()
    c = region.counties
    return pd.DataFrame(
        {
            tr("term.code"): c["code"],
            tr("term.name"): c["name"],
            tr("term.population"): c["population"],
            tr("term.households"): c["households"],
            tr("ui.col.urban_share"): c["urban_share"].map(fmt.share),
            tr("ui.col.townships"): c["code"].map(towns).fillna(0).astype(int),
            tr("term.communities"): c["code"].map(comms).fillna(0).astype(int),
        }
    )


def _township_table(region: Region) -> pd.DataFrame:
    tw = region.townships
    county_names = dict(zip(region.counties["code"], region.counties["name"], strict=True))
    kinds, qualities = translated(_KIND_LABEL), translated(_QUALITY_LABEL)
    return pd.DataFrame(
        {
            tr("term.code"): tw["code"],
            tr("term.name"): tw["name"],
            tr("ui.col.county"): tw["county_code"].map(county_names),
            tr("ui.col.kind"): tw["kind"].map(lambda k: kinds.get(k, k)),
            tr("term.population"): tw["population"],
            tr("ui.col.geometry_quality"): tw["geometry_quality"].map(
                lambda q: qualities.get(q, q)
            ),
            tr("ui.col.seat_source"): tw["seat_source"].map(
                lambda s: (
                    tr("ui.seat.geonames") if s.startswith("geonames") else tr("ui.seat.generated")
                )
            ),
        }
    )


def _show(kind: str, text: str) -> None:
    {"success": st.success, "warning": st.warning, "error": st.error}.get(kind, st.info)(text)


def _road_panel(region: Region, stored: RoadFile | None) -> None:
    """Upload, check, store, remove or download the region's road network."""
    st.caption(tr("ui.roads.intro"))
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(tr(flash))
    if stored is not None:
        s = stored.summary
        st.info(
            tr(
                "ui.roads.current",
                name=stored.name,
                km=float(s.get("road_km") or 0.0),
                nodes=int(s.get("nodes") or 0),
                saved=stored.saved_at.replace("T", " ").replace("+00:00", " UTC") or "—",
            )
        )
        if can("region.edit") and st.button(tr("ui.roads.remove"), key="roads_remove"):
            remove_road_file(region.id, actor=current_actor())
            st.session_state[_FLASH] = "ui.roads.removed"
            st.rerun()
    else:
        st.info(tr("ui.roads.none"))

    left, right = st.columns([1, 2])
    crs = system_picker(
        "roads_crs", tr("ui.roads.crs"), ROAD_CRS_OPTIONS, help=tr("ui.roads.crs_help"), where=left
    )
    round_ = st.session_state.setdefault(_ROUND, 0)
    upload = right.file_uploader(tr("ui.roads.file"), type=ROAD_TYPES, key=f"{_UPLOAD}_{round_}")
    refusal = None if upload is None else upload_refusal(upload.size, "road_mb")
    if refusal is not None:  # over the limit: refused before the bytes are taken
        _show("error", t("ui.roads.not_imported", lang(), message=refusal[lang()]))
    elif upload is not None:
        data = upload.getvalue()
        signature = (hashlib.sha256(data).hexdigest(), upload.name, crs, region.id)
        memo = st.session_state.get(_CHECK)
        if memo is None or memo[0] != signature:
            from planner.instance.road_check import check_road_file

            with st.spinner(tr("ui.roads.checking")):
                memo = (signature, check_road_file(region, upload.name, data, crs))
            st.session_state[_CHECK] = memo
        check = memo[1]
        for kind, text in check.messages:
            _show(kind, text[lang()])
        may = check.ok and can("region.edit")  # storing refuses it anyway
        if may and st.button(tr("ui.roads.save"), key="roads_save", type="primary"):
            from planner.instance.road_check import store_road_file

            store_road_file(region, check, actor=current_actor())
            st.session_state.pop(_CHECK, None)
            st.session_state[_ROUND] = round_ + 1  # a fresh, empty uploader
            st.session_state[_FLASH] = "ui.roads.saved"
            st.rerun()

    if st.button(tr("ui.roads.download"), key="roads_download", help=tr("ui.roads.download_help")):
        try:
            _download(region)
        except PlannerError as err:
            st.warning(err.message(lang()))
        else:
            st.rerun()


def render() -> None:
    """Draw the data page."""
    region = current_region()
    st.title(tr("ui.data.title", region=region.name(lang())))
    start_panel()
    if region.is_approximate:
        st.warning(tr("ui.data.approximate_badge"), icon=":material/warning:")
    cols = st.columns(4)
    cols[0].metric(tr("term.counties"), fmt.count(len(region.counties)))
    cols[1].metric(tr("term.townships"), fmt.count(len(region.townships)))
    cols[2].metric(tr("ui.data.communities"), fmt.count(len(region.communities)))
    cols[3].metric(tr("ui.data.population"), fmt.count(region.counties["population"].sum()))

    stored = road_file(region)
    left, mid, right = st.columns([1, 1, 1])
    labels = translated(BASEMAP_LABEL)  # in this run's language
    basemap = left.selectbox(tr("term.basemap"), list(BASEMAPS), format_func=labels.get)
    show = mid.checkbox(tr("ui.data.show_communities"), value=True)
    has_sites = region.sites is not None and len(region.sites) > 0
    show_sites = has_sites and mid.checkbox(tr("ui.data.show_sites"), value=True)
    show_roads = stored is not None and right.checkbox(
        tr("ui.roads.show"), value=True, key="roads_show"
    )
    fmap = region_map(region, lang(), basemap=basemap, show_communities=show, show_sites=show_sites)
    if show_roads:
        try:
            lines, total = _road_display(
                str(stored.path), stored.stamp, stored.crs, region.metric_crs
            )
            add_road_layer(fmap, lines, lang(), basemap=basemap, total=total)
        except PlannerError as err:
            st.warning(tr("ui.roads.draw_failed", message=err.message(lang())))
    show_map(to_html(fmap), height=580)

    st.subheader(tr("ui.data.county_table"))
    st.dataframe(_county_table(region), hide_index=True, width="stretch")
    st.subheader(tr("ui.data.township_table"))
    st.dataframe(_township_table(region), hide_index=True, width="stretch")
    st.subheader(tr("ui.data.inventory_table"))
    show_inventory(region)
    edit_panel(region)

    st.subheader(tr("term.road_network"))
    _road_panel(region, stored)

    st.subheader(tr("ui.import.title"))
    render_import_panel(region)

"""Data page: the region on a map, with its tables, its road network and imports.

The road-network part lets a planner upload a road file (OSM XML, GraphML, road lines
as GeoJSON/GeoPackage/KML or a zipped Shapefile), checks it by building the routable
network, stores it with the region (:func:`planner.data.regions.save_road_file`) so runs in
``network`` distance mode use it, and draws it on the region map. The checks are plain
functions (:func:`check_road_file`, :func:`store_road_file`) that never raise.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from planner.data.regions import Region, RoadFile, remove_road_file, road_file, save_road_file
from planner.i18n import LANGUAGES, PlannerError, t
from planner.ui.pages.imports import render_import_panel, upload_refusal
from planner.ui.state import current_region, lang, tr
from planner.ui.widgets.views import show_map
from planner.views import BASEMAPS, add_road_layer, region_map, road_display_lines, to_html

__all__ = ["RoadCheck", "check_road_file", "render", "store_road_file"]

#: Road file types the uploader offers (``.shp`` alone is accepted so that the reader
#: can explain that a Shapefile must come zipped with its sibling files).
ROAD_TYPES = ["osm", "xml", "graphml", "geojson", "json", "gpkg", "zip", "shp", "kml"]
#: Coordinate-system choices for road lines whose file does not say (or says wrongly).
ROAD_CRS_OPTIONS: tuple[str, ...] = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000")
#: Below this share of communities near the roads, the check warns.
PARTIAL_COVER = 0.5
_UPLOAD = "roads_upload"
_CHECK = "roads_check"
_FLASH = "roads_flash"
_ROUND = "roads_round"



# --------------------------------------------------------------------------- road checks


@dataclass
class RoadCheck:
    """The outcome of checking an uploaded road file.

    Attributes
    ----------
    name
        The uploaded file's name.
    data
        Its bytes (kept to store the file once the planner confirms).
    crs
        Coordinate system chosen for road lines (``None``: as the file says).
    ok
        Whether the file can be stored.
    messages
        ``[(kind, {lang: text})]`` with kind ``success``, ``warning`` or ``error``.
    summary
        Figures of the network (stored with the file).
    """

    name: str
    data: bytes
    crs: str | None
    ok: bool
    messages: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _both(key: str, **params: Any) -> dict[str, str]:
    return {code: t(key, code, **params) for code in LANGUAGES}


def _failed(name: str, data: bytes, crs: str | None, text: dict[str, str]) -> RoadCheck:
    message = {code: t("ui.roads.not_imported", code, message=text[code]) for code in LANGUAGES}
    return RoadCheck(name, data, crs, False, [("error", message)])


def check_road_file(region: Region, name: str, data: bytes, crs: str | None = None) -> RoadCheck:
    """Check an uploaded road file by building its network over ``region``.

    Never raises: an unreadable or misplaced file gives ``ok=False`` with a message in
    both languages.

    Parameters
    ----------
    region
        The region the roads are for (its metric CRS and communities).
    name, data
        The upload.
    crs
        System of road lines whose file does not say (``wgs84``, ``gcj02``, ...).
    """
    from planner.instance.network import MIN_COMPONENT_SHARE, OFF_NETWORK_M, RoadNetwork

    suffix = Path(name).suffix.lower()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Under its own name, so that the reader's messages name the planner's file.
            path = Path(tmp) / (Path(name).name or f"roads{suffix}")
            path.write_bytes(data)
            net = RoadNetwork.from_file(path, crs=crs, metric_crs=region.metric_crs)
            summary = net.summary("walk")
            from planner.instance.demand import representative_points

            points = representative_points(region.communities).to_crs(region.metric_crs)
            xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
            snap = net.snap(xy, "walk", min_component_share=MIN_COMPONENT_SHARE)
            covered = float((snap.distance_m <= OFF_NETWORK_M).mean()) if len(xy) else 0.0
            speeds = net.known_speed_share()
    except PlannerError as err:
        return _failed(name, data, crs, {code: err.message(code) for code in LANGUAGES})
    except Exception as err:  # a damaged file of any kind: say so, never a traceback
        return _failed(
            name, data, crs, _both("ui.roads.bad_file", name=name, error=type(err).__name__)
        )
    summary = {
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()},
        "covered_share": round(covered, 4),
        "known_speed_share": round(speeds, 4),
    }
    if covered == 0.0:
        return _failed(name, data, crs, _both("ui.roads.outside"))
    messages = [
        (
            "success",
            _both(
                "ui.roads.ok",
                name=name,
                km=summary["road_km"],
                nodes=summary["nodes"],
                covered=covered,
            ),
        )
    ]
    if covered < PARTIAL_COVER:
        messages.append(("warning", _both("ui.roads.partial", covered=covered)))
    if summary["components"] > 1 and summary["largest_component_share"] < 0.9:
        messages.append(
            (
                "warning",
                _both(
                    "ui.roads.fragmented",
                    parts=summary["components"],
                    main=summary["largest_component_share"],
                ),
            )
        )
    return RoadCheck(name, data, crs, True, messages, summary)


def store_road_file(region: Region, check: RoadCheck) -> RoadFile:
    """Store a checked road file with ``region`` (replacing any earlier one)."""
    suffix = Path(check.name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roads{suffix}"
        path.write_bytes(check.data)
        return save_road_file(region.id, path, check.name, crs=check.crs, summary=check.summary)


def _download(region: Region) -> None:
    """Download OSM roads for the region and store them; offline says so at once."""
    import planner.instance.network as network

    with st.spinner(tr("ui.roads.downloading")):
        net = network.download_network(
            region.boundary(), "all", metric_crs=region.metric_crs, online=network.is_online
        )
        import osmnx as ox

        summary = net.summary("walk")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "roads.graphml"
            ox.save_graphml(net.graph, path)
            save_road_file(
                region.id, path, "OpenStreetMap.graphml", summary={**summary, "source": "osm"}
            )
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
            tr("ui.col.code"): c["code"],
            tr("ui.col.name"): c["name"],
            tr("ui.col.population"): c["population"],
            tr("ui.col.households"): c["households"],
            tr("ui.col.urban_share"): c["urban_share"].map("{:.1%}".format),
            tr("ui.col.townships"): c["code"].map(towns).fillna(0).astype(int),
            tr("ui.col.communities"): c["code"].map(comms).fillna(0).astype(int),
        }
    )


def _township_table(region: Region) -> pd.DataFrame:
    tw = region.townships
    county_names = dict(zip(region.counties["code"], region.counties["name"], strict=True))
    return pd.DataFrame(
        {
            tr("ui.col.code"): tw["code"],
            tr("ui.col.name"): tw["name"],
            tr("ui.col.county"): tw["county_code"].map(county_names),
            tr("ui.col.kind"): tw["kind"].map(lambda k: tr(f"ui.kind.{k}")),
            tr("ui.col.population"): tw["population"],
            tr("ui.col.geometry_quality"): tw["geometry_quality"].map(
                lambda q: tr(f"ui.quality.{q}")
            ),
            tr("ui.col.seat_source"): tw["seat_source"].map(
                lambda s: (
                    tr("ui.seat.geonames") if s.startswith("geonames") else tr("ui.seat.generated")
                )
            ),
        }
    )


def _choice_key(key: str) -> str:
    """Key of a choice widget whose labels follow the UI language: one key per language,
    the value carried over from the other language (Streamlit keeps a choice as its
    label, which changes with the language)."""
    own = f"{key}@{lang()}"
    state = st.session_state
    if own not in state:
        for other in LANGUAGES:
            if f"{key}@{other}" in state:
                state[own] = state[f"{key}@{other}"]
                break
    return own


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
        if st.button(tr("ui.roads.remove"), key="roads_remove"):
            remove_road_file(region.id)
            st.session_state[_FLASH] = "ui.roads.removed"
            st.rerun()
    else:
        st.info(tr("ui.roads.none"))

    left, right = st.columns([1, 2])
    choice = left.selectbox(
        tr("ui.roads.crs"),
        list(ROAD_CRS_OPTIONS),
        format_func={k: tr(f"ui.roads.crs.{k}") for k in ROAD_CRS_OPTIONS}.get,
        key=_choice_key("roads_crs"),
        help=tr("ui.roads.crs_help"),
    )
    crs = None if choice == "auto" else choice
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
            with st.spinner(tr("ui.roads.checking")):
                memo = (signature, check_road_file(region, upload.name, data, crs))
            st.session_state[_CHECK] = memo
        check = memo[1]
        for kind, text in check.messages:
            _show(kind, text[lang()])
        if check.ok and st.button(tr("ui.roads.save"), key="roads_save", type="primary"):
            store_road_file(region, check)
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
    if region.is_approximate:
        st.warning(tr("ui.data.approximate_badge"), icon=":material/warning:")
    cols = st.columns(4)
    cols[0].metric(tr("ui.data.counties"), f"{len(region.counties):,}")
    cols[1].metric(tr("ui.data.townships"), f"{len(region.townships):,}")
    cols[2].metric(tr("ui.data.communities"), f"{len(region.communities):,}")
    cols[3].metric(tr("ui.data.population"), f"{int(region.counties['population'].sum()):,}")

    stored = road_file(region)
    left, mid, right = st.columns([1, 1, 1])
    labels = {k: tr(f"map.basemap.{k}") for k in BASEMAPS}  # in this run's language
    basemap = left.selectbox(tr("ui.data.basemap"), list(BASEMAPS), format_func=labels.get)
    show = mid.checkbox(tr("ui.data.show_communities"), value=True)
    show_roads = stored is not None and right.checkbox(
        tr("ui.roads.show"), value=True, key="roads_show"
    )
    fmap = region_map(region, lang(), basemap=basemap, show_communities=show)
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

    st.subheader(tr("ui.roads.title"))
    _road_panel(region, stored)

    st.subheader(tr("ui.import.title"))
    render_import_panel(region)

"""Data page: the region on a map, with its tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from planner.maps import BASEMAPS, region_map, to_html
from planner.regions import Region
from planner.ui.import_panel import render_import_panel
from planner.ui.state import current_region, lang, tr


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

    left, right = st.columns([1, 1])
    labels = {k: tr(f"map.basemap.{k}") for k in BASEMAPS}  # in this run's language
    basemap = left.selectbox(tr("ui.data.basemap"), list(BASEMAPS), format_func=labels.get)
    show = right.checkbox(tr("ui.data.show_communities"), value=True)
    fmap = region_map(region, lang(), basemap=basemap, show_communities=show)
    components.html(to_html(fmap), height=580)

    st.subheader(tr("ui.data.county_table"))
    st.dataframe(_county_table(region), hide_index=True, width="stretch")
    st.subheader(tr("ui.data.township_table"))
    st.dataframe(_township_table(region), hide_index=True, width="stretch")

    st.subheader(tr("ui.import.title"))
    render_import_panel(region)

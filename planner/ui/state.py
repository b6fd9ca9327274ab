"""Session state shared by the pages: language and current region."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from planner.i18n import DEFAULT_LANGUAGE, t
from planner.regions import Region, list_regions, load_region, user_region_dir

#: Session key of a region with imported layers applied but not saved (import panel).
WORKING_REGION = "working_region"


def lang() -> str:
    """The UI language of this session."""
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def tr(key: str, **params) -> str:
    """Translate ``key`` into the session's language."""
    return t(key, lang(), **params)


_NUMERIC = ("population", "households", "urban_share", "household_size", "capacity")


def _numeric(region: Region) -> Region:
    """Numbers as numbers: a column left empty in an imported pack reads back as None."""
    layers = {}
    for name in ("counties", "townships", "communities", "sites"):
        layer = region.layer(name)
        bad = [c for c in _NUMERIC if layer is not None and c in layer and layer[c].dtype == object]
        if bad:
            layer = layer.copy()
            for column in bad:
                layer[column] = pd.to_numeric(layer[column], errors="coerce")
            layers[name] = layer
    return replace(region, **layers) if layers else region


@st.cache_resource(show_spinner=False)
def _cached_region(region_id: str, stamp: int) -> Region:
    # ``stamp`` is part of the cache key (no leading underscore), so a re-saved pack reloads.
    return _numeric(load_region(region_id))


def _pack_stamp(region_id: str) -> int:
    """Modification time of a user pack's ``region.json`` (0 for built-in packs)."""
    try:
        return (user_region_dir() / region_id / "region.json").stat().st_mtime_ns
    except OSError:
        return 0


def current_region() -> Region:
    """The region chosen in the sidebar: the session's applied imports, else the pack."""
    region_id = st.session_state.get("region_id", "jinjiang")
    working = st.session_state.get(WORKING_REGION)
    if isinstance(working, Region):
        if working.id == region_id:
            return working
        del st.session_state[WORKING_REGION]  # another region was chosen: drop the edits
    return _cached_region(region_id, _pack_stamp(region_id))


def sidebar() -> None:
    """Language and region pickers."""
    with st.sidebar:
        st.radio(
            t("ui.language", lang()),
            options=["zh", "en"],
            format_func=lambda code: {"zh": "简体中文", "en": "English"}[code],
            key="lang",
            horizontal=True,
        )
        metas = list_regions()
        ids = [m["id"] for m in metas]
        names = {m["id"]: m.get(f"name_{lang()}") or m["id"] for m in metas}
        if st.session_state.get("region_id") not in ids:
            st.session_state["region_id"] = "jinjiang" if "jinjiang" in ids else ids[0]
        st.selectbox(tr("ui.region"), ids, format_func=names.get, key="region_id")

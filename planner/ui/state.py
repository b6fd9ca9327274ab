"""Session state shared by the pages: language and current region."""

from __future__ import annotations

import streamlit as st

from planner.i18n import DEFAULT_LANGUAGE, t
from planner.regions import Region, list_regions, load_region


def lang() -> str:
    """The UI language of this session."""
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def tr(key: str, **params) -> str:
    """Translate ``key`` into the session's language."""
    return t(key, lang(), **params)


@st.cache_resource(show_spinner=False)
def _cached_region(region_id: str, _stamp: float) -> Region:
    return load_region(region_id)


def current_region() -> Region:
    """The region chosen in the sidebar, loaded once per process."""
    region_id = st.session_state.get("region_id", "jinjiang")
    metas = {m["id"]: m for m in list_regions()}
    stamp = metas.get(region_id, {}).get("_stamp", 0.0)
    return _cached_region(region_id, stamp)


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

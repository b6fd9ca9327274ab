"""Session state shared by the pages: language, current region and current scenario."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from planner.data.regions import Region, list_regions, load_region, user_region_dir
from planner.i18n import DEFAULT_LANGUAGE, PlannerError, t
from planner.store import Store
from planner.ui.auth import current_actor, sidebar_account, who

#: Session key of a region with imported layers applied but not saved (import panel).
WORKING_REGION = "working_region"
#: Value of the sidebar's scenario choice for a scenario not saved yet.
NEW_SCENARIO = 0
#: Set these before a rerun to change the sidebar's choices (its widgets are drawn first).
PENDING_REGION = "pending_region_id"
PENDING_SCENARIO = "pending_scenario_id"
#: The pages, by name, once app.py has built them (for links between pages).
PAGES: dict[str, st.Page] = {}


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


def store() -> Store:
    """The scenario and plan database (``$PLANNER_DB`` or ``$PLANNER_HOME/planner.sqlite``),
    acted on by this session's user: its write methods refuse what the role may not do
    (:mod:`planner.accounts`)."""
    return Store(actor=current_actor())


def region_by_id(region_id: str) -> Region | None:
    """A region by id: the session's working copy when it is on screen, else its pack.

    ``None`` when no such region exists any more.
    """
    working = st.session_state.get(WORKING_REGION)
    if isinstance(working, Region) and working.id == region_id:
        return working
    try:
        return _cached_region(region_id, _pack_stamp(region_id))
    except PlannerError:
        return None


def keep_choice(key: str) -> None:
    """Pin a choice widget's value before it is drawn, so a language switch keeps it.

    Choice widgets send back the *label* of the chosen option; after a language switch
    that label is no longer among the options and Streamlit would fall back to the
    first option. Reading the value (still decoded with the previous labels) and
    assigning it back before the widget is drawn keeps the choice.
    """
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


def current_scenario_id() -> int:
    """Id of the scenario chosen in the sidebar; :data:`NEW_SCENARIO` when unsaved."""
    return int(st.session_state.get("scenario_id") or NEW_SCENARIO)


def page_link(name: str, label: str, **kwargs) -> None:
    """A link to page ``name`` (see :data:`PAGES`); nothing when pages are not built."""
    page = PAGES.get(name)
    if page is not None:
        st.page_link(page, label=label, **kwargs)


def _scenario_picker() -> None:
    region_id = st.session_state["region_id"]
    try:
        records = store().list_scenarios(region_id)
    except PlannerError as err:
        st.error(err.message(lang()))
        records = []
    ids = [NEW_SCENARIO, *(r.id for r in records)]
    names = {r.id: r.name for r in records}
    names[NEW_SCENARIO] = tr("ui.scenario.new_unsaved")
    remembered = st.session_state.setdefault("scenario_by_region", {})
    keep_choice("scenario_id")
    pending = st.session_state.pop(PENDING_SCENARIO, None)
    if pending is not None and pending in ids:
        st.session_state["scenario_id"] = pending
    if st.session_state.get("scenario_id") not in ids:
        last = remembered.get(region_id)
        st.session_state["scenario_id"] = (
            last if last in ids else (records[-1].id if records else NEW_SCENARIO)
        )
    st.selectbox(
        tr("ui.scenario.current"),
        ids,
        format_func=lambda i: names.get(i, str(i)),
        key="scenario_id",
        help=tr("ui.scenario.current_help"),
    )
    remembered[region_id] = st.session_state["scenario_id"]
    chosen = next((r for r in records if r.id == st.session_state["scenario_id"]), None)
    if chosen is not None:
        st.caption(tr("auth.ui.saved_by", who=who(chosen.user_name, chosen.user_role)))


#: Sidebar choices, mirrored in plain keys: Streamlit drops widget values on a page change
#: made with st.switch_page, and the choices must survive it.
_SHADOWED = ("lang", "region_id", "scenario_id")


def _restore_choices() -> None:
    state = st.session_state
    for key in _SHADOWED:
        if key not in state and f"_{key}" in state:
            state[key] = state[f"_{key}"]


def _remember_choices() -> None:
    state = st.session_state
    for key in _SHADOWED:
        if key in state:
            state[f"_{key}"] = state[key]


def sidebar() -> None:
    """Language, region and scenario pickers."""
    _restore_choices()
    pending_region = st.session_state.pop(PENDING_REGION, None)
    if pending_region:
        st.session_state["region_id"] = pending_region
    metas = list_regions()
    ids = [m["id"] for m in metas]
    if "region_id" not in st.session_state:  # a new visit: the region worked on last
        st.session_state["region_id"] = _first_region(ids)
    with st.sidebar:
        sidebar_account()
        # the city first: it is what a newcomer looks for, and everything depends on it
        keep_choice("region_id")
        names = {m["id"]: m.get(f"name_{lang()}") or m["id"] for m in metas}
        if st.session_state.get("region_id") not in ids:
            st.session_state["region_id"] = "jinjiang" if "jinjiang" in ids else ids[0]
        st.selectbox(
            tr("ui.region_picker"),
            ids,
            format_func=names.get,
            key="region_id",
            help=tr("ui.region_picker_help"),
        )
        st.radio(
            t("ui.language", lang()),
            options=["zh", "en"],
            format_func=lambda code: {"zh": "简体中文", "en": "English"}[code],
            key="lang",
            horizontal=True,
        )
        _scenario_picker()
    _remember_choices()
    _remember_region(st.session_state["region_id"])


def _first_region(ids: list[str]) -> str:
    """The region a new visit opens on: the address's ``?region=``, else the one worked
    on last (kept in the store), else Jinjiang."""
    asked = st.query_params.get("region")
    if asked in ids:
        return str(asked)
    try:
        last = store().preference("last_region")
    except Exception:  # a preference is a convenience: never fail the page over it
        last = None
    if last in ids:
        return str(last)
    return "jinjiang" if "jinjiang" in ids else ids[0]


def _remember_region(region_id: str) -> None:
    """Keep the region in the address (a bookmark reopens it) and in the store."""
    if st.query_params.get("region") != region_id:
        st.query_params["region"] = region_id
    if st.session_state.get("_remembered_region") != region_id:
        try:
            store().set_preference("last_region", region_id)
        except Exception:  # as above
            return
        st.session_state["_remembered_region"] = region_id

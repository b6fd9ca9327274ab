"""Review page: the cooperative approves, rejects, locks, moves and comments on sites.

The page shows a plan's sites as a filterable table beside the map. Decisions go to the
database at once (:meth:`planner.store.Store.record_review`), each with the reviewer's
name, the time and the reason. A decision is made on the versions of the sites the
reviewer saw on the last drawing of the page; when someone else changed one of them in
between, nothing is stored and the page says who did what. The audit view lists every
decision, per site. A re-run applies the review (:mod:`planner.plan.review`) in a worker
process and the new plan shows what changed against the reviewed one. The tables are
the planner's (:mod:`planner.plan.review_tables`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from planner.accounts import LOCAL
from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.instance.candidates import centre_candidates, station_candidates
from planner.plan.review import (
    ACTIONS,
    RERUN_MODES,
    STATUSES,
    TIERS,
    MoveTarget,
    check_in_region,
    kpi_diff,
    moves_of,
    plan_diff,
    site_table,
)
from planner.plan.review_kinds import MOVE_TO_POINT
from planner.plan.review_tables import (
    LOCKED,
    NEARBY_M,
    POINT_SYSTEMS,
    audit_rows,
    change_rows,
    filter_sites,
    indicator_rows,
    move_target_of,
    nearby_targets,
    nearest_free,
    point_in_wgs84,
    region_names,
    replacement_lines,
    site_rows,
    typed_point,
)
from planner.store import PlanRecord
from planner.ui.auth import can, current_actor, not_allowed
from planner.ui.jobs import runs as jobs
from planner.ui.labels import REVIEW_ACTION_LABEL, REVIEW_STATUS_LABEL, TIER_LABEL
from planner.ui.pages.run import _outcome, _watch
from planner.ui.state import (
    WORKING_REGION,
    current_region,
    current_scenario_id,
    keep_choice,
    lang,
    page_link,
    store,
    tr,
)
from planner.ui.widgets.choices import choice, translated
from planner.ui.widgets.export_panel import export_panel
from planner.ui.widgets.kind_review import kind_labels, kind_review, review_candidates
from planner.ui.widgets.views import basemap_picker, load_plan, local_time, plan_label, show_map
from planner.views import to_html
from planner.views.move_map import move_map
from planner.views.review_map import review_map

__all__ = ["render"]

REVIEWER = "review_reviewer"
SEEN = "review_seen"  # {scenario_id: {(tier, site_id): version}} as last drawn
FLASH = "review_flash"
PLAN = "review_plan"
REVIEW_JOBS = "review_jobs"  # session: scenario id -> the review's re-run job id
REVIEW_OPENED = "review_opened"  # session: re-run jobs whose plan was opened
OPEN_NEXT = "review_open_next"  # session: the plan to open at the next draw
#: Where a site is moved to -> label key.
_MOVE_LABEL = {"candidate": "ui.rev.move.candidate", "point": "ui.rev.move.point"}
_POINT_SYSTEM_LABEL = {
    "wgs84": "ui.rev.point_system.wgs84",
    "gcj02": "ui.rev.point_system.gcj02",
    "bd09": "ui.rev.point_system.bd09",
}
#: How a reviewed plan is computed again (:data:`planner.plan.review.RERUN_MODES`).
_MODE_LABEL = {"keep": "ui.rev.mode.keep", "reoptimise": "ui.rev.mode.reoptimise"}


# --- cached inputs --------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _candidates(_region: Region, region_key: str, scenario_json: str, tier: str):
    from planner.scenario import Scenario

    scenario = Scenario.from_dict(json.loads(scenario_json))
    if tier == "station":
        cand = station_candidates(_region, scenario)
    elif tier == "sorting_centre":
        cand = centre_candidates(_region)
    else:  # a market or a standalone kind: their own candidates
        cand = review_candidates(_region, scenario, tier)
    return cand.reset_index(drop=True)


# --- the decision callback ------------------------------------------------------------------


def _submit(record_id: int, scenario_id: int, keys: list[tuple[str, str]]) -> None:
    """Store the decision (a button callback: runs before the page is drawn again, so the
    table shows the new state and ``SEEN`` still holds what the reviewer looked at)."""
    action = st.session_state.get("review_action")
    reviewer = st.session_state.get(REVIEWER, "")
    reason = st.session_state.get("review_reason", "")
    move_to = None
    try:
        if action == "move":
            move_to = _move_target()
        seen = st.session_state.get(SEEN, {}).get(scenario_id, {})
        stored = store().record_review(
            scenario_id, record_id, reviewer, action, keys, seen, reason, move_to
        )
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang()))
        return
    st.session_state[FLASH] = (
        "success",
        tr(
            "ui.rev.saved",
            reviewer=reviewer.strip(),
            count=len(stored),
            action=translated(REVIEW_ACTION_LABEL).get(action, action),
        ),
    )
    st.session_state["review_reason"] = ""
    st.session_state["review_pick"] = []  # done with these sites
    st.session_state["review_round"] = st.session_state.get("review_round", 0) + 1


def _move_target() -> MoveTarget:
    if st.session_state.get("review_move_kind") == "candidate":
        picked = st.session_state.get("review_move_pick")
        if not picked:
            raise PlannerError("review.move_target")
        target = move_target_of(str(picked))
        region = st.session_state.get("review_region_obj")
        if region is not None and target.lon is not None and target.lat is not None:
            check_in_region(target, region)
        return target
    lon, lat = st.session_state.get("review_lon"), st.session_state.get("review_lat")
    target = MoveTarget(
        lon=float(lon) if lon is not None else None, lat=float(lat) if lat is not None else None
    )
    region = st.session_state.get("review_region_obj")
    if region is not None and target.lon is not None and target.lat is not None:
        check_in_region(target, region)
    return target


# --- page parts -----------------------------------------------------------------------------


def _choose(records: list[PlanRecord]) -> PlanRecord:
    ids = [r.id for r in records]
    scenario_id = current_scenario_id()
    pending = st.session_state.pop(OPEN_NEXT, None)
    if pending in ids:
        st.session_state[PLAN] = pending
    if st.session_state.get(PLAN) not in ids:
        own = [r.id for r in records if r.scenario_id == scenario_id]
        st.session_state[PLAN] = own[0] if own else ids[0]
    names = {r.id: plan_label(r) for r in records}
    chosen = choice(st, tr("ui.rev.plan"), ids, labels=names, key=PLAN)
    return next(r for r in records if r.id == chosen)


def _filters(table: pd.DataFrame, counties: dict, towns: dict, kinds: dict) -> pd.DataFrame:
    a, b, c, d = st.columns(4)
    every = tr("ui.rev.f.all")
    present = list(dict.fromkeys([*TIERS, *table["tier"]]))  # markets and kinds after
    tiers = choice(
        a, tr("term.tier"), present, labels={**translated(TIER_LABEL), **kinds},
        key="review_f_tier", placeholder=every, kind="multiselect",
    )  # fmt: skip
    county_codes = sorted(c for c in table["county_code"].dropna().unique())
    chosen_counties = choice(
        b, tr("term.county"), county_codes, labels=counties,
        key="review_f_county", placeholder=every, kind="multiselect",
    )  # fmt: skip
    within = filter_sites(table, counties=chosen_counties)
    town_codes = sorted(c for c in within["township_code"].dropna().unique())
    chosen_towns = choice(
        c, tr("term.township"), town_codes, labels=towns,
        key="review_f_town", placeholder=every, kind="multiselect",
    )  # fmt: skip
    status_labels = translated({**REVIEW_STATUS_LABEL, LOCKED: "review.action.lock"})
    statuses = choice(
        d, tr("term.review_status"), [*STATUSES, LOCKED], labels=status_labels,
        key="review_f_status", placeholder=every, kind="multiselect",
    )  # fmt: skip
    return filter_sites(table, tiers, chosen_counties, chosen_towns, statuses)


def _move_inputs(region: Region, record: PlanRecord, site: pd.Series, used: set[str]) -> None:
    # a standalone kind's site moves to another of its candidates only
    ways = list(_MOVE_LABEL) if site["tier"] in MOVE_TO_POINT else ["candidate"]
    kind = choice(
        st, tr("ui.rev.move_to"), ways, labels=translated(_MOVE_LABEL),
        horizontal=True, key="review_move_kind", kind="radio",
    )  # fmt: skip
    lon, lat = float(site["lon"]), float(site["lat"])
    cand = _candidates(region, f"{region.id}", record.scenario.to_json(), site["tier"])
    if kind == "point":
        _point_inputs(region, cand, used, lon, lat)
        return
    options = nearby_targets(cand, lon, lat, used, lang())
    if site["tier"] not in MOVE_TO_POINT:  # the compass points are not its candidates
        options = {k: v for k, v in options.items() if not k.startswith("pt:")}
    choice(st, tr("ui.rev.move.pick"), list(options), labels=options, key="review_move_pick")


def _pasted() -> None:
    """Pasted coordinates into the WGS84 inputs (a callback: before they are drawn)."""
    text = str(st.session_state.get("review_paste") or "").strip()
    if not text:
        return
    try:
        lon, lat = typed_point(text)
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang()))
        return
    system = st.session_state.get("review_point_system", "wgs84")
    st.session_state["review_lon"], st.session_state["review_lat"] = point_in_wgs84(
        lon, lat, system
    )


def _point_inputs(
    region: Region, cand: pd.DataFrame, used: set[str], lon: float, lat: float
) -> None:
    """A point typed, or pasted from Amap/Baidu or from a click on a small map."""
    a, b = st.columns([1, 2])
    choice(a, tr("ui.rev.point_system"), list(POINT_SYSTEMS), key="review_point_system",
           labels={s: tr(_POINT_SYSTEM_LABEL[s]) for s in POINT_SYSTEMS})  # fmt: skip
    b.text_input(tr("ui.rev.paste"), key="review_paste", on_change=_pasted,
                 help=tr("ui.rev.paste_help"))  # fmt: skip
    if st.session_state.get("review_point_for") != (lon, lat):  # another site: start there
        st.session_state["review_point_for"] = (lon, lat)
        st.session_state["review_lon"], st.session_state["review_lat"] = lon, lat
    basemap = st.session_state.get("review_basemap", "none")
    near = nearest_free(cand, lon, lat, used, len(cand))
    near = near[near["metres"] <= 2 * NEARBY_M]
    st.caption(tr("ui.rev.click_help"))
    show_map(to_html(move_map(lon, lat, near, region, lang(), basemap, NEARBY_M)), height=300)
    a, b = st.columns(2)
    a.number_input(tr("export.col.lon"), format="%.6f", step=0.0005, key="review_lon")
    b.number_input(tr("export.col.lat"), format="%.6f", step=0.0005, key="review_lat")


def _pick_label(tier: str, sid: str, name: str, kinds: dict) -> str:
    """A site as the picker lists it. A standalone kind's site is named with its kind:
    two kinds (or a kind and a station) may stand on the same point under the same
    name, and the picker tells its options apart by their labels."""
    text = f"{name or sid}（{sid}）" if lang() == "zh" else f"{name or sid} ({sid})"
    sep = "：" if lang() == "zh" else ": "
    return f"{kinds[tier]}{sep}{text}" if tier in kinds else text


def _decision_form(
    region: Region,
    record: PlanRecord,
    shown: pd.DataFrame,
    table: pd.DataFrame,
    selected: list[int],
    kinds: dict,
) -> None:
    st.subheader(tr("ui.rev.decide"))
    if not (can("review.decide") or can("review.comment")):  # the store refuses it anyway
        st.info(not_allowed("review.decide"))
        return
    reviewer = st.session_state.get(REVIEWER, "").strip()
    if not reviewer:
        st.info(tr("ui.rev.reviewer_needed"))
    site_labels = {
        f"{tier}|{sid}": _pick_label(tier, sid, name, kinds)
        for tier, sid, name in zip(shown["tier"], shown["site_id"], shown["name"], strict=True)
    }
    keep_choice("review_pick")
    st.session_state["review_pick"] = [
        k for k in st.session_state.get("review_pick", []) if k in site_labels
    ]
    picked = st.multiselect(
        tr("ui.rev.pick"),
        list(site_labels),
        format_func=site_labels.get,
        key="review_pick",
        placeholder=tr("ui.rev.pick_hint"),
    )
    every = st.checkbox(tr("ui.rev.all_shown", count=len(shown)), key="review_all_shown")
    chosen = np.zeros(len(shown), dtype=bool)
    chosen[selected] = True
    chosen |= (shown["tier"] + "|" + shown["site_id"].astype(str)).isin(picked).to_numpy()
    rows = shown if every else shown[chosen]
    if rows.empty:
        st.caption(tr("ui.rev.select_hint"))
    else:
        names = "、".join(
            f"{n or s}" for n, s in zip(rows["name"][:5], rows["site_id"][:5], strict=False)
        )
        more = " …" if len(rows) > 5 else ""
        st.caption(tr("ui.rev.selected", count=len(rows), names=names + more))
    action = choice(
        st, tr("ui.rev.action"), ACTIONS, labels=translated(REVIEW_ACTION_LABEL),
        horizontal=True, key="review_action", kind="radio",
    )  # fmt: skip
    st.text_input(
        tr("ui.rev.reason"), key="review_reason", help=tr("ui.rev.reason_help"), max_chars=2000
    )
    if action == "move" and len(rows) == 1:
        # a kind's site may move onto a point another kind (or a station) uses
        used = set(table.loc[table["tier"] == rows.iloc[0]["tier"], "site_id"].astype(str))
        _move_inputs(region, record, rows.iloc[0], used)
    keys = list(zip(rows["tier"], rows["site_id"].astype(str), strict=True))
    st.session_state["review_region_obj"] = region
    st.button(
        tr("ui.rev.submit"),
        type="primary",
        key="review_submit",
        disabled=not reviewer,
        on_click=_submit,
        args=(record.id, record.scenario_id, keys),
    )


def _audit(record: PlanRecord, table: pd.DataFrame, kinds: dict) -> None:
    history = store().review_history(record.scenario_id)
    with st.expander(tr("ui.rev.audit"), expanded=False):
        if not history:
            st.caption(tr("ui.rev.audit_empty"))
            return
        names = dict(zip(table["site_id"], table["name"], strict=True))
        sites = sorted({d.site_id for d in history})
        pick = choice(
            st,
            tr("ui.rev.audit_site"),
            ["*", *sites],
            labels={"*": tr("ui.rev.f.all"), **{s: f"{names.get(s, '')} {s}" for s in sites}},
            key="review_audit_site",
        )
        rows = [d for d in history if pick == "*" or d.site_id == pick]
        frame = audit_rows(rows, names, lang(), local_time, kinds)
        st.dataframe(frame, hide_index=True, width="stretch")


def _rerun(record: PlanRecord) -> None:
    st.subheader(tr("ui.rev.rerun"))
    st.caption(tr("ui.rev.rerun_help"))
    # the review's own re-runs: a plan computed on the run page is not news here
    session_jobs = st.session_state.setdefault(REVIEW_JOBS, {})
    job = jobs.get(session_jobs.get(record.scenario_id))
    if job is not None and job.poll() == "running":
        st.markdown(f"**{tr('ui.rev.running')}**")
        _watch(job.id, record.scenario.solver.time_limit_s)
        return
    opened = st.session_state.setdefault(REVIEW_OPENED, set())
    new_plan = (job.result or {}).get("plan_id") if job is not None else None
    if new_plan is not None and job.id not in opened:
        # show the new plan and its diff with the reviewed one right away
        opened.add(job.id)
        st.session_state[OPEN_NEXT] = int(new_plan)
        st.rerun()
    mode = choice(
        st, tr("ui.rev.mode"), RERUN_MODES, labels=translated(_MODE_LABEL),
        key="review_mode", kind="radio",
    )  # fmt: skip
    if can("review.rerun") and st.button(
        tr("ui.rev.rerun"), key="review_rerun", disabled=bool(jobs.running(record.scenario_id))
    ):
        working = st.session_state.get(WORKING_REGION)
        working = working if isinstance(working, Region) and working.id == record.region else None
        try:
            scenario = store().get_scenario(record.scenario_id).scenario
            job = jobs.start(
                store().path,
                record.scenario_id,
                scenario,
                working,
                review={"parent_id": record.id, "mode": mode},
                actor=current_actor(),
            )
        except PlannerError as err:
            st.error(err.message(lang()))
        else:
            session_jobs[record.scenario_id] = job.id
            st.rerun()
    if job is not None:
        _outcome(job)
        plan_id = job.result.get("plan_id")
        if plan_id is not None and st.session_state.get(PLAN) != plan_id:
            st.button(
                tr("ui.rev.open_new", id=plan_id),
                key="review_open_new",
                on_click=_open_plan,
                args=(int(plan_id),),
            )


def _open_plan(plan_id: int) -> None:
    st.session_state[PLAN] = plan_id  # a callback: before the plan picker is drawn


def _diff(record: PlanRecord, counties: dict, towns: dict) -> None:
    if record.parent_id is None:
        return
    db = str(store().path)
    try:
        old = load_plan(db, record.parent_id)
    except PlannerError:
        return
    new = load_plan(db, record.id)
    st.subheader(tr("ui.rev.diff", id=record.parent_id))
    diff = plan_diff(old, new, moves_of(record.review))
    counts = diff["change"].value_counts()
    st.markdown(
        tr(
            "ui.rev.diff_summary",
            added=int(counts.get("added", 0)),
            removed=int(counts.get("removed", 0)),
            moved=int(counts.get("moved", 0)),
        )
    )
    if len(diff):
        rows = change_rows(diff, counties, towns, lang(), kind_labels(old, new))
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption(tr("ui.rev.diff_none"))
    replaced = (record.review or {}).get("replacements") or []
    if replaced:
        st.markdown(f"**{tr('ui.rev.replaced.heading')}**")
        names = dict(
            zip(old.sites["site_id"].astype(str), old.sites["name"].fillna(""), strict=True)
        )
        lines = replacement_lines(replaced, diff, counties, towns, names, lang())
        st.markdown("\n".join(f"- {line}" for line in lines))
    kpis = kpi_diff(old.kpis, new.kpis)
    st.dataframe(indicator_rows(kpis, lang()), hide_index=True, width="stretch")


def render() -> None:
    """Draw the review page."""
    region = current_region()
    st.title(tr("ui.rev.title", region=region.name(lang())))
    flash = st.session_state.pop(FLASH, None)
    db = store()
    records = [r for r in db.list_plans(region=region.id) if r.has_plan]
    if not records:
        st.info(tr("ui.rev.none"))
        page_link("run", tr("term.go_to_the_run_page"), icon=":material/play_circle:")
        return
    a, b = st.columns([1, 2])
    actor = current_actor()
    if actor != LOCAL:  # with accounts a decision is the logged-in user's
        st.session_state[REVIEWER] = actor.shown
    a.text_input(
        tr("ui.rev.reviewer"), key=REVIEWER, max_chars=100, help=tr("ui.rev.reviewer_help"),
        disabled=actor != LOCAL,
    )  # fmt: skip
    with b:
        record = _choose(records)
    plan = load_plan(str(db.path), record.id)
    states = db.review_states(record.scenario_id)
    table = site_table(plan, states)
    # what the reviewer sees now is what their next decision is made on
    st.session_state.setdefault(SEEN, {})[record.scenario_id] = {
        k: s.version for k, s in states.items()
    }
    counties, towns = region_names(region)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])

    kinds = kind_labels(plan)
    shown = _filters(table, counties, towns, kinds)
    reviewed = int(((table["status"] != "pending") | table["locked"].astype(bool)).sum())
    st.caption(tr("ui.rev.shown", shown=len(shown), total=len(table), reviewed=reviewed))
    left, right = st.columns([5, 4])
    with left:
        event = st.dataframe(
            site_rows(shown, counties, towns, lang(), local_time, kinds),
            hide_index=True,
            width="stretch",
            height=460,
            on_select="rerun",
            selection_mode="multi-row",
            # a new key after each decision clears the ticked rows
            key=f"review_table_{record.id}_{st.session_state.get('review_round', 0)}",
        )
        selected = list(event.selection.rows) if event is not None else []
    with right:
        basemap = basemap_picker(st, "review_basemap")
        targets = {
            s.site_id: (s.move_to.lon, s.move_to.lat)
            for s in states.values()
            if s.status == "moved" and s.move_to is not None and s.move_to.lon is not None
        }
        # the plan map draws every site; mark the reviewed ones and the selection
        is_marked = (shown["status"] != "pending") | shown["locked"].astype(bool)
        is_marked.iloc[selected] = True
        marked = shown[is_marked.to_numpy()]
        focus = tuple(st.session_state.get("review_f_county") or ())  # the county filter
        fmap = review_map(plan, marked, region, lang(), basemap, targets, focus)
        show_map(to_html(fmap), height=560)
    outside = len({k for k in states} - set(zip(table["tier"], table["site_id"], strict=True)))
    if outside:
        st.caption(tr("ui.rev.other_plan", count=outside))

    _decision_form(region, record, shown, table, selected, kinds)
    kind_review(plan, region)  # plans with standalone kinds only
    _audit(record, table, kinds)
    st.divider()
    _diff(record, counties, towns)
    _rerun(record)
    st.divider()
    export_panel(record, plan, region)

"""Run page: compute the current scenario in the background, watch it, stop it.

A run is a separate process (:mod:`planner.ui.jobs.runs`), so the page stays responsive,
other sessions are not slowed down by Streamlit, and Stop ends the solver at once. The
progress bar follows the pipeline's stages (``run.stage.*``); a finished run shows each
tier's status and gap and, when a tier has no plan, the diagnosis in plain words. The
worker stores the plan in the database with its scenario.
"""

from __future__ import annotations

import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.ui.auth import can, current_actor, who
from planner.ui.jobs import runs as jobs
from planner.ui.labels import OBJECTIVE_LABEL, PLAN_STATUS_LABEL
from planner.ui.state import (
    NEW_SCENARIO,
    WORKING_REGION,
    current_region,
    current_scenario_id,
    lang,
    page_link,
    store,
    tr,
)
from planner.ui.widgets.choices import translated
from planner.ui.widgets.views import local_time, show_results

__all__ = ["MARKET_STAGES", "STAGES", "render"]

JOBS = "run_jobs"  # session: scenario id -> job id
#: The stages in order, as reported by the worker and planner.run.run_plan.
STAGES = (
    "ui.run.stage.starting",
    "ui.run.stage.loading",
    "run.stage.network",
    "run.stage.instance",
    "run.stage.stations",
    "run.stage.centres",
    "run.stage.kpis",
    "run.stage.done",
)
#: The stages of a scenario with a market tier (solved after the sorting centres).
MARKET_STAGES = (*STAGES[:6], "run.stage.markets", *STAGES[6:])


def _summary(scenario: Scenario) -> str:
    s = scenario.stations
    return tr(
        "ui.run.summary",
        stations=fmt.count(s.count) if s.count is not None else tr("ui.run.derived"),
        objective=translated(OBJECTIVE_LABEL).get(s.objective, s.objective),
        centres=fmt.count(scenario.centres.count),
        urban=fmt.count(s.radius_urban_m),
        rural=fmt.count(s.radius_rural_m),
        limit=fmt.count(scenario.solver.time_limit_s),
    )


def _unsaved(region: Region, scenario_id: int, saved: Scenario) -> bool:
    draft = st.session_state.get("sc_draft")
    if not draft or draft.get("key") != [region.id, scenario_id]:
        return False
    try:
        return Scenario.from_dict(draft["data"]).to_dict() != saved.to_dict()
    except PlannerError:
        return True


def _stages(markets: bool, kinds: bool) -> tuple[str, ...]:
    """The stages of a run: the market tier after the centres, the standalone kinds
    after the tiers (before the indicators)."""
    stages = MARKET_STAGES if markets else STAGES
    if kinds:
        at = stages.index("run.stage.kpis")
        stages = (*stages[:at], "run.stage.kinds", *stages[at:])
    return stages


@st.fragment(run_every=1.0)
def _watch(job_id: str, limit: float, markets: bool = False, kinds: bool = False) -> None:
    stages = _stages(markets, kinds)
    job = jobs.get(job_id)
    if job is None:
        return
    if job.poll() != "running":
        st.rerun()
        return
    stage, fraction = job.progress()
    step = stages.index(stage) + 1 if stage in stages else 1
    st.progress(
        min(max(fraction, 0.0), 1.0),
        text=tr(
            "ui.run.progress",
            step=step,
            steps=len(stages),
            stage=tr(stage),
            seconds=f"{job.elapsed():.0f}",
        ),
    )
    lines = []
    for i, key in enumerate(stages[:-1]):
        if i + 1 < step:
            mark = ":green[:material/check_circle:]"
        elif i + 1 == step:
            mark = ":blue[:material/pending:]"
        else:
            mark = ":gray[:material/radio_button_unchecked:]"
        lines.append(f"{mark} {tr(key)}")
    st.markdown("  \n".join(lines))
    st.caption(tr("ui.run.limit_note", limit=fmt.count(limit)))
    if can("run.stop") and st.button(tr("ui.run.stop"), key=f"run_stop_{job_id}", type="secondary"):
        try:
            job.stop(current_actor())
        except PlannerError as err:
            st.error(err.message(lang()))
        else:
            st.rerun()


def _outcome(job: jobs.Job) -> None:
    result = job.result
    state = result.get("state")
    if state == "stopped":
        st.info(tr("ui.run.stopped"))
        return
    if state == "failed":
        message = result.get("message") or {}
        st.error(tr("ui.run.failed", message=message.get(lang()) or message.get("zh", "")))
        log = job.log()
        if log.strip():
            with st.expander(tr("ui.run.log")):
                st.code(log[-4000:], language=None)
        return
    try:
        record = store().get_plan(int(result["plan_id"]))
    except (PlannerError, KeyError, ValueError) as err:
        st.error(err.message(lang()) if isinstance(err, PlannerError) else str(err))
        return
    if record.has_plan:
        st.success(
            tr(
                "ui.run.done",
                seconds=fmt.number(record.seconds or job.elapsed(), 1),
                stations=fmt.count(record.stations),
                centres=fmt.count(record.centres),
                coverage=fmt.share(record.kpis.get("coverage_share")),
            )
        )
    else:
        st.error(tr("ui.run.no_plan"))
    show_results(record.results)
    # The results page opens on the newest plan of the current scenario: this one.
    page_link("results", tr("ui.run.show_results"), icon=":material/location_on:")


def _history(scenario_id: int) -> None:
    st.subheader(tr("ui.run.history"))
    records = store().list_plans(scenario_id=scenario_id)
    if not records:
        st.caption(tr("ui.run.history_empty"))
        return
    import pandas as pd

    statuses = translated(PLAN_STATUS_LABEL)
    frame = pd.DataFrame(
        {
            "#": [r.id for r in records],
            tr("ui.run.col.time"): [local_time(r.created_at) for r in records],
            tr("term.status"): [statuses.get(r.status, r.status) for r in records],
            tr("tier.station"): [fmt.count(r.stations) for r in records],
            tr("ui.run.col.centres"): [fmt.count(r.centres) for r in records],
            tr("term.coverage"): [fmt.share(r.kpis.get("coverage_share")) for r in records],
            tr("term.time_s"): [
                fmt.number(r.seconds, 1) if r.seconds else fmt.MISSING for r in records
            ],
            tr("auth.ui.col.user"): [who(r.user_name, r.user_role) for r in records],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    with st.expander(tr("ui.run.manage")):
        ids = [r.id for r in records]
        chosen = st.selectbox("#", ids, key=f"run_delete_choice_{scenario_id}")
        if can("scenario.delete") and st.button(tr("ui.run.delete_plan"), key="run_delete_plan"):
            try:
                store().delete_plan(int(chosen))
            except PlannerError as err:
                st.error(err.message(lang()))
            else:
                st.session_state["run_flash"] = tr("ui.run.plan_deleted", id=chosen)
                st.rerun()


def render() -> None:
    """Draw the run page."""
    region = current_region()
    st.title(tr("ui.run.title", region=region.name(lang())))
    flash = st.session_state.pop("run_flash", None)
    if flash:
        st.success(flash)
    scenario_id = current_scenario_id()
    if scenario_id == NEW_SCENARIO:
        st.info(tr("ui.run.no_scenario"))
        page_link("scenario", tr("term.go_to_the_scenario_page"), icon=":material/tune:")
        return
    record = store().get_scenario(scenario_id)
    st.subheader(tr("ui.run.scenario", name=record.name))
    st.caption(_summary(record.scenario))
    markets = record.scenario.markets
    if markets.count > 0:
        st.caption(
            tr(
                "ui.run.markets_summary",
                count=fmt.count(markets.count),
                capacity=fmt.count(markets.capacity_t_per_day),
            )
        )
    if _unsaved(region, scenario_id, record.scenario):
        st.warning(tr("ui.run.unsaved"))
    working = st.session_state.get(WORKING_REGION)
    working = working if isinstance(working, Region) and working.id == record.region else None
    if working is not None:
        st.info(tr("ui.run.working_region"))

    session_jobs = st.session_state.setdefault(JOBS, {})
    job = jobs.get(session_jobs.get(scenario_id))
    if job is not None and job.poll() == "running":
        st.markdown(f"**{tr('ui.sw.running', name=record.name)}**")
        _watch(
            job.id,
            record.scenario.solver.time_limit_s,
            record.scenario.markets.count > 0,
            bool(record.scenario.kinds),
        )
    else:
        elsewhere = jobs.running(scenario_id)
        if elsewhere:
            st.info(tr("ui.run.elsewhere"))
        if can("run.start") and st.button(
            tr("ui.run.start"),
            key="run_start",
            type="primary",
            disabled=bool(elsewhere),
            help=tr("ui.run.start_help"),
        ):
            try:
                job = jobs.start(
                    store().path, scenario_id, record.scenario, working, actor=current_actor()
                )
            except PlannerError as err:
                st.error(err.message(lang()))
            else:
                session_jobs[scenario_id] = job.id
                st.rerun()
        if job is not None:
            _outcome(job)
    st.divider()
    _history(scenario_id)

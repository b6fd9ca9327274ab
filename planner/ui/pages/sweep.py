"""Sweep page: one scenario solved for many numbers of stations, and the trade-off curve.

The planner defines a sweep on top of the scenario chosen in the sidebar (or the
region's default scenario): the range of ``stations.count`` and, optionally, a list of
values of a second parameter. Every field is checked first
(:func:`planner.sweep.form.build_definition`: the numbers as typed, then
:meth:`planner.sweep.SweepDefinition.from_dict` for ranges, limits and every point's
scenario); a problem is a message in the UI language and nothing starts.

A sweep runs in a background process (:mod:`planner.ui.jobs.sweeps`, the
``python -m planner sweep`` command on a local Dask cluster), so the page stays
responsive and the sweep goes on across page changes and reruns. The progress bar
follows the database's counts. Stop ends the process group: the finished points stay
stored, and Resume starts the same definition again (same id; only the missing points
are computed).

A chosen sweep shows its curves (coverage and distances against the number of stations,
the knee marked, coverage by county), the table of every point for the city and each
county with the marginal coverage per extra 100 stations, failed points with their
message, CSV and PNG downloads, and the map of any solved point of the curve. The
tables and the charts' data are the planner's (:mod:`planner.sweep.tables`).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.i18n import PlannerError, t
from planner.scenario import Scenario, default_scenario
from planner.store import Store, SweepRecord
from planner.sweep import SweepDefinition, load_curve
from planner.sweep.curve import SweepCurve
from planner.sweep.form import (
    SECOND_PARAMETERS,
    build_definition,
    curve_text,
    definition_text,
    param_label,
    params_text,
    prefill,
    preview_count,
)
from planner.sweep.tables import chart_data, city_table, county_table, point_labels
from planner.ui.auth import current_actor
from planner.ui.jobs import sweeps as sweep_jobs
from planner.ui.state import (
    NEW_SCENARIO,
    WORKING_REGION,
    _cached_region,
    _pack_stamp,
    current_region,
    current_scenario_id,
    lang,
    store,
    tr,
)
from planner.ui.widgets.charts import LINE_COLOUR, knee_marks, show_chart, station_lines
from planner.ui.widgets.choices import choice
from planner.ui.widgets.views import basemap_picker, kpi_cards, local_time, show_map
from planner.views import plan_map, to_html

__all__ = ["render"]

FLASH = "sw_flash"
PROBLEMS = "sw_problems"
WORKERS = "sw_workers"
#: The indicators of a chosen point, as cards.
POINT_CARDS = (
    "stations",
    "sorting_centres",
    "coverage_share",
    "mean_distance_m",
    "p95_distance_m",
    "uncovered_population",
)


def _markdown(text: str) -> str:
    """Messages put one problem per line: hard line breaks in Markdown."""
    return text.replace("\n", "  \n")


def _base(region: Region) -> tuple[Scenario, bool]:
    """The sidebar's saved scenario, else the region's default; and whether it is saved."""
    scenario_id = current_scenario_id()
    if scenario_id != NEW_SCENARIO:
        with contextlib.suppress(PlannerError):
            record = store().get_scenario(scenario_id)
            if record.region == region.id:
                return record.scenario, True
    return default_scenario(region.id), False


def _keys(region_id: str) -> dict[str, str]:
    return {
        "name": f"sw_name_{region_id}",
        "start": f"sw_start_{region_id}",
        "stop": f"sw_stop_{region_id}",
        "step": f"sw_step_{region_id}",
        "second": f"sw_second_{region_id}",
        "values": f"sw_values_{region_id}",
    }


def _form(region_id: str) -> dict[str, object]:
    state = st.session_state
    return {field: state.get(key) for field, key in _keys(region_id).items()}


def _chosen_key(region_id: str) -> str:
    """Session key of the chosen sweep of a region (its selectbox). One key in both
    languages (the callbacks set it), not a :func:`~planner.ui.widgets.choices.choice_key`."""
    return f"sw_choice_{region_id}"


# --- callbacks (the only place widget-keyed state is set) ---------------------------------


def _on_start(region_id: str, base: dict) -> None:
    lang_ = lang()
    state = st.session_state
    definition, problems = build_definition(
        region_id, Scenario.from_dict(base), _form(region_id), lang_
    )
    if definition is None:
        state[PROBLEMS] = problems
        return
    db = store()
    try:
        existing = db.get_sweep(definition.id)
    except PlannerError:
        existing = None
    if existing is not None and existing.complete:
        state[_chosen_key(region_id)] = existing.id
        state[FLASH] = ("info", t("ui.sw.already_complete", lang_, name=existing.name))
        return
    try:
        # The command registers the sweep too; doing it here first lists it at once and
        # stores it as this user's (the store checks the role before anything starts).
        db.start_sweep(
            definition.id, definition.region, definition.name, definition.to_dict(),
            [p.row() for p in definition.points()],
        )  # fmt: skip
        sweep_jobs.start(db.path, definition, int(state.get(WORKERS) or 2), lang_, actor=db.actor)
    except PlannerError as err:
        state[PROBLEMS] = [err.message(lang_)]
        return
    state[_chosen_key(region_id)] = definition.id
    state[FLASH] = ("success", t("ui.sw.started", lang_, name=definition.name,
                                 total=definition.size))  # fmt: skip


def _on_resume(sweep_id: str) -> None:
    lang_ = lang()
    db = store()
    try:
        record = db.get_sweep(sweep_id)
        definition = SweepDefinition.from_dict(record.definition, region=record.region)
        if definition.id != sweep_id:
            raise PlannerError("ui.sw.err.changed")
        workers = int(st.session_state.get(WORKERS) or 2)
        sweep_jobs.start(db.path, definition, workers, lang_, actor=db.actor)
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang_))


def _on_stop(sweep_id: str) -> None:
    job = sweep_jobs.get(sweep_id)
    if job is not None:
        try:
            job.stop(current_actor())
        except PlannerError as err:
            st.session_state[FLASH] = ("error", err.message(lang()))
            return
    st.session_state[FLASH] = ("info", tr("ui.sw.stopped"))


def _on_delete(region_id: str, sweep_id: str) -> None:
    try:
        record = store().get_sweep(sweep_id)
        store().delete_sweep(sweep_id)
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang()))
        return
    st.session_state.pop(_chosen_key(region_id), None)
    st.session_state[FLASH] = ("success", tr("ui.sw.deleted", name=record.name))


# --- defining a sweep --------------------------------------------------------------------


def _define(region: Region, expanded: bool) -> None:
    base, saved = _base(region)
    keys = _keys(region.id)
    state = st.session_state
    start, stop, step = prefill(base, region.id)
    for field, value in (("start", start), ("stop", stop), ("step", step)):
        state.setdefault(keys[field], str(value))
    problems = state.pop(PROBLEMS, None)
    with st.expander(tr("ui.sw.define"), expanded=expanded or bool(problems)):
        st.caption(
            tr("ui.sw.base", name=base.name) if saved else tr("ui.sw.base_default", name=base.name)
        )
        working = state.get(WORKING_REGION)
        if isinstance(working, Region) and working.id == region.id:
            st.info(tr("ui.sw.working_region"))
        form = _form(region.id)
        placeholder = t(
            "ui.sw.default_name", lang(), base=base.name,
            start=str(form["start"] or "").strip(), stop=str(form["stop"] or "").strip(),
        )  # fmt: skip
        st.text_input(
            tr("ui.sw.name"), key=keys["name"], placeholder=placeholder, help=tr("ui.sw.name_help")
        )
        st.markdown(f"**{tr('ui.sw.range')}**")
        a, b, c = st.columns(3)
        a.text_input(tr("ui.sw.start_value"), key=keys["start"])
        b.text_input(tr("ui.sw.stop_value"), key=keys["stop"])
        c.text_input(tr("ui.sw.step_value"), key=keys["step"])
        a, b = st.columns([1, 2])
        labels = {p: param_label(p, lang()) if p else tr("ui.sw.second_none")
                  for p in SECOND_PARAMETERS}  # fmt: skip
        second = choice(
            a,
            tr("ui.sw.second"),
            SECOND_PARAMETERS,
            labels=labels,
            key=keys["second"],
            help=tr("ui.sw.second_help"),
        )
        if second:
            b.text_input(
                tr("ui.sw.values", param=labels[second]),
                key=keys["values"],
                placeholder=tr("ui.sw.values_help"),
            )
        a, b = st.columns([1, 2], vertical_alignment="bottom")
        a.number_input(
            tr("ui.sw.workers"),
            min_value=1,
            max_value=sweep_jobs.MAX_WORKERS,
            value=min(2, sweep_jobs.MAX_WORKERS),
            step=1,
            key=WORKERS,
            help=tr("ui.sw.workers_help"),
        )
        count = preview_count(_form(region.id))
        if count is not None:
            b.caption(tr("ui.sw.preview", count=count))
        st.button(
            tr("ui.sw.start"),
            key="sw_start",
            type="primary",
            on_click=_on_start,
            args=(region.id, base.to_dict()),
            help=tr("ui.sw.start_help"),
        )
        if problems:
            st.error(_markdown("\n\n".join([tr("ui.sw.not_started"), *problems])))


# --- a running sweep ---------------------------------------------------------------------


@st.fragment(run_every=2.0)
def _watch(sweep_id: str) -> None:
    job = sweep_jobs.get(sweep_id)
    if job is None or job.poll() != "running":
        st.rerun()
        return
    try:
        record = store().get_sweep(sweep_id)
    except PlannerError:
        record = None
    done, failed, total = (record.done, record.failed, record.total) if record else (0, 0, 0)
    finished = done + failed
    st.progress(
        finished / total if total else 0.0,
        text=tr(
            "ui.sw.progress",
            finished=fmt.count(finished),
            total=fmt.count(total),
            done=fmt.count(done),
            failed=fmt.count(failed),
            seconds=fmt.count(job.elapsed()),
        ),
    )
    if not finished:
        st.caption(tr("ui.sw.starting"))
    st.caption(tr("ui.sw.results_later"))
    st.button(tr("ui.sw.stop"), key=f"sw_stop_{sweep_id}", on_click=_on_stop, args=(sweep_id,))


def _status(region: Region, record: SweepRecord) -> bool:
    """The sweep's state and its buttons; whether it is running."""
    st.caption(tr("ui.sw.definition", params=definition_text(record.definition, lang())))
    job = sweep_jobs.get(record.id)
    if job is not None and job.poll() == "running":
        st.markdown(f"**{tr('ui.sw.running', name=record.name)}**")
        _watch(record.id)
        return True
    if job is not None and job.poll() == "failed":
        message = job.message()
        st.error(tr("ui.sw.process_failed", message=message.get(lang(), "")))
        log = job.log()
        if log.strip():
            with st.expander(tr("ui.sw.log")):
                st.code(log[-4000:], language=None)
    st.markdown(
        tr("ui.sw.status", total=record.total, done=record.done, failed=record.failed,
           pending=record.pending)
    )  # fmt: skip
    columns = iter(st.columns([1, 1, 3], vertical_alignment="center"))
    if not record.complete:
        next(columns).button(
            tr("ui.sw.resume"),
            key=f"sw_resume_{record.id}",
            type="primary",
            on_click=_on_resume,
            args=(record.id,),
            help=tr("ui.sw.resume_help"),
        )
    with next(columns).popover(tr("ui.sw.manage")):
        st.button(
            tr("ui.sw.delete"),
            key=f"sw_delete_{record.id}",
            on_click=_on_delete,
            args=(region.id, record.id),
        )
    return False


# --- results -----------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def _curve(db: str, sweep_id: str, stamp: tuple) -> SweepCurve:
    # ``stamp`` (update time and counts) is part of the key: a new result reloads.
    return load_curve(Store(db), sweep_id)


@st.cache_data(max_entries=8, show_spinner=False)
def _png(db: str, sweep_id: str, stamp: tuple, lang_: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="planner-sweep-png-") as tmp:
        path = _curve(db, sweep_id, stamp).write_png(Path(tmp) / "sweep.png", lang_)
        return path.read_bytes()


@st.cache_data(max_entries=8, show_spinner=False)
def _csv(db: str, sweep_id: str, stamp: tuple, lang_: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="planner-sweep-csv-") as tmp:
        path = _curve(db, sweep_id, stamp).write_csv(Path(tmp) / "sweep.csv", lang_)
        return path.read_bytes()


@st.cache_data(max_entries=16, show_spinner=False)
def _point_map(
    db: str, sweep_id: str, key: str, region_id: str, stamp: int, lang_: str, basemap: str
) -> str | None:
    plan = Store(db).sweep_plan(sweep_id, key)
    if plan is None:
        return None
    region = None
    with contextlib.suppress(Exception):  # a deleted user region: draw the plan alone
        region = _cached_region(region_id, stamp)
    return to_html(plan_map(plan, region, lang_, basemap=basemap))


def _column_config(lang_: str) -> dict:
    cc = st.column_config
    return {
        t("term.within_radius", lang_): cc.NumberColumn(format="percent"),
        t("ui.sw.col.gain", lang_): cc.NumberColumn(format="%.2f"),
        t("term.mean_distance_m", lang_): cc.NumberColumn(format="%.0f"),
        t("term.95th_percentile_m", lang_): cc.NumberColumn(format="%.0f"),
        t("term.people_outside_radius", lang_): cc.NumberColumn(format="localized"),
        t("term.population", lang_): cc.NumberColumn(format="localized"),
        t("term.time_s", lang_): cc.NumberColumn(format="%.1f"),
    }


def _charts(curve: SweepCurve) -> None:
    import altair as alt

    data = chart_data(curve, lang())
    if data is None:
        return
    stations_axis = tr("tier.station")
    coverage_title = t("sweep.curve.coverage", lang())
    colour = alt.Color("curve:N", title=None) if data.many_curves else alt.value(LINE_COLOUR)
    coverage = station_lines(
        data.coverage, "coverage", coverage_title, stations_axis, colour,
        [alt.Tooltip("stations:Q", title=stations_axis),
         alt.Tooltip("coverage:Q", title="%", format=".1f")],
    )  # fmt: skip
    knees = knee_marks(data.coverage[data.coverage["knee"]], "coverage", tr("ui.sw.chart.knee"))
    kinds = alt.Color(
        "kind:N",
        title=None,
        sort=list(dict.fromkeys(data.distance["kind"])),
        legend=alt.Legend(orient="top"),
    )
    distance = station_lines(
        data.distance, "m", t("sweep.curve.distance", lang()), stations_axis, kinds,
        ["kind:N", alt.Tooltip("m:Q", format=",.0f")],
    )  # fmt: skip
    a, b = st.columns(2)
    with a:
        show_chart(tr("ui.sw.chart.coverage"), coverage + knees)
    with b:
        show_chart(tr("ui.sw.chart.distance"), distance)
    if data.counties is not None:
        counties = station_lines(
            data.counties, "coverage", coverage_title, stations_axis,
            alt.Color("county:N", title=tr("term.county")),
            ["county:N", "stations:Q", alt.Tooltip("coverage:Q", format=".1f")],
        )  # fmt: skip
        show_chart(tr("ui.sw.chart.counties"), counties, note=data.county_curve)


def _knees(curve: SweepCurve) -> None:
    knees = curve.knees()
    if knees.empty:
        st.caption(tr("ui.sw.no_knee"))
        return
    for _, knee in knees.iterrows():
        text = t("sweep.curve.knee", lang(), stations=int(knee["stations"]),
                 coverage=float(knee["coverage_share"]))  # fmt: skip
        label = curve_text(curve, knee, lang())
        st.success(f"{text}（{label}）" if label else text, icon=":material/star:")


def _failed(db: Store, sweep_id: str) -> None:
    failed = db.sweep_points(sweep_id, status="failed")
    if not failed:
        return
    lines = [
        tr("ui.sw.failed_line", index=p.index + 1, params=params_text(p.params, lang()),
           message=p.error_message(lang()))
        for p in failed
    ]  # fmt: skip
    st.warning(
        "\n".join([tr("ui.sw.failed_points", count=len(failed)), *("- " + line for line in lines)])
    )


def _point(db: Store, record: SweepRecord, curve: SweepCurve, region: Region) -> None:
    kept = {p.key for p in db.sweep_points(record.id, status="done") if p.has_plan}
    city = curve.city()
    solved = city[(city["status"] == "done") & city["key"].isin(kept)]
    if solved.empty:
        st.info(tr("ui.sw.no_points"))
        return
    solved = solved.sort_values(["curve", "stations", "point"])
    keys = list(solved["key"])
    labels = point_labels(curve, keys, lang())
    key = f"sw_point_{record.id}"
    if st.session_state.get(key) not in keys:
        knees = solved[solved["knee"]]
        st.session_state[key] = knees["key"].iloc[0] if len(knees) else keys[-1]
    a, b = st.columns([2, 1], vertical_alignment="bottom")
    chosen = choice(a, tr("ui.sw.point"), keys, labels=labels, key=key, help=tr("ui.sw.point_help"))
    basemap = basemap_picker(b, "sw_basemap")
    row = solved.set_index("key").loc[chosen]
    kpi_cards(row, POINT_CARDS)
    html = _point_map(
        str(db.path), record.id, chosen, record.region, _pack_stamp(record.region), lang(), basemap
    )
    if html is None:
        st.info(tr("ui.sw.no_plan"))
        return
    show_map(html, height=560)


def _results(db: Store, record: SweepRecord, region: Region) -> None:
    stamp = (record.updated_at, record.done, record.failed, record.total)
    curve = _curve(str(db.path), record.id, stamp)
    st.subheader(tr("ui.sw.curves"))
    _knees(curve)
    _charts(curve)
    _failed(db, record.id)

    st.markdown(f"**{tr('ui.sw.table')}**")
    city = city_table(curve, lang())
    config = _column_config(lang())
    st.dataframe(city, hide_index=True, width="stretch", column_config=config, placeholder="—")
    counties = county_table(curve, lang())
    if len(counties):
        with st.expander(tr("ui.sw.county_table"), expanded=curve.table["area"].nunique() > 2):
            st.dataframe(
                counties, hide_index=True, width="stretch", column_config=config, placeholder="—"
            )

    png, png_error = None, None
    if record.done:
        try:
            png = _png(str(db.path), record.id, stamp, lang())
        except PlannerError as err:
            png_error = err.message(lang())
        except (OSError, RuntimeError, ValueError) as err:
            png_error = str(err)
    a, b = st.columns(2)
    a.download_button(
        tr("ui.sw.download_csv"),
        data=_csv(str(db.path), record.id, stamp, lang()),
        file_name=f"sweep_{record.region}_{record.id}.csv",
        mime="text/csv",
        key="sw_download_csv",
        width="stretch",
    )
    if png is not None:
        b.download_button(
            tr("ui.sw.download_png"),
            data=png,
            file_name=f"sweep_{record.region}_{record.id}.png",
            mime="image/png",
            key="sw_download_png",
            width="stretch",
        )
        with st.expander(tr("ui.sw.png")):
            st.image(png, width="stretch")
    elif png_error:
        st.caption(tr("ui.sw.png_failed", message=png_error))

    st.subheader(tr("ui.sw.point"))
    _point(db, record, curve, region)


# --- the page ----------------------------------------------------------------------------


def _choose(region: Region, records: list[SweepRecord]) -> str:
    ids = [r.id for r in records]
    key = _chosen_key(region.id)
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[0]
    labels = {r.id: tr("ui.sw.label", name=r.name, time=local_time(r.created_at)) for r in records}
    return choice(st, tr("ui.sw.choose"), ids, labels=labels, key=key, help=tr("ui.sw.choose_help"))


def render() -> None:
    """Draw the sweep page."""
    region = current_region()
    st.title(tr("ui.sw.title", region=region.name(lang())))
    st.caption(tr("ui.sw.intro"))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        kind, text = flash
        {"success": st.success, "error": st.error}.get(kind, st.info)(_markdown(text))
    db = store()
    records = db.list_sweeps(region.id)
    _define(region, expanded=not records)
    st.divider()
    st.subheader(tr("ui.sw.list"))
    if not records:
        st.info(tr("ui.sw.none"))
        return
    sweep_id = _choose(region, records)
    record = next(r for r in records if r.id == sweep_id)
    if _status(region, record):
        return
    if record.done or record.failed:
        _results(db, record, region)

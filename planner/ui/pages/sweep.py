"""Sweep page: one scenario solved for many numbers of stations, and the trade-off curve.

The planner defines a sweep on top of the scenario chosen in the sidebar (or the
region's default scenario): the range of ``stations.count`` and, optionally, a list of
values of a second parameter. Every field is checked first, by this page (numbers) and
by :meth:`planner.sweep.SweepDefinition.from_dict` (ranges, limits, every point's
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
message, CSV and PNG downloads, and the map of any solved point of the curve.
"""

from __future__ import annotations

import contextlib
import math
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from planner.data.regions import Region
from planner.i18n import PlannerError, t
from planner.scenario import Scenario, default_scenario
from planner.store import Store, SweepRecord
from planner.sweep import SweepDefinition, load_curve
from planner.sweep.curve import CITY, STATION_PATH, SweepCurve
from planner.ui.jobs import sweeps as sweep_jobs
from planner.ui.state import (
    NEW_SCENARIO,
    WORKING_REGION,
    _cached_region,
    _pack_stamp,
    current_region,
    current_scenario_id,
    keep_choice,
    lang,
    store,
    tr,
)
from planner.ui.widgets.views import (
    basemap_picker,
    fmt_count,
    fmt_metres,
    fmt_share,
    local_time,
    show_map,
)
from planner.views import plan_map, to_html

__all__ = [
    "SECOND_PARAMETERS",
    "build_definition",
    "city_table",
    "county_table",
    "curve_text",
    "param_label",
    "point_labels",
    "render",
]

#: Optional second parameter: the scenario paths offered (numbers; "" = none).
SECOND_PARAMETERS = ("", "stations.radius_urban_m", "stations.radius_rural_m", "centres.count")
#: Parameters whose values must be whole numbers.
WHOLE = ("stations.count", "centres.count")
#: Points of the prefilled range: start, start + step, … (Jinjiang 80: 40, 60 … 200).
PREFILL_STEPS = 8
FLASH = "sw_flash"
PROBLEMS = "sw_problems"
WORKERS = "sw_workers"



# --- labels ------------------------------------------------------------------------------


def param_label(path: str, lang_: str) -> str:
    """A varied parameter's name in ``lang_`` (the dotted path when it has none)."""
    key = f"ui.sw.param.{path}"
    text = t(key, lang_)
    return path if text == key else text


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def params_text(params: Mapping[str, Any], lang_: str) -> str:
    """``回收站点数量 = 120, 城镇覆盖半径（米） = 300``."""
    return ", ".join(f"{param_label(p, lang_)} = {_value_text(v)}" for p, v in params.items())


def curve_text(curve: SweepCurve, row: Mapping[str, Any], lang_: str) -> str:
    """The curve a table row belongs to, in words: its values of the varied parameters
    other than the number of stations (empty when only that is varied)."""
    return params_text({p: row[p] for p in curve.parameters if p != STATION_PATH}, lang_)


def _markdown(text: str) -> str:
    """Messages put one problem per line: hard line breaks in Markdown."""
    return text.replace("\n", "  \n")


# --- the definition ----------------------------------------------------------------------


def _parse_number(text: Any, field: str, whole: bool, lang_: str) -> tuple[Any, str | None]:
    """A number typed by the planner: ``(value, None)`` or ``(None, message)``."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        return None, t("ui.sw.err.empty", lang_, field=field)
    try:
        number = float(raw.replace(",", "").replace("，", ""))
    except ValueError:
        return None, t("ui.sw.err.number", lang_, field=field, value=raw)
    if not math.isfinite(number):
        return None, t("ui.sw.err.number", lang_, field=field, value=raw)
    if number.is_integer():
        return int(number), None
    if whole:
        return None, t("ui.sw.err.whole", lang_, field=field, value=raw)
    return number, None


def _parse_list(text: Any, field: str, whole: bool, lang_: str) -> tuple[list, list[str]]:
    parts = [p for p in re.split(r"[,，;；、\s]+", str(text or "").strip()) if p]
    if not parts:
        return [], [t("ui.sw.err.empty", lang_, field=field)]
    values, problems = [], []
    for part in parts:
        value, problem = _parse_number(part, field, whole, lang_)
        if problem:
            problems.append(problem)
        else:
            values.append(value)
    return values, problems


def build_definition(
    region_id: str, base: Scenario, form: Mapping[str, Any], lang_: str
) -> tuple[SweepDefinition | None, list[str]]:
    """The sweep the form describes, or the problems with it (in ``lang_``).

    Parameters
    ----------
    region_id
        The region.
    base
        The base scenario.
    form
        ``start``, ``stop``, ``step`` (text), ``second`` (a path of
        :data:`SECOND_PARAMETERS`), ``values`` (text) and ``name``.
    lang_
        Language of the problems.

    Returns
    -------
    tuple
        ``(definition, [])`` or ``(None, problems)``: numbers first, then every problem
        :meth:`SweepDefinition.from_dict` finds, then points whose scenario is invalid.
    """
    problems: list[str] = []
    bounds = {}
    for part, label in (("start", "ui.sw.start_value"), ("stop", "ui.sw.stop_value"),
                        ("step", "ui.sw.step_value")):  # fmt: skip
        value, problem = _parse_number(form.get(part), t(label, lang_), True, lang_)
        bounds[part] = value
        if problem:
            problems.append(problem)
    parameters: dict[str, Any] = {STATION_PATH: bounds}
    second = form.get("second") or ""
    if second:
        field = t("ui.sw.values", lang_, param=param_label(second, lang_))
        values, found = _parse_list(form.get("values"), field, second in WHOLE, lang_)
        problems += found
        parameters[second] = values
    if problems:
        return None, problems
    name = str(form.get("name") or "").strip() or t(
        "ui.sw.default_name", lang_, base=base.name, start=bounds["start"], stop=bounds["stop"]
    )
    data = {"region": region_id, "name": name, "base": base.to_dict(), "parameters": parameters}
    try:
        definition = SweepDefinition.from_dict(data, region=region_id)
    except PlannerError as err:
        return None, [err.message(lang_)]
    for point in definition.points():
        if point.scenario is None:
            problems.append(
                t("ui.sw.err.point", lang_, index=point.index + 1,
                  params=params_text(point.params, lang_),
                  message=point.error.message(lang_) if point.error else "")
            )  # fmt: skip
    return (None, problems) if problems else (definition, [])


def _preview_count(form: Mapping[str, Any]) -> int | None:
    """How many points the form makes, when its numbers make sense (for a hint)."""
    try:
        start, stop, step = (
            float(str(form.get(k) or "").strip()) for k in ("start", "stop", "step")
        )
    except ValueError:
        return None
    if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
        return None
    count = math.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
    if form.get("second"):
        parts = [p for p in re.split(r"[,，;；、\s]+", str(form.get("values") or "").strip()) if p]
        count *= max(len(parts), 1)
    return count


def _prefill(base: Scenario, region_id: str) -> tuple[int, int, int]:
    """Start, stop and step around the base's number of stations: Jinjiang 80 → 40…200."""
    count = base.stations.count or default_scenario(region_id).stations.count or 100
    start = max(10, round(count / 2 / 10) * 10)
    step = max(10, round(count * 2 / PREFILL_STEPS / 10) * 10)
    return start, start + PREFILL_STEPS * step, step


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


def _form(region_id: str) -> dict[str, Any]:
    state = st.session_state
    return {field: state.get(key) for field, key in _keys(region_id).items()}


def choice_key(region_id: str) -> str:
    """Session key of the chosen sweep of a region (its selectbox)."""
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
        state[choice_key(region_id)] = existing.id
        state[FLASH] = ("info", t("ui.sw.already_complete", lang_, name=existing.name))
        return
    try:
        sweep_jobs.start(db.path, definition, int(state.get(WORKERS) or 2), lang_)
        # The command registers the sweep too; doing it here lists it at once.
        db.start_sweep(
            definition.id, definition.region, definition.name, definition.to_dict(),
            [p.row() for p in definition.points()],
        )  # fmt: skip
    except PlannerError as err:
        state[PROBLEMS] = [err.message(lang_)]
        return
    state[choice_key(region_id)] = definition.id
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
        sweep_jobs.start(db.path, definition, int(st.session_state.get(WORKERS) or 2), lang_)
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang_))


def _on_stop(sweep_id: str) -> None:
    job = sweep_jobs.get(sweep_id)
    if job is not None:
        job.stop()
    st.session_state[FLASH] = ("info", tr("ui.sw.stopped"))


def _on_delete(region_id: str, sweep_id: str) -> None:
    try:
        record = store().get_sweep(sweep_id)
        store().delete_sweep(sweep_id)
    except PlannerError as err:
        st.session_state[FLASH] = ("error", err.message(lang()))
        return
    st.session_state.pop(choice_key(region_id), None)
    st.session_state[FLASH] = ("success", tr("ui.sw.deleted", name=record.name))


# --- defining a sweep --------------------------------------------------------------------


def _define(region: Region, expanded: bool) -> None:
    base, saved = _base(region)
    keys = _keys(region.id)
    state = st.session_state
    start, stop, step = _prefill(base, region.id)
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
        keep_choice(keys["second"])
        second = a.selectbox(
            tr("ui.sw.second"),
            SECOND_PARAMETERS,
            format_func=labels.get,
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
        count = _preview_count(_form(region.id))
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
            finished=f"{finished:,}",
            total=f"{total:,}",
            done=f"{done:,}",
            failed=f"{failed:,}",
            seconds=f"{job.elapsed():,.0f}",
        ),
    )
    if not finished:
        st.caption(tr("ui.sw.starting"))
    st.caption(tr("ui.sw.results_later"))
    st.button(tr("ui.sw.stop"), key=f"sw_stop_{sweep_id}", on_click=_on_stop, args=(sweep_id,))


def _status(region: Region, record: SweepRecord) -> bool:
    """The sweep's state and its buttons; whether it is running."""
    params = record.definition.get("parameters", {})
    st.caption(
        tr(
            "ui.sw.definition",
            params="; ".join(
                f"{param_label(p, lang())}: {', '.join(map(_value_text, v))}"
                for p, v in params.items()
            ),
        )
    )
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


def _columns(curve: SweepCurve, lang_: str, county: bool) -> dict[str, str]:
    """Table column → localized header, in display order."""
    columns = {"point": t("ui.sw.col.point", lang_)}
    if county:
        columns["area_name"] = t("ui.sw.col.county", lang_)
    for path in curve.parameters:
        columns[path] = t("ui.sw.col.param", lang_, param=param_label(path, lang_))
    columns.update(
        {
            "status": t("ui.sw.col.status", lang_),
            "stations": t("ui.sw.col.stations", lang_),
            "sorting_centres": t("ui.sw.col.centres", lang_),
            "coverage_share": t("ui.sw.col.coverage", lang_),
            "coverage_gain_per_100_stations": t("ui.sw.col.gain", lang_),
            "mean_distance_m": t("ui.sw.col.mean", lang_),
            "p95_distance_m": t("ui.sw.col.p95", lang_),
            "uncovered_population": t("ui.sw.col.uncovered", lang_),
            "population": t("ui.sw.col.population", lang_),
            "knee": t("ui.sw.col.knee", lang_),
            "seconds": t("ui.sw.col.seconds", lang_),
        }
    )
    return columns


def _frame(curve: SweepCurve, rows: pd.DataFrame, lang_: str, county: bool) -> pd.DataFrame:
    columns = _columns(curve, lang_, county)
    frame = rows[list(columns)].copy()
    frame["status"] = [t(f"ui.sw.point.{s}", lang_) for s in frame["status"]]
    # the marginal coverage is a share per 100 stations: shown in percentage points
    frame["coverage_gain_per_100_stations"] = 100 * frame["coverage_gain_per_100_stations"].astype(
        float
    )
    for column in ("coverage_share", "mean_distance_m", "p95_distance_m", "seconds"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("stations", "sorting_centres", "uncovered_population", "population"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    frame["knee"] = frame["knee"].astype(bool)
    return frame.rename(columns=columns).reset_index(drop=True)


def city_table(curve: SweepCurve, lang_: str) -> pd.DataFrame:
    """One row per point for the whole city, with headers in ``lang_``.

    Values are the curve's (:attr:`SweepCurve.table`), except the marginal coverage,
    which is in percentage points per 100 stations (the table's share × 100).
    """
    return _frame(curve, curve.city(), lang_, county=False)


def county_table(curve: SweepCurve, lang_: str) -> pd.DataFrame:
    """One row per point and county (solved points), with headers in ``lang_``."""
    rows = curve.table[curve.table["area"] != CITY]
    rows = rows.assign(area_name=rows["area_name"].fillna(rows["area"]))
    return _frame(curve, rows.sort_values(["area", "point"]), lang_, county=True)


def _column_config(lang_: str) -> dict:
    cc = st.column_config
    return {
        t("ui.sw.col.coverage", lang_): cc.NumberColumn(format="percent"),
        t("ui.sw.col.gain", lang_): cc.NumberColumn(format="%.2f"),
        t("ui.sw.col.mean", lang_): cc.NumberColumn(format="%.0f"),
        t("ui.sw.col.p95", lang_): cc.NumberColumn(format="%.0f"),
        t("ui.sw.col.uncovered", lang_): cc.NumberColumn(format="localized"),
        t("ui.sw.col.population", lang_): cc.NumberColumn(format="localized"),
        t("ui.sw.col.seconds", lang_): cc.NumberColumn(format="%.1f"),
    }


def _charts(curve: SweepCurve) -> None:
    import altair as alt

    done = curve.table[curve.table["status"] == "done"]
    city = done[done["area"] == CITY]
    if city.empty:
        return
    stations_axis = tr("ui.sw.col.stations")
    many_curves = city["curve"].nunique() > 1
    data = pd.DataFrame(
        {
            "stations": city["stations"].astype(float),
            "coverage": (100 * city["coverage_share"].astype(float)).round(2),
            "mean": city["mean_distance_m"].astype(float).round(0),
            "p95": city["p95_distance_m"].astype(float).round(0),
            "curve": [curve_text(curve, row, lang()) for _, row in city.iterrows()],
            "knee": city["knee"].astype(bool),
        }
    )
    colour = alt.Color("curve:N", title=None) if many_curves else alt.value("#1f78b4")
    base = alt.Chart(data).encode(x=alt.X("stations:Q", title=stations_axis))
    coverage = base.mark_line(point=True).encode(
        y=alt.Y("coverage:Q", title=t("sweep.curve.coverage", lang())),
        color=colour,
        tooltip=[alt.Tooltip("stations:Q", title=stations_axis),
                 alt.Tooltip("coverage:Q", title="%", format=".1f")],
    )  # fmt: skip
    knees = data[data["knee"]].assign(label=tr("ui.sw.chart.knee"))
    knee_base = alt.Chart(knees).encode(x="stations:Q", y="coverage:Q")
    knee_layer = knee_base.mark_point(
        shape="diamond", size=260, filled=True, color="#c0392b"
    ) + knee_base.mark_text(dx=10, dy=14, align="left", color="#c0392b", fontWeight="bold").encode(
        text="label:N"
    )
    a, b = st.columns(2)
    with a:
        st.markdown(f"**{tr('ui.sw.chart.coverage')}**")
        st.altair_chart(coverage + knee_layer, width="stretch")
    long = data.melt(
        id_vars=["stations", "curve"], value_vars=["mean", "p95"], var_name="kind", value_name="m"
    )
    kinds = {"mean": t("sweep.curve.mean", lang()), "p95": t("sweep.curve.p95", lang())}
    long["kind"] = long["kind"].map(kinds)
    if many_curves:
        long["kind"] = long["kind"] + " (" + long["curve"] + ")"
    distance = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("stations:Q", title=stations_axis),
            y=alt.Y("m:Q", title=t("sweep.curve.distance", lang())),
            color=alt.Color(
                "kind:N",
                title=None,
                sort=list(dict.fromkeys(long["kind"])),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["kind:N", alt.Tooltip("m:Q", format=",.0f")],
        )
    )
    with b:
        st.markdown(f"**{tr('ui.sw.chart.distance')}**")
        st.altair_chart(distance, width="stretch")
    counties = done[done["area"] != CITY]
    if counties["area"].nunique() > 1:
        first = counties["curve"].iloc[0]
        counties = counties[counties["curve"] == first]
        frame = pd.DataFrame(
            {
                "stations": counties["city_stations"].astype(float),
                "coverage": (100 * counties["coverage_share"].astype(float)).round(2),
                "county": counties["area_name"].fillna(counties["area"]).astype(str),
            }
        )
        label = curve_text(curve, counties.iloc[0], lang())
        st.markdown(f"**{tr('ui.sw.chart.counties')}**" + (f" · {label}" if label else ""))
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(
                x=alt.X("stations:Q", title=stations_axis),
                y=alt.Y("coverage:Q", title=t("sweep.curve.coverage", lang())),
                color=alt.Color("county:N", title=tr("ui.sw.col.county")),
                tooltip=["county:N", "stations:Q", alt.Tooltip("coverage:Q", format=".1f")],
            )
        )
        st.altair_chart(chart, width="stretch")


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


def point_labels(curve: SweepCurve, keys: list[str], lang_: str) -> dict[str, str]:
    """``120 个站点 · 覆盖 88.6%`` per solved point (with its curve, and the knee said)."""
    city = curve.city().set_index("key")
    labels = {}
    for key in keys:
        row = city.loc[key]
        text = t("ui.sw.point_label", lang_, stations=f"{int(row['stations']):,}",
                 coverage=fmt_share(row["coverage_share"]))  # fmt: skip
        label = curve_text(curve, row, lang_)
        if label:
            text += f" · {label}"
        if bool(row["knee"]):
            text += t("ui.sw.point_knee", lang_)
        labels[key] = text
    return labels


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
    keep_choice(key)
    if st.session_state.get(key) not in keys:
        knees = solved[solved["knee"]]
        st.session_state[key] = knees["key"].iloc[0] if len(knees) else keys[-1]
    a, b = st.columns([2, 1], vertical_alignment="bottom")
    chosen = a.selectbox(
        tr("ui.sw.point"), keys, format_func=labels.get, key=key, help=tr("ui.sw.point_help")
    )
    basemap = basemap_picker(b, "sw_basemap")
    row = solved.set_index("key").loc[chosen]
    cards = [
        ("ui.kpi.stations", fmt_count(row["stations"])),
        ("ui.kpi.sorting_centres", fmt_count(row["sorting_centres"])),
        ("ui.kpi.coverage_share", fmt_share(row["coverage_share"])),
        ("ui.kpi.mean_distance_m", fmt_metres(row["mean_distance_m"])),
        ("ui.kpi.p95_distance_m", fmt_metres(row["p95_distance_m"])),
        ("ui.kpi.uncovered_population", fmt_count(row["uncovered_population"])),
    ]
    for col, (label, value) in zip([*st.columns(3), *st.columns(3)], cards, strict=True):
        col.metric(tr(label), value, border=True)
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
    key = choice_key(region.id)
    keep_choice(key)
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[0]
    labels = {r.id: tr("ui.sw.label", name=r.name, time=local_time(r.created_at)) for r in records}
    return st.selectbox(
        tr("ui.sw.choose"), ids, format_func=labels.get, key=key, help=tr("ui.sw.choose_help")
    )


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

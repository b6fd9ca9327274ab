"""What a Dask worker does for a sweep: solve one point, reusing what it prepared before.

:func:`solve_point` is the Dask task. It never raises: a point that fails is returned
with its error in both languages (:func:`error_record`), so one point's crash does not
stop the sweep. It returns what the client stores (:func:`summarise`, the plan's files
as a zip); workers need no access to the database file, so a remote cluster works too.

Warm starts
-----------
A Dask worker is a long-lived process that solves many points, so what a point does
not vary is prepared once per worker and reused:

* the Python interpreter with numpy, geopandas, PuLP/HiGHS and the planner imported
  (each independent ``python -m planner plan`` imports them again);
* the loaded region pack (:func:`planner.data.regions.load_region`), kept in a
  worker-local cache keyed by the region id and the pack files' modification times;
* the instance (:func:`planner.instance.build_instance`: demand points, candidate sites and,
  in ``network`` mode, the road network and the station tier's road distances), shared
  by the points whose :func:`~planner.instance.instance_key` is equal (a sweep of station
  counts);
* on request (``start_from_neighbour``), the solved plans: a point starts its solvers
  from this worker's plan of the same chain (equal in everything but
  ``stations.count``) with the nearest station count (:class:`planner.run.WarmStart`;
  the models repair it into a feasible start, :func:`planner.models.warm.adapt_sites`,
  and list every demand point out to its site in that start).

Each result says whether its region came from the worker's cache (``warm``), whether
its instance was reused (``instance_reused``) and which count its start came from
(``warm_start_from``). A start changes how fast a point is solved, not what its result
proves: a point is still solved to the scenario's gap, although with a start it may end
on another plan within that gap. Starts are off by default because on Wenzhou they did
not pay (``benchmarks/results/sweep.md``): the station tier's time is HiGHS's root LP
and its own rounding and sub-MIPs, which an incumbent from a neighbouring count does not
shorten (the neighbour's plan, repaired, is worse than what HiGHS's own rounding
finds). The sparse cost lists are rebuilt per point: their length depends on the station
count.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.i18n import LANGUAGES, PlannerError, t
from planner.scenario import Scenario
from planner.sweep.points import _digest, _identity

__all__ = ["EVENT_TOPIC", "error_record", "solve_point", "summarise"]

#: Dask event topic on which workers report that they started a point.
EVENT_TOPIC = "planner-sweep"

# Worker-local cache of loaded regions (see "Warm starts" in the module notes). A
# Dask worker runs tasks in threads, so the cache is guarded by a lock.
_REGIONS: dict[tuple[str, str, int], Any] = {}
_REGIONS_LOCK = threading.Lock()


def _region_stamp(region_id: str) -> tuple[str, int]:
    """The pack folder and the newest modification time of its files."""
    from planner.data.regions import region_folder

    folder = region_folder(region_id)
    if folder is None:
        return "", 0
    stamps = [p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()]
    return str(folder), max(stamps, default=0)


def _cached_region(region_id: str) -> tuple[Any, bool]:
    """The region, loaded once per worker process; and whether it was cached."""
    from planner.data.regions import load_region

    key = (region_id, *_region_stamp(region_id))
    with _REGIONS_LOCK:
        if key in _REGIONS:
            return _REGIONS[key], True
        region = load_region(region_id)
        for old in [k for k in _REGIONS if k[0] == region_id]:
            del _REGIONS[old]  # a replaced pack is not kept twice
        _REGIONS[key] = region
        return region, False


# Worker-local instances and plans for warm starts (see "Warm starts" above).
_MAX_INSTANCES = 2
_INSTANCES: dict[tuple, Any] = {}
_PLANS: dict[str, list[tuple[float, Any]]] = {}
_RUNS_LOCK = threading.Lock()


def _chain_key(region_id: str, scenario: dict[str, Any]) -> str:
    """Points differing only in their station count form one chain of warm starts."""
    data = _identity(scenario)
    data.get("stations", {}).pop("count", None)
    return _digest([region_id, data])


def _instance_for(region: Any, region_id: str, scenario: Scenario) -> tuple[Any, bool]:
    """The point's instance, reused from an earlier point of this worker when its
    :func:`~planner.instance.instance_key` matches; and whether it was reused."""
    from planner.instance import build_instance, instance_key

    key = (instance_key(scenario, region_id), *_region_stamp(region_id))
    with _RUNS_LOCK:
        if key in _INSTANCES:
            return _INSTANCES[key], True
    inst = build_instance(region, scenario)
    with _RUNS_LOCK:
        while len(_INSTANCES) >= _MAX_INSTANCES:
            del _INSTANCES[next(iter(_INSTANCES))]
        _INSTANCES[key] = inst
    return inst, False


def _start_for(chain: str, count: Any) -> tuple[Any, Any]:
    """The warm start of a point: this worker's solved plan of the same chain with the
    nearest station count (``None`` when there is none); and that count."""
    with _RUNS_LOCK:
        plans = list(_PLANS.get(chain, ()))
    if not plans:
        return None, None
    target = float(count) if isinstance(count, int | float) else plans[-1][0]
    done_count, start = min(plans, key=lambda item: abs(item[0] - target))
    return start, done_count


def _remember(chain: str, count: Any, plan: Any) -> None:
    from planner.run import WarmStart

    start = WarmStart.from_plan(plan)
    if not start.stations:
        return
    number = float(count) if isinstance(count, int | float) else float(len(start.stations))
    with _RUNS_LOCK:
        kept = [item for item in _PLANS.get(chain, []) if item[0] != number]
        _PLANS[chain] = [*kept, (number, start)][-16:]


def _worker_name() -> str:
    with contextlib.suppress(ImportError, ValueError):
        from distributed import get_worker

        return str(get_worker().address)
    return f"pid {os.getpid()}"


def _announce(sweep_id: str, key: str) -> None:
    """Tell the client a worker started the point (it counts attempts)."""
    with contextlib.suppress(ImportError, ValueError):
        from distributed import get_worker

        get_worker().log_event(EVENT_TOPIC, {"sweep": sweep_id, "point": key})


def solve_point(
    region_id: str,
    scenario: dict[str, Any],
    sweep_id: str = "",
    key: str = "",
    keep_plan: bool = True,
    reuse_instance: bool = True,
    start_from_neighbour: bool = False,
) -> dict[str, Any]:
    """Solve one point (the Dask task); never raises.

    Parameters
    ----------
    region_id
        Region to plan.
    scenario
        The point's scenario as a dict.
    sweep_id, key
        Identify the point in the start event sent to the client.
    keep_plan
        Also return the plan's files as a zip archive.
    reuse_instance
        Reuse this worker's instance of an earlier point with the same
        :func:`~planner.instance.instance_key`.
    start_from_neighbour
        Start the solvers from this worker's solved plan of the same chain with the
        nearest station count.

    Returns
    -------
    dict
        ``status`` (``done`` or ``failed``), ``seconds``, ``worker`` and ``pid``; a
        solved point has ``result`` (:func:`summarise`) and ``plan`` (zip bytes or
        ``None``), a failed one ``error`` (``{"key", "zh", "en"}``).
    """
    from planner.run import run_plan

    _announce(sweep_id, key)
    started = time.perf_counter()
    out: dict[str, Any] = {"worker": _worker_name(), "pid": os.getpid()}
    try:
        region, warm = _cached_region(region_id)
        point = Scenario.from_dict(scenario)
        inst, reused, start, start_count = None, False, None, None
        chain = _chain_key(region_id, scenario)
        count = scenario.get("stations", {}).get("count")
        if reuse_instance:
            inst, reused = _instance_for(region, region_id, point)
        if start_from_neighbour:
            start, start_count = _start_for(chain, count)
        plan = run_plan(region, point, instance=inst, warm_start=start)
        if start_from_neighbour:
            _remember(chain, count, plan)
        result = {
            **summarise(plan),
            "warm": warm,
            "instance_reused": reused,
            "warm_start_from": start_count,
        }
        out.update(status="done", result=result, plan=_zip_plan(plan) if keep_plan else None)
    except PlannerError as err:
        out.update(status="failed", error=error_record(err))
    except Exception as err:  # one point's crash must not stop the sweep
        out.update(status="failed", error=error_record(err))
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def summarise(plan: Any) -> dict[str, Any]:
    """What a sweep keeps of a plan: status, city and county indicators, tier results."""
    counties = plan.county_kpis.to_dict("records") if plan.county_kpis is not None else []
    return _jsonable(
        {
            "status": plan.status,
            "kpis": dict(plan.kpis),
            "county_kpis": counties,
            "results": [
                {
                    "tier": r.tier, "model": r.model, "status": r.status,
                    "objective": r.objective, "bound": r.bound, "gap": r.gap,
                    "seconds": r.seconds,
                }
                for r in plan.results
            ],
        }
    )  # fmt: skip


def _zip_plan(plan: Any) -> bytes:
    """The plan's files (:meth:`~planner.plan.Plan.write`) in one zip archive."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="planner-sweep-") as tmp:
        folder = plan.write(tmp)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                if path.is_file():
                    archive.write(path, path.name)
    return buffer.getvalue()


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars unwrapped, NaN and infinities as ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def error_record(err: BaseException) -> dict[str, str]:
    """An error in both languages: a :class:`PlannerError`'s own message, or the
    exception's type and text."""
    if isinstance(err, PlannerError):
        return {"key": err.key, **{lang: err.message(lang) for lang in LANGUAGES}}
    text = f"{type(err).__name__}: {err}"
    key = "sweep.worker_lost" if type(err).__name__ == "KilledWorker" else "sweep.point_crashed"
    return {"key": key, **{lang: t(key, lang, error=text) for lang in LANGUAGES}}

"""Scenario sweeps: the same city solved for many parameter values, on Dask.

A sweep answers "how many stations do we need, and what does each extra hundred buy":
one base scenario, the parameters to vary and their values; every combination (the
cartesian product) is a *point*, solved as an independent planning run
(:func:`planner.run.run_plan`).

Definition file (YAML, JSON or TOML)
------------------------------------
.. code-block:: yaml

    region: jinjiang                  # optional when given on the command line
    name: 晋江 站点数量 40–200          # optional
    base: my-scenario.yaml            # optional: a scenario file (relative to this file)
    # base: {stations: {objective: mclp}}   # ... or overrides of the default scenario
    parameters:                       # dotted scenario paths; first varies slowest
      stations.count: {start: 40, stop: 200, step: 20}   # a range, stop included
      stations.radius_urban_m: [300, 500]               # or a list of values

Without ``base`` the region's default scenario (:func:`~planner.scenario.default_scenario`)
is used. Everything is checked before anything runs (:meth:`SweepDefinition.from_dict`):
unknown keys and parameter paths, empty or duplicate values, bad ranges, more than
:data:`MAX_POINTS` points. A *value* that makes a point's scenario invalid (say
``stations.count: 0``) does not stop the sweep: that point is recorded as failed with
the scenario's own message.

Identity, idempotence and resume
--------------------------------
A point's key is a hash of its scenario (as JSON, without ``name`` and
``description``); a sweep's id is a hash of its region, base scenario and parameter
values. Both are content hashes, so running the same definition again finds the same
rows in the database (:class:`planner.store.Store`, tables ``sweeps`` and
``sweep_points``) and computes only the points that are not done yet. The database has
one row per (sweep, point) and a ``done`` row is never overwritten, so a result that
arrives twice (a task re-run after its worker died, two clients on one sweep) is
stored once. All database writes happen on the client, as results arrive: workers
need no access to the database file, so a remote cluster works too.

Execution (:func:`run_sweep`)
-----------------------------
Points run as independent Dask tasks, on an existing scheduler (``scheduler=
"tcp://host:8786"``; its workers need this package installed) or on a
``LocalCluster`` of ``workers`` processes with one thread each (the solvers are
single-threaded and hold the GIL for long stretches, so processes, not threads). A
worker that dies is replaced by its nanny and Dask re-runs its task elsewhere; the
point's ``attempts`` count every start (reported by the workers as events). A point
whose task fails is stored with its error, in both languages for a
:class:`~planner.i18n.PlannerError`, and the sweep goes on. Progress is reported after
every finished point (:class:`SweepProgress`), from the database's counts, so a resumed
sweep starts where it stopped.

Warm starts
-----------
A Dask worker is a long-lived process that solves many points, so what a point does
not vary is prepared once per worker and reused:

* the Python interpreter with numpy, geopandas, PuLP/HiGHS and the planner imported
  (about 2 s for each independent ``python -m planner plan``);
* the loaded region pack (:func:`planner.data.regions.load_region`: 0.1–0.3 s), kept in a
  worker-local cache keyed by the region id and the pack files' modification times;
* the instance (:func:`planner.instance.build_instance`: demand points, candidate
  sites and, in ``network`` mode, the road network and the station tier's road
  distances, ~5 s for Wenzhou), shared by the points whose
  :func:`~planner.instance.instance_key` is equal (a sweep of station counts);
* on request (``start_from_neighbours``), the solved plans: a point starts its
  solvers from this worker's plan of the same chain (equal in everything but
  ``stations.count``) with the nearest station count (:class:`planner.run.
  WarmStart`; the models repair it into a feasible start, :func:`planner.models.warm.
  adapt_sites`, and list every demand point out to its site in that start).

Each result says whether its region came from the worker's cache (``warm``), whether
its instance was reused (``instance_reused``) and which count its start came from
(``warm_start_from``). A start changes how fast a point is solved, not what its result
proves: a point is still solved to the scenario's gap, although with a start it may
end on another plan within that gap. Starts are off by default because on Wenzhou
they did not pay (``benchmarks/results/sweep.md``): the station tier's time is HiGHS's
root LP and its own rounding and sub-MIPs, which an incumbent from a neighbouring
count does not shorten (the neighbour's plan, repaired, is 1–2 % above the new
optimum, worse than HiGHS's rounding finds). The sparse cost lists are rebuilt per
point: their length depends on the station count, and building them takes well under
a second.

Outputs
-------
:func:`load_curve` turns a stored sweep into a :class:`~planner.sweep.curve.SweepCurve`:
the table per point (city and counties), the marginal coverage per extra 100
stations, the knee of coverage against stations, CSV and PNG.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import logging
import math
import os
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from difflib import get_close_matches
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

from planner.i18n import LANGUAGES, PlannerError, t
from planner.limits import LIMITS, limit
from planner.scenario import (
    Scenario,
    ScenarioProblem,
    default_scenario,
    read_data_file,
    shown,
)
from planner.store import Store, SweepPointRecord, SweepRecord
from planner.sweep.curve import SweepCurve, sweep_curve

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "MAX_POINTS",
    "SweepCurve",
    "SweepDefinition",
    "SweepParameter",
    "SweepPoint",
    "SweepProgress",
    "SweepRun",
    "SweepStop",
    "dask_client",
    "load_curve",
    "run_sweep",
    "sweep_curve",
]

#: Most points one sweep may have by default: a guard against a range with a tiny step.
#: The limit in force is ``limit("sweep_points")`` (:mod:`planner.limits`, variable
#: ``PLANNER_MAX_SWEEP_POINTS``).
MAX_POINTS = int(LIMITS["sweep_points"].default)
#: Top-level keys of a definition file.
DEFINITION_KEYS = ("region", "name", "description", "base", "parameters")
#: Scenario fields a sweep cannot vary: the region is the sweep's, names are labels.
FIXED_PATHS = ("region", "name", "description")
#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT_S = 20
#: Dask event topic on which workers report that they started a point.
EVENT_TOPIC = "planner-sweep"
_KEY_CHARS = 16
_RANGE_KEYS = {"start", "stop", "step"}



# --- the definition ----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepParameter:
    """One varied scenario parameter.

    Attributes
    ----------
    path
        Dotted scenario path, e.g. ``stations.count`` or ``stations.county_min.330302``.
    values
        Its values, in order.
    """

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepPoint:
    """One combination of values.

    Attributes
    ----------
    index
        Position in the sweep (the first parameter varies slowest).
    key
        Hash of the point's scenario (see the module notes).
    params
        ``{path: value}``.
    scenario
        The point's scenario, or ``None`` when the values make it invalid.
    error
        Why the scenario is invalid.
    """

    index: int
    key: str
    params: dict[str, Any]
    scenario: Scenario | None
    error: PlannerError | None = None

    def row(self) -> dict[str, Any]:
        """What :meth:`planner.store.Store.start_sweep` stores about the point."""
        scenario = self.scenario.to_dict() if self.scenario is not None else None
        return {"key": self.key, "index": self.index, "params": self.params, "scenario": scenario}


@dataclass(frozen=True)
class SweepDefinition:
    """A base scenario and the parameters to vary.

    Attributes
    ----------
    region
        Region id; the base scenario and every point are planned for it.
    base
        The base scenario.
    parameters
        The varied parameters; the points are their cartesian product.
    name, description
        Labels.
    """

    region: str
    base: Scenario
    parameters: tuple[SweepParameter, ...]
    name: str = ""
    description: str = ""

    # --- identity ----------------------------------------------------------------------

    @property
    def id(self) -> str:
        """Hash of the region, base scenario and parameter values (not of the labels)."""
        return _digest(
            {
                "region": self.region,
                "base": _identity(self.base.to_dict()),
                "parameters": [[p.path, list(p.values)] for p in self.parameters],
            }
        )

    @property
    def size(self) -> int:
        """Number of points."""
        return math.prod(len(p.values) for p in self.parameters)

    @cached_property
    def _all_points(self) -> tuple[SweepPoint, ...]:
        # cached_property writes the instance dict directly, so it works on a frozen
        # dataclass; building a thousand scenarios once is enough.
        return tuple(_build_points(self))

    def points(self) -> list[SweepPoint]:
        """Every point, in sweep order."""
        return list(self._all_points)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict: region, name, description, the full base scenario, parameters."""
        return {
            "region": self.region,
            "name": self.name,
            "description": self.description,
            "base": self.base.to_dict(),
            "parameters": {p.path: list(p.values) for p in self.parameters},
        }

    # --- reading -----------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: Any, region: str | None = None, folder: str | Path | None = None
    ) -> SweepDefinition:
        """Build and check a definition.

        Parameters
        ----------
        data
            The parsed definition (see the module notes).
        region
            The region asked for (e.g. ``--region``); must agree with ``data["region"]``
            when both are given.
        folder
            Where a relative ``base`` scenario file is looked up.

        Raises
        ------
        PlannerError
            ``sweep.invalid`` listing every problem, or ``sweep.not_mapping``.
        """
        if not isinstance(data, Mapping):
            raise PlannerError("sweep.not_mapping")
        problems: list[Any] = []
        for key in data:
            if key not in DEFINITION_KEYS:
                problems.append(
                    ScenarioProblem(
                        "sweep.unknown_key", {"key": key, "known": ", ".join(DEFINITION_KEYS)}
                    )
                )
        for key in ("name", "description"):
            label = data.get(key)
            if label is not None and not isinstance(label, str):
                problems.append(
                    ScenarioProblem("scenario.text", {"field": key, "value": shown(label)})
                )
            elif isinstance(label, str) and "\x00" in label:
                problems.append(
                    ScenarioProblem("scenario.control_char", {"field": key, "char": "U+0000"})
                )
        region_id = _resolve_region(data.get("region"), region, problems)
        base = None
        if region_id is not None:
            base = _resolve_base(data.get("base"), region_id, folder, problems)
        parameters = _resolve_parameters(data.get("parameters"), problems)
        if problems or base is None or region_id is None:
            raise PlannerError("sweep.invalid", details=problems)
        name = str(data.get("name") or f"{region_id}: " + " × ".join(p.path for p in parameters))
        definition = cls(
            region=region_id,
            base=base,
            parameters=tuple(parameters),
            name=name,
            description=str(data.get("description") or ""),
        )
        _check_distinct(definition.points())
        return definition

    @classmethod
    def load(cls, path: str | Path, region: str | None = None) -> SweepDefinition:
        """Read a ``.yaml``/``.yml``, ``.json`` or ``.toml`` definition file.

        The file is bounded like a scenario file (:func:`planner.scenario.read_data_file`:
        its size, and its values once YAML aliases are expanded).

        Raises
        ------
        PlannerError
            ``sweep.bad_file``, ``sweep.unsupported_format``, ``limit.exceeded`` or the
            problems of :meth:`from_dict`.
        """
        path = Path(path)
        data = read_data_file(
            path, bad_file="sweep.bad_file", unsupported="sweep.unsupported_format"
        )
        return cls.from_dict(data, region=region, folder=path.parent)


def _resolve_region(in_file: Any, given: str | None, problems: list[Any]) -> str | None:
    from planner.data.regions import list_regions

    if in_file is not None and given is not None and str(in_file) != given:
        problems.append(ScenarioProblem("sweep.region_mismatch", {"file": in_file, "given": given}))
        return None
    region_id = given if given is not None else in_file
    if region_id is None:
        problems.append(ScenarioProblem("sweep.no_region", {}))
        return None
    available = [m["id"] for m in list_regions()]
    if str(region_id) not in available:
        problems.append(
            ScenarioProblem(
                "sweep.unknown_region", {"region": region_id, "available": ", ".join(available)}
            )
        )
        return None
    return str(region_id)


def _resolve_base(
    base: Any, region: str, folder: str | Path | None, problems: list[Any]
) -> Scenario | None:
    """The base scenario: the region's default, a scenario file, or overrides of it."""
    try:
        if base is None:
            scenario = default_scenario(region)
        elif isinstance(base, str):
            path = Path(base)
            if not path.is_absolute() and folder is not None:
                path = Path(folder) / path
            scenario = Scenario.load(path)
        elif isinstance(base, Mapping):
            data = default_scenario(region).to_dict()
            for path, value in _flatten(base).items():
                _set_path(data, path, value)
            scenario = Scenario.from_dict(data)
        else:
            problems.append(ScenarioProblem("sweep.bad_base", {"value": _quote_free(base)}))
            return None
    except PlannerError as err:
        problems.append(_BaseProblem(err))
        return None
    return replace(scenario, region=region)


@dataclass(frozen=True)
class _BaseProblem:
    """The base scenario's own error, introduced as such in each language."""

    error: PlannerError

    def message(self, lang: str = "zh") -> str:
        return t("sweep.base_invalid", lang, message=self.error.message(lang))


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"stations": {"count": 5}, "solver.gap": 0}`` → dotted paths to leaves.

    Per-county mappings (``county_min``…) are leaves: their keys are county codes.
    """
    out: dict[str, Any] = {}
    mappings = _mapping_paths()
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and path not in mappings:
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a nested dict, creating mappings on the way (unknown
    fields are then reported by :meth:`Scenario.from_dict`)."""
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[leaf] = value


def _scenario_paths(cls: type = Scenario, prefix: str = "") -> tuple[set[str], set[str]]:
    """Leaf paths of the scenario and those of its per-county mappings."""
    leaves: set[str] = set()
    mappings: set[str] = set()
    hints = get_type_hints(cls)
    for f in fields(cls):
        path, hint = prefix + f.name, hints[f.name]
        if is_dataclass(hint):
            sub_leaves, sub_maps = _scenario_paths(hint, path + ".")
            leaves |= sub_leaves
            mappings |= sub_maps
        else:
            leaves.add(path)
            if str(hint).startswith("dict"):
                mappings.add(path)
    return leaves, mappings


def _mapping_paths() -> set[str]:
    return _scenario_paths()[1]


def _check_path(path: Any) -> Any | None:
    """The problem with a varied parameter's path, if any."""
    leaves, mappings = _scenario_paths()
    path = str(path)
    if path in FIXED_PATHS:
        return ScenarioProblem("sweep.fixed_parameter", {"path": path})
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    if path in leaves or (parent in mappings and path.rsplit(".", 1)[1]):
        return None
    match = get_close_matches(path, sorted(leaves - set(FIXED_PATHS)), n=1)
    hint = {lang: t("sweep.hint", lang, match=match[0]) if match else "" for lang in LANGUAGES}
    return _Localised("sweep.unknown_parameter", {"path": path}, hint)


@dataclass(frozen=True)
class _Localised:
    """A problem whose ``hint`` parameter differs per language."""

    key: str
    params: dict[str, Any]
    hint: dict[str, str]

    def message(self, lang: str = "zh") -> str:
        return t(self.key, lang, **self.params, hint=self.hint.get(lang, ""))


def _parameter_items(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, values)`` pairs; nested mappings (TOML tables such as
    ``[parameters.stations]``) give dotted paths, a range mapping is a value."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not set(value) & _RANGE_KEYS:
            yield from _parameter_items(value, path + ".")
        else:
            yield path, value


def _resolve_parameters(data: Any, problems: list[Any]) -> list[SweepParameter]:
    if not isinstance(data, Mapping) or not data:
        problems.append(ScenarioProblem("sweep.no_parameters", {}))
        return []
    parameters: list[SweepParameter] = []
    for raw_path, raw_values in _parameter_items(data):
        path = str(raw_path)
        problem = _check_path(path)
        if problem is not None:
            problems.append(problem)
            continue
        values = _values(path, raw_values, problems)
        if values is not None:
            parameters.append(SweepParameter(path, values))
    count = math.prod(len(p.values) for p in parameters) if parameters else 0
    if count > _max_points():
        problems.append(_too_many_points(count))
    return parameters


def _quote_free(value: Any) -> str:
    """A value for a message that puts it in quotes itself: text as typed, abridged."""
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:59] + "…"
    return shown(value)


def _max_points() -> int:
    return int(limit("sweep_points"))


def _too_many_points(count: float) -> ScenarioProblem:
    shown_count = f"{count:,.0f}" if math.isfinite(count) else "∞"
    return ScenarioProblem(
        "sweep.too_many_points",
        {"count": shown_count, "limit": f"{_max_points():,}", "env": LIMITS["sweep_points"].env},
    )


def _values(path: str, raw: Any, problems: list[Any]) -> tuple[Any, ...] | None:
    """A parameter's values from a list or a ``{start, stop, step}`` range."""
    if isinstance(raw, Mapping):
        return _range(path, raw, problems)
    if not isinstance(raw, list | tuple):
        problems.append(
            ScenarioProblem("sweep.bad_values", {"path": path, "value": _quote_free(raw)})
        )
        return None
    if not raw:
        problems.append(ScenarioProblem("sweep.empty_values", {"path": path}))
        return None
    seen: set[str] = set()
    for value in raw:
        text = _canonical(value)
        if text in seen:
            problems.append(
                ScenarioProblem(
                    "sweep.duplicate_values", {"path": path, "value": _quote_free(value)}
                )
            )
            return None
        seen.add(text)
    return tuple(raw)


def _range(path: str, raw: Mapping[str, Any], problems: list[Any]) -> tuple[Any, ...] | None:
    """Values ``start, start + step, …`` up to and including ``stop``."""
    if set(raw) != _RANGE_KEYS:
        found = ", ".join(map(str, raw)) or "-"
        problems.append(ScenarioProblem("sweep.range_keys", {"path": path, "found": found}))
        return None
    for part in ("start", "stop", "step"):
        value = raw[part]
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            problems.append(
                ScenarioProblem(
                    "sweep.range_number", {"path": path, "part": part, "value": _quote_free(value)}
                )
            )
            return None
    start, stop, step = raw["start"], raw["stop"], raw["step"]
    if step <= 0:
        problems.append(ScenarioProblem("sweep.range_step", {"path": path, "step": step}))
        return None
    if stop < start:
        problems.append(
            ScenarioProblem("sweep.range_order", {"path": path, "start": start, "stop": stop})
        )
        return None
    # A relative tolerance keeps a stop reached by float steps (0.1 × 3) included. The
    # span is a float first: 0 to 1e300 by 1e-300 is infinitely many points, not a crash.
    try:
        span = float(stop - start) / float(step) * (1 + 1e-12) + 1e-9
    except OverflowError:  # two ints near the float range: their difference is not
        span = math.inf
    if not span + 1 <= _max_points():
        problems.append(_too_many_points(math.floor(span) + 1 if math.isfinite(span) else span))
        return None
    count = math.floor(span) + 1
    integral = all(isinstance(v, int) for v in (start, stop, step))
    values = [start + i * step if integral else round(start + i * step, 10) for i in range(count)]
    return tuple(values)


def _finite(value: int | float) -> bool:
    """A finite number (an int too large for a float is not one)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _build_points(definition: SweepDefinition) -> Iterator[SweepPoint]:
    base = definition.base.to_dict()
    paths = [p.path for p in definition.parameters]
    combos = itertools.product(*(p.values for p in definition.parameters))
    for index, combo in enumerate(combos):
        params = dict(zip(paths, combo, strict=True))
        data = json.loads(json.dumps(base))
        for path, value in params.items():
            _set_path(data, path, value)
        label = ", ".join(f"{p}={_label(v)}" for p, v in params.items())
        data["name"] = f"{definition.base.name} · {label}"
        try:
            scenario = Scenario.from_dict(data)
        except PlannerError as err:
            yield SweepPoint(index, _digest(_identity(data)), params, None, err)
            continue
        yield SweepPoint(index, _digest(_identity(scenario.to_dict())), params, scenario)


def _check_distinct(points: Sequence[SweepPoint]) -> None:
    """Two combinations that give one scenario would share a key (e.g. 40 and 40.0)."""
    first: dict[str, SweepPoint] = {}
    for point in points:
        if point.key in first:
            other = first[point.key]
            params = ", ".join(f"{p}={_label(v)}" for p, v in point.params.items())
            raise PlannerError(
                "sweep.invalid",
                details=[
                    ScenarioProblem(
                        "sweep.duplicate_points",
                        {"first": other.index + 1, "second": point.index + 1, "params": params},
                    )
                ],
            )
        first[point.key] = point


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    """What a scenario's hash covers: everything but its labels."""
    return {k: v for k, v in data.items() if k not in ("name", "description")}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()[:_KEY_CHARS]


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- on the worker ----------------------------------------------------------------------

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


# --- on the client ----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepProgress:
    """Progress of a sweep, after each finished point.

    Attributes
    ----------
    done, failed, total
        Solved, failed and all points of the sweep (earlier runs included).
    point
        The point that just finished (``None`` for the report at the start).
    """

    done: int
    failed: int
    total: int
    point: SweepPointRecord | None = None

    @property
    def finished(self) -> int:
        """Points solved or failed."""
        return self.done + self.failed

    @property
    def fraction(self) -> float:
        """Share of points finished (for a progress bar)."""
        return self.finished / self.total if self.total else 1.0


@dataclass(frozen=True)
class SweepRun:
    """What one call of :func:`run_sweep` did.

    Attributes
    ----------
    sweep
        The sweep as stored at the end (its counts include earlier runs).
    computed
        Points solved or failed by this call (invalid points included).
    skipped
        Points already done before this call.
    stopped
        Whether the call stopped before every point was finished (``max_points``
        or a :class:`SweepStop` from the progress callback).
    """

    sweep: SweepRecord
    computed: int
    skipped: int
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Whether every point of the sweep is solved."""
        return self.sweep.complete


class SweepStop(Exception):  # a request, not an error
    """Raise from a progress callback to stop a sweep; what is done stays stored."""


Progress = Callable[[SweepProgress], None]


def run_sweep(
    definition: SweepDefinition,
    store: Store | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    progress: Progress | None = None,
    max_points: int | None = None,
    retry_failed: bool = True,
    keep_plans: bool = True,
    reuse_instances: bool = True,
    start_from_neighbours: bool = False,
) -> SweepRun:
    """Solve every point of ``definition`` not done yet, storing results as they come.

    Parameters
    ----------
    definition
        The sweep.
    store
        Where results go; default :class:`~planner.store.Store` at its default path.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` for the duration of the call.
    workers, threads_per_worker
        Size of that local cluster (worker processes, threads each).
    progress
        Called with a :class:`SweepProgress` at the start and after every finished
        point; raising :class:`SweepStop` stops the sweep (anything else stops it and
        propagates).
    max_points
        Stop after this many points were finished by this call.
    retry_failed
        Run points that failed in an earlier call again (a dead worker or a missing
        road file may be gone now); otherwise only pending points run.
    keep_plans
        Store each solved point's plan files, for a map of any point later.
    reuse_instances
        Let each worker reuse the instance of its earlier points (:func:`solve_point`).
    start_from_neighbours
        Start each point's solvers from the worker's neighbouring solved plan; off by
        default, as it did not pay on Wenzhou (see "Warm starts" above).

    Returns
    -------
    SweepRun
        The stored sweep and what this call did.

    Raises
    ------
    PlannerError
        ``sweep.bad_workers``, ``sweep.scheduler_unreachable`` or a database error.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PlannerError("sweep.bad_workers", workers=workers)
    store = store if store is not None else Store()
    sweep_id = definition.id
    points = definition.points()
    store.start_sweep(
        sweep_id, definition.region, definition.name, definition.to_dict(),
        [p.row() for p in points],
    )  # fmt: skip
    stored = {p.key: p for p in store.sweep_points(sweep_id)}
    wanted = ("pending", "failed") if retry_failed else ("pending",)
    todo = [p for p in points if stored[p.key].status in wanted]
    skipped = sum(1 for p in points if stored[p.key].status == "done")
    state = _RunState(store, sweep_id, progress, max_points)
    try:
        state.report(None)
        for point in (p for p in todo if p.scenario is None):
            state.finish(point.key, "failed", attempts=0, error=error_record(point.error))
        runnable = [p for p in todo if p.scenario is not None]
        if runnable and not state.should_stop():
            with dask_client(scheduler, workers, threads_per_worker) as client:
                _run_on(
                    client,
                    definition.region,
                    sweep_id,
                    runnable,
                    state,
                    keep_plans,
                    (reuse_instances, start_from_neighbours),
                )
    except SweepStop:
        state.stopped = True
    sweep = store.get_sweep(sweep_id)
    stopped = state.stopped and sweep.done + sweep.failed < sweep.total
    return SweepRun(sweep=sweep, computed=state.computed, skipped=skipped, stopped=stopped)


class _RunState:
    """Bookkeeping of one run: writes results, counts, reports, decides to stop."""

    def __init__(
        self, store: Store, sweep_id: str, progress: Progress | None, max_points: int | None
    ) -> None:
        self.store = store
        self.sweep_id = sweep_id
        self.progress = progress
        self.max_points = max_points
        self.computed = 0
        self.stopped = False
        self.starts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_event(self, event: tuple[float, Any]) -> None:
        """A worker started a point (called on the client's event-loop thread)."""
        msg = event[1] if isinstance(event, tuple | list) and len(event) == 2 else event
        if isinstance(msg, Mapping) and msg.get("sweep") == self.sweep_id:
            with self.lock:
                self.starts[str(msg.get("point"))] += 1

    def attempts(self, key: str) -> int:
        with self.lock:
            return max(1, self.starts.pop(key, 0))

    def finish(self, key: str, status: str, **values: Any) -> None:
        """Store a point's outcome and report progress."""
        wrote = self.store.record_sweep_point(self.sweep_id, key, status, **values)
        self.computed += int(wrote)
        self.report(self.store.sweep_point(self.sweep_id, key))
        if self.should_stop():
            self.stopped = True

    def should_stop(self) -> bool:
        return self.max_points is not None and self.computed >= self.max_points

    def report(self, point: SweepPointRecord | None) -> None:
        if self.progress is None:
            return
        sweep = self.store.get_sweep(self.sweep_id)
        self.progress(SweepProgress(sweep.done, sweep.failed, sweep.total, point))


def _run_on(
    client: Client,
    region: str,
    sweep_id: str,
    points: Sequence[SweepPoint],
    state: _RunState,
    keep_plans: bool,
    reuse: tuple[bool, bool] = (True, False),
) -> None:
    """Submit every point and store the results in the order they finish."""
    from distributed import as_completed

    client.subscribe_topic(EVENT_TOPIC, state.on_event)
    futures = {}
    for point in points:
        # A deterministic task key: the scheduler holds one task per point even if
        # two clients submit the same sweep at once.
        future = client.submit(
            solve_point, region, point.scenario.to_dict(), sweep_id, point.key, keep_plans,
            *reuse,
            key=f"planner-sweep-{sweep_id}-{point.key}",
        )  # fmt: skip
        futures[future] = point
    remaining = set(futures)
    try:
        for future in as_completed(list(futures)):
            remaining.discard(future)
            point = futures[future]
            try:
                out = future.result()
            except Exception as err:  # KilledWorker, a lost scheduler...
                state.finish(
                    point.key, "failed", attempts=state.attempts(point.key),
                    error=error_record(err),
                )  # fmt: skip
            else:
                state.finish(
                    point.key, out["status"], attempts=state.attempts(point.key),
                    seconds=out.get("seconds"), worker=out.get("worker"),
                    error=out.get("error"), result=out.get("result"), plan=out.get("plan"),
                )  # fmt: skip
            if state.stopped:
                break
    finally:
        if remaining:
            client.cancel(list(remaining))
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(EVENT_TOPIC)


#: Dask settings for the workers of a local cluster. Dask's default environment for
#: them sets ``MALLOC_TRIM_THRESHOLD_=65536`` (glibc hands freed memory back to the
#: system eagerly). With it, the Wenzhou 500-station tier's second HiGHS solve, given
#: 34 s, ran 204 s in root-node line-search rounding (objective propagation, which does
#: not check the time limit), and the whole tier took 291 s instead of 124 s (unscaled
#: objective; same plan). The thread limits (``OMP_NUM_THREADS=1`` …) stay.
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, workers: int = 2, threads: int = 1
) -> Iterator[Client]:
    """A Dask client of ``scheduler``, or of a local cluster started for the sweep.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` of ``workers`` processes with ``threads`` threads each, with
        :data:`WORKER_ENVIRON`, and closes it on exit.

    Raises
    ------
    PlannerError
        ``sweep.scheduler_unreachable`` when the scheduler does not answer.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise PlannerError("sweep.scheduler_unreachable", address=scheduler, error=err) from err
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Dask's nannies write their workers' environment into this process's os.environ
    # before spawning (and again on a restart); put it back afterwards so that later
    # subprocesses (a plan run from the app, the benchmark's independent runs) do not
    # inherit it.
    saved = dict(os.environ)
    try:
        with dask.config.set(WORKER_ENVIRON):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=threads,
                processes=True,
                dashboard_address=":0",
                # A dead worker or a shutdown race makes Dask log tracebacks; what
                # matters is each point's outcome, which is stored and reported in words.
                silence_logs=logging.CRITICAL,
            )
            try:
                with Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- outputs -----------------------------------------------------------------------------


def load_curve(store: Store, sweep_id: str) -> SweepCurve:
    """The trade-off curve of a stored sweep (:func:`planner.sweep.curve.sweep_curve`),
    with county names from its region when the region can be loaded."""
    sweep = store.get_sweep(sweep_id)
    names: dict[str, str] = {}
    with contextlib.suppress(PlannerError, OSError):
        from planner.data.regions import load_region

        counties = load_region(sweep.region).counties
        names = dict(zip(counties["code"].astype(str), counties["name"], strict=True))
    parameters = list(sweep.definition.get("parameters", {}))
    return sweep_curve(
        store.sweep_points(sweep_id), parameters, county_names=names, title=sweep.name
    )

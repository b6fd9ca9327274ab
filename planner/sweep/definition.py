"""A sweep's definition: a base scenario and the parameters to vary, read and checked.

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
unknown keys and parameter paths (dotted scenario paths; a per-county mapping's keys
are county codes), empty or duplicate values, bad ranges, more than
:data:`MAX_POINTS` points. Each problem is a
:class:`~planner.scenario.ScenarioProblem`. A *value* that makes a point's scenario
invalid (say ``stations.count: 0``) does not stop the sweep: that point is recorded as
failed with the scenario's own message (:mod:`planner.sweep.points`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from difflib import get_close_matches
from functools import cached_property
from pathlib import Path
from typing import Any, get_type_hints

from planner import format as fmt
from planner.i18n import DEFAULT_LANGUAGE, PlannerError, Text
from planner.limits import LIMITS, limit
from planner.scenario import (
    Scenario,
    ScenarioProblem,
    default_scenario,
    read_data_file,
    shown,
)
from planner.sweep.points import (
    SweepPoint,
    _build_points,
    _canonical,
    _check_distinct,
    _digest,
    _identity,
)

__all__ = ["DEFINITION_KEYS", "FIXED_PATHS", "MAX_POINTS", "SweepDefinition", "SweepParameter"]

#: Most points one sweep may have by default: a guard against a range with a tiny step.
#: The limit in force is ``limit("sweep_points")`` (:mod:`planner.limits`, variable
#: ``PLANNER_MAX_SWEEP_POINTS``).
MAX_POINTS = int(LIMITS["sweep_points"].default)
#: Top-level keys of a definition file.
DEFINITION_KEYS = ("region", "name", "description", "base", "parameters")
#: Scenario fields a sweep cannot vary: the region is the sweep's, names are labels.
FIXED_PATHS = ("region", "name", "description")
_RANGE_KEYS = {"start", "stop", "step"}


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
        return tuple(_build_points(self.base, self.parameters))

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
        problems: list[ScenarioProblem] = []
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


def _resolve_region(in_file: Any, given: str | None, problems: list[ScenarioProblem]) -> str | None:
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
    base: Any, region: str, folder: str | Path | None, problems: list[ScenarioProblem]
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
            scenario = default_scenario(region).with_changes(**_flatten(base))
        else:
            problems.append(ScenarioProblem("sweep.bad_base", {"value": _quote_free(base)}))
            return None
    except PlannerError as err:
        problems.append(ScenarioProblem("sweep.base_invalid", {"message": _ErrorText(err)}))
        return None
    return replace(scenario, region=region)


class _ErrorText(Text):
    """An error's own message as the value of another message, in the same language."""

    __slots__ = ()

    def __init__(self, error: PlannerError) -> None:
        super().__init__("", error=error)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.params["error"].message(lang)


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
    """Paths of the per-county mappings (``stations.county_min``…)."""
    return _scenario_paths()[1]


def _check_path(path: Any) -> ScenarioProblem | None:
    """The problem with a varied parameter's path, if any."""
    leaves, mappings = _scenario_paths()
    path = str(path)
    if path in FIXED_PATHS:
        return ScenarioProblem("sweep.fixed_parameter", {"path": path})
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    if path in leaves or (parent in mappings and path.rsplit(".", 1)[1]):
        return None
    if _section_item_path(path):
        return None
    match = get_close_matches(path, sorted(leaves - set(FIXED_PATHS)), n=1)
    hint = Text("sweep.hint", match=match[0]) if match else ""
    return ScenarioProblem("sweep.unknown_parameter", {"path": path, "hint": hint})


def _section_item_path(path: str) -> bool:
    """Whether ``path`` is a field of an item of a list of sections
    (``phasing.years[1].budget_yuan``); whether the item exists is the base
    scenario's matter, checked with each point."""
    from planner.scenario.coercion import _section_items

    match = re.fullmatch(r"([\w.]+)\[(\d+)\]\.(\w+)", path)
    if match is None or int(match.group(2)) < 1:
        return False
    cls: Any = Scenario
    hint: Any = None
    for part in match.group(1).split("."):
        if not is_dataclass(cls):
            return False
        hints = get_type_hints(cls)
        if part not in hints:
            return False
        hint = hints[part]
        cls = hint
    item = _section_items(hint)
    return item is not None and match.group(3) in {f.name for f in fields(item)}


def _parameter_items(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, values)`` pairs; nested mappings (TOML tables such as
    ``[parameters.stations]``) give dotted paths, a range mapping is a value."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not set(value) & _RANGE_KEYS:
            yield from _parameter_items(value, path + ".")
        else:
            yield path, value


def _resolve_parameters(data: Any, problems: list[ScenarioProblem]) -> list[SweepParameter]:
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
    """The limit in force (``limit("sweep_points")``)."""
    return int(limit("sweep_points"))


def _too_many_points(count: float) -> ScenarioProblem:
    shown_count = fmt.count(count) if math.isfinite(count) else "∞"
    return ScenarioProblem(
        "sweep.too_many_points",
        {
            "count": shown_count,
            "limit": fmt.count(_max_points()),
            "env": LIMITS["sweep_points"].env,
        },
    )


def _values(path: str, raw: Any, problems: list[ScenarioProblem]) -> tuple[Any, ...] | None:
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


def _range(
    path: str, raw: Mapping[str, Any], problems: list[ScenarioProblem]
) -> tuple[Any, ...] | None:
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

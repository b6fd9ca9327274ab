"""The scenario: every parameter of a planning run, validated and serialisable.

A :class:`Scenario` is plain data (frozen dataclasses), so it can be stored, compared,
cloned and sent to a worker. It reads and writes JSON, YAML and TOML (read only, as the
standard library has no TOML writer). :meth:`Scenario.validate` returns every problem at
once, each with a bilingual message, and :meth:`Scenario.check` raises the first batch
as a :class:`~planner.i18n.PlannerError`.

Types are strict (:meth:`Scenario.from_dict`): nothing is converted without a word, so
a string given for a list of site ids is refused, not split into its characters, and
``"false"`` is not read as true. The bounds the scenario form checked first (a grid of
at least :data:`MIN_GRID_M`, a circuity of at least 1, a time limit of at most a day, a
capacity rule only with a standard) hold for every scenario, wherever it comes from.
Checks that need the region (site ids, counts against candidates) are in
:mod:`planner.scenario.checks`. Files are read within the limits ``scenario_kb`` and
``scenario_nodes`` of :mod:`planner.limits` (:func:`read_data_file`), so a YAML file
whose aliases expand to millions of values is refused before it is built.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

import yaml

from planner.i18n import PlannerError, Text, t
from planner.limits import check_limit, limit

__all__ = [
    "CAPACITY_STANDARDS",
    "CELL_MAXIMUM",
    "MAX_TIME_LIMIT_S",
    "MIN_GRID_M",
    "CentreTier",
    "Generation",
    "Scenario",
    "ScenarioProblem",
    "SolverSettings",
    "StationTier",
    "read_data_file",
    "shown",
]

StationObjective = Literal["p_median", "mclp", "set_cover"]
CapacityStandard = Literal["none", "sbt10719", "zhejiang2019"]
PerCommunityRule = Literal["none", "community", "village", "all"]
SolverName = Literal["highs", "cbc"]
DistanceMode = Literal["straight", "network"]

# Households served by one recycling station (urban, rural).
# SB/T 10719-2012 《再生资源回收站点建设管理规范》: one station per 2,000 urban households
# and per 2,500 township households. Zhejiang 2019 (浙江省再生资源回收体系建设指导意见):
# one per 1,000 urban and per 2,000 rural households.
CAPACITY_STANDARDS: dict[str, tuple[int, int]] = {
    "sbt10719": (2000, 2500),
    "zhejiang2019": (1000, 2000),
}

#: Bounds beyond "positive" that every scenario must keep, wherever it comes from (the
#: form, a file, the command line, a sweep point). A grid finer than 100 m creates
#: millions of candidates; no model should run for more than a day; a per-county
#: minimum or maximum above a million stations is a typing slip.
MIN_GRID_M = 100.0
MAX_TIME_LIMIT_S = 86_400.0
CELL_MAXIMUM = 1_000_000
#: Characters a name or site id may not contain: C0 controls other than tab and line
#: breaks (a NUL truncates the name in SQLite's C API, the GIS drivers and the PDF).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Longest rendering of a rejected value in a message.
_SHOWN_CHARS = 60



@dataclass(frozen=True)
class StationTier:
    """Recycling stations (回收站点).

    Attributes
    ----------
    count
        Number of stations to site; ``None`` derives it from ``capacity_standard``
        (households per station, urban and rural, per county).
    objective
        ``p_median`` (minimise population-weighted distance), ``mclp`` (maximise
        population within the coverage radius) or ``set_cover`` (fewest stations that
        put everyone within the radius; ``count`` is then ignored).
    radius_urban_m, radius_rural_m
        Coverage radius (m) for 社区 and for 村.
    capacity_standard
        ``sbt10719``, ``zhejiang2019`` or ``none``: households per station.
    use_capacity
        Enforce the standard as a hard capacity on each station.
    one_per_township
        At least one station in every township/street (乡镇/街道全覆盖).
    one_per_community
        At least one station in every ``community`` (社区), ``village`` (村), ``all``,
        or ``none``.
    county_min, county_max
        Per-county minimum/maximum number of stations, ``{county_code: n}``.
    required_sites, excluded_sites
        Candidate site ids that must be open / may not be used.
    """

    count: int | None = None
    objective: StationObjective = "p_median"
    radius_urban_m: float = 500.0
    radius_rural_m: float = 2000.0
    capacity_standard: CapacityStandard = "sbt10719"
    use_capacity: bool = False
    one_per_township: bool = True
    one_per_community: PerCommunityRule = "none"
    county_min: dict[str, int] = field(default_factory=dict)
    county_max: dict[str, int] = field(default_factory=dict)
    required_sites: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class CentreTier:
    """Sorting centres (分拣中心).

    Attributes
    ----------
    count
        Number of centres.
    capacity_t_per_day
        Throughput of one centre (t/day).
    fixed_cost
        Cost per opened centre, in the units of tonnage × km, added to the objective.
    one_per_county
        At least one centre in every county (县县全覆盖).
    county_min, county_max
        Per-county minimum/maximum number of centres.
    required_sites, excluded_sites
        Candidate site ids that must be open / may not be used.
    """

    count: int = 2
    capacity_t_per_day: float = 200.0
    fixed_cost: float = 0.0
    one_per_county: bool = True
    county_min: dict[str, int] = field(default_factory=dict)
    county_max: dict[str, int] = field(default_factory=dict)
    required_sites: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Generation:
    """Recyclables generated per resident (kg/person/day), urban and rural.

    Defaults are planning assumptions, not measurements: about 0.25 kg in towns and
    0.15 kg in villages (renewable resources only, excluding kitchen waste); replace
    them with the city's own survey figures.
    """

    urban_kg_per_person_day: float = 0.25
    rural_kg_per_person_day: float = 0.15


@dataclass(frozen=True)
class SolverSettings:
    """Solver choice and limits.

    Attributes
    ----------
    name
        ``highs`` (HiGHS via highspy) or ``cbc`` (COIN-OR CBC bundled with PuLP).
    time_limit_s
        Wall-clock limit per model; the best plan found so far is returned with its gap.
    gap
        Relative optimality gap at which to stop (0.005 = 0.5 %).
    """

    name: SolverName = "highs"
    time_limit_s: float = 120.0
    gap: float = 0.001


@dataclass(frozen=True)
class Scenario:
    """Every parameter of a planning run.

    Attributes
    ----------
    name
        Display name.
    region
        Region id (``wenzhou``, ``jinjiang`` or a saved user region).
    stations, centres
        The two tiers.
    generation
        Per-capita recyclables.
    distance_mode
        ``straight`` (straight line × ``circuity``) or ``network`` (road network).
    circuity
        Ratio of travel to straight-line distance used in ``straight`` mode.
    dense_grid_m
        Spacing (m) of extra candidate points added in dense urban areas; 0 = none.
    solver
        Solver settings.
    description
        Free text.
    """

    name: str = "scenario"
    region: str = "jinjiang"
    stations: StationTier = field(default_factory=StationTier)
    centres: CentreTier = field(default_factory=CentreTier)
    generation: Generation = field(default_factory=Generation)
    distance_mode: DistanceMode = "straight"
    circuity: float = 1.3
    dense_grid_m: float = 0.0
    solver: SolverSettings = field(default_factory=SolverSettings)
    description: str = ""

    # --- serialisation -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON/YAML-ready; tuples become lists)."""
        return json.loads(json.dumps(asdict(self), ensure_ascii=False))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a nested mapping with strict types, rejecting unknown keys.

        Nothing is converted silently: a list of site ids must be a list (a bare string
        is not split into characters), a switch must be ``true`` or ``false`` (not the
        text ``"false"``, nor 0 or 1), a whole number must be whole and finite (``40.0``
        is accepted as 40; ``40.5``, NaN and infinity are not), text must be text
        without control characters. A missing or ``null`` list or per-county mapping
        is empty.

        Raises
        ------
        PlannerError
            ``scenario.invalid`` listing every problem found, each with the field's
            dotted path and the value.
        """
        problems: list[ScenarioProblem] = []
        if not isinstance(data, Mapping):
            problems.append(ScenarioProblem("scenario.not_mapping", {"value": shown(data)}))
            raise _as_error(problems)
        scenario = _build(cls, data, "", problems)
        problems.extend(scenario._value_problems())
        if problems:
            raise _as_error(problems)
        return scenario

    def to_json(self) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_yaml(self) -> str:
        """YAML text."""
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    def save(self, path: str | Path) -> Path:
        """Write to ``.json`` or ``.yaml``/``.yml``."""
        path = Path(path)
        text = self.to_json() if path.suffix == ".json" else self.to_yaml()
        if path.suffix not in (".json", ".yaml", ".yml"):
            raise PlannerError("scenario.unsupported_format", suffix=path.suffix)
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a ``.json``, ``.yaml``/``.yml`` or ``.toml`` scenario file.

        Raises
        ------
        PlannerError
            ``scenario.unsupported_format``, ``scenario.bad_file``, ``limit.exceeded``
            (file size, values after YAML alias expansion; :func:`read_data_file`) or
            the problems of :meth:`from_dict`.
        """
        path = Path(path)
        data = read_data_file(path)
        if not isinstance(data, Mapping):
            raise PlannerError(
                "scenario.bad_file",
                path=path,
                error=Text("scenario.not_mapping", value=shown(data)),
            )
        return cls.from_dict(data)

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with top-level fields or ``"stations.count"``-style paths changed."""
        data = self.to_dict()
        for key, value in changes.items():
            target = data
            *parents, leaf = key.split(".")
            for part in parents:
                # an unknown or non-section path is named by from_dict, not a KeyError
                if not isinstance(target.get(part), dict):
                    target[part] = {}
                target = target[part]
            target[leaf] = value
        return Scenario.from_dict(data)

    # --- validation ----------------------------------------------------------------

    def validate(self) -> list[ScenarioProblem]:
        """Every problem with the parameters, as bilingual messages.

        The types are checked first (a scenario built directly, not by
        :meth:`from_dict`, may hold anything); the values only when the types are right.
        """
        problems: list[ScenarioProblem] = []
        _check_types(self, "", problems)
        return problems or self._value_problems()

    def _value_problems(self) -> list[ScenarioProblem]:
        """Problems with the values of a scenario whose types are right."""
        p: list[ScenarioProblem] = []
        s, c, g = self.stations, self.centres, self.generation
        if s.count is not None and s.count <= 0:
            p.append(
                ScenarioProblem("scenario.positive", {"field": "stations.count", "value": s.count})
            )
        if s.count is None and s.capacity_standard == "none" and s.objective != "set_cover":
            p.append(ScenarioProblem("scenario.count_or_standard", {}))
        for name, value in (("stations.count", s.count), ("centres.count", c.count)):
            if value is not None and value > CELL_MAXIMUM:
                p.append(
                    ScenarioProblem(
                        "scenario.at_most",
                        {"field": name, "value": shown(value), "maximum": shown(CELL_MAXIMUM)},
                    )
                )
        for name, value in (
            ("stations.radius_urban_m", s.radius_urban_m),
            ("stations.radius_rural_m", s.radius_rural_m),
            ("centres.count", c.count),
            ("centres.capacity_t_per_day", c.capacity_t_per_day),
            ("circuity", self.circuity),
            ("solver.time_limit_s", self.solver.time_limit_s),
        ):
            if not value > 0:
                p.append(ScenarioProblem("scenario.positive", {"field": name, "value": value}))
        for name, value in (
            ("generation.urban_kg_per_person_day", g.urban_kg_per_person_day),
            ("generation.rural_kg_per_person_day", g.rural_kg_per_person_day),
            ("centres.fixed_cost", c.fixed_cost),
            ("dense_grid_m", self.dense_grid_m),
        ):
            if value < 0:
                p.append(ScenarioProblem("scenario.non_negative", {"field": name, "value": value}))
        if not 0 <= self.solver.gap < 1:
            p.append(
                ScenarioProblem("scenario.share", {"field": "solver.gap", "value": self.solver.gap})
            )
        p += self._bound_problems()
        for tier in (s, c):
            for county, lo in tier.county_min.items():
                hi = tier.county_max.get(county)
                if hi is not None and lo > hi:
                    p.append(
                        ScenarioProblem(
                            "scenario.min_above_max",
                            {"county": county, "minimum": lo, "maximum": hi},
                        )
                    )
            count = tier.count
            total = sum(tier.county_min.values())
            if count is not None and count > 0 and total > count:
                p.append(ScenarioProblem("scenario.county_sum", {"total": total, "count": count}))
            both = sorted(set(tier.required_sites) & set(tier.excluded_sites))
            if both:
                p.append(
                    ScenarioProblem(
                        "scenario.required_and_excluded", {"count": len(both), "example": both[0]}
                    )
                )
        return p

    def _bound_problems(self) -> list[ScenarioProblem]:
        """Values that are allowed by type and sign but unusable (see :data:`MIN_GRID_M`)."""
        p: list[ScenarioProblem] = []
        s = self.stations
        if s.use_capacity and s.capacity_standard == "none":
            p.append(
                ScenarioProblem(
                    "scenario.capacity_needs_standard",
                    {"field": "stations.use_capacity", "standard": "stations.capacity_standard"},
                )
            )
        if 0 < self.circuity < 1:
            p.append(
                ScenarioProblem(
                    "scenario.circuity_below_one",
                    {"field": "circuity", "value": shown(self.circuity)},
                )
            )
        if 0 < self.dense_grid_m < MIN_GRID_M:
            p.append(
                ScenarioProblem(
                    "scenario.grid_too_fine",
                    {
                        "field": "dense_grid_m",
                        "value": shown(self.dense_grid_m),
                        "minimum": shown(MIN_GRID_M),
                    },
                )
            )
        if self.solver.time_limit_s > MAX_TIME_LIMIT_S:
            p.append(
                ScenarioProblem(
                    "scenario.time_limit_large",
                    {
                        "field": "solver.time_limit_s",
                        "value": shown(self.solver.time_limit_s),
                        "maximum": shown(MAX_TIME_LIMIT_S),
                    },
                )
            )
        return p

    def check(self) -> Scenario:
        """Raise :class:`PlannerError` if :meth:`validate` finds problems; else ``self``."""
        problems = self.validate()
        if problems:
            raise _as_error(problems)
        return self

    def households_per_station(self) -> tuple[int, int] | None:
        """(urban, rural) households per station under the chosen standard."""
        return CAPACITY_STANDARDS.get(self.stations.capacity_standard)


@dataclass(frozen=True)
class ScenarioProblem:
    """One invalid parameter: a message key and its values.

    ``severity`` is ``error`` (the scenario cannot run) or ``warning`` (it can, but the
    run may find no plan, or a value looks like a slip); see
    :mod:`planner.scenario.checks`.
    """

    key: str
    params: dict[str, Any]
    severity: Literal["error", "warning"] = "error"

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)


def _as_error(problems: list[ScenarioProblem]) -> PlannerError:
    return PlannerError("scenario.invalid", details=problems)


def shown(value: Any) -> str:
    """A value as a planner would write it, short enough for a one-line message.

    Numbers as typed (``150``, ``0.5``, ``1,000,000``, ``nan``), text in quotes (so
    ``"false"`` is visibly not ``false``), lists and mappings abridged.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # str() of an int over 4,300 digits raises; the order of magnitude says enough
        return f"{value:,}" if abs(value) < 10**30 else f"~10^{int(math.log10(abs(value)))}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.6g}"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _build(cls: type, data: Any, prefix: str, problems: list[ScenarioProblem]) -> Any:
    """Construct dataclass ``cls`` from ``data``, recording type problems.

    A field with a wrong value keeps its default, so the value checks can still run
    and every problem is reported at once.
    """
    if not isinstance(data, Mapping):
        problems.append(
            ScenarioProblem("scenario.section", {"field": prefix.rstrip("."), "value": shown(data)})
        )
        return cls()
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            problems.append(ScenarioProblem("scenario.unknown_field", {"field": f"{prefix}{key}"}))
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        name, value, hint = prefix + f.name, data[f.name], hints[f.name]
        if is_dataclass(hint):
            kwargs[f.name] = _build(hint, value, name + ".", problems)
            continue
        before = len(problems)
        coerced = _coerce(hint, value, name, problems)
        if len(problems) == before:
            kwargs[f.name] = coerced
    return cls(**kwargs)


def _check_types(obj: Any, prefix: str, problems: list[ScenarioProblem]) -> None:
    """The type problems of a dataclass built without :meth:`Scenario.from_dict`."""
    hints = get_type_hints(type(obj))
    for f in fields(obj):
        name, value, hint = prefix + f.name, getattr(obj, f.name), hints[f.name]
        if is_dataclass(hint):
            if isinstance(value, hint):
                _check_types(value, name + ".", problems)
            else:
                problems.append(
                    ScenarioProblem("scenario.section", {"field": name, "value": shown(value)})
                )
        else:
            _coerce(hint, value, name, problems)


def _coerce(hint: Any, value: Any, name: str, problems: list[ScenarioProblem]) -> Any:
    """``value`` as type ``hint``, or a problem; never a silent conversion."""
    text = str(hint)

    def bad(key: str, **params: Any) -> None:
        problems.append(ScenarioProblem(key, {"field": name, "value": shown(value), **params}))

    if "Literal" in text:
        choices = get_args(hint)
        if not isinstance(value, str) or value not in choices:
            bad("scenario.choice", choices="/".join(choices))
            return None
        return value
    if hint is bool:
        if not isinstance(value, bool):
            bad("scenario.boolean")
            return None
        return value
    if text.startswith("tuple"):
        return _site_ids(value, name, problems)
    if text.startswith("dict"):
        return _county_map(value, name, problems)
    if hint is str:
        if not isinstance(value, str):
            bad("scenario.text")
            return None
        _control_chars(value, name, problems, allow_breaks=name == "description")
        return value
    if value is None and "None" in text:
        return None
    if "float" in text:
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            bad("scenario.number")
            return None
        return float(value)
    if "int" in text:
        whole = _whole(value)
        if whole is None:
            bad("scenario.integer")
        return whole
    return value  # pragma: no cover - every field type is handled above


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _whole(value: Any) -> int | None:
    """``value`` as an int if it is a finite whole number (40 or 40.0), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _control_chars(
    value: str, name: str, problems: list[ScenarioProblem], *, allow_breaks: bool = False
) -> None:
    found = _CONTROL.search(value) or (None if allow_breaks else re.search(r"[\t\n\r]", value))
    if found:
        char = f"U+{ord(found.group()):04X}"
        problems.append(ScenarioProblem("scenario.control_char", {"field": name, "char": char}))


def _site_ids(value: Any, name: str, problems: list[ScenarioProblem]) -> tuple[str, ...] | None:
    """A list of site ids: text, or whole numbers as YAML reads an unquoted code."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        problems.append(ScenarioProblem("scenario.id_list", {"field": name, "value": shown(value)}))
        return None
    ids: list[str] = []
    before = len(problems)
    for index, item in enumerate(value, start=1):
        if isinstance(item, str) and item.strip():
            _control_chars(item, name, problems)
            ids.append(item.strip())
        elif isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            ids.append(str(item))
        else:
            problems.append(
                ScenarioProblem(
                    "scenario.id_item", {"field": name, "index": index, "value": shown(item)}
                )
            )
    return tuple(ids) if len(problems) == before else None


def _county_map(value: Any, name: str, problems: list[ScenarioProblem]) -> dict[str, int] | None:
    """County code -> whole number 0 … :data:`CELL_MAXIMUM`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(
            ScenarioProblem("scenario.county_map", {"field": name, "value": shown(value)})
        )
        return None
    out: dict[str, int] = {}
    before = len(problems)
    for key, number in value.items():
        path = f"{name}.{key}"
        if isinstance(key, bool) or not isinstance(key, str | int):
            problems.append(
                ScenarioProblem("scenario.county_map", {"field": name, "value": shown(value)})
            )
            continue
        whole = _whole(number)
        if whole is None:
            problems.append(
                ScenarioProblem("scenario.integer", {"field": path, "value": shown(number)})
            )
        elif whole < 0:
            problems.append(
                ScenarioProblem("scenario.non_negative", {"field": path, "value": whole})
            )
        elif whole > CELL_MAXIMUM:
            problems.append(
                ScenarioProblem(
                    "scenario.at_most",
                    {"field": path, "value": shown(whole), "maximum": shown(CELL_MAXIMUM)},
                )
            )
        else:
            out[str(key)] = whole
    return out if len(problems) == before else None


# --- reading files ---------------------------------------------------------------------------


class _Recursive(Exception):
    """A YAML alias inside its own anchor."""


def read_data_file(
    path: str | Path,
    *,
    bad_file: str = "scenario.bad_file",
    unsupported: str = "scenario.unsupported_format",
) -> Any:
    """Parse a JSON, YAML or TOML file within the scenario-file limits.

    The file may be at most ``limit("scenario_kb")`` KB (only that much is read, so
    ``/dev/zero`` is refused too) and hold at most ``limit("scenario_nodes")`` values
    once YAML aliases are expanded; the expanded text may not exceed the file limit
    either. A 400-byte "billion laughs" file is refused before it is built.

    Parameters
    ----------
    path
        The file; its suffix picks the format.
    bad_file, unsupported
        Message keys for an unreadable file (``{path}``, ``{error}``) and an unknown
        suffix (``{suffix}``), so a sweep file is named as such.

    Raises
    ------
    PlannerError
        ``unsupported``, ``bad_file`` or ``limit.exceeded``.
    """
    path = Path(path)
    if path.suffix.lower() not in (".json", ".yaml", ".yml", ".toml"):
        raise PlannerError(unsupported, suffix=path.suffix or path.name)
    max_bytes = int(limit("scenario_kb") * 1024)
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        size = max(len(raw), path.stat().st_size)
        check_limit("scenario_kb", math.ceil(size / 1024))
        text = raw.decode("utf-8-sig")
        suffix = path.suffix.lower()
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            return _load_yaml(text, max_bytes)
        check_limit("scenario_nodes", _count_values(data))
        return data
    except RecursionError as err:
        raise PlannerError(bad_file, path=path, error=Text("scenario.too_deep")) from err
    except _Recursive as err:
        raise PlannerError(bad_file, path=path, error=Text("scenario.yaml_recursive")) from err
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise PlannerError(bad_file, path=path, error=_one_line(err)) from err


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def _load_yaml(text: str, max_bytes: int) -> Any:
    """Compose the YAML node graph, measure it with aliases expanded, then build it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        values, chars = _expanded_size(node)
        check_limit("scenario_nodes", values)
        if chars > max_bytes:
            from planner.limits import LIMITS

            raise PlannerError(
                "scenario.expanded_too_large",
                value=f"{math.ceil(chars / 1024):,}",
                maximum=f"{max_bytes // 1024:,}",
                env=LIMITS["scenario_kb"].env,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(values, scalar characters) of a YAML node graph with every alias expanded.

    An alias is the same node object as its anchor, so sizes are memoised per node:
    the count is exact (it may be astronomically large) without expanding anything.
    """
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Recursive
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            result = (1, len(node.value))
        else:
            children = (
                [part for pair in node.value for part in pair]
                if isinstance(node, yaml.MappingNode)
                else node.value
            )
            values, chars = 1, 0
            for child in children:
                v, c = size(child)
                values, chars = values + v, chars + c
            result = (values, chars)
        open_nodes.discard(key)
        sizes[key] = result
        return result

    return size(root)


def _count_values(data: Any) -> int:
    """Values in parsed JSON/TOML data (no aliases there: a plain walk)."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return count


def default_scenario(region_id: str) -> Scenario:
    """The region's default scenario (``scenario.yaml`` in its pack), else the defaults."""
    from planner.data.regions import region_folder

    folder = region_folder(region_id)
    if folder is not None and (folder / "scenario.yaml").exists():
        return Scenario.load(folder / "scenario.yaml")
    return replace(Scenario(), region=region_id, name=region_id)

"""The scenario: every parameter of a planning run, validated and serialisable.

A :class:`Scenario` is plain data (frozen dataclasses), so it can be stored, compared,
cloned and sent to a worker. It reads and writes JSON, YAML and TOML (read only, as the
standard library has no TOML writer). :meth:`Scenario.validate` returns every problem at
once, each with a bilingual message, and :meth:`Scenario.check` raises the first batch
as a :class:`~planner.i18n.PlannerError`.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

import yaml

from planner.i18n import PlannerError, register, t

__all__ = [
    "CAPACITY_STANDARDS",
    "CentreTier",
    "Generation",
    "Scenario",
    "ScenarioProblem",
    "SolverSettings",
    "StationTier",
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

register(
    {
        "scenario.invalid": {
            "zh": "情景参数有误：",
            "en": "The scenario has invalid parameters:",
        },
        "scenario.positive": {
            "zh": "“{field}”必须大于 0（当前为 {value}）",
            "en": "“{field}” must be greater than 0 (it is {value})",
        },
        "scenario.non_negative": {
            "zh": "“{field}”不能为负数（当前为 {value}）",
            "en": "“{field}” must not be negative (it is {value})",
        },
        "scenario.share": {
            "zh": "“{field}”必须在 0 到 1 之间（当前为 {value}）",
            "en": "“{field}” must be between 0 and 1 (it is {value})",
        },
        "scenario.choice": {
            "zh": "“{field}”只能取 {choices}（当前为 {value}）",
            "en": "“{field}” must be one of {choices} (it is {value})",
        },
        "scenario.integer": {
            "zh": "“{field}”必须是整数（当前为 {value}）",
            "en": "“{field}” must be a whole number (it is {value})",
        },
        "scenario.number": {
            "zh": "“{field}”必须是数字（当前为 {value}）",
            "en": "“{field}” must be a number (it is {value})",
        },
        "scenario.min_above_max": {
            "zh": "{county} 的站点下限 {minimum} 大于上限 {maximum}",
            "en": "{county}: the minimum of {minimum} stations exceeds the maximum of {maximum}",
        },
        "scenario.county_sum": {
            "zh": "各区县站点下限之和 {total} 超过全市站点数 {count}",
            "en": "The county minimums add up to {total}, more than the city total {count}",
        },
        "scenario.required_and_excluded": {
            "zh": "{count} 个站点同时被设为“必须保留”和“排除”（例如 {example}）",
            "en": "{count} sites are both required and excluded (e.g. {example})",
        },
        "scenario.unknown_field": {
            "zh": "情景文件含有未知参数“{field}”",
            "en": "The scenario file has an unknown parameter “{field}”",
        },
        "scenario.bad_file": {
            "zh": "无法读取情景文件 {path}：{error}",
            "en": "Cannot read the scenario file {path}: {error}",
        },
        "scenario.unsupported_format": {
            "zh": "不支持的情景文件格式“{suffix}”，请使用 .json、.yaml 或 .toml",
            "en": "Unsupported scenario file type “{suffix}”: use .json, .yaml or .toml",
        },
        "scenario.count_or_standard": {
            "zh": "请填写站点数量，或选择一个配置标准来推算数量",
            "en": "Give a number of stations, or choose a standard to derive it from",
        },
    }
)


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
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """Build from a nested dict, rejecting unknown keys and coercing types.

        Raises
        ------
        PlannerError
            ``scenario.invalid`` listing every problem found.
        """
        problems: list[ScenarioProblem] = []
        scenario = _build(cls, data, "", problems)
        problems.extend(scenario.validate())
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
        """Read a ``.json``, ``.yaml``/``.yml`` or ``.toml`` scenario file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                data = json.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                data = yaml.safe_load(text)
            elif path.suffix == ".toml":
                data = tomllib.loads(text)
            else:
                raise PlannerError("scenario.unsupported_format", suffix=path.suffix)
        except PlannerError:
            raise
        except (OSError, ValueError, yaml.YAMLError) as err:
            raise PlannerError("scenario.bad_file", path=path, error=err) from err
        if not isinstance(data, dict):
            raise PlannerError("scenario.bad_file", path=path, error="not a mapping")
        return cls.from_dict(data)

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with top-level fields or ``"stations.count"``-style paths changed."""
        data = self.to_dict()
        for key, value in changes.items():
            target = data
            *parents, leaf = key.split(".")
            for part in parents:
                target = target[part]
            target[leaf] = value
        return Scenario.from_dict(data)

    # --- validation ----------------------------------------------------------------

    def validate(self) -> list[ScenarioProblem]:
        """Every problem with the parameters, as bilingual messages."""
        p: list[ScenarioProblem] = []
        s, c, g = self.stations, self.centres, self.generation
        if s.count is not None and s.count <= 0:
            p.append(
                ScenarioProblem("scenario.positive", {"field": "stations.count", "value": s.count})
            )
        if s.count is None and s.capacity_standard == "none" and s.objective != "set_cover":
            p.append(ScenarioProblem("scenario.count_or_standard", {}))
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
    """One invalid parameter: a message key and its values."""

    key: str
    params: dict[str, Any]

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)


def _as_error(problems: list[ScenarioProblem]) -> PlannerError:
    return PlannerError("scenario.invalid", details=problems)


def _build(cls: type, data: Any, prefix: str, problems: list[ScenarioProblem]) -> Any:
    """Construct dataclass ``cls`` from ``data``, recording type problems."""
    if not isinstance(data, dict):
        problems.append(
            ScenarioProblem("scenario.choice", {"field": prefix, "choices": "{…}", "value": data})
        )
        return cls()
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            problems.append(ScenarioProblem("scenario.unknown_field", {"field": prefix + key}))
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        name, value, hint = prefix + f.name, data[f.name], hints[f.name]
        if is_dataclass(hint):
            kwargs[f.name] = _build(hint, value, name + ".", problems)
        else:
            kwargs[f.name] = _coerce(hint, value, name, problems)
    try:
        return cls(**kwargs)
    except TypeError:  # pragma: no cover - unknown keys are filtered above
        return cls()


def _coerce(hint: Any, value: Any, name: str, problems: list[ScenarioProblem]) -> Any:
    text = str(hint)
    if "Literal" in text:
        choices = get_args(hint)
        if value not in choices:
            problems.append(
                ScenarioProblem(
                    "scenario.choice", {"field": name, "choices": "/".join(choices), "value": value}
                )
            )
            return choices[0]
        return value
    if hint is bool:
        return bool(value)
    if text.startswith("tuple"):
        return tuple(str(v) for v in (value or ()))
    if text.startswith("dict"):
        out = {}
        for k, v in (value or {}).items():
            if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
                problems.append(
                    ScenarioProblem("scenario.integer", {"field": f"{name}.{k}", "value": v})
                )
                continue
            out[str(k)] = int(v)
        return out
    if hint is str:
        return str(value)
    if value is None and "None" in text:
        return None
    if hint is float or "float" in text:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append(ScenarioProblem("scenario.number", {"field": name, "value": value}))
            return 1.0
        return float(value)
    if "int" in text:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            problems.append(ScenarioProblem("scenario.integer", {"field": name, "value": value}))
            return 1
        return int(value)
    return value


def default_scenario(region_id: str) -> Scenario:
    """The region's default scenario (``scenario.yaml`` in its pack), else the defaults."""
    from planner.regions import region_folder

    folder = region_folder(region_id)
    if folder is not None and (folder / "scenario.yaml").exists():
        return Scenario.load(folder / "scenario.yaml")
    return replace(Scenario(), region=region_id, name=region_id)

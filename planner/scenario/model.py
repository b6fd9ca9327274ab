"""The scenario: every parameter of a planning run, as plain data that reads and writes itself.

A :class:`Scenario` is frozen dataclasses, so it can be stored, compared, cloned and sent
to a worker. It reads and writes JSON and YAML and reads TOML (the standard library has
no TOML writer). :meth:`Scenario.validate` returns every problem at once, each a
bilingual :class:`~planner.scenario.problems.ScenarioProblem`, and :meth:`Scenario.check`
raises them as one :class:`~planner.i18n.PlannerError`.

Types are strict (:mod:`planner.scenario.coercion`). The bounds the scenario form
checked first (a grid of at least :data:`MIN_GRID_M`, a circuity of at least 1, a time
limit of at most a day, a capacity rule only with a standard) hold for every scenario,
wherever it comes from. Checks that need the region are in :mod:`planner.scenario.checks`;
files are read within bounds by :mod:`planner.scenario.files`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from planner.i18n import PlannerError, Text
from planner.scenario.coercion import CELL_MAXIMUM, _build, _check_types
from planner.scenario.existing import Costs, ExistingNetwork, network_problems
from planner.scenario.files import read_data_file
from planner.scenario.kind_list import PlannedKind, kind_list_problems
from planner.scenario.markets import market_problems
from planner.scenario.phasing import Phasing, phasing_problems
from planner.scenario.problems import ScenarioProblem, _as_error, shown

__all__ = [
    "CAPACITY_STANDARDS",
    "MAX_TIME_LIMIT_S",
    "MIN_GRID_M",
    "CentreTier",
    "Costs",
    "ExistingNetwork",
    "Generation",
    "MarketTier",
    "PlannedKind",
    "Scenario",
    "SolverSettings",
    "StationTier",
    "default_scenario",
    "set_path",
]

StationObjective = Literal["p_median", "mclp", "set_cover"]
CapacityStandard = Literal["none", "sbt10719", "zhejiang2019"]
PerCommunityRule = Literal["none", "community", "village", "all"]
SolverName = Literal["highs", "cbc"]
DistanceMode = Literal["straight", "network"]
#: How the extra candidates of dense areas are placed: a regular grid at
#: ``dense_grid_m``, or as many population-weighted k-means centres.
DenseCandidates = Literal["grid", "kmeans"]

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
#: minimum or maximum above :data:`~planner.scenario.coercion.CELL_MAXIMUM` is a slip.
MIN_GRID_M = 100.0
MAX_TIME_LIMIT_S = 86_400.0


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
    township_min
        Per-township minimum number of stations, ``{township_code: n}`` (a re-run
        honouring a review uses it to keep a rejected site's replacement in its
        township).
    required_sites, excluded_sites
        Candidate site ids that must be open / may not be used.
    min_village_share
        In every county, at least this share (0–1) of 村/社区 must have a station within
        their coverage radius (0: no rule). Hangzhou's 2025 plan asks 0.7 of villages.
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
    township_min: dict[str, int] = field(default_factory=dict)
    required_sites: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()
    min_village_share: float = 0.0


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
class MarketTier:
    """Distribution and trading markets (集散交易市场), the third tier.

    Sorting centres deliver to markets as stations deliver to centres: each centre
    to exactly one market (single sourcing) within the market's capacity. Markets
    are sited on the sorting-centre candidate sites (township seats and the region's
    existing centres), so a market may stand beside a sorting centre.

    Attributes
    ----------
    count
        Number of markets; 0 (the default) plans no market tier.
    capacity_t_per_day
        Throughput of one market (t/day). The default, 1,000 t/day, is a planning
        assumption, not a figure from a standard.
    fixed_cost
        Cost per opened market, in the units of tonnage × km, added to the objective.
    one_per_county
        At least one market in every county (县县全覆盖 for the market tier; on by
        default, as the policy and the ``market`` kind, ``data/kinds/market.toml``,
        ask).
    county_min, county_max
        Per-county minimum/maximum number of markets.
    required_sites, excluded_sites
        Sorting-centre candidate site ids that must hold / may not hold a market.
    """

    count: int = 0
    capacity_t_per_day: float = 1000.0
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
    markets
        The optional third tier (``count`` 0: none). Left out of :meth:`to_dict` while
        it is the default, so scenarios, their hashes and stored plans without
        markets read and write exactly as before.
    kinds
        Standalone facility kinds to plan after the tiers
        (:class:`~planner.scenario.kind_list.PlannedKind`); empty by default and then
        left out of :meth:`to_dict`, as ``markets`` is.
    generation
        Per-capita recyclables.
    distance_mode
        ``straight`` (straight line × ``circuity``) or ``network`` (road network).
    circuity
        Ratio of travel to straight-line distance used in ``straight`` mode.
    dense_grid_m
        Spacing (m) of extra candidate points added in dense urban areas; 0 = none.
    dense_candidates
        ``grid`` (a regular grid at that spacing) or ``kmeans`` (as many
        population-weighted cluster centres); left out of :meth:`to_dict` while ``grid``.
    solver
        Solver settings.
    existing
        How the region's existing sites (its inventory) enter the plan.
    costs
        Unit costs in yuan and the optional budgets.
    phasing
        The roll-out by year (:class:`~planner.scenario.phasing.Phasing`); empty by
        default and then left out of :meth:`to_dict`, as ``markets`` is.
    description
        Free text.
    """

    name: str = "scenario"
    region: str = "jinjiang"
    stations: StationTier = field(default_factory=StationTier)
    centres: CentreTier = field(default_factory=CentreTier)
    markets: MarketTier = field(default_factory=MarketTier)
    kinds: tuple[PlannedKind, ...] = ()
    generation: Generation = field(default_factory=Generation)
    distance_mode: DistanceMode = "straight"
    circuity: float = 1.3
    dense_grid_m: float = 0.0
    dense_candidates: DenseCandidates = "grid"
    solver: SolverSettings = field(default_factory=SolverSettings)
    existing: ExistingNetwork = field(default_factory=ExistingNetwork)
    costs: Costs = field(default_factory=Costs)
    phasing: Phasing = field(default_factory=Phasing)
    description: str = ""

    # --- serialisation -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON/YAML-ready; tuples become lists).

        ``markets``, ``kinds``, ``phasing`` and ``dense_candidates`` are left out while
        they are the defaults (no market tier, no standalone kinds, no phasing, the
        grid)."""
        data = json.loads(json.dumps(asdict(self), ensure_ascii=False))
        if self.markets == MarketTier():
            data.pop("markets", None)
        if not self.kinds:
            data.pop("kinds", None)
        if self.phasing == Phasing():
            data.pop("phasing", None)
        if self.dense_candidates == "grid":
            data.pop("dense_candidates", None)
        return data

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
            set_path(data, key, value)
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
        s, c, g, m = self.stations, self.centres, self.generation, self.markets
        if s.count is not None and s.count <= 0:
            p.append(
                ScenarioProblem("scenario.positive", {"field": "stations.count", "value": s.count})
            )
        if s.count is None and s.capacity_standard == "none" and s.objective != "set_cover":
            p.append(ScenarioProblem("scenario.count_or_standard", {}))
        for name, value in (
            ("stations.count", s.count),
            ("centres.count", c.count),
            ("markets.count", m.count),
        ):
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
            ("markets.capacity_t_per_day", m.capacity_t_per_day),
            ("circuity", self.circuity),
            ("solver.time_limit_s", self.solver.time_limit_s),
        ):
            if not value > 0:
                p.append(ScenarioProblem("scenario.positive", {"field": name, "value": value}))
        for name, value in (
            ("generation.urban_kg_per_person_day", g.urban_kg_per_person_day),
            ("generation.rural_kg_per_person_day", g.rural_kg_per_person_day),
            ("centres.fixed_cost", c.fixed_cost),
            ("markets.count", m.count),
            ("markets.fixed_cost", m.fixed_cost),
            ("dense_grid_m", self.dense_grid_m),
        ):
            if value < 0:
                p.append(ScenarioProblem("scenario.non_negative", {"field": name, "value": value}))
        if not 0 <= s.min_village_share <= 1:
            p.append(
                ScenarioProblem(
                    "scenario.share",
                    {"field": "stations.min_village_share", "value": s.min_village_share},
                )
            )
        p += network_problems(self.existing, self.costs)
        if not 0 <= self.solver.gap < 1:
            p.append(
                ScenarioProblem("scenario.share", {"field": "solver.gap", "value": self.solver.gap})
            )
        p += self._bound_problems()
        p += market_problems(m, c, self.existing.count_mode)
        p += kind_list_problems(self.kinds)
        p += phasing_problems(self.phasing, s.count, c.count)
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
            towns = sum(getattr(tier, "township_min", {}).values())
            if count is not None and count > 0 and towns > count:
                p.append(ScenarioProblem("scenario.township_sum", {"total": towns, "count": count}))
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


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted ``path`` (``stations.count``) in a scenario dict to ``value``.

    Sections on the way are created (or replace a value that is not a section), so an
    unknown or non-section path is named by :meth:`Scenario.from_dict`, not a KeyError.
    An item of a list of sections is named by its position from 1, as the scenario's
    messages name it: ``phasing.years[2].budget_yuan``.
    """
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        item = _list_item(target, part)
        if item is not None:
            target = item
            continue
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[leaf] = value


def _list_item(target: dict[str, Any], part: str) -> dict[str, Any] | None:
    """The section ``part`` = ``name[k]`` names in ``target`` (``None``: not one)."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
    if match is None:
        return None
    items = target.get(match.group(1))
    index = int(match.group(2))
    if isinstance(items, list) and 1 <= index <= len(items) and isinstance(items[index - 1], dict):
        return items[index - 1]
    return None


def default_scenario(region_id: str) -> Scenario:
    """The region's default scenario (``scenario.yaml`` in its pack), else the defaults."""
    from planner.data.regions import region_folder

    folder = region_folder(region_id)
    if folder is not None and (folder / "scenario.yaml").exists():
        return Scenario.load(folder / "scenario.yaml")
    return replace(Scenario(), region=region_id, name=region_id)

"""The catalogue of facility kinds, read from data files.

A facility kind (回收站点, 分拣中心, 集散交易市场, 家电家具回收网点, 智能回收设施,
报废机动车回收拆解企业, ...) is one TOML file: its names, map symbol, tier (or
``standalone``), demand basis, coverage, capacity, count targets, siting rules
(forbidden and allowed zones with buffers) and a colocation preference. Built-in kinds
are in ``data/kinds``; a planner adds a kind by putting a file in
``$PLANNER_HOME/kinds`` (or any folder passed as ``extra``), not by changing code.

Every figure says where it comes from: each section has a ``source`` and, when its
numbers are the planner's rather than a standard's, ``planner_set = true``. A figure
written ``"scenario:<field>"`` (``"scenario:stations.radius_urban_m"``) is the scenario's
value, so the two existing tiers keep one source of truth (resolved by
:func:`planner.scenario.kinds.resolve_figure`).

Zone and point-of-interest categories are a vocabulary in ``data/categories.toml`` with
their Chinese and English names; a kind naming an unknown category is refused.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.i18n import DEFAULT_LANGUAGE, InLanguages, PlannerError, Text
from planner.paths import ID_PATTERN, planner_home

__all__ = [
    "BASES",
    "CATEGORIES_FILE",
    "KINDS_DIR",
    "SERVICE_AREAS",
    "TIERS",
    "Capacity",
    "Categories",
    "Colocation",
    "CountTargets",
    "Coverage",
    "DemandBasis",
    "FacilityKind",
    "ScenarioRef",
    "SitingRule",
    "Symbol",
    "load_categories",
    "load_kind_file",
    "load_kinds",
    "user_kinds_dir",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
KINDS_DIR = DATA_DIR / "kinds"
CATEGORIES_FILE = DATA_DIR / "categories.toml"
TIERS = ("station", "sorting_centre", "market", "standalone")
BASES = ("residents", "households", "poi", "vehicles", "table")
SERVICE_AREAS = ("township", "county", "city")
RULES = ("forbidden", "allowed")
#: Prefix of a figure that is the scenario's value, not the file's.
SCENARIO_PREFIX = "scenario:"


@dataclass(frozen=True)
class ScenarioRef:
    """A figure taken from the scenario (``stations.radius_urban_m``), not repeated here."""

    path: str


Figure = float | ScenarioRef | None


@dataclass(frozen=True)
class Categories:
    """The zone and point-of-interest vocabularies: ``{category: {"zh": .., "en": ..}}``."""

    zones: Mapping[str, Mapping[str, str]]
    pois: Mapping[str, Mapping[str, str]]

    def name(self, layer: str, category: str) -> InLanguages:
        """The category's name in both languages (the id itself when unknown)."""
        names = getattr(self, layer).get(category) or {DEFAULT_LANGUAGE: category}
        return InLanguages(**names)


@dataclass(frozen=True)
class Symbol:
    """How the kind is drawn: an icon name (Font Awesome, as folium uses) and a colour."""

    icon: str
    colour: str


@dataclass(frozen=True)
class DemandBasis:
    """What the kind serves.

    Attributes
    ----------
    basis
        ``residents``, ``households`` (communities layer), ``poi`` (points of interest of
        ``categories``, weight 1 or ``weight_column``), ``vehicles`` (registered vehicles
        per county, the region's ``vehicles`` table) or ``table`` (the table ``table``).
    """

    basis: str
    categories: tuple[str, ...] = ()
    weight_column: str | None = None
    table: str | None = None
    source: str = ""
    planner_set: bool = False


@dataclass(frozen=True)
class Coverage:
    """Coverage radius for 社区 (urban) and 村 (rural), or a service area."""

    radius_urban_m: Figure = None
    radius_rural_m: Figure = None
    service_area: str | None = None
    source: str = ""
    planner_set: bool = False


@dataclass(frozen=True)
class Capacity:
    """What one facility handles, in ``unit``; ``value`` ``None`` when not yet set."""

    unit: str
    value: Figure = None
    source: str = ""
    planner_set: bool = False


@dataclass(frozen=True)
class CountTargets:
    """How many: in the city, at least per county (县县全覆盖), at least per township."""

    city: Figure = None
    per_county_min: Figure = None
    per_township_min: Figure = None
    source: str = ""
    planner_set: bool = False


@dataclass(frozen=True)
class SitingRule:
    """A zone rule on candidate sites.

    Attributes
    ----------
    rule
        ``forbidden``: no site in a zone of ``zones`` or within ``buffer_m`` of one;
        ``allowed``: sites only inside (or within ``buffer_m`` of) a zone of ``zones``.
    source
        The standard or policy the rule comes from.
    planner_set
        Whether the rule's numbers (the buffer) are the planner's, not the source's.
    """

    rule: str
    zones: tuple[str, ...]
    buffer_m: float
    source: str
    planner_set: bool = False


@dataclass(frozen=True)
class Colocation:
    """Put the facility next to a point of interest of ``poi`` within ``within_m``.

    ``preference_m`` makes it a preference of the kind's model, not only a note on
    its sites: a candidate within ``within_m`` of such a point counts, for every
    demand point it serves, as if it were this many metres closer (never below 0 m).
    The coverage models weigh it in their service-distance stage (which plan among
    those covering the most), so it never trades coverage for colocation;
    ``0`` (the default) notes colocated sites without preferring them.
    """

    poi: str
    within_m: float
    source: str
    planner_set: bool = False
    preference_m: float = 0.0


@dataclass(frozen=True)
class FacilityKind:
    """One kind of facility, as its file describes it."""

    id: str
    name: Mapping[str, str]
    symbol: Symbol
    tier: str
    demand: DemandBasis
    coverage: Coverage
    capacity: Capacity | None = None
    counts: CountTargets | None = None
    siting: tuple[SitingRule, ...] = ()
    colocation: Colocation | None = None
    path: Path | None = None

    def label(self) -> InLanguages:
        """The kind's name in both languages, to fill a message placeholder."""
        return InLanguages(**self.name)


# ---- reading, field by field


#: What a field should have been, in words (``kinds.bad_type``'s ``expected``).
_EXPECTED = {
    "table": "kinds.expect.table",
    "text": "kinds.expect.text",
    "number": "kinds.expect.number",
    "flag": "kinds.expect.flag",
    "categories": "kinds.expect.categories",
    "rules": "kinds.expect.rules",
}


class _File:
    """One file being read: refuses, naming the file and the field, what is not valid."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, field: str, **params: Any) -> PlannerError:
        return PlannerError(key, path=self.path.name, field=field, **params)

    def wrong_type(self, field: str, expected: str) -> PlannerError:
        return self.fail("kinds.bad_type", field, expected=Text(_EXPECTED[expected]))

    def section(self, data: Any, field: str, known: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.wrong_type(field, "table")
        for name in data:
            if name not in known:
                raise self.fail("kinds.unknown_field", f"{field}.{name}" if field else name)
        return data

    def text(self, data: dict, field: str, name: str, *, required: bool = True) -> str | None:
        value = data.get(name)
        where = f"{field}.{name}" if field else name
        if value is None:
            if required:
                raise self.fail("kinds.missing", where)
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.wrong_type(where, "text")
        return value.strip()

    def flag(self, data: dict, field: str, name: str) -> bool:
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise self.wrong_type(f"{field}.{name}", "flag")
        return value

    def number(self, data: dict, field: str, name: str, *, scenario: bool = True) -> Figure:
        value = data.get(name)
        where = f"{field}.{name}"
        if value is None:
            return None
        if scenario and isinstance(value, str) and value.startswith(SCENARIO_PREFIX):
            ref = value.removeprefix(SCENARIO_PREFIX).strip()
            if not ref:
                raise self.wrong_type(where, "number")
            return ScenarioRef(ref)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong_type(where, "number")
        if value < 0:
            raise self.fail("kinds.negative", where, value=value)
        return float(value)

    def choice(self, data: dict, field: str, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(data, field, name)
        if value not in allowed:
            raise self.fail(
                "kinds.unknown_value",
                f"{field}.{name}" if field else name,
                value=value,
                known="/".join(allowed),
            )
        return value

    def categories(self, data: dict, field: str, name: str, known: Mapping) -> tuple[str, ...]:
        value = data.get(name)
        where = f"{field}.{name}"
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.wrong_type(where, "categories")
        for category in value:
            if category not in known:
                raise self.fail(
                    "kinds.unknown_value", where, value=category, known="/".join(sorted(known))
                )
        return tuple(value)

    def sourced(self, data: dict, field: str) -> tuple[str, bool]:
        """A section's source and whether its figures are the planner's: one is needed,
        so no figure looks as if a standard gave it."""
        source = self.text(data, field, "source", required=False) or ""
        planner_set = self.flag(data, field, "planner_set")
        if not source and not planner_set:
            raise self.fail("kinds.unsourced", f"{field}.source")
        return source, planner_set


_SOURCED = ("source", "planner_set")


def _demand(f: _File, data: Any, categories: Categories) -> DemandBasis:
    data = f.section(data, "demand", ("basis", "categories", "weight_column", "table", *_SOURCED))
    basis = f.choice(data, "demand", "basis", BASES)
    cats: tuple[str, ...] = ()
    if basis == "poi":
        cats = f.categories(data, "demand", "categories", categories.pois)
    elif "categories" in data:
        raise f.fail("kinds.unknown_field", "demand.categories")
    table = f.text(data, "demand", "table", required=basis == "table")
    if basis == "vehicles":
        table = table or "vehicles"
    return DemandBasis(
        basis,
        cats,
        f.text(data, "demand", "weight_column", required=False),
        table,
        *f.sourced(data, "demand"),
    )


def _coverage(f: _File, data: Any) -> Coverage:
    data = f.section(
        data, "coverage", ("radius_urban_m", "radius_rural_m", "service_area", *_SOURCED)
    )
    urban = f.number(data, "coverage", "radius_urban_m")
    rural = f.number(data, "coverage", "radius_rural_m")
    area = None
    if "service_area" in data:
        area = f.choice(data, "coverage", "service_area", SERVICE_AREAS)
    if area is None and (urban is None or rural is None):
        raise f.fail("kinds.missing", "coverage.radius_urban_m/radius_rural_m/service_area")
    return Coverage(urban, rural, area, *f.sourced(data, "coverage"))


def _capacity(f: _File, data: Any) -> Capacity:
    data = f.section(data, "capacity", ("value", "unit", *_SOURCED))
    return Capacity(
        f.text(data, "capacity", "unit"),
        f.number(data, "capacity", "value"),
        *f.sourced(data, "capacity"),
    )


def _counts(f: _File, data: Any) -> CountTargets:
    data = f.section(data, "counts", ("city", "per_county_min", "per_township_min", *_SOURCED))
    return CountTargets(
        f.number(data, "counts", "city"),
        f.number(data, "counts", "per_county_min"),
        f.number(data, "counts", "per_township_min"),
        *f.sourced(data, "counts"),
    )


def _siting(f: _File, data: Any, categories: Categories) -> tuple[SitingRule, ...]:
    if not isinstance(data, list):
        raise f.wrong_type("siting", "rules")
    rules = []
    for i, item in enumerate(data, start=1):
        field = f"siting[{i}]"
        item = f.section(item, field, ("rule", "zones", "buffer_m", *_SOURCED))
        buffer = f.number(item, field, "buffer_m", scenario=False)
        source, planner_set = f.sourced(item, field)
        if not source:  # a rule always names what it comes from (a planning assumption too)
            raise f.fail("kinds.missing", f"{field}.source")
        rules.append(
            SitingRule(
                f.choice(item, field, "rule", RULES),
                f.categories(item, field, "zones", categories.zones),
                0.0 if buffer is None else float(buffer),  # type: ignore[arg-type]
                source,
                planner_set,
            )
        )
    return tuple(rules)


def _colocation(f: _File, data: Any, categories: Categories) -> Colocation:
    data = f.section(data, "colocation", ("poi", "within_m", "preference_m", *_SOURCED))
    poi = f.choice(data, "colocation", "poi", tuple(categories.pois))
    within = f.number(data, "colocation", "within_m", scenario=False)
    if within is None:
        raise f.fail("kinds.missing", "colocation.within_m")
    preference = f.number(data, "colocation", "preference_m", scenario=False)
    source, planner_set = f.sourced(data, "colocation")
    return Colocation(
        poi,
        float(within),  # type: ignore[arg-type]
        source,
        planner_set,
        0.0 if preference is None else float(preference),  # type: ignore[arg-type]
    )


_TOP = (
    "id",
    "tier",
    "name",
    "symbol",
    "demand",
    "coverage",
    "capacity",
    "counts",
    "siting",
    "colocation",
)


def load_kind_file(path: Path, categories: Categories | None = None) -> FacilityKind:
    """Read and check one kind file.

    Raises
    ------
    PlannerError
        ``kinds.unreadable`` (not TOML), ``kinds.unknown_field``, ``kinds.missing``,
        ``kinds.bad_type``, ``kinds.negative``, ``kinds.unknown_value`` (tier, basis,
        category, service area), ``kinds.unsourced`` (a section with neither a source nor
        ``planner_set``), ``kinds.bad_id``: each names the file and the field.
    """
    path = Path(path)
    categories = categories or load_categories()
    f = _File(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlannerError("kinds.unreadable", path=path.name, details=()) from exc
    data = f.section(data, "", _TOP)
    kind_id = f.text(data, "", "id")
    if not ID_PATTERN.fullmatch(kind_id or "") or kind_id != path.stem:
        raise f.fail("kinds.bad_id", "id", value=kind_id)
    names = f.section(data.get("name", {}), "name", ("zh", "en"))
    name = {lang: f.text(names, "name", lang) for lang in ("zh", "en")}
    symbol = f.section(data.get("symbol", {}), "symbol", ("icon", "colour"))
    for part in ("demand", "coverage"):
        if part not in data:
            raise f.fail("kinds.missing", part)
    return FacilityKind(
        id=kind_id,  # type: ignore[arg-type]
        name=name,  # type: ignore[arg-type]
        symbol=Symbol(f.text(symbol, "symbol", "icon"), f.text(symbol, "symbol", "colour")),  # type: ignore[arg-type]
        tier=f.choice(data, "", "tier", TIERS),
        demand=_demand(f, data["demand"], categories),
        coverage=_coverage(f, data["coverage"]),
        capacity=_capacity(f, data["capacity"]) if "capacity" in data else None,
        counts=_counts(f, data["counts"]) if "counts" in data else None,
        siting=_siting(f, data.get("siting", []), categories),
        colocation=(
            _colocation(f, data["colocation"], categories) if "colocation" in data else None
        ),
        path=path,
    )


def user_kinds_dir() -> Path:
    """Folder of the planner's own kind files (``$PLANNER_HOME/kinds``)."""
    return planner_home() / "kinds"


def load_kinds(extra: Path | None = None) -> dict[str, FacilityKind]:
    """Every facility kind: the built-in files, the planner's folder and ``extra``.

    Parameters
    ----------
    extra
        A further folder of kind files (a region pack's ``kinds``, a test folder).

    Returns
    -------
    dict
        ``{kind_id: FacilityKind}``, built-in kinds first, each folder's files by name.

    Raises
    ------
    PlannerError
        As :func:`load_kind_file`; ``kinds.duplicate`` when two files give the same id
        (a planner's file never silently replaces a built-in kind).
    """
    categories = load_categories()
    kinds: dict[str, FacilityKind] = {}
    for folder in (KINDS_DIR, user_kinds_dir(), extra):
        if folder is None or not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).glob("*.toml")):
            kind = load_kind_file(path, categories)
            if kind.id in kinds:
                first = kinds[kind.id].path
                raise PlannerError("kinds.duplicate", id=kind.id, path=str(path), first=str(first))
            kinds[kind.id] = kind
    return kinds


@functools.cache
def load_categories(path: Path = CATEGORIES_FILE) -> Categories:
    """The zone and point-of-interest vocabularies (``data/categories.toml``)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    vocab: dict[str, dict[str, dict[str, str]]] = {}
    for layer in ("zones", "pois"):
        entries = data.get(layer, {})
        for category, names in entries.items():
            if not (ID_PATTERN.fullmatch(category) and {"zh", "en"} <= set(names)):
                raise PlannerError("kinds.bad_category_file", path=Path(path).name, field=category)
        vocab[layer] = {c: {"zh": n["zh"], "en": n["en"]} for c, n in entries.items()}
    return Categories(vocab["zones"], vocab["pois"])

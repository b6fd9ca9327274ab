"""Checks of a scenario against its region, and values that look like slips.

:meth:`planner.scenario.Scenario.validate` knows only the scenario. What needs the
region lives here: counts against the candidate sites and the townships, per-county
limits against the counties' candidates, site ids that are not candidates. The same
checks serve every way a scenario arrives (the scenario form, a file on the command
line, a sweep point, the Python API), with the same bilingual messages:

* the scenario page shows them as the planner types (:func:`region_problems` with the
  candidates the region gives, :meth:`CandidateSites.of_region`);
* :func:`planner.run.run_plan` refuses a scenario with an error before solving,
  with the candidates the run really has (:meth:`CandidateSites.of_frame`, including
  supplied and grid sites);
* the command line prints the warnings before it solves.

Every finding is a :class:`~planner.scenario.ScenarioProblem` whose ``severity`` is
``error`` (the run cannot go ahead) or ``warning`` (it can, but may find no plan, or a
value is unusually large). Field names are dotted scenario paths (``stations.count``),
which the command line shows as they are and the scenario page replaces by its labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner import format as fmt
from planner.data.regions import Region
from planner.i18n import PlannerError, Text
from planner.scenario.compliance import classify_sites
from planner.scenario.existing import ExistingNetwork
from planner.scenario.kind_list import kind_region_problems
from planner.scenario.markets import market_region_problems
from planner.scenario.model import Scenario
from planner.scenario.problems import ScenarioProblem, shown

__all__ = [
    "LARGE_CIRCUITY",
    "LARGE_GENERATION_KG",
    "LARGE_RADIUS_M",
    "TABLE_KEYS",
    "CandidateSites",
    "check_region",
    "region_problems",
    "unknown_site_ids",
    "value_warnings",
]

#: Values above these are allowed but probably a slip (a unit, a digit too many).
LARGE_RADIUS_M = 50_000.0
LARGE_GENERATION_KG = 5.0
LARGE_CIRCUITY = 3.0
#: Unknown ids named in a message; the count says how many there are in all.
SHOWN_IDS = 5
#: Findings about counts and per-county limits (the form shows them by its table).
TABLE_KEYS = frozenset(
    {
        "scenario.tier_min_above_max",
        "scenario.min_over_total",
        "scenario.max_under_total",
        "scenario.county_rule",
        "scenario.township_rule",
    }
)
TIERS = ("stations", "centres")
#: Tier -> its name in the messages.
_TIER_LABEL = {"stations": "tier.station", "centres": "tier.sorting_centre"}
#: ``stations.one_per_community`` rule that asks for stations -> its words.
_PER_COMMUNITY = {
    "community": "term.every_shequ",
    "village": "term.every_village",
    "all": "term.every_community_and_village",
}


class IdList(Text):
    """Site ids listed in the message's language (``a、b`` or ``a, b``), abridged."""

    __slots__ = ()

    def __init__(self, ids: Iterable[str]) -> None:
        super().__init__("", ids=tuple(ids))

    def message(self, lang: str = "zh") -> str:
        ids = self.params["ids"]
        text = ("、" if lang == "zh" else ", ").join(ids[:SHOWN_IDS])
        return text + ("…" if len(ids) > SHOWN_IDS else "")


@dataclass(frozen=True)
class CandidateSites:
    """The candidate sites of one tier, as far as a check needs them.

    Attributes
    ----------
    ids
        Every candidate ``site_id``.
    kept, closed
        Existing sites the compliance check keeps or upgrades / closes (always required /
        excluded; :func:`planner.scenario.compliance.classify_sites`).
    unchanged
        The kept sites kept as they are (not upgraded): under the 新改扩建 count mode
        they come on top of the count.
    per_county
        Candidates per county code; empty when not known.
    grid_communities
        Community codes whose dense-grid candidates (``g<code>-<n>``) may exist but
        are not listed in ``ids`` (the form does not build the grid).
    per_township
        Candidates per township code; empty when not known.
    """

    ids: frozenset[str]
    kept: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    per_county: Mapping[str, int] = field(default_factory=dict)
    grid_communities: frozenset[str] = frozenset()
    unchanged: frozenset[str] = frozenset()
    per_township: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of_region(
        cls,
        region: Region,
        tier: str,
        dense_grid_m: Any = 0,
        existing: ExistingNetwork | None = None,
    ) -> CandidateSites:
        """Candidates as :mod:`planner.instance.candidates` builds them, without building them.

        Communities (stations) or township seats (centres) plus the region's existing
        sites, classified by ``existing``'s standard (default: the scenario default).
        With a dense grid the grid's ids are not known, only their pattern.
        """
        if tier == "stations":
            units = region.communities
            ids = set(units["code"].astype(str))
            site_tier = "station"
        else:
            units = region.townships
            ids = {"t" + str(c) for c in units["code"]}
            site_tier = "sorting_centre"
        per_county = units["county_code"].astype(str).value_counts().to_dict()
        per_township = (
            units["township_code"].astype(str).value_counts().to_dict()
            if "township_code" in units
            else {}
        )
        kept: set[str] = set()
        closed: set[str] = set()
        unchanged: set[str] = set()
        sites = region.sites
        if sites is not None and len(sites) and {"site_id", "tier"} <= set(sites.columns):
            mine = sites[sites["tier"] == site_tier]
            if len(mine):
                ids |= set(mine["site_id"].astype(str))
                action = classify_sites(mine, existing or ExistingNetwork())["action"]
                mine_ids = mine["site_id"].astype(str)
                kept = set(mine_ids[action.isin(("keep", "upgrade"))])
                closed = set(mine_ids[action == "close"])
                unchanged = set(mine_ids[action == "keep"])
                per_county = {}  # existing sites' counties are found only by location
        grid = (
            frozenset(region.communities["code"].astype(str))
            if tier == "stations" and _positive(dense_grid_m)
            else frozenset()
        )
        return cls(
            frozenset(ids),
            frozenset(kept),
            frozenset(closed),
            per_county,
            grid,
            frozenset(unchanged),
            per_township,
        )

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> CandidateSites:
        """The candidates of a built instance
        (:func:`planner.instance.candidates.station_candidates`)."""
        ids = frame["site_id"].astype(str)
        status = (
            frame["status"].astype(str) if "status" in frame else pd.Series("", index=ids.index)
        )
        counties = frame["county_code"].dropna().astype(str).value_counts().to_dict()
        towns = (
            frame["township_code"].dropna().astype(str).value_counts().to_dict()
            if "township_code" in frame
            else {}
        )
        action = frame["action"].astype(str) if "action" in frame else status
        return cls(
            frozenset(ids),
            frozenset(ids[status == "existing_keep"]),
            frozenset(ids[status == "existing_close"]),
            counties,
            unchanged=frozenset(ids[action == "keep"]),
            per_township=towns,
        )

    def knows(self, site_id: str) -> bool:
        """Whether ``site_id`` is (or, for an unbuilt grid, may be) a candidate."""
        if site_id in self.ids:
            return True
        grid = _GRID_ID.fullmatch(site_id)
        return grid is not None and grid.group(1) in self.grid_communities

    @property
    def open_ended(self) -> bool:
        """Whether more candidates than :attr:`ids` may exist (an unbuilt grid)."""
        return bool(self.grid_communities)


_GRID_ID = re.compile(r"g(.+)-\d{3,}")


def unknown_site_ids(
    tier: str, side: str, ids: Iterable[str], candidates: CandidateSites
) -> ScenarioProblem | None:
    """The error for ids of ``tier``'s ``side`` (``required_sites``…) that are not
    candidates, naming the first few and their count; ``None`` when all are known."""
    unknown = list(dict.fromkeys(x for x in ids if not candidates.knows(str(x))))
    if not unknown:
        return None
    return ScenarioProblem(
        "scenario.unknown_sites",
        {
            "field": f"{tier}.{side}",
            "count": fmt.count(len(unknown)),
            "examples": IdList(unknown),
            "hint": min(candidates.ids) if candidates.ids else "-",
        },
    )


def value_warnings(data: Scenario | Mapping[str, Any]) -> list[ScenarioProblem]:
    """Values that are allowed but probably a slip: a radius in kilometres typed as
    metres, a generation rate in grams, a circuity of 12."""
    data = _as_data(data)
    found: list[ScenarioProblem] = []
    circuity = data.get("circuity")
    if _number(circuity) and circuity > LARGE_CIRCUITY:
        found.append(_warning("scenario.circuity_high", field="circuity", value=shown(circuity)))
    stations = _section(data, "stations")
    for key in ("radius_urban_m", "radius_rural_m"):
        value = stations.get(key)
        if _number(value) and value > LARGE_RADIUS_M:
            found.append(
                _warning(
                    "scenario.radius_large",
                    field=f"stations.{key}",
                    value=shown(value),
                    km=shown(round(value / 1000, 1)),
                )
            )
    generation = _section(data, "generation")
    for key in ("urban_kg_per_person_day", "rural_kg_per_person_day"):
        value = generation.get(key)
        if _number(value) and value > LARGE_GENERATION_KG:
            found.append(
                _warning("scenario.generation_large", field=f"generation.{key}", value=shown(value))
            )
    return found


def region_problems(
    region: Region,
    data: Scenario | Mapping[str, Any],
    candidates: Mapping[str, CandidateSites] | None = None,
) -> list[ScenarioProblem]:
    """Every error and warning of scenario ``data`` on ``region``.

    Parameters
    ----------
    region
        The region planned.
    data
        A :class:`Scenario`, or its dict as being edited (values of the wrong type
        are skipped here: :meth:`Scenario.validate` names them).
    candidates
        ``{"stations": ..., "centres": ...}``; by default what the region gives
        (:meth:`CandidateSites.of_region`).

    Returns
    -------
    list of ScenarioProblem
        Errors and warnings, per tier; county names come from the region.
    """
    data = _as_data(data)
    if candidates is None:
        existing = _existing_section(data)
        candidates = {
            tier: CandidateSites.of_region(region, tier, data.get("dense_grid_m"), existing)
            for tier in TIERS
        }
    names = dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=False))
    found: list[ScenarioProblem] = []
    for tier in TIERS:
        found += _table_problems(region, data, tier, names)
        found += _candidate_problems(data, tier, candidates[tier], names)
    found += _community_problems(region, data)
    found += _township_problems(region, data, candidates["stations"])
    found += market_region_problems(
        region,
        _section(data, "markets"),
        _section(data, "generation"),
        _planned_centres(data, candidates["centres"]),
    )
    found += kind_region_problems(region, data)
    return found


def _township_problems(
    region: Region, data: Mapping[str, Any], cands: CandidateSites
) -> list[ScenarioProblem]:
    """Per-township station minimums: known townships, and enough candidates in each."""
    wanted = _counts(_section(data, "stations").get("township_min"))
    names = dict(zip(region.townships["code"].astype(str), region.townships["name"], strict=False))
    found: list[ScenarioProblem] = []
    unknown = sorted(code for code in wanted if code not in names)
    if unknown:
        found.append(_error("scenario.unknown_township", count=len(unknown), example=unknown[0]))
    for code, minimum in sorted(wanted.items()):
        here = cands.per_township.get(code)
        if code in names and here is not None and minimum > here and not cands.open_ended:
            found.append(
                _error(
                    "scenario.township_too_many",
                    township=names[code],
                    minimum=fmt.count(minimum),
                    available=fmt.count(here),
                )
            )
    return found


def _planned_centres(data: Mapping[str, Any], cands: CandidateSites) -> int | None:
    """Sorting centres of the whole network under 新改扩建 (count + kept ones), else
    ``None`` (the scenario's own checks compare markets with the plain count)."""
    count = _section(data, "centres").get("count")
    if _section(data, "existing").get("count_mode") != "new_or_rebuilt" or not _count(count):
        return None
    return count + len(cands.unchanged)


def _existing_section(data: Mapping[str, Any]) -> ExistingNetwork:
    """The scenario's existing-network section as far as it is valid (else the default:
    :meth:`Scenario.validate` names what is wrong with it)."""
    from planner.scenario.model import Scenario

    try:
        return Scenario.from_dict({"existing": _section(data, "existing")}).existing
    except PlannerError:
        return ExistingNetwork()


def check_region(
    region: Region,
    scenario: Scenario,
    candidates: Mapping[str, CandidateSites] | None = None,
) -> list[ScenarioProblem]:
    """Raise the errors of :func:`region_problems`; return its warnings.

    Raises
    ------
    PlannerError
        ``scenario.invalid`` listing every error.
    """
    found = region_problems(region, scenario, candidates)
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise PlannerError("scenario.invalid", details=errors)
    return [p for p in found if p.severity == "warning"]


# --- the parts -------------------------------------------------------------------------------


def _table_problems(
    region: Region, data: Mapping[str, Any], tier: str, names: Mapping[str, str]
) -> list[ScenarioProblem]:
    """Per-county limits against each other and against the city total."""
    part = _section(data, tier)
    label = Text(_TIER_LABEL[tier])
    lo = _counts(part.get("county_min"))
    hi = _counts(part.get("county_max"))
    found: list[ScenarioProblem] = []
    for code, minimum in lo.items():
        maximum = hi.get(code)
        if maximum is not None and minimum > maximum:
            found.append(
                _error(
                    "scenario.tier_min_above_max",
                    tier=label,
                    county=names.get(code, code),
                    minimum=minimum,
                    maximum=maximum,
                )
            )
    count = part.get("count")
    if not _count(count):
        return found
    total = sum(lo.values())
    if total > count:
        found.append(
            _error("scenario.min_over_total", tier=label, total=total, count=count, tier_id=tier)
        )
    n_counties = len(region.counties)
    if n_counties and len(hi) == n_counties and sum(hi.values()) < count:
        found.append(
            _warning("scenario.max_under_total", tier=label, total=sum(hi.values()), count=count)
        )
    if tier == "centres" and part.get("one_per_county") is True:
        needed = sum(max(1, lo.get(str(c), 0)) for c in region.counties["code"])
        if needed > count and needed > total:
            found.append(_warning("scenario.county_rule", needed=needed, count=count))
    if (
        tier == "stations"
        and part.get("one_per_township") is True
        and part.get("objective") != "set_cover"
        and len(region.townships) > count
    ):
        found.append(_warning("scenario.township_rule", needed=len(region.townships), count=count))
    return found


def _candidate_problems(
    data: Mapping[str, Any], tier: str, cands: CandidateSites, names: Mapping[str, str]
) -> list[ScenarioProblem]:
    """Site ids, counts and county minimums against the candidate sites."""
    part = _section(data, tier)
    label = Text(_TIER_LABEL[tier])
    found: list[ScenarioProblem] = []
    lists = {side: _ids(part.get(side)) for side in ("required_sites", "excluded_sites")}
    for side, ids in lists.items():
        problem = unknown_site_ids(tier, side, ids, cands)
        if problem is not None:
            found.append(problem)
    required = {x for x in lists["required_sites"] if x in cands.ids} | cands.kept
    excluded = (set(lists["excluded_sites"]) & cands.ids) | cands.closed
    count = part.get("count")
    counted = _count(count)
    shown_count: str | Text = fmt.count(count) if counted else ""
    new_or_rebuilt = _section(data, "existing").get("count_mode") == "new_or_rebuilt"
    if counted and new_or_rebuilt and cands.unchanged:
        # 新改扩建: the count is upgraded + new sites; kept sites come on top
        shown_count = Text(
            "scenario.count_with_kept",
            count=fmt.count(count),
            kept=fmt.count(len(cands.unchanged)),
        )
        count = count + len(cands.unchanged)
    if tier == "stations" and (part.get("objective") == "set_cover" or cands.open_ended):
        counted = False  # set cover picks its own number; an unbuilt grid adds candidates
    available = len(cands.ids) - len(excluded)
    if counted and count > available:
        found.append(
            _error(
                "scenario.too_many",
                tier=label,
                count=shown_count,
                available=fmt.count(available),
                total=fmt.count(len(cands.ids)),
                excluded=fmt.count(len(excluded)),
            )
        )
    if counted and len(required) > count:
        found.append(
            _error(
                "scenario.required_over_count",
                tier=label,
                required=fmt.count(len(required)),
                count=shown_count,
            )
        )
    for code, minimum in _counts(part.get("county_min")).items():
        here = cands.per_county.get(code)
        if here is not None and minimum > here and not cands.open_ended:
            found.append(
                _error(
                    "scenario.county_too_many",
                    tier=label,
                    county=names.get(code, code),
                    minimum=fmt.count(minimum),
                    available=fmt.count(here),
                )
            )
    return found


def _community_problems(region: Region, data: Mapping[str, Any]) -> list[ScenarioProblem]:
    """The one-station-per-community rule against the station count."""
    part = _section(data, "stations")
    rule, count = part.get("one_per_community"), part.get("count")
    kinds = region.communities.get("kind")
    if rule not in ("community", "village", "all") or not _count(count) or kinds is None:
        return []
    wanted = {"community": {"community"}, "village": {"village"}}.get(
        rule, {"community", "village"}
    )
    needed = int(kinds.isin(wanted).sum())
    if part.get("objective") == "set_cover" or needed <= count:
        return []
    return [
        _warning(
            "scenario.community_rule",
            field="stations.one_per_community",
            option=Text(_PER_COMMUNITY[rule]),
            needed=fmt.count(needed),
            count=fmt.count(count),
        )
    ]


# --- small helpers ---------------------------------------------------------------------------


def _error(key: str, **params: Any) -> ScenarioProblem:
    return ScenarioProblem(key, params, "error")


def _warning(key: str, **params: Any) -> ScenarioProblem:
    return ScenarioProblem(key, params, "warning")


def _as_data(data: Scenario | Mapping[str, Any]) -> Mapping[str, Any]:
    return data.to_dict() if isinstance(data, Scenario) else data


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    part = data.get(key)
    return part if isinstance(part, Mapping) else {}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive(value: Any) -> bool:
    return _number(value) and value > 0


def _count(value: Any) -> bool:
    """A usable count: an int above 0 (the scenario's own checks name the others)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _counts(value: Any) -> dict[str, int]:
    """The whole-number entries of a per-county mapping as typed (others are skipped)."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(code): n
        for code, n in value.items()
        if isinstance(n, int) and not isinstance(n, bool) and n >= 0
    }


def _ids(value: Any) -> list[str]:
    """The site ids of a list as typed (a bare string is not a list of its letters)."""
    if not isinstance(value, list | tuple):
        return []
    return [str(x) for x in value if isinstance(x, str | int) and not isinstance(x, bool)]

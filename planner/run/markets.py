"""The market tier (集散交易市场): sorting centres assigned to capacitated markets.

Solved after the sorting-centre tier when ``scenario.markets.count > 0``, with the
same model as that tier (:class:`~planner.models.SortingCentreModel`: capacitated
facility location with single sourcing). The chosen sorting centres are the demand
points, each weighted by the tonnage it handles (``load_t_per_day``), exactly as the
stations are for the centres.

Where markets may stand
-----------------------
On the sorting-centre candidate sites (township seats, the region's existing
centres and any supplied centre sites), except existing centres the plan closes: a
集散交易市场 serves a city or county, and a township seat is where the policies put
one. A market may therefore stand on the same site as a sorting centre (a centre
next to its market hands on its tonnage at no distance). Market rows get their own
``site_id`` (``m`` + the candidate's id, so every row of a plan's sites is unique)
and keep the candidate's id in ``candidate_id``; ``markets.required_sites`` and
``excluded_sites`` name candidate ids.

Distances
---------
Straight line × circuity, or in ``network`` mode the driving distance in metres
(never driving time: the market tier's objective is tonne-kilometres in both modes).

Infeasible market tiers are explained before the model runs where the arithmetic
shows it: total capacity below the centres' tonnage (by how much), a centre
handling more than one market can take. The model's own diagnoses follow otherwise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.i18n import LANGUAGES, PlannerError, Text, t
from planner.instance.build import Instance
from planner.models import PolicyRules, SiteGroup, SolverOptions, SortingCentreModel, Term
from planner.plan import TierResult
from planner.scenario import ScenarioProblem
from planner.scenario.checks import CandidateSites, IdList, unknown_site_ids

if TYPE_CHECKING:
    from planner.instance.network import RoadDistances
    from planner.models import CentreSolution, Deadline

__all__ = [
    "MARKET_PREFIX",
    "MarketOutcome",
    "check_market_sites",
    "empty_market_links",
    "market_candidates",
    "market_rules",
    "market_shortfall",
    "market_tier",
    "solve_markets",
]

#: Prefix of a market's ``site_id`` before its candidate's id.
MARKET_PREFIX = "m"
#: Centre×candidate pairs up to which every pair is in the model (then each centre's
#: nearest :data:`NEIGHBOURS`); a city has tens of centres and hundreds of candidates.
FULL_PAIRS = 60_000
NEIGHBOURS = 30


class _MarketModel(SortingCentreModel):
    """The sorting-centre model whose messages speak of markets."""

    unit = "market"


@dataclass(frozen=True)
class MarketOutcome:
    """What the market tier adds to a plan.

    Attributes
    ----------
    result
        The tier's :class:`~planner.plan.TierResult` (tier ``market``).
    markets
        Market rows for the plan's sites (empty without a plan).
    centres
        The sorting centres with ``market_id`` and ``distance_to_market_m``.
    links
        Centre → market lines: ``centre_id``, ``market_id``, ``tonnage_t_per_day``,
        ``distance_m``.
    """

    result: TierResult
    markets: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    links: gpd.GeoDataFrame


def empty_market_links() -> gpd.GeoDataFrame:
    """A centre → market link layer without rows."""
    return gpd.GeoDataFrame(
        {"centre_id": [], "market_id": [], "tonnage_t_per_day": [], "distance_m": []},
        geometry=[],
        crs="EPSG:4326",
    )


def market_candidates(inst: Instance) -> pd.DataFrame:
    """The sites a market may take: the centre candidates the plan does not close."""
    cand = inst.centres
    return cand[cand["status"] != "existing_close"].reset_index(drop=True)


def check_market_sites(inst: Instance) -> None:
    """Refuse unknown ids in ``markets.required_sites`` / ``excluded_sites``, and
    required sites the plan closes, before anything is solved (named, first few and
    count).

    Raises
    ------
    PlannerError
        ``scenario.invalid``.
    """
    m = inst.scenario.markets
    if m.count <= 0:
        return
    sites = CandidateSites.of_frame(inst.centres)
    problems = [
        p
        for side in ("required_sites", "excluded_sites")
        if (p := unknown_site_ids("markets", side, getattr(m, side), sites)) is not None
    ]
    closed = [x for x in m.required_sites if x in sites.closed]
    if closed:
        problems.append(
            ScenarioProblem(
                "scenario.markets.required_closed",
                {"count": len(closed), "examples": IdList(closed)},
            )
        )
    if problems:
        raise PlannerError("scenario.invalid", details=problems)


def market_rules(inst: Instance, cand: pd.DataFrame) -> PolicyRules:
    """The market tier's policy on ``cand``: sites required and excluded, one per
    county when asked, county minimums and maximums."""
    m = inst.scenario.markets
    index = {str(sid): j for j, sid in enumerate(cand["site_id"])}
    required = [index[x] for x in m.required_sites if x in index]
    excluded = [index[x] for x in m.excluded_sites if x in index]
    names = dict(zip(inst.region.counties["code"], inst.region.counties["name"], strict=True))
    codes = cand["county_code"].to_numpy(dtype=object)
    groups = []
    for code in sorted(set(codes) | set(m.county_min) | set(m.county_max), key=str):
        lo = max(1 if m.one_per_county else 0, m.county_min.get(code, 0))
        hi = m.county_max.get(code)
        if lo or hi is not None:
            groups.append(
                SiteGroup(names.get(code, code), np.flatnonzero(codes == code), lo, hi, "county")
            )
    return PolicyRules(required=required, excluded=excluded, groups=groups)


def market_shortfall(load: np.ndarray, count: int, capacity: float) -> list[dict[str, str]]:
    """Why no market plan can exist, from the arithmetic alone (empty when it may).

    ``load``: tonnage (t/day) of each chosen sorting centre. Reasons, in both
    languages: the markets' total capacity is below the centres' tonnage (with the
    shortfall), or some centres handle more than one market takes (a centre delivers
    to one market).
    """
    out = []
    total, supply = float(load.sum()), count * float(capacity)
    if total > supply * (1 + 1e-9) + 1e-9:
        out.append(
            _note(
                "markets.capacity_short",
                count=count,
                capacity=capacity,
                supply=supply,
                demand=total,
                short=total - supply,
            )
        )
    too_big = load > capacity * (1 + 1e-9) + 1e-9
    if too_big.any():
        out.append(
            _note(
                "markets.centre_too_big",
                count=int(too_big.sum()),
                largest=float(load.max()),
                capacity=capacity,
            )
        )
    return out


def solve_markets(
    inst: Instance,
    centre_xy: np.ndarray,
    load: np.ndarray,
    cand: pd.DataFrame,
    deadline: Deadline | None = None,
) -> tuple[CentreSolution, RoadDistances | None]:
    """Solve the market tier: centres at ``centre_xy`` (metric CRS) with ``load`` t/day
    onto markets among ``cand``. Returns the solution (distances in metres) and, in
    ``network`` mode, the road distances used."""
    m, sc = inst.scenario.markets, inst.scenario
    rules = market_rules(inst, cand)
    cxy = cand[["x", "y"]].to_numpy(dtype=float)
    k = len(cand) if len(centre_xy) * len(cand) <= FULL_PAIRS else NEIGHBOURS
    options = SolverOptions(
        solver=sc.solver.name, time_limit_s=sc.solver.time_limit_s, gap=sc.solver.gap or None
    )
    kwargs: dict[str, Any] = {
        "fixed_cost": m.fixed_cost,
        "rules": rules,
        "cost_per_tonne_metre": 1e-3,  # t·km
    }
    if inst.network is not None:
        from planner.instance.distance import source_knn
        from planner.instance.network import road_distances

        dist = road_distances(
            inst.network, centre_xy, cxy, "drive", circuity=sc.circuity, complete=True
        )
        model = _MarketModel.from_cost_matrix(
            source_knn(dist.source, k), load, m.capacity_t_per_day, m.count, **kwargs
        )
        return model.solve(options, deadline=deadline), dist
    model = _MarketModel.from_points(
        centre_xy, cxy, load, m.capacity_t_per_day, m.count, k=k, circuity=sc.circuity, **kwargs
    )
    return model.solve(options, deadline=deadline), None


def market_tier(inst: Instance, centres: gpd.GeoDataFrame) -> MarketOutcome:
    """Site the markets for the plan's open sorting centres.

    Parameters
    ----------
    inst
        The run's instance (scenario with ``markets.count > 0``).
    centres
        The sorting centres the centre tier opened, with ``x``/``y`` (metric CRS) and
        ``load_t_per_day``.
    """
    from planner.models import Deadline

    m, sc = inst.scenario.markets, inst.scenario
    t0 = time.perf_counter()
    deadline = Deadline(sc.solver.time_limit_s)  # the tier's own budget, as the others
    cand = market_candidates(inst)
    load = centres["load_t_per_day"].to_numpy(dtype=float)
    centres = centres.copy()
    centres["market_id"] = None
    centres["distance_to_market_m"] = np.nan
    nothing = cand.iloc[0:0]
    short = market_shortfall(load, m.count, m.capacity_t_per_day)
    if short:
        result = TierResult(
            tier="market", model="market", status="infeasible", objective=None, bound=None,
            gap=None, seconds=round(time.perf_counter() - t0, 3), solver=sc.solver.name,
            diagnoses=tuple(short),
        )  # fmt: skip
        return MarketOutcome(
            result, _rows(nothing, centres, m.capacity_t_per_day), centres, empty_market_links()
        )
    sol, dist = solve_markets(inst, centres[["x", "y"]].to_numpy(dtype=float), load, cand, deadline)
    r = sol.result
    notes: tuple[dict[str, str], ...] = ()
    if dist is not None and dist.fallback.any():
        notes = (
            _note(
                "markets.network_fallback",
                count=int(dist.fallback.sum()),
                circuity=dist.circuity,
            ),
        )
    result = TierResult(
        tier="market", model="market", status=r.status, objective=r.objective, bound=r.bound,
        gap=r.gap, seconds=round(time.perf_counter() - t0, 3), solver=sc.solver.name,
        diagnoses=tuple(_in_market_words(d) for d in r.diagnoses) + notes,
        details={"rounds": getattr(r, "rounds", None), "candidates": len(cand)},
    )  # fmt: skip
    if not result.has_plan or not len(sol.centres):
        return MarketOutcome(
            result, _rows(nothing, centres, m.capacity_t_per_day), centres, empty_market_links()
        )
    chosen = cand.iloc[np.asarray(sol.centres)]
    ids = MARKET_PREFIX + cand["site_id"].astype(str).to_numpy()
    assign = np.asarray(sol.assignment)
    centres["market_id"] = np.where(assign >= 0, ids[assign.clip(0)], None)
    centres["distance_to_market_m"] = np.where(
        assign >= 0, np.asarray(sol.distance, dtype=float), np.nan
    )
    markets = _rows(chosen, centres, m.capacity_t_per_day)
    geom = dict(zip(markets["site_id"], markets.geometry, strict=True))
    ok = centres["market_id"].notna().to_numpy()
    served = centres[ok]
    links = gpd.GeoDataFrame(
        {
            "centre_id": served["site_id"].to_numpy(),
            "market_id": served["market_id"].to_numpy(),
            "tonnage_t_per_day": served["load_t_per_day"].to_numpy(dtype=float),
            "distance_m": served["distance_to_market_m"].to_numpy(dtype=float),
        },
        geometry=[
            shapely.LineString([g, geom[mid]])
            for g, mid in zip(served.geometry, served["market_id"], strict=True)
        ],
        crs="EPSG:4326",
    )
    return MarketOutcome(result, markets, centres, links)


def _rows(chosen: pd.DataFrame, centres: pd.DataFrame, capacity: float) -> gpd.GeoDataFrame:
    """Market rows shaped like the plan's centre rows (``tier``/``kind`` ``market``)."""
    out = gpd.GeoDataFrame(chosen.copy(), geometry="geometry", crs="EPSG:4326")
    out["candidate_id"] = out["site_id"].astype(str)
    out["site_id"] = MARKET_PREFIX + out["candidate_id"]
    out["tier"] = "market"
    out["kind"] = "market"
    out["status"] = "proposed"
    out["action"] = "new"
    out["reasons"] = ""
    assigned = centres.groupby("market_id")["load_t_per_day"].sum()
    out["load_t_per_day"] = out["site_id"].map(assigned).fillna(0.0).to_numpy(dtype=float)
    out["capacity_t_per_day"] = float(capacity)
    out["served_centres"] = (
        out["site_id"].map(centres["market_id"].value_counts()).fillna(0).astype(np.int64)
    )
    return out


#: The sorting-centre model's findings that name stations and centres -> the same
#: finding about centres and markets.
_MARKET_WORDING = {
    "solve.centre_bound": "markets.bound",
    "solve.centre_lagrangian_bound": "markets.lagrangian_bound",
    "solve.reassigned": "markets.reassigned",
}


def _in_market_words(d: Any) -> dict[str, str]:
    """A model finding in both languages, in the market tier's words: the model's own
    word for its sites (``market``, which the model's catalogue does not know) becomes
    集散交易市场, and a message about stations and centres its market counterpart."""
    params = {
        name: Text("markets.term.market") if isinstance(v, Term) and v.word == "market" else v
        for name, v in d.params.items()
    }
    found = replace(d, key=_MARKET_WORDING.get(d.key, d.key), params=params)
    return {"key": found.key, **{lang: found.message(lang) for lang in LANGUAGES}}


def _note(key: str, **params: Any) -> dict[str, str]:
    """A diagnosis line in both languages."""
    return {"key": key, **{lang: t(key, lang, **params) for lang in LANGUAGES}}
